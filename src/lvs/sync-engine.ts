// Which connection synchronisation fits which data plane: lvs_sync_daemon replicates the kernel
// IPVS connection table, conntrack_sync the netfilter conntrack table the nft engine's NAT uses.
// Configured against the other engine, each does nothing, and the operator should hear it from
// `vigil check` (and the daemon's log) rather than find out at the first failover.
import type { Loc } from '../config/ast.js';
import type { GlobalDefs } from '../config/model.js';
import type { EngineName } from '../dataplane/choose.js';

export interface SyncMismatch {
  message: string;
  loc: Loc;
}

export function syncMismatches(g: GlobalDefs, engine: EngineName): SyncMismatch[] {
  const out: SyncMismatch[] = [];
  const ipvs = g.lvsSyncDaemon;
  if (ipvs && engine !== 'ipvs') {
    const instead =
      engine === 'nft'
        ? `use 'conntrack_sync ${ipvs.interface} ${ipvs.instance}' (conntrackd replicates the nft engine's NAT connections), or DR with lb_algo mh or sh, which keeps connections without state`
        : 'the userspace engine proxies connections in the vigil process, and they end with it whatever is synchronised';
    out.push({
      message: `lvs_sync_daemon synchronises the kernel's IPVS connections, but the data plane is ${engine}: it will do nothing; ${instead}`,
      loc: ipvs.loc,
    });
  }
  const ct = g.conntrackSync;
  if (ct && engine !== 'nft') {
    const instead =
      engine === 'ipvs'
        ? `IPVS keeps its own connection table: use 'lvs_sync_daemon ${ct.interface} ${ct.instance}'`
        : 'the userspace engine proxies connections in the vigil process, and they end with it whatever is synchronised';
    out.push({
      message: `conntrack_sync replicates conntrack for the nft engine, but the data plane is ${engine}: conntrackd will not be started; ${instead}`,
      loc: ct.loc,
    });
  }
  return out;
}
