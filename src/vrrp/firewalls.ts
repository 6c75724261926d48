// The VRRP process's two nft tables, written from their pure rules: the no_accept firewall
// (firewall.ts decides which VIPs are dropped) and the IPv6 vmacs' MLD rules (vmac-firewall.ts).
import { NftTable } from '../os/nft.js';
import { firewallScript, VRRP_FIREWALL_TABLE, type DroppedAddresses } from './firewall.js';
import { VMAC_FIREWALL_TABLE, vmacFirewallScript, type VmacLink } from './vmac-firewall.js';

/** Drops exactly the addresses applied (table inet vigil_vrrp); deleted when there are none. */
export const vipFirewall = (): NftTable<DroppedAddresses> =>
  new NftTable<DroppedAddresses>(VRRP_FIREWALL_TABLE, firewallScript, { v4: [], v6: [] });

/** Holds the MLD rules for exactly the vmacs applied (table ip6 vigil_vmac); deleted when none. */
export const vmacFirewall = (): NftTable<readonly VmacLink[]> =>
  new NftTable<readonly VmacLink[]>(VMAC_FIREWALL_TABLE, vmacFirewallScript, []);
