// ha_suspend: a virtual server's checks pause while this director does not hold its address.
// keepalived follows the address itself (netlink address events in its checker process); here
// the VRRP process decides where VIPs live, so its instances' states say the same thing sooner:
// the address is held while an instance carrying it as a VIP is MASTER.
import type { Config, VirtualServer } from '../config/model.js';
import { holdersOf } from '../config/vip-holders.js';

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
