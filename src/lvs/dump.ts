// keepalived 2.2.7's checker dump (keepalived_check.data, SIGUSR1; check_data.c dump_vsg,
// dump_vs, dump_rs, then check_api.c's health checkers) from the configuration and the health
// checks' state: the same labels and order. Pure: the caller writes the file.
import type {
  Config,
  LbKind,
  RealServer,
  Tunnel,
  VirtualServer,
  VirtualServerGroup,
} from '../config/model.js';
import { checkersData, type CheckerNow } from './dump-checkers.js';
import { formatVs, trio } from '../alert/message.js';
import { cmdStr } from '../config/dump-global.js';

/** What the checker knows about one real server now (the controller's status). */
export interface RsNow {
  virtualServer: string;
  realServer: string;
  state: string;
  weight: number;
  /** Each checker's state, in the configuration's order. */
  checkers?: CheckerNow[];
}

/** keepalived's format_decimal() of a time in seconds: up to 6 decimals, no trailing zeros. */
function decimal(sec: number): string {
  return String(Math.round(sec * 1e6) / 1e6);
}

function vsHead(vs: VirtualServer): string {
  const k = vs.key;
  if (k.kind === 'addr') return ` VS VIP = ${k.address}, VPORT = ${k.port}`;
  if (k.kind === 'fwmark') return ` VS FWMARK = ${k.fwmark}`;
  return ` VS GROUP = ${formatVs(vs)}`;
}

/** keepalived's dump_forwarding_method() (built with IPVS tunnel types, as Debian's is). */
function forwarding(prefix: string, kind: LbKind, tunnel: Tunnel | undefined): string {
  const fwd = 'forwarding method = ';
  if (kind !== 'TUN') return `   ${prefix}${fwd}${kind}`;
  const t = tunnel ?? { type: 'ipip', csum: 'nocsum' };
  if (t.type === 'ipip') return `   ${prefix}${fwd}TUN, type = IPIP`;
  const csum = { nocsum: ', no checksum', csum: ', checksum', remcsum: ', remote checksum' }[t.csum];
  // keepalived leaves the prefix out of these two.
  if (t.type === 'gue') return `   ${fwd}TUN, type = GUE, port = ${t.port ?? 0}${csum}`;
  return `   ${fwd}TUN, type = GRE${csum}`;
}

function rsLines(vs: VirtualServer, rs: RealServer, now: RsNow | undefined): string[] {
  const alive = now?.state === 'up';
  const eff = now?.weight ?? 0;
  const out = [
    '   ------< Real server >------',
    `   RIP = ${rs.address}, RPORT = ${rs.port ?? 0}, WEIGHT = ${rs.weight} EFF WEIGHT = ${eff}`,
    forwarding('', rs.lvsMethod ?? vs.lbKind, rs.tunnel ?? vs.tunnel),
    `   Alpha is ${(rs.alpha ?? vs.alpha) ? 'ON' : 'OFF'}`,
    `   connection timeout = ${decimal(rs.connectTimeout ?? vs.connectTimeout ?? 5)}`,
    `   connection limit range = ${rs.lthreshold ?? 0} -> ${rs.uthreshold ?? 0}`,
    `   Delay loop = ${decimal(rs.delayLoop ?? vs.delayLoop)}`,
  ];
  const retry = rs.retry ?? vs.retry;
  if (retry !== undefined) out.push(`   Retry count = ${retry}`);
  const dbr = rs.delayBeforeRetry ?? vs.delayBeforeRetry;
  if (dbr !== undefined) out.push(`   Retry delay = ${decimal(dbr)}`);
  const warmup = rs.warmup ?? vs.warmup;
  if (warmup !== undefined) out.push(`   Warmup = ${decimal(warmup)}`);
  out.push(`   Inhibit on failure is ${(rs.inhibitOnFailure ?? vs.inhibitOnFailure) ? 'ON' : 'OFF'}`);
  if (rs.notifyUp) out.push(`     RS up notify script = ${cmdStr(rs.notifyUp)}, uid:gid 0:0`);
  if (rs.notifyDown) out.push(`     RS down notify script = ${cmdStr(rs.notifyDown)}, uid:gid 0:0`);
  if (rs.virtualhost) out.push(`    VirtualHost = '${rs.virtualhost}'`);
  out.push(
    `   Using smtp notification = ${(rs.smtpAlert ?? vs.smtpAlert) ? 'yes' : 'no'}`,
    `   initial weight = ${rs.weight}`,
    `   effective weight = ${eff}`,
    // vigil keeps no weight from before the last change.
    `   previous effective_weight = ${eff}`,
    `   alive = ${alive ? 1 : 0}`,
    `   num failed checkers = ${now?.checkers ? now.checkers.filter((c) => !c.up).length : alive ? 0 : rs.checkers.length}`,
    // Inhibit on failure keeps a failed server in the table at weight 0.
    `   RS set = ${alive || (rs.inhibitOnFailure ?? vs.inhibitOnFailure) ? 1 : 0}`,
    '   reloaded = 0',
  );
  return out;
}

function vsLines(config: Config, vs: VirtualServer, now: Map<string, RsNow>): string[] {
  const label = `${vs.label}/${vs.protocol}`;
  const out = [' ------< Virtual server >------', vsHead(vs)];
  if (vs.virtualhost) out.push(`   VirtualHost = ${vs.virtualhost}`);
  const family = vs.key.kind === 'addr' ? vs.key.family : vs.ipFamily;
  out.push(
    family ? `   Address family = inet${family === 4 ? '' : '6'}` : '   Address family = unknown',
    `   connection timeout = ${decimal(vs.connectTimeout ?? 5)}`,
    `   delay_loop = ${decimal(vs.delayLoop)}`,
    `   lvs_sched = ${vs.lbAlgo}`,
    // Set by the kernel once the service is in its table, never by the configuration.
    '   Hashed = disabled',
  );
  const on = (b: boolean): string => (b ? 'enabled' : 'disabled');
  if (vs.lbAlgo === 'sh')
    out.push(`   sh-port = ${on(vs.flags.shPort)}`, `   sh-fallback = ${on(vs.flags.shFallback)}`);
  else if (vs.lbAlgo === 'mh')
    out.push(`   mh-port = ${on(vs.flags.mhPort)}`, `   mh-fallback = ${on(vs.flags.mhFallback)}`);
  else out.push('   flag-1 = disabled', '   flag-2 = disabled', '   flag-3 = disabled');
  out.push(
    `   One packet scheduling = ${on(vs.ops)}${vs.ops && vs.protocol !== 'UDP' ? ' (inactive due to not UDP)' : ''}`,
  );
  if (vs.persistenceTimeout) out.push(`   persistence timeout = ${vs.persistenceTimeout}`);
  if (vs.persistenceGranularity) out.push(`   persistence granularity = ${vs.persistenceGranularity}`);
  out.push(
    `   protocol = ${vs.protocol}`,
    `   alpha is ${vs.alpha ? 'ON' : 'OFF'}`,
    `   omega is ${vs.omega ? 'ON' : 'OFF'}`,
  );
  if (vs.retry !== undefined) out.push(`   Retry count = ${vs.retry}`);
  if (vs.delayBeforeRetry !== undefined) out.push(`   Retry delay = ${decimal(vs.delayBeforeRetry)}`);
  if (vs.warmup !== undefined) out.push(`   Warmup = ${decimal(vs.warmup)}`);
  out.push(
    `   Inhibit on failure is ${vs.inhibitOnFailure ? 'ON' : 'OFF'}`,
    `   quorum = ${vs.quorum}, hysteresis = ${vs.hysteresis}`,
  );
  if (vs.quorumUp) out.push(`   Quorum up notify script = ${cmdStr(vs.quorumUp)}, uid:gid 0:0`);
  if (vs.quorumDown) out.push(`   Quorum down notify script = ${cmdStr(vs.quorumDown)}, uid:gid 0:0`);
  if (vs.haSuspend) out.push('   Using HA suspend');
  out.push(
    `   Using smtp notification = ${(vs.smtpAlert ?? config.globalDefs.smtpAlertChecker ?? config.globalDefs.smtpAlert) ? 'yes' : 'no'}`,
    forwarding('default ', vs.lbKind, vs.tunnel),
  );
  const ss = vs.sorryServer;
  if (ss) {
    const port = ss.port ?? (vs.key.kind === 'addr' ? vs.key.port : 0);
    const dup = vs.realServers.some((r) => r.address === ss.address && (r.port ?? 0) === port);
    out.push(
      `   sorry server ${dup ? '(duplicates rs) ' : ''}= ${trio(ss.address, vs.protocol, port)}`,
      forwarding('  ', vs.sorryServerLvsMethod ?? vs.lbKind, vs.tunnel),
      `     Inhibit on failure is ${vs.sorryServerInhibit ? 'ON' : 'OFF'}`,
    );
  }
  const rsNow = vs.realServers.map((rs) => now.get(`${label}\0${rs.address}:${rs.port ?? 0}`));
  const alive = rsNow.filter((r) => r?.state === 'up');
  const weight = alive.reduce((n, r) => n + (r?.weight ?? 0), 0);
  out.push(
    `   alive = ${alive.length ? 1 : 0}`,
    // quorum is met on the live servers' summed weight (keepalived's quorum_state_up).
    `   quorum_state_up = ${weight >= vs.quorum ? 1 : 0}`,
    '   reloaded = 0',
  );
  vs.realServers.forEach((rs, i) => out.push(...rsLines(vs, rs, rsNow[i])));
  return out;
}

/** keepalived's dump_vsg(): a group, its address ranges then its fwmarks. */
function vsgLines(g: VirtualServerGroup, config: Config): string[] {
  const addrs = g.members.filter((m) => m.kind === 'addr');
  const marks = g.members.filter((m) => m.kind === 'fwmark');
  const out = [
    ' ------< Virtual server group >------',
    ` Virtual Server Group = ${g.name}, IPv4 = ${addrs.some((m) => m.family === 4) ? 'yes' : 'no'}, IPv6 = ${addrs.some((m) => m.family === 6) ? 'yes' : 'no'}`,
  ];
  // Its services by protocol: keepalived counts the live ones, vigil lists those configured.
  const users = config.virtualServers.filter((vs) => vs.key.kind === 'group' && vs.key.group === g.name);
  const count = (p: string): number => users.filter((vs) => vs.protocol === p).length;
  for (const m of addrs) {
    const port = m.port ?? 0;
    out.push(
      m.last
        ? `   VIP Range = ${m.address}-${m.last}, VPORT = ${port}`
        : `   VIP = ${m.address}, VPORT = ${port}`,
      `     Alive: ${count('TCP')} tcp, ${count('UDP')} udp, ${count('SCTP')} sctp`,
      '     reloaded = False',
    );
  }
  for (const m of marks)
    out.push(`   FWMARK = ${m.fwmark}`, `     Alive: ${users.length} IPv4, 0 IPv6`, '     reloaded = False');
  return out;
}

/** keepalived_check.data after the global definitions (given by the caller). */
export function checkDataText(config: Config, head: string[], realServers: RsNow[]): string {
  const now = new Map(realServers.map((r) => [`${r.virtualServer}\0${r.realServer}`, r]));
  const out = [...head];
  if (config.virtualServers.length) {
    // The IPVS version keepalived was built against (linux/ip_vs.h: 1.2.1 for years).
    out.push('------< LVS Topology >------', ' System is compiled with LVS v1.2.1');
    for (const g of config.virtualServerGroups) out.push(...vsgLines(g, config));
    for (const vs of config.virtualServers) out.push(...vsLines(config, vs, now));
  }
  out.push(
    ...checkersData(config, (vs, rs) => now.get(`${vs.label}/${vs.protocol}\0${rs.address}:${rs.port ?? 0}`)),
  );
  return out.map((l) => l + '\n').join('');
}
