// keepalived's nftables rules for IPv6 vmacs (vrrp_nftables.c nft_setup_igmp, on by default with
// use_vmac): the MLD reports a vmac sends would carry the virtual MAC as their source, and a
// switch would then learn that MAC on a backup's port and send the VIP's traffic there. So each
// report leaving a vmac is sent on its base interface instead (from that interface's own MAC) and
// dropped on the vmac, and router solicitations from a vmac are dropped. vigil writes the same in
// an ip6 table of its own, rewritten whole on each change.
export const VMAC_FIREWALL_TABLE = 'vigil_vmac';

/** An IPv6 vmac and the interface it sits on. */
export interface VmacLink {
  name: string;
  base: string;
}

const quoted = (ifname: string): string => `"${ifname.replace(/["\\]/g, '')}"`;

/**
 * The `nft -f` script that makes the table match `vmacs` in one transaction (deleted when there
 * are none). Declaring the table first makes the delete succeed whether or not it existed.
 */
export function vmacFirewallScript(vmacs: readonly VmacLink[], table = VMAC_FIREWALL_TABLE): string {
  const head = `table ip6 ${table}\ndelete table ip6 ${table}\n`;
  if (vmacs.length === 0) return head;
  const rules = vmacs.flatMap((v) => [
    `    oifname ${quoted(v.name)} icmpv6 type mld2-listener-report dup to ip6 daddr device ${quoted(v.base)} drop`,
    `    oifname ${quoted(v.name)} icmpv6 type nd-router-solicit drop`,
  ]);
  return (
    head +
    `table ip6 ${table} {\n` +
    `  chain out {\n` +
    `    type filter hook output priority -1; policy accept;\n` +
    rules.map((r) => `${r}\n`).join('') +
    `  }\n` +
    `}\n`
  );
}
