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

interface Entry<T> {
  value: T;
  lastUse: number;
}

/** The cache both keep, keyed by destination address, and its sweep of idle entries. */
abstract class LocalityCache<E extends { lastUse: number }> {
  protected readonly cache = new Map<string, E>();
  private nextSweep = 0;

  constructor(
    private readonly now: () => number = Date.now,
    protected readonly expiration = DAY_MS,
  ) {}

  /** The time now, once entries idle longer than `expiration` are dropped (at most every SWEEP_MS). */
  protected tick(): number {
    const t = this.now();
    if (t >= this.nextSweep) {
      this.nextSweep = t + SWEEP_MS;
      for (const [k, e] of this.cache) if (t - e.lastUse > this.expiration) this.cache.delete(k);
    }
    return t;
  }
}

export class LocalityLeastConnection extends LocalityCache<Entry<string>> implements Scheduler {
  readonly name = 'lblc';

  pick<D extends DestView>(conn: ConnInfo, dests: readonly D[]): D | null {
    const t = this.tick();
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

export class LocalityLeastConnectionReplicated
  extends LocalityCache<Entry<Set<string>> & { lastMod: number }>
  implements Scheduler
{
  readonly name = 'lblcr';

  pick<D extends DestView>(conn: ConnInfo, dests: readonly D[]): D | null {
    const t = this.tick();
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
