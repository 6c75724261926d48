// The VRRP side: vrrp_script, track_file, vrrp_track_process, vrrp_sync_group, garp_group,
// vrrp_instance, static_ipaddress / static_routes / static_rules.
import type { Loc, Stmt } from '../ast.js';
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
  IpRoute,
  IpRule,
} from '../model.js';
import { applyBlock, blockOf, type BlockSpec, type Ctx } from './block.js';
import { readRoute, readRule } from './iproute.js';
import {
  arg,
  command,
  flag,
  int,
  intText,
  ip,
  parseIp,
  seconds,
  notifyCommand,
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
  notify: (s: Stmt, t: WithNotify, ctx: Ctx) => (t.notify = notifyCommand(s, ctx)),
  notify_master: (s: Stmt, t: WithNotify, ctx: Ctx) => (t.notifyMaster = notifyCommand(s, ctx)),
  notify_backup: (s: Stmt, t: WithNotify, ctx: Ctx) => (t.notifyBackup = notifyCommand(s, ctx)),
  notify_fault: (s: Stmt, t: WithNotify, ctx: Ctx) => (t.notifyFault = notifyCommand(s, ctx)),
  notify_stop: (s: Stmt, t: WithNotify, ctx: Ctx) => (t.notifyStop = notifyCommand(s, ctx)),
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
    if (it.args[0]?.text === 'weight' && kind === 'track_process') {
      // keepalived's alloc_track_process: -254..254, and `reverse` / `noreverse` (else the
      // vrrp_track_process's own direction stays).
      const t = it.args[1];
      if (!t) ctx.error(`${kind} '${ref.name}': 'weight' needs a value from -254 to 254`, it.args[0].loc);
      else ref.weight = intText(t, `${kind} '${ref.name}' weight`, ctx, -254, 254);
      const dir = it.args[2];
      if (dir?.text === 'reverse' || dir?.text === 'noreverse') {
        ref.reverse = dir.text === 'reverse';
        ref.reverseSet = true;
      } else if (dir)
        ctx.warn(`${kind} '${ref.name}': unknown weight option '${dir.text}' - ignoring it`, dir.loc);
    } else if (it.args[0]?.text === 'weight') {
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
  applyBlock<VrrpScript>({ ...VRRP_SCRIPT_SPEC, name: `vrrp_script ${name}` }, blockOf(s, ctx), v, ctx);
  if (!v.script) ctx.error(`vrrp_script ${name} has no 'script' to run`, s.keyword.loc);
  return v;
}

export const VRRP_SCRIPT_SPEC: BlockSpec<VrrpScript> = {
  name: 'vrrp_script',
  keywords: {
    script: (st, t, c) => (t.script = command(st, c)),
    user: (st, t, c) => (t.user = userGroup(st, c)),
    interval: (st, t, c) => (t.interval = seconds(st, c, 0.001, 86400) ?? t.interval),
    timeout: (st, t, c) => (t.timeout = seconds(st, c, 0.001, 86400)),
    weight: (st, t, c) => {
      const w = weightArgs(st, 0, c, -253, 253);
      if (w.weight !== undefined) t.weight = w.weight;
      t.weightReverse = w.reverse;
    },
    rise: (st, t, c) => (t.rise = int(st, c, 1, 1_000_000) ?? t.rise),
    fall: (st, t, c) => (t.fall = int(st, c, 1, 1_000_000) ?? t.fall),
    init_fail: (st, t, c) => (t.initFail = flag(st, c)),
  },
};

export const TRACK_FILE_SPEC: BlockSpec<TrackFile> = {
  name: 'track_file',
  keywords: {
    file: (st, tf, c) => (tf.file = text(st, c)),
    weight: (st, tf, c) => {
      const w = weightArgs(st, 0, c, -254, 254);
      if (w.weight !== undefined) tf.weight = w.weight;
      tf.weightReverse = w.reverse;
    },
    init_file: (st, tf, c) => {
      const v =
        st.args[0] && st.args[0].text !== 'overwrite' ? intText(st.args[0], 'init_file', c, -254, 254) : 0;
      tf.initFile = { value: v ?? 0 };
      const ow = st.args.find((a) => a.text === 'overwrite');
      if (ow)
        c.warn(
          "init_file 'overwrite' is not implemented in vigil: an existing file is left as it is",
          ow.loc,
        );
    },
  },
};

export function readTrackFile(s: Stmt, ctx: Ctx): TrackFile {
  const name = arg(s, 0, ctx, 'a name')?.text ?? '';
  const t: TrackFile = { name, weight: 1, weightReverse: false, loc: s.keyword.loc };
  applyBlock<TrackFile>({ ...TRACK_FILE_SPEC, name: `${s.keyword.text} ${name}` }, blockOf(s, ctx), t, ctx);
  if (!t.file) ctx.error(`${s.keyword.text} ${name} has no 'file' to watch`, s.keyword.loc);
  return t;
}

/**
 * `vrrp_track_process NAME { … }` read as keepalived 2.2.7 reads it (vrrp_parser.c): parameters
 * after `process`, or `param_match`, switch to matching the full command line; `param_match`
 * alone means exact (keepalived has no `exact` value); quorum/quorum_max that contradict each
 * other are ignored with a warning; `delay` sets both delays.
 */
const trackProcessWhere = (tp: TrackProcess): string => `vrrp_track_process ${tp.name}`;
/** Where each vrrp_track_process's `process` value was written (for the name check below). */
const processLocs = new WeakMap<TrackProcess, Loc>();

const trackProcessDelay =
  (which: 'fork' | 'terminate' | 'both') =>
  (st: Stmt, tp: TrackProcess, c: Ctx): void => {
    const v = seconds(st, c, 0.000001, 3600);
    if (v === undefined) return;
    if (which !== 'fork') tp.terminateDelay = v;
    if (which !== 'terminate') tp.forkDelay = v;
  };

export const TRACK_PROCESS_SPEC: BlockSpec<TrackProcess> = {
  name: 'vrrp_track_process',
  keywords: {
    process: (st, tp, c) => {
      if (tp.process !== undefined) {
        c.warn(`${trackProcessWhere(tp)}: process is already set - ignoring this one`, st.keyword.loc);
        return;
      }
      tp.process = text(st, c);
      if (st.args[0]) processLocs.set(tp, st.args[0].loc);
      if (st.args.length > 1) {
        tp.params = st.args.slice(1).map((a) => a.text);
        if (tp.paramMatch === 'none') tp.paramMatch = 'exact';
        tp.fullCommand = true;
      }
    },
    param_match: (st, tp, c) => {
      const v = st.args[0]?.text;
      if (v === undefined) tp.paramMatch = 'exact';
      else if (v === 'initial' || v === 'partial') tp.paramMatch = v;
      else {
        c.warn(
          `${trackProcessWhere(tp)}: invalid param_match type '${v}' - ignoring it (keepalived 2.2.7 knows 'initial' and 'partial'; 'param_match' alone is an exact match)`,
          st.args[0]!.loc,
        );
        return;
      }
      tp.fullCommand = true;
    },
    weight: (st, tp, c) => {
      const w = weightArgs(st, 0, c, -254, 254);
      if (w.weight !== undefined) tp.weight = w.weight;
      tp.weightReverse = w.reverse;
      const opt = st.args[1];
      if (opt && opt.text !== 'reverse')
        c.warn(`${trackProcessWhere(tp)}: unknown weight option '${opt.text}' - ignoring it`, opt.loc);
    },
    quorum: (st, tp, c) => {
      const q = int(st, c, 1, 65535);
      if (q === undefined) return;
      if (tp.quorumMax !== undefined && q > tp.quorumMax)
        c.warn(
          `${trackProcessWhere(tp)}: quorum ${q} is greater than quorum_max ${tp.quorumMax} - ignoring it`,
          st.args[0]!.loc,
        );
      else tp.quorum = q;
    },
    quorum_max: (st, tp, c) => {
      const m = int(st, c, 0, 65535);
      if (m === undefined) return;
      // quorum_max 0 (the process must not run) is allowed while quorum is left at its default.
      if ((m > 0 || tp.quorum > 1) && m < tp.quorum) {
        c.warn(
          `${trackProcessWhere(tp)}: quorum_max ${m} is less than quorum ${tp.quorum} - ignoring it`,
          st.args[0]!.loc,
        );
        return;
      }
      tp.quorumMax = m;
      if (m === 0) tp.quorum = 0;
      else if (tp.quorum === 0) tp.quorum = 1;
    },
    delay: trackProcessDelay('both'),
    terminate_delay: trackProcessDelay('terminate'),
    fork_delay: trackProcessDelay('fork'),
    full_command: (st, tp, c) => (tp.fullCommand = flag(st, c)),
  },
};

export function readTrackProcess(s: Stmt, ctx: Ctx): TrackProcess {
  const name = arg(s, 0, ctx, 'a name')?.text ?? '';
  const t: TrackProcess = {
    name,
    paramMatch: 'none',
    weight: 0,
    weightReverse: false,
    quorum: 1,
    fullCommand: false,
    loc: s.keyword.loc,
  };
  const where = `vrrp_track_process ${name}`;
  applyBlock<TrackProcess>({ ...TRACK_PROCESS_SPEC, name: where }, blockOf(s, ctx), t, ctx);
  const processLoc = processLocs.get(t);
  if (!t.process) ctx.error(`vrrp_track_process ${name} has no 'process' to watch`, s.keyword.loc);
  else if (!t.fullCommand && processLoc) {
    // keepalived compares the process name (comm): no path, at most 15 bytes. It says nothing
    // when a name can never match; vigil does.
    if (t.process.includes('/'))
      ctx.warn(
        `${where}: '${t.process}' is compared with the process name, which has no path, so it never matches; add 'full_command' to compare the command line`,
        processLoc,
      );
    else if (Buffer.byteLength(t.process) > 15)
      ctx.warn(
        `${where}: '${t.process}' is compared with the process name, which the kernel cuts to 15 bytes, so it never matches; add 'full_command' or write '${Buffer.from(t.process).subarray(0, 15).toString()}'`,
        processLoc,
      );
  }
  return t;
}

export const SYNC_GROUP_SPEC: BlockSpec<SyncGroup> = {
  name: 'vrrp_sync_group',
  unimplemented: {
    notify_priority_changes: "the group's notify scripts are not told of its members' priority changes",
    track_bfd: 'BFD is not implemented: the group tracks no BFD session',
  },
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
    smtp_alert: (st, sg, c) => (sg.smtpAlert = flag(st, c)),
    sync_group_tracking_weight: (st, sg, c) => (sg.trackingWeight = flag(st, c)),
    global_tracking: (st, sg, c) => {
      c.warn(
        `(${sg.name}) global_tracking is deprecated. Use track_interface/script/file on the sync group`,
        st.keyword.loc,
      );
      sg.trackingWeight = flag(st, c);
    },
    ...NOTIFY_KEYWORDS,
  },
};

export function readSyncGroup(s: Stmt, ctx: Ctx): SyncGroup {
  const name = arg(s, 0, ctx, 'a name')?.text ?? '';
  const g: SyncGroup = {
    name,
    group: [],
    trackInterface: [],
    trackScript: [],
    trackFile: [],
    trackProcess: [],
    loc: s.keyword.loc,
  };
  applyBlock<SyncGroup>({ ...SYNC_GROUP_SPEC, name: `vrrp_sync_group ${name}` }, blockOf(s, ctx), g, ctx);
  if (g.group.length === 0)
    ctx.error(`vrrp_sync_group ${name} has no 'group { … }' of instances`, s.keyword.loc);
  return g;
}

export const GARP_GROUP_SPEC: BlockSpec<GarpGroup> = {
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
};

export function readGarpGroup(s: Stmt, ctx: Ctx): GarpGroup {
  const g: GarpGroup = { interfaces: [], loc: s.keyword.loc };
  applyBlock<GarpGroup>(GARP_GROUP_SPEC, blockOf(s, ctx), g, ctx);
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

function routeList(s: Stmt, ctx: Ctx): IpRoute[] {
  return blockOf(s, ctx).flatMap((st) => readRoute(st, ctx, s.keyword.text) ?? []);
}

function ruleList(s: Stmt, ctx: Ctx): IpRule[] {
  return blockOf(s, ctx).flatMap((st) => readRule(st, ctx, s.keyword.text) ?? []);
}

/** `min_ttl N` / `max_ttl N` after a unicast_peer address (0..255, as keepalived reads them). */
function peerTtls(st: Stmt, ctx: Ctx): { minTtl?: number; maxTtl?: number } {
  const out: { minTtl?: number; maxTtl?: number } = {};
  for (let i = 0; i < st.args.length; i += 2) {
    const opt = st.args[i]!;
    const val = st.args[i + 1];
    if (opt.text !== 'min_ttl' && opt.text !== 'max_ttl') {
      ctx.warn(
        `unicast_peer ${st.keyword.text}: unknown option '${opt.text}' (min_ttl or max_ttl); the rest of the line is ignored`,
        opt.loc,
      );
      break;
    }
    if (!val) {
      ctx.warn(`unicast_peer ${st.keyword.text}: ${opt.text} is missing a value; ignored`, opt.loc);
      break;
    }
    const n = /^\d+$/.test(val.text) ? Number(val.text) : NaN;
    if (!(n >= 0 && n <= 255)) {
      ctx.warn(
        `unicast_peer ${st.keyword.text}: ${opt.text} '${val.text}' is not from 0 to 255; ignored`,
        val.loc,
      );
      continue;
    }
    if (opt.text === 'min_ttl') out.minTtl = n;
    else out.maxTtl = n;
  }
  if ((out.minTtl ?? 0) > (out.maxTtl ?? 255))
    ctx.warn(
      `unicast_peer ${st.keyword.text}: min_ttl ${out.minTtl ?? 0} > max_ttl ${out.maxTtl ?? 255}: every advert from it will be discarded (as keepalived does)`,
      st.keyword.loc,
    );
  return out;
}

const GARP_EXTRA = "no extra gratuitous ARPs or NAs are sent on a vmac's base interface";

/** vrrp_instance keywords vigil does not act on → what will not happen. */
const INSTANCE_UNIMPLEMENTED: Record<string, string> = {
  use_vmac_addr:
    "VIPs on other interfaces get no vmac of their own there: they keep that interface's MAC address",
  garp_extra_if: GARP_EXTRA,
  vmac_garp_intvl: `${GARP_EXTRA} (and keepalived says: Keyword "vmac_garp_intvl" is deprecated - please use "garp_extra_if")`,
  use_ipvlan: 'no ipvlan interface is made: the VIPs go on the interface itself',
  unicast_fault_no_peer: 'an instance with no unicast peer is not put in FAULT',
  old_unicast_checksum: 'unicast adverts get the standard checksum only',
  native_ipv6: "the instance's family comes from its addresses, it is not forced to IPv6",
  vrf: 'the instance is not bound to a VRF',
  mcast_dst_ip: 'adverts go to vrrp_mcast_group4 / vrrp_mcast_group6',
  track_src_ip: 'the instance does not go to FAULT when its source address goes away',
  no_virtual_ipaddress: 'an instance with no VIP is not treated specially',
  promote_secondaries: 'promote_secondaries is not set on the interface',
  linkbeat_use_polling:
    "link state is followed through netlink only, never polled (and keepalived says: 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block)",
  v3_checksum_as_v2: 'VRRPv3 adverts always get the RFC 5798 checksum',
  debug: 'there is no per-instance debug level',
  notify_deleted: 'instances removed by a reload are not notified as DELETED',
  down_timer_adverts: 'the master-down timer stays 3 advert intervals',
  timer_expired_backup: 'no change of state when the timer expires',
  thread_timer_expired: 'no change of state when the timer expires',
  owner_ignore_adverts: 'an address owner (priority 255) still acts on adverts it receives',
  kernel_rx_buf_size: 'the VRRP socket keeps its default receive buffer size',
  track_bfd: 'BFD is not implemented: the instance tracks no BFD session',
  interfaces: 'the instance does not track these interfaces',
  linkbeat_interfaces: 'link state is followed through netlink only, never polled',
};

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
    keywordLocs: {},
    loc,
  };
}

interface AuthFields {
  authType?: string;
  authPass?: string;
  /** Where auth_type's value (else the keyword) and auth_pass's value are, for diagnostics. */
  typeLoc?: Stmt['loc'];
  passLoc?: Stmt['loc'];
}

export const AUTH_SPEC: BlockSpec<AuthFields> = {
  name: 'authentication',
  keywords: {
    auth_type: (st, a, c) => {
      a.authType = text(st, c);
      a.typeLoc = st.args[0]?.loc ?? st.keyword.loc;
    },
    auth_pass: (st, a, c) => {
      a.authPass = text(st, c);
      a.passLoc = st.args[0]?.loc;
    },
  },
};

export const INSTANCE_SPEC: BlockSpec<VrrpInstance> = {
  name: 'vrrp_instance',
  unimplemented: INSTANCE_UNIMPLEMENTED,
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
      const auth: AuthFields = {};
      applyBlock<AuthFields>(AUTH_SPEC, blockOf(s, ctx), auth, ctx);
      if (auth.authType !== 'PASS' && auth.authType !== 'AH') {
        ctx.error(
          `authentication: auth_type must be PASS or AH${auth.authType ? `, not '${auth.authType}'${semicolonHint(auth.authType)}` : ''}`,
          auth.typeLoc ?? s.keyword.loc,
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
        ctx.error('authentication: auth_type PASS needs an auth_pass', auth.typeLoc ?? s.keyword.loc);
      v.authentication = { authType: auth.authType, authPass: pass, loc: s.keyword.loc };
    },
    virtual_ipaddress: (s, v, ctx) => v.virtualIpaddress.push(...vipList(s, ctx)),
    virtual_ipaddress_excluded: (s, v, ctx) => v.virtualIpaddressExcluded.push(...vipList(s, ctx)),
    virtual_routes: (s, v, ctx) => v.virtualRoutes.push(...routeList(s, ctx)),
    virtual_rules: (s, v, ctx) => v.virtualRules.push(...ruleList(s, ctx)),
    unicast_src_ip: (s, v, ctx) => (v.unicastSrcIp = ip(s, ctx)?.address),
    // keepalived reads mcast_src_ip and unicast_src_ip into one setting: the adverts' source.
    mcast_src_ip: (s, v, ctx) => {
      v.mcastSrcIp = ip(s, ctx)?.address;
      if (v.mcastSrcIp) v.unicastSrcIp = v.mcastSrcIp;
    },
    unicast_ttl: (s, v, ctx) => {
      v.unicastTtl = int(s, ctx, 0, 255);
    },
    accept: (s, v) => {
      v.accept = true;
      v.keywordLocs.accept = s.keyword.loc;
    },
    no_accept: (s, v) => {
      v.accept = false;
      v.keywordLocs.accept = s.keyword.loc;
    },
    unicast_peer: (s, v, ctx) => {
      for (const st of blockOf(s, ctx)) {
        const a = parseIp(st.keyword.text);
        if (!a || a.prefix !== undefined)
          ctx.error(`unicast_peer: '${st.keyword.text}' is not an IP address`, st.keyword.loc);
        else v.unicastPeer.push({ address: a.address, loc: st.keyword.loc, ...peerTtls(st, ctx) });
      }
    },
    track_interface: (s, v, ctx) => v.trackInterface.push(...trackRefs(s, ctx, 'track_interface')),
    track_script: (s, v, ctx) => v.trackScript.push(...trackRefs(s, ctx, 'track_script')),
    track_file: (s, v, ctx) => v.trackFile.push(...trackRefs(s, ctx, 'track_file')),
    track_process: (s, v, ctx) => v.trackProcess.push(...trackRefs(s, ctx, 'track_process')),
    nopreempt: (s, v, ctx) => (v.nopreempt = flag(s, ctx)),
    preempt_flag: (s, v) => (v.nopreempt = false),
    preempt_delay: (s, v, ctx) => {
      v.preemptDelay = seconds(s, ctx, 0, 1000) ?? v.preemptDelay;
    },
    garp_master_delay: (s, v, ctx) => (v.garpMasterDelay = int(s, ctx, 0, 86400)),
    garp_master_repeat: (s, v, ctx) => (v.garpMasterRepeat = int(s, ctx, 0, 10000)),
    garp_master_refresh: (s, v, ctx) => (v.garpMasterRefresh = int(s, ctx, 0, 86400)),
    garp_master_refresh_repeat: (s, v, ctx) => (v.garpMasterRefreshRepeat = int(s, ctx, 0, 10000)),
    garp_lower_prio_delay: (s, v, ctx) => (v.garpLowerPrioDelay = int(s, ctx, 0, 86400)),
    garp_lower_prio_repeat: (s, v, ctx) => (v.garpLowerPrioRepeat = int(s, ctx, 0, 10000)),
    lower_prio_no_advert: (s, v, ctx) => (v.lowerPrioNoAdvert = flag(s, ctx)),
    higher_prio_send_advert: (s, v, ctx) => (v.higherPrioSendAdvert = flag(s, ctx)),
    notify_priority_changes: (s, v, ctx) => (v.notifyPriorityChanges = flag(s, ctx)),
    check_unicast_src: (s, v, ctx) => (v.checkUnicastSrc = flag(s, ctx)),
    dont_track_primary: (s, v, ctx) => (v.dontTrackPrimary = flag(s, ctx)),
    skip_check_adv_addr: (s, v, ctx) => (v.skipCheckAdvAddr = flag(s, ctx)),
    strict: (s, v, ctx) => (v.strictMode = flag(s, ctx)),
    use_vmac: (s, v, ctx) => {
      const name = s.args[0];
      v.useVmac = { loc: s.keyword.loc };
      // keepalived ignores a name that is no interface name (IFNAMSIZ 16, no '/' or blanks).
      if (name && (name.text.length > 15 || /[/\s:]/.test(name.text)))
        ctx.warn(
          `use_vmac: '${name.text}' is not a valid interface name; the default vrrp.VRID is used`,
          name.loc,
        );
      else if (name) v.useVmac.name = name.text;
    },
    vmac_xmit_base: (s, v, ctx) => (v.vmacXmitBase = flag(s, ctx)),
    smtp_alert: (s, v, ctx) => (v.smtpAlert = flag(s, ctx)),
    // Deprecated as in keepalived: validate says so once, with the global_defs line to write.
    lvs_sync_daemon_interface: (s, v, ctx) => {
      const ifname = text(s, ctx);
      if (ifname !== undefined) v.lvsSyncDaemonInterface = { ifname, loc: s.keyword.loc };
    },
    notify_master_rx_lower_pri: (s, v, ctx) => {
      if (v.notifyMasterRxLowerPri)
        return ctx.warn(
          `(${v.name}) notify_master_rx_lower_pri script already specified - ignoring ${s.args[0]?.text ?? ''}`,
          s.keyword.loc,
        );
      v.notifyMasterRxLowerPri = notifyCommand(s, ctx);
    },
    ...NOTIFY_KEYWORDS,
  },
};

export function readInstance(s: Stmt, ctx: Ctx): VrrpInstance {
  const name = arg(s, 0, ctx, 'a name')?.text ?? '';
  const v = newInstance(name, s.keyword.loc);
  applyBlock({ ...INSTANCE_SPEC, name: `vrrp_instance ${name}` }, blockOf(s, ctx), v, ctx);
  return v;
}

export function readStatic(s: Stmt, st: StaticAddresses, ctx: Ctx): void {
  if (s.keyword.text === 'static_ipaddress') st.addresses.push(...vipList(s, ctx));
  else if (s.keyword.text === 'static_routes') st.routes.push(...routeList(s, ctx));
  else st.rules.push(...ruleList(s, ctx));
}
