// Which vrrp_instances carry a virtual server's address as a VIP: what ha_suspend follows (the
// checker pauses while none of them is MASTER here) and what `vigil check` warns about when there
// is none. Pure, on the configuration alone.
import { bytesToIp, ipToBytes } from '../base/inet.js';
import { rangeAddresses } from './group-range.js';
import type { Config, VirtualServer } from './model.js';

/** One spelling per address, so `fd00::0001` and `fd00::1` match. */
const canonical = (a: string): string => bytesToIp(ipToBytes(a));

/** The addresses clients reach the virtual server at: its own, or its group's (ranges expanded). */
function addressesOf(vs: VirtualServer, c: Config): string[] {
  if (vs.key.kind === 'addr') return [vs.key.address];
  if (vs.key.kind === 'fwmark') return [];
  const name = vs.key.group;
  const g = c.virtualServerGroups.find((x) => x.name === name);
  return (g?.members ?? []).flatMap((m) =>
    m.kind === 'fwmark' ? [] : rangeAddresses(m.address, m.last, m.family),
  );
}

/**
 * The instances whose VIPs (or excluded VIPs) include one of the virtual server's addresses (a
 * virtual_server_group has several; a fwmark service has none).
 */
export function holdersOf(config: Config, vs: VirtualServer): string[] {
  const mine = new Set(addressesOf(vs, config).map(canonical));
  if (mine.size === 0) return [];
  return config.vrrpInstances
    .filter((vi) =>
      [...vi.virtualIpaddress, ...vi.virtualIpaddressExcluded].some((v) => mine.has(canonical(v.address))),
    )
    .map((vi) => vi.name);
}
