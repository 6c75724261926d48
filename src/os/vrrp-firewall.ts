// Writes the no_accept firewall (src/vrrp/firewall.ts decides it) with `nft -f -`: one atomic
// transaction per change, skipped when nothing changed. Runs in the caller's network namespace.
import { spawn } from 'node:child_process';
import { firewallScript, sameDropped, VRRP_FIREWALL_TABLE, type DroppedAddresses } from '../vrrp/firewall.js';

const NFT_TIMEOUT_MS = 10_000;

function runNft(nft: string, script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(nft, ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), NFT_TIMEOUT_MS);
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${nft}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${nft} -f: ${err.trim() || (signal ? `killed by ${signal}` : `exit ${code}`)}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(script);
  });
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
