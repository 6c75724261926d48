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

/**
 * A table of vigil's own made from a pure builder: `apply(state)` writes the builder's script unless
 * it is the one last applied; `clear()` writes the empty state's (the builders delete the table then).
 */
export class NftTable<T> {
  private applied: string | null = null;

  constructor(
    readonly table: string,
    private readonly build: (state: T, table: string) => string,
    private readonly empty: T,
    private readonly nft = 'nft',
  ) {}

  async apply(state: T): Promise<void> {
    const script = this.build(state, this.table);
    if (script === this.applied) return;
    this.applied = null; // a failed run leaves the table unknown: the next apply runs again
    await runNft(this.nft, script);
    this.applied = script;
  }

  /** Removes the table (stop, or a leftover from a run that crashed). */
  clear(): Promise<void> {
    return this.apply(this.empty);
  }
}
