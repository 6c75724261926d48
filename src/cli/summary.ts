// The short human summary `vigil check` prints of what a configuration describes.
import { CONNTRACKD_GROUP, CONNTRACKD_PORT } from '../lvs/conntrack-sync.js';
import type { Checker, Config, VipSpec } from '../config/model.js';
import { weightedTracking } from '../config/tracking-weights.js';

function vip(v: VipSpec): string {
  return `${v.address}${v.prefix !== undefined ? `/${v.prefix}` : ''}${v.dev ? ` dev ${v.dev}` : ''}`;
}

function checker(c: Checker): string {
  switch (c.kind) {
    case 'HTTP_GET':
    case 'SSL_GET':
      return `${c.kind} ${c.urls.map((u) => u.path ?? '?').join(',')}`;
    case 'MISC_CHECK':
      return `MISC_CHECK ${c.miscPath?.argv[0] ?? '?'}`;
    case 'DNS_CHECK':
      return `DNS_CHECK ${c.type} ${c.name}`;
    case 'FILE_CHECK':
      return `FILE_CHECK ${c.trackFile ?? '?'}`;
    default:
      return 'connectPort' in c && c.connectPort !== undefined ? `${c.kind}:${c.connectPort}` : c.kind;
  }
}

/** What the chosen engine only approximates, per virtual server (null: exact). */
export type Approximate = (vs: Config['virtualServers'][number]) => string[];

export function summarize(
  c: Config,
  engine?: { engine: string; why: string },
  approximate?: Approximate,
): string {
  const out: string[] = [];
  const files = c.files.length > 1 ? ` (${c.files.length} files)` : '';
  out.push(
    `${c.files[0] ?? 'configuration'}${files}${c.globalDefs.routerId ? `: router_id ${c.globalDefs.routerId}` : ''}`,
  );
  out.push(`VRRP instances: ${c.vrrpInstances.length}`);
  for (const v of c.vrrpInstances) {
    // What is really tracked, with the weights in force (keepalived drops some in sync groups).
    const own = weightedTracking(c, v).own;
    const tracks = [...own.scripts, ...own.files, ...own.processes, ...own.interfaces].map((t) =>
      t.weight ? `${t.name}(${t.weight})` : t.name,
    );
    out.push(
      `  ${v.name}: ${v.interface ?? '?'} vrid ${v.virtualRouterId ?? '?'} priority ${v.priority} ${v.state}` +
        `${v.nopreempt ? ' nopreempt' : ''} v${v.effectiveVersion} advert ${v.advertInt}s` +
        `${v.unicastPeer.length ? ` unicast to ${v.unicastPeer.map((p) => p.address).join(',')}` : ''}` +
        ` VIPs ${v.virtualIpaddress.map(vip).join(', ') || 'none'}${tracks.length ? ` tracking ${tracks.join(', ')}` : ''}`,
    );
  }
  for (const g of c.syncGroups) out.push(`  sync group ${g.name}: ${g.group.map((m) => m.name).join(', ')}`);
  const ipvs = c.globalDefs.lvsSyncDaemon;
  if (ipvs)
    out.push(
      `Connection sync: IPVS sync daemon on ${ipvs.interface} following ${ipvs.instance}${ipvs.id !== undefined ? ` (syncid ${ipvs.id})` : ''}`,
    );
  const ct = c.globalDefs.conntrackSync;
  if (ct)
    out.push(
      `Connection sync: conntrackd (FTFW) on ${ct.interface} following ${ct.instance}, ${ct.peer ? `unicast to ${ct.peer}` : `multicast ${ct.group ?? CONNTRACKD_GROUP}`} port ${ct.port ?? CONNTRACKD_PORT}`,
    );
  out.push(
    `Virtual servers: ${c.virtualServers.length}${engine ? ` (data plane: ${engine.engine}; ${engine.why})` : ''}`,
  );
  for (const vs of c.virtualServers) {
    const proto = vs.key.kind === 'fwmark' ? '' : ` ${vs.protocol}`;
    const persist = vs.persistenceTimeout !== undefined ? ` persistence ${vs.persistenceTimeout}s` : '';
    out.push(
      `  ${vs.label}${proto} ${vs.lbAlgo}/${vs.lbKind}${persist}${vs.quorum > 1 ? ` quorum ${vs.quorum}` : ''}`,
    );
    for (const r of vs.realServers) {
      const checks = r.checkers.map(checker).join(' + ') || 'no checker (always up)';
      out.push(
        `    -> ${r.address}:${r.port ?? '-'} weight ${r.weight}${r.lvsMethod ? ` ${r.lvsMethod}` : ''}: ${checks}`,
      );
    }
    if (vs.sorryServer) out.push(`    sorry server ${vs.sorryServer.address}:${vs.sorryServer.port ?? '-'}`);
    for (const note of approximate?.(vs) ?? []) out.push(`    note: ${note}`);
  }
  return out.join('\n');
}
