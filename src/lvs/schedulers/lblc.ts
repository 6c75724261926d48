// lblc and lblcr: locality-based least connection (ip_vs_lblc.c, ip_vs_lblcr.c). A cache maps
// the destination address to a server (lblc) or a server set (lblcr); a cached choice stands
// until that server is unavailable or overloaded relative to the others, then wlc picks anew.
// Entries idle for `expiration` (IPVS sysctl lblc_expiration, 24 h) are forgotten.
import type { ConnInfo, DestView, Scheduler } from './types.js';
import { available } from './types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** lblc's own load estimate: an active connection costs fifty inactive ones (ip_vs_lblc.c). */
function overhead(d: DestView): number {
  return d.activeConns * 50 + d.inactiveConns;
}

/** wlc over the given servers, with lblc's overhead. */
function leastLoaded<D extends DestView>(dests: Iterable<D>): D | null {
  let least: D | null = null;
  for (const d of dests) {
    if (!available(d)) continue;
    if (least === null || overhead(least) * d.weight > overhead(d) * least.weight) least = d;
  }
  return least;
}

/** is_overloaded: more active connections than weight while some server sits under half its weight. */
function overloadedAmong(dest: DestView, dests: readonly DestView[]): boolean {
  if (dest.activeConns <= dest.weight) return false;
  return dests.some((d) => d.activeConns * 2 < d.weight);
}

/** How often the caches are swept for idle entries (IPVS's lblc timer runs every minute). */
const SWEEP_MS = 60 * 1000;

/** Drops entries idle longer than `expiration`, at most once per SWEEP_MS. */
class Sweeper {
  private next = 0;
  constructor(private readonly expiration: number) {}
  run<T extends { lastUse: number }>(cache: Map<string, T>, t: number): void {
    if (t < this.next) return;
    this.next = t + SWEEP_MS;
    for (const [k, e] of cache) if (t - e.lastUse > this.expiration) cache.delete(k);
  }
}

interface Entry<T> {
  value: T;
  lastUse: number;
}

export class LocalityLeastConnection implements Scheduler {
  readonly name = 'lblc';
  private readonly cache = new Map<string, Entry<string>>();

  private readonly sweeper: Sweeper;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly expiration = DAY_MS,
  ) {
    this.sweeper = new Sweeper(expiration);
  }

  pick<D extends DestView>(conn: ConnInfo, dests: readonly D[]): D | null {
    const t = this.now();
    this.sweeper.run(this.cache, t);
    const entry = this.cache.get(conn.destination);
    const cached = entry && dests.find((d) => d.id === entry.value);
    if (cached && available(cached) && !overloadedAmong(cached, dests)) {
      entry.lastUse = t;
      return cached;
    }
    const d = leastLoaded(dests);
    if (d) this.cache.set(conn.destination, { value: d.id, lastUse: t });
    return d;
  }
}

export class LocalityLeastConnectionReplicated implements Scheduler {
  readonly name = 'lblcr';
  private readonly cache = new Map<string, Entry<Set<string>> & { lastMod: number }>();

  private readonly sweeper: Sweeper;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly expiration = DAY_MS,
  ) {
    this.sweeper = new Sweeper(expiration);
  }

  pick<D extends DestView>(conn: ConnInfo, dests: readonly D[]): D | null {
    const t = this.now();
    this.sweeper.run(this.cache, t);
    let entry = this.cache.get(conn.destination);
    const members = entry ? dests.filter((d) => entry!.value.has(d.id)) : [];
    let d = leastLoaded(members);
    if (entry && (d === null || overloadedAmong(d, dests))) {
      // The set cannot take it: grow the set with the least loaded server overall.
      const extra = leastLoaded(dests);
      if (extra) {
        entry.value.add(extra.id);
        entry.lastMod = t;
      }
      d = extra;
    } else if (!entry) {
      d = leastLoaded(dests);
      if (d) {
        entry = { value: new Set([d.id]), lastUse: t, lastMod: t };
        this.cache.set(conn.destination, entry);
      }
    }
    if (entry) {
      entry.lastUse = t;
      // A set unchanged for the expiration time sheds its most loaded member (ip_vs_dest_set_max).
      if (entry.value.size > 1 && t - entry.lastMod > this.expiration) {
        const most = members.reduce<D | null>(
          (m, x) => (m === null || overhead(x) * m.weight > overhead(m) * x.weight ? x : m),
          null,
        );
        if (most && most !== d) entry.value.delete(most.id);
        entry.lastMod = t;
      }
    }
    return d;
  }
}
