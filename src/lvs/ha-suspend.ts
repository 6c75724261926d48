// ha_suspend: a virtual server's checks pause while this director does not hold its address.
// keepalived follows the address itself (netlink address events in its checker process); here
// the VRRP process decides where VIPs live, so its instances' states say the same thing sooner:
// the address is held while an instance carrying it as a VIP is MASTER.
import type { Config, VirtualServer } from '../config/model.js';
import { bytesToIp, ipToBytes } from '../os/inet.js';
import { serviceKeys } from './desired.js';

/** One spelling per address, so `fd00::0001` and `fd00::1` match. */
const canonical = (a: string): string => bytesToIp(ipToBytes(a));

/**
 * The instances whose VIPs (or excluded VIPs) include one of the virtual server's addresses (a
 * virtual_server_group has several; a fwmark service has none).
 */
export function holdersOf(config: Config, vs: VirtualServer): string[] {
  const mine = new Set(
    serviceKeys(vs, config).flatMap((k) => (k.kind === 'addr' ? [canonical(k.address)] : [])),
  );
  if (mine.size === 0) return [];
  return config.vrrpInstances
    .filter((vi) =>
      [...vi.virtualIpaddress, ...vi.virtualIpaddressExcluded].some((v) => mine.has(canonical(v.address))),
    )
    .map((vi) => vi.name);
}

/**
 * The ha_suspend virtual servers whose checks must pause, given each instance's state. An instance
 * not heard of yet is not MASTER: checks start paused, as keepalived's do before the VIP is added.
 * One that no instance carries is never paused: nothing here would ever resume it (its address
 * is the host's own, or lives elsewhere).
 */
export function suspendedServers(config: Config, states: ReadonlyMap<string, string>): Set<VirtualServer> {
  const out = new Set<VirtualServer>();
  for (const vs of config.virtualServers) {
    if (!vs.haSuspend) continue;
    const holders = holdersOf(config, vs);
    if (holders.length > 0 && !holders.some((h) => states.get(h) === 'MASTER')) out.add(vs);
  }
  return out;
}
