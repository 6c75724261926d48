// keepalived's no_accept firewall, decided here and written by ./firewalls.ts: while an
// instance without `accept` (vrrp_strict's default) is MASTER and not the address owner, packets
// to and from its VIPs are dropped (RFC 3768 / RFC 5798: a non-owner master must not accept them).
// keepalived 2.2.7 (vrrp_nftables.c) keeps sets of those addresses with an input chain dropping
// `daddr @vips` and an output chain dropping `saddr @vips`, neighbour discovery let through; vigil
// builds the same in a table of its own, rewritten whole on each change.
import { addressBytes, addressFamily, addressText } from './address.js';

export const VRRP_FIREWALL_TABLE = 'vigil_vrrp';

/** What the decision needs of one instance. */
export interface FirewallInstance {
  /** `accept` in force (see instanceConfig). */
  accept: boolean;
  /** Base priority 255: the address owner always accepts. */
  owner: boolean;
  /** The instance holds its VIPs (MASTER). */
  vipsSet: boolean;
  /** Its virtual_ipaddress and virtual_ipaddress_excluded addresses. */
  addresses: readonly string[];
}

export interface DroppedAddresses {
  v4: string[];
  v6: string[];
}

/** Whether an instance ever needs the firewall. */
export function needsFirewall(i: Pick<FirewallInstance, 'accept' | 'owner'>): boolean {
  return !i.accept && !i.owner;
}

/** The addresses to drop now: the VIPs of every no_accept, non-owner master (sorted, once each). */
export function droppedAddresses(instances: readonly FirewallInstance[]): DroppedAddresses {
  const v4 = new Set<string>();
  const v6 = new Set<string>();
  for (const i of instances) {
    if (!needsFirewall(i) || !i.vipsSet) continue;
    for (const a of i.addresses) (addressFamily(a) === 6 ? v6 : v4).add(addressText(addressBytes(a)));
  }
  return { v4: [...v4].sort(), v6: [...v6].sort() };
}

/**
 * The `nft -f` script that makes the table match `d` in one transaction: created (or replaced)
 * when there is something to drop, deleted when not. Declaring the table first makes the delete
 * succeed whether or not it existed.
 */
export function firewallScript(d: DroppedAddresses, table = VRRP_FIREWALL_TABLE): string {
  const head = `table inet ${table}\ndelete table inet ${table}\n`;
  if (d.v4.length === 0 && d.v6.length === 0) return head;
  const set = (name: string, type: string, elems: string[]): string =>
    `  set ${name} { type ${type};${elems.length ? ` elements = { ${elems.join(', ')} };` : ''} }\n`;
  const nd = 'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept';
  const chain = (name: string, hook: string, dir: 'daddr' | 'saddr'): string =>
    `  chain ${name} {\n` +
    `    type filter hook ${hook} priority -1; policy accept;\n` +
    `    ${nd}\n` +
    `    ip ${dir} @vips4 drop\n` +
    `    ip6 ${dir} @vips6 drop\n` +
    `  }\n`;
  return (
    head +
    `table inet ${table} {\n` +
    set('vips4', 'ipv4_addr', d.v4) +
    set('vips6', 'ipv6_addr', d.v6) +
    chain('in', 'input', 'daddr') +
    chain('out', 'output', 'saddr') +
    `}\n`
  );
}
