// keepalived 2.2.7's checker dump (keepalived_check.data, SIGUSR1; check_data.c dump_vs/dump_rs)
// from the configuration and the health checks' state: the same labels and order for the fields
// vigil has. Pure: the caller writes the file.
import type { Config, Notify, RealServer, VirtualServer } from '../config/model.js';

/** What the checker knows about one real server now (the controller's status). */
export interface RsNow {
  virtualServer: string;
  realServer: string;
  state: string;
  weight: number;
}

function cmdStr(n: Notify): string {
  return n.argv.map((a) => `'${a}'`).join(' ');
}

/** keepalived's format_decimal() of a time in seconds: up to 6 decimals, no trailing zeros. */
function decimal(sec: number): string {
  return String(Math.round(sec * 1e6) / 1e6);
}

function vsHead(vs: VirtualServer): string {
  const k = vs.key;
  if (k.kind === 'addr') return ` VS VIP = ${k.address}, VPORT = ${k.port}`;
  if (k.kind === 'fwmark') return ` VS FWMARK = ${k.fwmark}`;
  return ` VS GROUP = ${vs.label}`;
}

const METHOD: Record<string, string> = { NAT: 'NAT', DR: 'DR', TUN: 'TUN', FULLNAT: 'FULLNAT' };

function rsLines(vs: VirtualServer, rs: RealServer, now: RsNow | undefined): string[] {
  const alive = now?.state === 'up';
  const eff = now?.weight ?? 0;
  const out = [
    '   ------< Real server >------',
    `   RIP = ${rs.address}, RPORT = ${rs.port ?? 0}, WEIGHT = ${rs.weight} EFF WEIGHT = ${eff}`,
    `   forwarding method = ${METHOD[rs.lvsMethod ?? vs.lbKind] ?? vs.lbKind}`,
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
    `   alive = ${alive ? 1 : 0}`,
    `   num failed checkers = ${alive ? 0 : rs.checkers.length}`,
    // Inhibit on failure keeps a failed server in the table at weight 0.
    `   RS set = ${alive || (rs.inhibitOnFailure ?? vs.inhibitOnFailure) ? 1 : 0}`,
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
    `   default forwarding method = ${vs.lbKind}`,
  );
  if (vs.sorryServer)
    out.push(
      `   sorry server = [${vs.sorryServer.address}]:${vs.protocol.toLowerCase()}:${vs.sorryServer.port ?? 0}`,
    );
  const rsNow = vs.realServers.map((rs) => now.get(`${label}\0${rs.address}:${rs.port ?? 0}`));
  out.push(`   alive = ${rsNow.some((r) => r?.state === 'up') ? 1 : 0}`);
  vs.realServers.forEach((rs, i) => out.push(...rsLines(vs, rs, rsNow[i])));
  return out;
}

/** keepalived_check.data after the global definitions (given by the caller). */
export function checkDataText(config: Config, head: string[], realServers: RsNow[]): string {
  const now = new Map(realServers.map((r) => [`${r.virtualServer}\0${r.realServer}`, r]));
  const out = [...head];
  if (config.virtualServers.length) {
    out.push('------< LVS Topology >------');
    for (const vs of config.virtualServers) out.push(...vsLines(config, vs, now));
  }
  return out.map((l) => l + '\n').join('');
}
