// Writes the IPv6 vmacs' MLD rules (src/vrrp/vmac-firewall.ts builds them) with `nft -f -`, in the
// caller's network namespace; skipped when nothing changed.
import { VMAC_FIREWALL_TABLE, vmacFirewallScript, type VmacLink } from '../vrrp/vmac-firewall.js';
import { runNft } from './vrrp-firewall.js';

export class VmacFirewall {
  private applied: string | null = null;

  constructor(
    readonly table = VMAC_FIREWALL_TABLE,
    private readonly nft = 'nft',
  ) {}

  /** Makes the table hold the rules for exactly `vmacs` (deleting it when there are none). */
  async apply(vmacs: readonly VmacLink[]): Promise<void> {
    const script = vmacFirewallScript(vmacs, this.table);
    if (script === this.applied) return;
    await runNft(this.nft, script);
    this.applied = script;
  }

  /** Removes the table (stop, or a leftover from a run that crashed). */
  async clear(): Promise<void> {
    this.applied = null;
    await this.apply([]);
  }
}
