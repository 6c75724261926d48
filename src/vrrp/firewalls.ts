// The VRRP process's two nft tables, written from their pure rules: the no_accept firewall
// (firewall.ts decides which VIPs are dropped) and the IPv6 vmacs' MLD rules (vmac-firewall.ts).
import { NftScriptTable } from '../os/nft.js';
import { firewallScript, VRRP_FIREWALL_TABLE, type DroppedAddresses } from './firewall.js';
import { VMAC_FIREWALL_TABLE, vmacFirewallScript, type VmacLink } from './vmac-firewall.js';

export class VipFirewall {
  private readonly out: NftScriptTable;

  constructor(
    readonly table = VRRP_FIREWALL_TABLE,
    nft = 'nft',
  ) {
    this.out = new NftScriptTable(nft);
  }

  /** Makes the table drop exactly `d` (deleting it when `d` is empty). */
  apply(d: DroppedAddresses): Promise<void> {
    return this.out.apply(firewallScript(d, this.table));
  }

  /** Removes the table (stop, or a leftover from a run that crashed). */
  clear(): Promise<void> {
    return this.apply({ v4: [], v6: [] });
  }
}

export class VmacFirewall {
  private readonly out: NftScriptTable;

  constructor(
    readonly table = VMAC_FIREWALL_TABLE,
    nft = 'nft',
  ) {
    this.out = new NftScriptTable(nft);
  }

  /** Makes the table hold the rules for exactly `vmacs` (deleting it when there are none). */
  apply(vmacs: readonly VmacLink[]): Promise<void> {
    return this.out.apply(vmacFirewallScript(vmacs, this.table));
  }

  /** Removes the table (stop, or a leftover from a run that crashed). */
  clear(): Promise<void> {
    return this.apply([]);
  }
}
