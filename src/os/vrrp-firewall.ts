// Writes the no_accept firewall (src/vrrp/firewall.ts decides it) with `nft -f -`: one atomic
// transaction per change, skipped when nothing changed. Runs in the caller's network namespace.
import { firewallScript, sameDropped, VRRP_FIREWALL_TABLE, type DroppedAddresses } from '../vrrp/firewall.js';
import { runCommand } from './run-command.js';

const NFT_TIMEOUT_MS = 10_000;

/** Runs `nft -f -` on `script` (bounded); throws with nft's message. */
export async function runNft(nft: string, script: string): Promise<void> {
  const r = await runCommand([nft, '-f', '-'], script, NFT_TIMEOUT_MS).catch((e: Error) => {
    throw new Error(`${nft}: ${e.message}`);
  });
  if (r.code !== 0 || r.signal)
    throw new Error(
      `${nft} -f: ${r.stderr.trim() || (r.signal ? `killed by ${r.signal}` : `exit ${r.code}`)}`,
    );
}

export class VipFirewall {
  private applied: DroppedAddresses | null = null;

  constructor(
    readonly table = VRRP_FIREWALL_TABLE,
    private readonly nft = 'nft',
  ) {}

  /** Makes the table drop exactly `d` (deleting it when `d` is empty). */
  async apply(d: DroppedAddresses): Promise<void> {
    if (this.applied && sameDropped(this.applied, d)) return;
    await runNft(this.nft, firewallScript(d, this.table));
    this.applied = d;
  }

  /** Removes the table (stop, or a leftover from a run that crashed). */
  async clear(): Promise<void> {
    this.applied = null;
    await this.apply({ v4: [], v6: [] });
  }
}
