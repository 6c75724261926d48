// mh: Maglev consistent hashing (ip_vs_mh.c, Eisenbud et al. 2016). Each server walks its own
// permutation of a prime-sized lookup table (offset, skip from two hashes of address:port) and
// claims free slots in turns proportional to its weight, so when a server leaves only about its
// share of the slots changes owner. The table size is a prime above 100 x servers taken from a
// fixed ladder and never shrinks while the service lives, so a departure keeps the size (and
// therefore every other server's permutation) unchanged.
import { hash32 } from './hash.js';
import type { ConnInfo, DestView, Scheduler, SchedulerFlags } from './types.js';
import { available, gcd } from './types.js';

/** Primes just below powers of two, as the kernel's CONFIG_IP_VS_MH_TAB_INDEX ladder. */
const PRIMES = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071, 262139, 524287, 1048573];

export function maglevTableSize(servers: number, current = 0): number {
  const need = 100 * servers;
  if (current > need) return current;
  return PRIMES.find((p) => p > need) ?? PRIMES[PRIMES.length - 1]!;
}

/** Builds the lookup table: slot -> index into `dests` (-1 when no server has weight). */
export function maglevTable(dests: readonly DestView[], size: number): Int32Array {
  const table = new Int32Array(size).fill(-1);
  const live = dests.map((d, i) => ({ d, i })).filter(({ d }) => d.weight > 0);
  if (live.length === 0) return table;
  const g = live.reduce((acc, { d }) => gcd(acc, d.weight), 0);
  let turns = live.map(({ d }) => d.weight / g);
  // Keep one round of turns well inside the table so every weighted server gets slots.
  const total = turns.reduce((a, b) => a + b, 0);
  if (total > size / 4) turns = turns.map((t) => Math.max(1, Math.floor((t * size) / 4 / total)));
  const offset = live.map(({ d }) => hash32(`${d.address}|${d.port}`, 0x6d68) % size);
  const skip = live.map(({ d }) => (hash32(`${d.address}|${d.port}`, 0x736b) % (size - 1)) + 1);
  const next = live.map(() => 0);
  let filled = 0;
  for (;;) {
    for (let k = 0; k < live.length; k++) {
      for (let t = 0; t < turns[k]!; t++) {
        let c = (offset[k]! + next[k]! * skip[k]!) % size;
        while (table[c] !== -1) {
          next[k]!++;
          c = (offset[k]! + next[k]! * skip[k]!) % size;
        }
        table[c] = live[k]!.i;
        next[k]!++;
        if (++filled === size) return table;
      }
    }
  }
}

export class MaglevHashing implements Scheduler {
  readonly name = 'mh';
  private seen: readonly DestView[] | null = null;
  private size = 0;
  private table: Int32Array = new Int32Array(0);

  constructor(private readonly flags: SchedulerFlags = {}) {}

  pick<D extends DestView>(conn: ConnInfo, dests: readonly D[]): D | null {
    if (dests !== this.seen) {
      this.seen = dests;
      this.size = maglevTableSize(dests.length, this.size);
      this.table = maglevTable(dests, this.size);
    }
    const key = `${conn.client}|${this.flags.port ? conn.clientPort : 0}`;
    const tries = this.flags.fallback ? this.size : 1;
    // Fallback rehashes with a growing offset, as ip_vs_mh_get_fallback does.
    for (let offset = 0; offset < tries; offset++) {
      const slot = this.table[hash32(key, offset) % this.size];
      const d = slot === undefined || slot < 0 ? undefined : dests[slot];
      if (d && available(d)) return d;
    }
    return null;
  }
}
