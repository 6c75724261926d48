// `nft -f -` for the small tables of vigil's own outside the nft engine (the VRRP no_accept
// firewall, the IPv6 vmacs' MLD rules): one atomic transaction per script, bounded in time, in the
// caller's network namespace; a table rewritten only when its script changed.
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

/** A table written by whole scripts: `apply` runs a script unless it is the one last applied. */
export class NftScriptTable {
  private applied: string | null = null;

  constructor(private readonly nft = 'nft') {}

  async apply(script: string): Promise<void> {
    if (script === this.applied) return;
    this.applied = null; // a failed run leaves the table unknown: the next apply runs again
    await runNft(this.nft, script);
    this.applied = script;
  }
}
