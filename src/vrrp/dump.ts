// keepalived 2.2.7's VRRP dump files, from the running configuration and the engine's status:
// keepalived.stats (SIGUSR2, vrrp_print.c), keepalived.json (SIGJSON, vrrp_json.c) and the VRRP
// part of keepalived.data (SIGUSR1, vrrp_data.c). Same labels, order and shapes, so exporters and
// scripts that parse keepalived's files read vigil's. Pure: the caller writes the files.
import type { Config, Notify, VipSpec, VrrpInstance } from '../config/model.js';
import { cmdStr, globalData } from '../config/dump-global.js';
import { ctimeUs, epochUs } from '../config/dump-time.js';
import type { InstanceRuntimeStatus, RuntimeStatus } from './runtime.js';
import type { DumpView, SocketView } from './dump-view.js';
import { interfacesData } from './dump-interfaces.js';
import { instanceConfig } from './config.js';
import {
  syncGroupsData,
  trackedList,
  trackFilesData,
  trackFileWeight,
  trackProcessesData,
  trackProcessWeight,
} from './dump-trackers.js';

/** keepalived's VRRP_STATE_* numbers (vrrp.h). */
const STATE_NUMBER: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98 };

/** An IPv6 address's lifetime as format_ipaddress writes it (keepalived's default: forever). */
function preferredLft(v: VipSpec): string {
  const i = v.options.indexOf('preferred_lft');
  const lft = i >= 0 ? v.options[i + 1] : undefined;
  if (lft === undefined || lft === 'forever') return ' preferred_lft forever';
  return lft === '0' ? ' deprecated' : ` preferred_lft ${lft}`;
}

/** keepalived's format_ipaddress(): `ADDR[/LEN] [brd B] dev IF scope S [label L][ preferred_lft …][ set]`. */
function formatVip(v: VipSpec, dev: string, set: boolean): string {
  const full = v.family === 6 ? 128 : 32;
  const prefix = v.prefix !== undefined && v.prefix !== full ? `/${v.prefix}` : '';
  return [
    `${v.address}${prefix}`,
    v.brd ? ` brd ${v.brd}` : '',
    ` dev ${v.dev ?? dev}`,
    ` scope ${v.scope ?? 'global'}`,
    v.label ? ` label ${v.label}` : '',
    v.family === 6 ? preferredLft(v) : '',
    set ? ' set' : '',
  ].join('');
}

/** The last transition as seconds since the epoch (keepalived: the instance's start when none). */
function lastTransition(st: InstanceRuntimeStatus, startedAt: number): number {
  const t = st.transitions.at(-1)?.at;
  const ms = t ? Date.parse(t) : startedAt;
  return ms / 1000;
}

/** The stats counters under keepalived's names (vrrp_stats). */
export function vrrpStats(st: InstanceRuntimeStatus): Record<string, number> {
  const r = st.counters.rejected;
  return {
    advert_rcvd: st.counters.advertRcvd,
    advert_sent: st.stats.advertSent,
    become_master: st.stats.becomeMaster,
    release_master: st.stats.releaseMaster,
    packet_len_err: r['packet-length'] ?? 0,
    advert_interval_err: r['interval-mismatch'] ?? 0,
    ip_ttl_err: r.ttl ?? 0,
    invalid_type_rcvd: r['invalid-type'] ?? 0,
    addr_list_err: st.counters.addrListErr,
    invalid_authtype: r['invalid-auth-type'] ?? 0,
    authtype_mismatch: r['auth-type-mismatch'] ?? 0,
    auth_failure: r['auth-failure'] ?? 0,
    pri_zero_rcvd: st.counters.priZeroRcvd,
    pri_zero_sent: st.stats.priZeroSent,
  };
}

/** /tmp/keepalived.stats. */
export function vrrpStatsText(status: RuntimeStatus): string {
  const out: string[] = [];
  for (const st of status.instances) {
    const s = vrrpStats(st);
    out.push(
      `VRRP Instance: ${st.name}`,
      '  Advertisements:',
      `    Received: ${s.advert_rcvd}`,
      `    Sent: ${s.advert_sent}`,
      `  Became master: ${s.become_master}`,
      `  Released master: ${s.release_master}`,
      '  Packet Errors:',
      `    Length: ${s.packet_len_err}`,
      `    TTL: ${s.ip_ttl_err}`,
      `    Invalid Type: ${s.invalid_type_rcvd}`,
      `    Advertisement Interval: ${s.advert_interval_err}`,
      `    Address List: ${s.addr_list_err}`,
      '  Authentication Errors:',
      `    Invalid Type: ${s.invalid_authtype}`,
      `    Type Mismatch: ${s.authtype_mismatch}`,
      `    Failure: ${s.auth_failure}`,
      '  Priority Zero:',
      `    Received: ${s.pri_zero_rcvd}`,
      `    Sent: ${s.pri_zero_sent}`,
    );
  }
  return out.map((l) => l + '\n').join('');
}

/** Pairs each running instance with its configuration (instances that failed to start are left out). */
function paired(config: Config, status: RuntimeStatus): { cfg: VrrpInstance; st: InstanceRuntimeStatus }[] {
  const byName = new Map(config.vrrpInstances.map((v) => [v.name, v]));
  const out: { cfg: VrrpInstance; st: InstanceRuntimeStatus }[] = [];
  for (const st of status.instances) {
    const cfg = byName.get(st.name);
    if (cfg) out.push({ cfg, st });
  }
  return out;
}

/** GARP and advert settings in force, as the engine runs the instance (vrrp_strict included). */
function garp(
  config: Config,
  cfg: VrrpInstance,
): {
  delay: number;
  rep: number;
  refresh: number;
  refreshRep: number;
  lowerDelay: number;
  lowerRep: number;
  lowerNoAdvert: boolean;
  higherSendAdvert: boolean;
} {
  const g = config.globalDefs;
  const ic = instanceConfig(config, cfg);
  return {
    delay: cfg.garpMasterDelay ?? g.vrrpGarpMasterDelay,
    rep: cfg.garpMasterRepeat ?? g.vrrpGarpMasterRepeat,
    refresh: cfg.garpMasterRefresh ?? g.vrrpGarpMasterRefresh,
    refreshRep: cfg.garpMasterRefreshRepeat ?? g.vrrpGarpMasterRefreshRepeat,
    lowerDelay: Math.floor((ic.garpLowerPrioDelayMs ?? 0) / 1000),
    lowerRep: ic.garpLowerPrioRepeat ?? 0,
    lowerNoAdvert: ic.lowerPrioNoAdvert ?? false,
    higherSendAdvert: ic.higherPrioSendAdvert ?? false,
  };
}

const NOTIFY_JSON: [keyof VrrpInstance, string][] = [
  ['notifyBackup', 'script_backup'],
  ['notifyMaster', 'script_master'],
  ['notifyFault', 'script_fault'],
  ['notifyStop', 'script_stop'],
  ['notify', 'script'],
];

/** The array keepalived writes to /tmp/keepalived.json (one object per instance: data, stats). */
export function vrrpJson(config: Config, status: RuntimeStatus, startedAt: number): unknown[] {
  const scripts = new Map(config.vrrpScripts.map((s) => [s.name, s]));
  return paired(config, status).map(({ cfg, st }) => {
    const gp = garp(config, cfg);
    const data: Record<string, unknown> = {
      iname: st.name,
      dont_track_primary: cfg.dontTrackPrimary ? 1 : 0,
      skip_check_adv_addr: (cfg.skipCheckAdvAddr ?? config.globalDefs.vrrpSkipCheckAdvAddr) ? 1 : 0,
      strict_mode: (cfg.strictMode ?? config.globalDefs.vrrpStrict) ? 1 : 0,
      vmac_ifname: st.vmac ?? '',
      // keepalived runs a use_vmac instance on its macvlan (vrrp->ifp is the vmac).
      ifp_ifname: st.vmac ?? st.interface,
      master_priority: st.state === 'BACKUP' ? (st.masterPriority ?? 0) : 0,
      last_transition: lastTransition(st, startedAt),
      garp_delay: gp.delay,
      garp_refresh: gp.refresh,
      garp_rep: gp.rep,
      garp_refresh_rep: gp.refreshRep,
      garp_lower_prio_delay: gp.lowerDelay,
      garp_lower_prio_rep: gp.lowerRep,
      lower_prio_no_advert: gp.lowerNoAdvert ? 1 : 0,
      higher_prio_send_advert: gp.higherSendAdvert ? 1 : 0,
      vrid: st.vrid,
      base_priority: st.basePriority,
      effective_priority: st.effectivePriority,
      vipset: st.vipsSet,
      promote_secondaries: false,
      adver_int: cfg.advertInt,
      master_adver_int: st.masterAdvertIntCs / 100,
      accept: 1,
      nopreempt: cfg.nopreempt,
      preempt_delay: Math.floor(cfg.preemptDelay),
      state: STATE_NUMBER[st.state] ?? 0,
      wantstate: STATE_NUMBER[st.wantState] ?? 0,
      version: st.version,
      smtp_alert: cfg.smtpAlert ?? false,
      notify_deleted: false,
    };
    for (const [key, name] of NOTIFY_JSON) {
      const n = cfg[key] as Notify | undefined;
      if (n) data[name] = cmdStr(n);
    }
    if (cfg.virtualIpaddress.length)
      data.vips = cfg.virtualIpaddress.map((v) => formatVip(v, st.interface, st.vipsSet));
    if (cfg.virtualIpaddressExcluded.length)
      data.evips = cfg.virtualIpaddressExcluded.map((v) => formatVip(v, st.interface, st.vipsSet));
    if (cfg.trackInterface.length) data.track_ifp = cfg.trackInterface.map((t) => t.name);
    if (cfg.trackScript.length)
      data.track_script = cfg.trackScript.flatMap((t) => {
        const s = scripts.get(t.name)?.script;
        return s ? [cmdStr(s)] : [];
      });
    const auth = cfg.authentication;
    data.auth_type = auth ? (auth.authType === 'AH' ? 2 : 1) : 0;
    if (auth) data.auth_data = auth.authType === 'PASS' ? (auth.authPass ?? '').slice(0, 8) : '';
    return { data, stats: vrrpStats(st) };
  });
}

const NOTIFY_DATA: [keyof VrrpInstance, string][] = [
  ['notifyBackup', 'Backup'],
  ['notifyMaster', 'Master'],
  ['notifyFault', 'Fault'],
  ['notifyStop', 'Stop'],
  ['notify', 'Generic'],
];

/** One instance in keepalived's "VRRP Topology" layout (dump_vrrp()). */
function instanceData(
  config: Config,
  cfg: VrrpInstance,
  st: InstanceRuntimeStatus,
  startedAt: number,
  view: DumpView | undefined,
): string[] {
  const g = config.globalDefs;
  const gp = garp(config, cfg);
  const out = [` VRRP Instance = ${st.name}`, `   VRRP Version = ${st.version}`];
  if (st.syncGroup) out.push(`   Sync group = ${st.syncGroup}`);
  if (st.family === 6) out.push('   Using Native IPv6');
  out.push(`   State = ${st.state}`);
  if (st.state === 'BACKUP') {
    out.push(
      `   Master router = ${st.masterAddress ?? '(none)'}`,
      `   Master priority = ${st.masterPriority ?? 0}`,
    );
    if (st.version === 3) out.push(`   Master advert int = ${(st.masterAdvertIntCs / 100).toFixed(2)} sec`);
  }
  const unicast = cfg.unicastPeer.length > 0;
  out.push(unicast ? '   Flags:' : '   Flags: none');
  if (unicast) out.push('     Using unicast');
  const last = lastTransition(st, startedAt);
  out.push(
    `   Wantstate = ${st.wantState}`,
    `   Number of config faults = 0`,
    `   Number of interface and track script faults = ${st.tracking.faults.length}`,
  );
  // The timers are transient state: keepalived writes them to the file, not to the -d log.
  const timers = view?.timers.get(st.name);
  if (view) {
    const init = st.trackers.filter((t) => t.kind === 'script' && t.status === 'no result yet').length;
    out.push(`   Number of track scripts init = ${init}`);
  }
  out.push(`   Last transition = ${epochUs(last)} (${ctimeUs(last)})`);
  if (timers) {
    const rt = timers.readTimeout;
    out.push(
      rt === null ? '   Read timeout = DISABLED' : `   Read timeout = ${epochUs(rt)} (${ctimeUs(rt)})`,
      `   Master down timer = ${Math.floor(timers.masterDownUs)} usecs`,
    );
  }
  if (st.vmac) {
    const xmit = cfg.vmacXmitBase === true;
    out.push(
      `   Use VMAC, i/f name ${st.vmac}, is_up = true, xmit_base = ${xmit}`,
      `   Interface = ${st.vmac}, vmac on ${st.interface}${xmit ? ', xmit base i/f' : ''}`,
    );
  } else out.push(`   Interface = ${st.interface}`);
  if (cfg.dontTrackPrimary) out.push('   VRRP interface tracking disabled');
  if (cfg.skipCheckAdvAddr ?? g.vrrpSkipCheckAdvAddr) out.push('   Skip checking advert IP addresses');
  if (cfg.strictMode ?? g.vrrpStrict) out.push('   Enforcing strict VRRP compliance');
  out.push(`   Using src_ip = ${st.source || '(none)'}${cfg.unicastSrcIp ? ' (from configuration)' : ''}`);
  if (!unicast) {
    // IPv6: the group's scope is the interface, which keepalived names by index.
    const index = view?.interfaces?.find((i) => i.name === st.interface)?.index;
    out.push(
      st.family === 6
        ? `   Multicast address ${g.vrrpMcastGroup6}${index !== undefined ? `, ifindex ${index}` : ''}`
        : `   Multicast address ${g.vrrpMcastGroup4}`,
    );
  }
  out.push(
    `   Gratuitous ARP delay = ${gp.delay}`,
    `   Gratuitous ARP repeat = ${gp.rep}`,
    `   Gratuitous ARP refresh = ${gp.refresh}`,
    `   Gratuitous ARP refresh repeat = ${gp.refreshRep}`,
    `   Gratuitous ARP lower priority delay = ${gp.lowerDelay}`,
    `   Gratuitous ARP lower priority repeat = ${gp.lowerRep}`,
    '   Down timer adverts = 3',
    `   Send advert after receive lower priority advert = ${!gp.lowerNoAdvert}`,
    `   Send advert after receive higher priority advert = ${gp.higherSendAdvert}`,
    `   Virtual Router ID = ${st.vrid}`,
    `   Priority = ${st.basePriority}`,
    `   Effective priority = ${st.effectivePriority}`,
    `   Total priority = ${st.tracking.total}`,
    st.version === 2
      ? `   Advert interval = ${Math.floor(cfg.advertInt)} sec`
      : `   Advert interval = ${Math.round(cfg.advertInt * 1000)} milli-sec`,
  );
  if (st.state === 'BACKUP' && st.version === 3)
    out.push(`   Master advert interval = ${st.masterAdvertIntCs * 10} milli-sec`);
  out.push('   Accept = enabled', `   Preempt = ${cfg.nopreempt ? 'disabled' : 'enabled'}`);
  if (cfg.preemptDelay) out.push(`   Preempt delay = ${cfg.preemptDelay} secs`);
  out.push('   Promote_secondaries = disabled');
  const auth = cfg.authentication;
  if (auth) {
    out.push(`   Authentication type = ${auth.authType === 'AH' ? 'IPSEC_AH' : 'SIMPLE_PASSWORD'}`);
    if (auth.authType === 'PASS') out.push(`   Password = ${(auth.authPass ?? '').slice(0, 8)}`);
  } else if (st.version === 2) out.push('   Authentication type = none');
  if (cfg.virtualIpaddress.length) {
    out.push(`   Virtual IP (${cfg.virtualIpaddress.length}):`);
    for (const v of cfg.virtualIpaddress) out.push(`     ${formatVip(v, st.interface, st.vipsSet)}`);
  }
  if (cfg.virtualIpaddressExcluded.length) {
    out.push('   Virtual IP Excluded :');
    for (const v of cfg.virtualIpaddressExcluded) out.push(`     ${formatVip(v, st.interface, st.vipsSet)}`);
  }
  if (unicast) {
    // keepalived gives IPv4 unicast adverts TTL 255 unless unicast_ttl says otherwise; IPv6 leaves
    // the hop limit to the kernel.
    const ttl = cfg.unicastTtl ?? (st.family === 4 ? 255 : undefined);
    if (ttl !== undefined) out.push(`   Unicast TTL = ${ttl}`);
    out.push(
      `   Check unicast src : ${(cfg.checkUnicastSrc ?? g.vrrpCheckUnicastSrc) ? 'yes' : 'no'}`,
      '   Unicast Peer :',
      ...cfg.unicastPeer.map((p) => `     ${p.address} min_ttl ${p.minTtl ?? 0} max_ttl ${p.maxTtl ?? 255}`),
      // Debian's keepalived is built with the old checksum compatibility; old_unicast_checksum is warned.
      '   Unicast checksum compatibility = no',
    );
  }
  if (view) {
    const sock = view.sockets.find((k) => k.instances.some((i) => i.name === st.name));
    out.push(sock ? `   fd_in ${sock.fd}, fd_out ${sock.fd}` : '   No sockets allocated');
  }
  out.push(
    ...trackedList(
      'Tracked interfaces',
      cfg.trackInterface,
      (t) => ({ weight: t.weight ?? 0, reverse: t.reverse }),
      false,
    ),
    ...trackedList(
      'Tracked scripts',
      cfg.trackScript,
      (t) => {
        const s = config.vrrpScripts.find((x) => x.name === t.name);
        return {
          weight: t.weight ?? s?.weight ?? 0,
          reverse: t.weight !== undefined ? t.reverse : (s?.weightReverse ?? false),
        };
      },
      false,
    ),
    ...trackedList('Tracked files', cfg.trackFile, (t) => trackFileWeight(config, t), true),
    ...trackedList('Tracked processes', cfg.trackProcess, (t) => trackProcessWeight(config, t), true),
  );
  out.push(
    `   Using smtp notification = ${(cfg.smtpAlert ?? false) ? 'yes' : 'no'}`,
    '   Notify deleted = Fault',
  );
  for (const [key, label] of NOTIFY_DATA) {
    const n = cfg[key] as Notify | undefined;
    if (n) out.push(`   ${label} state transition script = ${cmdStr(n)}, uid:gid 0:0`);
  }
  const prio = cfg.notifyPriorityChanges ?? config.globalDefs.vrrpNotifyPriorityChanges ?? false;
  out.push(`   Notify priority changes = ${prio}`);
  return out;
}

/** The VRRP scripts in keepalived's "VRRP Scripts" layout (dump_vscript()). */
function scriptsData(config: Config, status: RuntimeStatus): string[] {
  const out: string[] = [];
  for (const s of config.vrrpScripts) {
    const users = status.instances.filter((i) =>
      i.trackers.some((t) => t.kind === 'script' && t.name === s.name),
    );
    const result = users
      .flatMap((i) => i.trackers)
      .find((t) => t.kind === 'script' && t.name === s.name)?.status;
    const good = result === 'up';
    out.push(
      ` VRRP Script = ${s.name}`,
      `   Command = ${s.script ? cmdStr(s.script) : ''}`,
      `   Interval = ${Math.floor(s.interval)} sec`,
      `   Timeout = ${Math.floor(s.timeout ?? 0)} sec`,
      `   Weight = ${s.weight}${s.weightReverse ? ' reverse' : ''}`,
      `   Rise = ${s.rise}`,
      `   Fall = ${s.fall}`,
      `   Result = ${good ? s.rise : 0}`,
      '   Insecure = no',
      `   Init state = ${result === undefined || result === 'no result yet' ? 'INIT' : 'unknown'}`,
      `   Status = ${good ? 'GOOD' : 'BAD'}`,
      '   Script uid:gid = 0:0',
      '   VRRP instances :',
    );
    // dump_tracking_obj_list: the heading only when someone tracks the script.
    if (users.length) out.push('   Tracking instances :');
    for (const i of users) {
      const w = i.trackers.find((t) => t.kind === 'script' && t.name === s.name)?.weight ?? 0;
      out.push(`     ${i.name}, weight ${w}`);
    }
    out.push('   State = idle');
  }
  return out;
}

/**
 * keepalived's "VRRP Sockpool" (dump_sock_pool): one entry per socket. vigil sends and receives
 * on the same socket, so fd_in and fd_out are the same number.
 */
export function sockpoolData(sockets: SocketView[]): string[] {
  const out: string[] = [];
  for (const s of sockets) {
    out.push(
      ` fd_in ${s.fd} fd_out = ${s.fd}`,
      `   Interface = ${s.ifname}`,
      `   Family = IPv${s.family}`,
      `   Protocol = ${s.ah ? 'AH' : 'VRRP'}`,
      `   Type = ${s.unicastSrc ? 'Unicast' : 'Multicast'}`,
    );
    if (s.unicastSrc) out.push(`   Address = ${s.unicastSrc}`);
    out.push('   Rx buf size = 0', '   VRRP instances');
    for (const i of s.instances) out.push(`     ${i.name} vrid ${i.vrid}`);
  }
  return out;
}

/**
 * /tmp/keepalived.data as the VRRP process writes it: global definitions, topology, sockets,
 * scripts, interfaces. Without `view` (the -d log at start) the transient parts are left out, as
 * keepalived leaves them out of its log.
 */
export function vrrpDataText(
  config: Config,
  status: RuntimeStatus,
  startedAt: number,
  view?: DumpView,
): string {
  const out = [...globalData(config, 'vrrp')];
  // Static addresses are on their interfaces ('set') once the engine runs. Static routes and
  // rules are not listed: vigil has no formatter for keepalived's route and rule lines.
  const statics = config.staticAddresses.addresses;
  if (statics.length)
    out.push(
      '------< Static Addresses >------',
      ...statics.map((a) => `     ${formatVip(a, a.dev ?? '', !!view)}`),
    );
  out.push('------< VRRP Topology >------');
  const running = paired(config, status);
  for (const { cfg, st } of running) out.push(...instanceData(config, cfg, st, startedAt, view));
  if (view?.sockets.length) out.push('------< VRRP Sockpool >------', ...sockpoolData(view.sockets));
  if (config.syncGroups.length)
    out.push('------< VRRP Sync groups >------', ...syncGroupsData(config, status));
  if (config.vrrpScripts.length) out.push('------< VRRP Scripts >------', ...scriptsData(config, status));
  if (config.trackFiles.length)
    out.push('------< VRRP Track files >------', ...trackFilesData(config, status));
  if (config.trackProcesses.length)
    out.push(
      '------< VRRP Track processes >------',
      ...trackProcessesData(config, view?.processes ?? new Map()),
    );
  if (view?.interfaces?.length)
    out.push(
      '------< Interfaces >------',
      ...interfacesData(
        running.map((r) => r.cfg),
        view.interfaces,
        // Where IPv6 VIPs have been announced: instances that have been MASTER.
        new Set(
          running
            .filter(({ st }) => st.state === 'MASTER' || st.stats.becomeMaster > 0)
            .flatMap(({ cfg }) =>
              [...cfg.virtualIpaddress, ...cfg.virtualIpaddressExcluded]
                .filter((v) => v.family === 6)
                .map((v) => v.dev ?? cfg.interface ?? ''),
            ),
        ),
      ),
    );
  return out.map((l) => l + '\n').join('');
}
