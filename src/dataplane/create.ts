// Builds the data plane chosen for this machine and configuration.
import type { Config } from '../config/model.js';
import type { Engine } from './engine.js';
import type { EngineName } from './choose.js';
import { IpvsEngine } from './ipvs/engine.js';
import { NftEngine } from './nft/engine.js';
import { ProxyEngine } from './proxy/engine.js';

/**
 * The interface a DR director forwards frames on: the one whose VRRP instance moves the
 * virtual server's address (its VIP `dev`, else the instance's interface).
 */
export function drInterface(c: Config): string | undefined {
  for (const vs of c.virtualServers) {
    if (vs.key.kind !== 'addr') continue;
    const address = vs.key.address;
    for (const v of c.vrrpInstances) {
      const vip = v.virtualIpaddress.find((a) => a.address === address);
      if (vip) return vip.dev ?? v.interface;
    }
  }
  return c.vrrpInstances[0]?.interface;
}

export interface CreateOptions {
  log: (message: string) => void;
}

export async function createEngine(name: EngineName, c: Config, o: CreateOptions): Promise<Engine> {
  if (name === 'nft') {
    const dr = c.virtualServers.some(
      (vs) => vs.lbKind === 'DR' || vs.realServers.some((r) => r.lvsMethod === 'DR'),
    );
    const ifname = dr ? drInterface(c) : undefined;
    if (!dr) return new NftEngine({});
    // No vrrp_instance names it: the route to the real servers will (at apply time).
    return new NftEngine({ dr: ifname ? { ifname } : {} });
  }
  if (name === 'ipvs') return IpvsEngine.open();
  const t = c.globalDefs.lvsTimeouts;
  return new ProxyEngine({
    log: o.log,
    timeouts: {
      ...(t.tcp ? { tcp: t.tcp } : {}),
      ...(t.tcpfin ? { tcpfin: t.tcpfin } : {}),
      ...(t.udp ? { udp: t.udp } : {}),
    },
  });
}
