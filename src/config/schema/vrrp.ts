// The VRRP side: vrrp_script, track_file, vrrp_track_process, vrrp_sync_group, garp_group,
// vrrp_instance, static_ipaddress / static_routes / static_rules.
import type { Stmt } from '../ast.js';
import type {
  Notify,
  StaticAddresses,
  SyncGroup,
  TrackFile,
  TrackProcess,
  TrackRef,
  VipSpec,
  VrrpInstance,
  VrrpScript,
  GarpGroup,
} from '../model.js';
import { applyBlock, blockOf, type BlockSpec, type Ctx } from './block.js';
import {
  arg,
  command,
  flag,
  int,
  intText,
  ip,
  parseIp,
  seconds,
  semicolonHint,
  text,
  userGroup,
} from './values.js';

type WithNotify = {
  notify?: Notify;
  notifyMaster?: Notify;
  notifyBackup?: Notify;
  notifyFault?: Notify;
  notifyStop?: Notify;
};
const NOTIFY_KEYWORDS = {
  notify: (s: Stmt, t: WithNotify, ctx: Ctx) => (t.notify = command(s, ctx)),
  notify_master: (s: Stmt, t: WithNotify, ctx: Ctx) => (t.notifyMaster = command(s, ctx)),
  notify_backup: (s: Stmt, t: WithNotify, ctx: Ctx) => (t.notifyBackup = command(s, ctx)),
  notify_fault: (s: Stmt, t: WithNotify, ctx: Ctx) => (t.notifyFault = command(s, ctx)),
  notify_stop: (s: Stmt, t: WithNotify, ctx: Ctx) => (t.notifyStop = command(s, ctx)),
};

/** `weight N [reverse]` inside a tracker definition or reference. */
function weightArgs(
  s: Stmt,
  i: number,
  ctx: Ctx,
  min: number,
  max: number,
): { weight?: number; reverse: boolean } {
  const t = s.args[i];
  if (!t) {
    ctx.error(`'${s.keyword.text}' needs a weight`, s.keyword.loc);
    return { reverse: false };
  }
  const weight = intText(
    t,
    `${s.keyword.text === 'weight' ? '' : s.keyword.text + ' '}weight`.trim(),
    ctx,
    min,
    max,
  );
  return { weight, reverse: s.args[i + 1]?.text === 'reverse' };
}

/** `track_script { name [weight N [reverse]] … }` (also track_interface, track_file, track_process). */
function trackRefs(s: Stmt, ctx: Ctx, kind: string): TrackRef[] {
  const refs: TrackRef[] = [];
  const items =
    s.block ?? (s.args.length ? [{ ...s, keyword: s.args[0]!, args: s.args.slice(1) }] : blockOf(s, ctx));
  for (const it of items) {
    const ref: TrackRef = { name: it.keyword.text, reverse: false, loc: it.keyword.loc };
    if (it.args[0]?.text === 'weight') {
      const t = it.args[1];
      if (!t) ctx.error(`${kind} '${ref.name}': 'weight' needs a value from -253 to 253`, it.args[0].loc);
      else ref.weight = intText(t, `${kind} '${ref.name}' weight`, ctx, -253, 253);
      ref.reverse = it.args[2]?.text === 'reverse';
    } else if (it.args.length > 0 && kind !== 'track_interface') {
      ctx.warn(
        `${kind} '${ref.name}': unexpected '${it.args[0]!.text}' (expected 'weight N')`,
        it.args[0]!.loc,
      );
    } else if (kind === 'track_interface' && it.args[0]?.text !== undefined && it.args[0].text !== 'weight') {
      ctx.warn(
        `track_interface '${ref.name}': unexpected '${it.args[0].text}' (expected 'weight N')`,
        it.args[0].loc,
      );
    }
    refs.push(ref);
  }
  return refs;
}

export function readVrrpScript(s: Stmt, ctx: Ctx): VrrpScript {
  const name = arg(s, 0, ctx, 'a name')?.text ?? '';
  const v: VrrpScript = {
    name,
    interval: 1,
    weight: 0,
    weightReverse: false,
    rise: 1,
    fall: 1,
    initFail: false,
    loc: s.keyword.loc,
  };
  applyBlock<VrrpScript>(
    {
      name: `vrrp_script ${name}`,
      keywords: {
        script: (st, t, c) => (t.script = command(st, c)),
        interval: (st, t, c) => (t.interval = seconds(st, c, 0.001, 86400) ?? t.interval),
        timeout: (st, t, c) => (t.timeout = seconds(st, c, 0.001, 86400)),
        weight: (st, t, c) => {
          const w = weightArgs(st, 0, c, -253, 253);
          if (w.weight !== undefined) t.weight = w.weight;
          t.weightReverse = w.reverse;
        },
        rise: (st, t, c) => (t.rise = int(st, c, 1, 1_000_000) ?? t.rise),
        fall: (st, t, c) => (t.fall = int(st, c, 1, 1_000_000) ?? t.fall),
        user: (st, t, c) => (t.user = userGroup(st, c)),
        init_fail: (st, t, c) => (t.initFail = flag(st, c)),
      },
    },
    blockOf(s, ctx),
    v,
    ctx,
  );
  if (!v.script) ctx.error(`vrrp_script ${name} has no 'script' to run`, s.keyword.loc);
  return v;
}

export function readTrackFile(s: Stmt, ctx: Ctx): TrackFile {
  const name = arg(s, 0, ctx, 'a name')?.text ?? '';
  const t: TrackFile = { name, weight: 1, weightReverse: false, loc: s.keyword.loc };
  applyBlock<TrackFile>(
    {
      name: `${s.keyword.text} ${name}`,
      keywords: {
        file: (st, tf, c) => (tf.file = text(st, c)),
        weight: (st, tf, c) => {
          const w = weightArgs(st, 0, c, -254, 254);
          if (w.weight !== undefined) tf.weight = w.weight;
          tf.weightReverse = w.reverse;
        },
        init_file: (st, tf, c) => {
          const v = st.args[0] ? intText(st.args[0], 'init_file', c, -254, 254) : 0;
          tf.initFile = { value: v ?? 0, overwrite: st.args.some((a) => a.text === 'overwrite') };
        },
      },
    },
    blockOf(s, ctx),
    t,
    ctx,
  );
  if (!t.file) ctx.error(`${s.keyword.text} ${name} has no 'file' to watch`, s.keyword.loc);
  return t;
}

export function readTrackProcess(s: Stmt, ctx: Ctx): TrackProcess {
  const name = arg(s, 0, ctx, 'a name')?.text ?? '';
  const t: TrackProcess = {
    name,
    paramMatch: 'exact',
    weight: 0,
    weightReverse: false,
    quorum: 1,
    fullCommand: false,
    loc: s.keyword.loc,
  };
  applyBlock<TrackProcess>(
    {
      name: `vrrp_track_process ${name}`,
      keywords: {
        process: (st, tp, c) => {
          tp.process = text(st, c);
          if (st.args.length > 1)
            tp.param = st.args
              .slice(1)
              .map((a) => a.text)
              .join(' ');
        },
        param_match: (st, tp, c) => {
          const v = text(st, c);
          if (v === 'exact' || v === 'partial' || v === 'initial') tp.paramMatch = v;
          else if (v !== undefined)
            c.error(`param_match must be exact, partial or initial, not '${v}'`, st.args[0]!.loc);
        },
        weight: (st, tp, c) => {
          const w = weightArgs(st, 0, c, -254, 254);
          if (w.weight !== undefined) tp.weight = w.weight;
          tp.weightReverse = w.reverse;
        },
        quorum: (st, tp, c) => (tp.quorum = int(st, c, 0, 65535) ?? tp.quorum),
        quorum_max: (st, tp, c) => (tp.quorumMax = int(st, c, 0, 65535)),
        delay: (st, tp, c) => (tp.delay = seconds(st, c, 0, 3600)),
        terminate_delay: (st, tp, c) => (tp.terminateDelay = seconds(st, c, 0, 3600)),
        fork_delay: (st, tp, c) => (tp.forkDelay = seconds(st, c, 0, 3600)),
        full_command: (st, tp, c) => (tp.fullCommand = flag(st, c)),
      },
    },
    blockOf(s, ctx),
    t,
    ctx,
  );
  if (!t.process) ctx.error(`vrrp_track_process ${name} has no 'process' to watch`, s.keyword.loc);
  return t;
}

export function readSyncGroup(s: Stmt, ctx: Ctx): SyncGroup {
  const name = arg(s, 0, ctx, 'a name')?.text ?? '';
  const g: SyncGroup = {
    name,
    group: [],
    trackInterface: [],
    trackScript: [],
    trackFile: [],
    trackProcess: [],
    globalTracking: false,
    loc: s.keyword.loc,
  };
  applyBlock<SyncGroup>(
    {
      name: `vrrp_sync_group ${name}`,
      keywords: {
        group: (st, sg, c) => {
          for (const m of [...st.args, ...blockOf(st, c).flatMap((b) => [b.keyword, ...b.args])]) {
            sg.group.push({ name: m.text, loc: m.loc });
          }
        },
        track_interface: (st, sg, c) => sg.trackInterface.push(...trackRefs(st, c, 'track_interface')),
        track_script: (st, sg, c) => sg.trackScript.push(...trackRefs(st, c, 'track_script')),
        track_file: (st, sg, c) => sg.trackFile.push(...trackRefs(st, c, 'track_file')),
        track_process: (st, sg, c) => sg.trackProcess.push(...trackRefs(st, c, 'track_process')),
        global_tracking: (st, sg, c) => {
          c.warn(
            `vrrp_sync_group ${sg.name}: global_tracking is deprecated; it means sync_group_tracking_weight (as in keepalived)`,
            st.keyword.loc,
          );
          sg.globalTracking = flag(st, c);
        },
        sync_group_tracking_weight: (st, sg, c) => (sg.globalTracking = flag(st, c)),
        smtp_alert: (st, sg, c) => (sg.smtpAlert = flag(st, c)),
        ...NOTIFY_KEYWORDS,
      },
      accepted: ['notify_priority_changes', 'track_bfd'],
    },
    blockOf(s, ctx),
    g,
    ctx,
  );
  if (g.group.length === 0)
    ctx.error(`vrrp_sync_group ${name} has no 'group { … }' of instances`, s.keyword.loc);
  return g;
}

export function readGarpGroup(s: Stmt, ctx: Ctx): GarpGroup {
  const g: GarpGroup = { interfaces: [], loc: s.keyword.loc };
  applyBlock<GarpGroup>(
    {
      name: 'garp_group',
      keywords: {
        garp_interval: (st, gg, c) => (gg.garpInterval = seconds(st, c, 0, 1)),
        gna_interval: (st, gg, c) => (gg.gnaInterval = seconds(st, c, 0, 1)),
        interface: (st, gg, c) => {
          const v = text(st, c);
          if (v) gg.interfaces.push(v);
        },
        interfaces: (st, gg, c) =>
          gg.interfaces.push(...blockOf(st, c).flatMap((b) => [b.keyword, ...b.args].map((t) => t.text))),
      },
    },
    blockOf(s, ctx),
    g,
    ctx,
  );
  return g;
}

/** One line of virtual_ipaddress: `ADDR[/PREFIX] [dev IF] [label L] [scope S] [brd B] …`. */
export function readVip(s: Stmt, ctx: Ctx, where: string): VipSpec | undefined {
  const a = parseIp(s.keyword.text);
  if (!a) {
    ctx.error(
      `${where}: '${s.keyword.text}' is not an IP address (ADDRESS[/PREFIX] [dev IF] [label L] …)`,
      s.keyword.loc,
    );
    return undefined;
  }
  const vip: VipSpec = { ...a, options: s.args.map((t) => t.text), loc: s.keyword.loc };
  const opts = ['dev', 'label', 'scope', 'brd', 'broadcast'] as const;
  for (let i = 0; i < s.args.length; i++) {
    const k = s.args[i]!.text;
    if (!(opts as readonly string[]).includes(k)) continue;
    const v = s.args[i + 1];
    if (!v) {
      ctx.error(`${where}: '${k}' needs a value`, s.args[i]!.loc);
      continue;
    }
    if (k === 'dev') vip.dev = v.text;
    else if (k === 'label') vip.label = v.text;
    else if (k === 'scope') vip.scope = v.text;
    else vip.brd = v.text;
    i++;
  }
  return vip;
}

function vipList(s: Stmt, ctx: Ctx): VipSpec[] {
  return blockOf(s, ctx).flatMap((st) => readVip(st, ctx, s.keyword.text) ?? []);
}

function specLines(s: Stmt, ctx: Ctx): { spec: string[]; loc: Stmt['loc'] }[] {
  return blockOf(s, ctx).map((st) => ({
    spec: [st.keyword, ...st.args].map((t) => t.text),
    loc: st.keyword.loc,
  }));
}

const INSTANCE_ACCEPTED = [
  'use_vmac_addr',
  'vmac_xmit_base',
  'use_ipvlan',
  'unicast_fault_no_peer',
  'check_unicast_src',
  'old_unicast_checksum',
  'native_ipv6',
  'vrf',
  'mcast_dst_ip',
  'track_src_ip',
  'unicast_ttl',
  'no_virtual_ipaddress',
  'promote_secondaries',
  'linkbeat_use_polling',
  'v3_checksum_as_v2',
  'accept',
  'no_accept',
  'debug',
  'notify_deleted',
  'notify_master_rx_lower_pri',
  'notify_priority_changes',
  'garp_lower_prio_delay',
  'garp_lower_prio_repeat',
  'down_timer_adverts',
  'timer_expired_backup',
  'thread_timer_expired',
  'garp_extra_if',
  'vmac_garp_intvl',
  'lower_prio_no_advert',
  'higher_prio_send_advert',
  'owner_ignore_adverts',
  'kernel_rx_buf_size',
  'track_bfd',
  'interfaces',
  'linkbeat_interfaces',
] as const;

export function newInstance(name: string, loc: Stmt['loc']): VrrpInstance {
  return {
    name,
    state: 'BACKUP',
    stateSet: false,
    priority: 100,
    advertInt: 1,
    effectiveVersion: 2,
    family: 4,
    virtualIpaddress: [],
    virtualIpaddressExcluded: [],
    virtualRoutes: [],
    virtualRules: [],
    unicastPeer: [],
    trackInterface: [],
    trackScript: [],
    trackFile: [],
    trackProcess: [],
    nopreempt: false,
    preemptDelay: 0,
    dontTrackPrimary: false,
    other: {},
    loc,
  };
}

const INSTANCE: BlockSpec<VrrpInstance> = {
  name: 'vrrp_instance',
  accepted: INSTANCE_ACCEPTED,
  synonyms: { vrrp_version: 'version', preempt: 'preempt_flag', strict_mode: 'strict' },
  keywords: {
    state: (s, v, ctx) => {
      const t = text(s, ctx);
      if (t === 'MASTER' || t === 'BACKUP') {
        v.state = t;
        v.stateSet = true;
      } else if (t !== undefined) ctx.error(`state must be MASTER or BACKUP, not '${t}'`, s.args[0]!.loc);
    },
    interface: (s, v, ctx) => (v.interface = text(s, ctx)),
    virtual_router_id: (s, v, ctx) => {
      v.virtualRouterId = int(s, ctx, 1, 255);
      // Remember a rejected value so validation does not also call it missing.
      if (v.virtualRouterId === undefined) v.other.virtual_router_id = s.args.map((a) => a.text);
    },
    priority: (s, v, ctx) => (v.priority = int(s, ctx, 1, 255) ?? v.priority),
    advert_int: (s, v, ctx) => (v.advertInt = seconds(s, ctx, 0.01, 255) ?? v.advertInt),
    version: (s, v, ctx) => {
      const n = int(s, ctx, 2, 3);
      if (n === 2 || n === 3) v.version = n;
    },
    authentication: (s, v, ctx) => {
      const auth: { authType?: string; authPass?: string; passLoc?: Stmt['loc'] } = {};
      applyBlock<typeof auth>(
        {
          name: 'authentication',
          keywords: {
            auth_type: (st, a, c) => (a.authType = text(st, c)),
            auth_pass: (st, a, c) => {
              a.authPass = text(st, c);
              a.passLoc = st.args[0]?.loc;
            },
          },
        },
        blockOf(s, ctx),
        auth,
        ctx,
      );
      if (auth.authType !== 'PASS' && auth.authType !== 'AH') {
        ctx.error(
          `authentication: auth_type must be PASS or AH${auth.authType ? `, not '${auth.authType}'${semicolonHint(auth.authType)}` : ''}`,
          s.keyword.loc,
        );
        return;
      }
      let pass = auth.authPass;
      if (pass !== undefined && pass.length > 8) {
        ctx.warn(
          `auth_pass '${pass}' is longer than 8 characters: only '${pass.slice(0, 8)}' is used (as keepalived does)`,
          auth.passLoc ?? s.keyword.loc,
        );
        pass = pass.slice(0, 8);
      }
      if (auth.authType === 'PASS' && pass === undefined)
        ctx.error('authentication: auth_type PASS needs an auth_pass', s.keyword.loc);
      v.authentication = { authType: auth.authType, authPass: pass, loc: s.keyword.loc };
    },
    virtual_ipaddress: (s, v, ctx) => v.virtualIpaddress.push(...vipList(s, ctx)),
    virtual_ipaddress_excluded: (s, v, ctx) => v.virtualIpaddressExcluded.push(...vipList(s, ctx)),
    virtual_routes: (s, v, ctx) => v.virtualRoutes.push(...specLines(s, ctx)),
    virtual_rules: (s, v, ctx) => v.virtualRules.push(...specLines(s, ctx)),
    unicast_src_ip: (s, v, ctx) => (v.unicastSrcIp = ip(s, ctx)?.address),
    mcast_src_ip: (s, v, ctx) => (v.mcastSrcIp = ip(s, ctx)?.address),
    unicast_peer: (s, v, ctx) => {
      for (const st of blockOf(s, ctx)) {
        const a = parseIp(st.keyword.text);
        if (!a || a.prefix !== undefined)
          ctx.error(`unicast_peer: '${st.keyword.text}' is not an IP address`, st.keyword.loc);
        else v.unicastPeer.push({ address: a.address, loc: st.keyword.loc });
      }
    },
    track_interface: (s, v, ctx) => v.trackInterface.push(...trackRefs(s, ctx, 'track_interface')),
    track_script: (s, v, ctx) => v.trackScript.push(...trackRefs(s, ctx, 'track_script')),
    track_file: (s, v, ctx) => v.trackFile.push(...trackRefs(s, ctx, 'track_file')),
    track_process: (s, v, ctx) => v.trackProcess.push(...trackRefs(s, ctx, 'track_process')),
    nopreempt: (s, v, ctx) => (v.nopreempt = flag(s, ctx)),
    preempt_flag: (s, v) => (v.nopreempt = false),
    preempt_delay: (s, v, ctx) => (v.preemptDelay = seconds(s, ctx, 0, 1000) ?? v.preemptDelay),
    garp_master_delay: (s, v, ctx) => (v.garpMasterDelay = int(s, ctx, 0, 86400)),
    garp_master_repeat: (s, v, ctx) => (v.garpMasterRepeat = int(s, ctx, 0, 10000)),
    garp_master_refresh: (s, v, ctx) => (v.garpMasterRefresh = int(s, ctx, 0, 86400)),
    garp_master_refresh_repeat: (s, v, ctx) => (v.garpMasterRefreshRepeat = int(s, ctx, 0, 10000)),
    dont_track_primary: (s, v, ctx) => (v.dontTrackPrimary = flag(s, ctx)),
    skip_check_adv_addr: (s, v, ctx) => (v.skipCheckAdvAddr = flag(s, ctx)),
    strict: (s, v, ctx) => (v.strictMode = flag(s, ctx)),
    use_vmac: (s, v) => (v.useVmac = s.args[0]?.text ?? `vrrp.${v.virtualRouterId ?? ''}`),
    smtp_alert: (s, v, ctx) => (v.smtpAlert = flag(s, ctx)),
    lvs_sync_daemon_interface: (s, v, ctx) => {
      const ifname = text(s, ctx);
      if (ifname !== undefined) v.lvsSyncDaemonInterface = { ifname, loc: s.keyword.loc };
    },
    ...NOTIFY_KEYWORDS,
  },
};

export function readInstance(s: Stmt, ctx: Ctx): VrrpInstance {
  const name = arg(s, 0, ctx, 'a name')?.text ?? '';
  const v = newInstance(name, s.keyword.loc);
  applyBlock({ ...INSTANCE, name: `vrrp_instance ${name}` }, blockOf(s, ctx), v, ctx);
  return v;
}

export function readStatic(s: Stmt, st: StaticAddresses, ctx: Ctx): void {
  if (s.keyword.text === 'static_ipaddress') st.addresses.push(...vipList(s, ctx));
  else if (s.keyword.text === 'static_routes') st.routes.push(...specLines(s, ctx));
  else st.rules.push(...specLines(s, ctx));
}
