// lc, wlc, sed, nq: the least-connection family (ip_vs_lc.c, ip_vs_wlc.c, ip_vs_sed.c, ip_vs_nq.c).
// Ratios are compared by cross-multiplication as the kernel does, so ties go to the first server.
import type { ConnInfo, DestView, Scheduler } from './types.js';
import { available, connOverhead } from './types.js';

/** Least connections: the smallest overhead, weights only exclude (0 = drain). */
export class LeastConnection implements Scheduler {
  readonly name = 'lc';
  pick<D extends DestView>(_conn: ConnInfo, dests: readonly D[]): D | null {
    let least: D | null = null;
    for (const d of dests) {
      if (!available(d)) continue;
      if (least === null || connOverhead(d) < connOverhead(least)) least = d;
    }
    return least;
  }
}

/** Picks the server with the smallest overhead/weight for the given overhead function. */
function leastRatio<D extends DestView>(dests: readonly D[], overhead: (d: D) => number): D | null {
  let least: D | null = null;
  let loh = 0;
  for (const d of dests) {
    if (!available(d)) continue;
    const doh = overhead(d);
    if (least === null || loh * d.weight > doh * least.weight) {
      least = d;
      loh = doh;
    }
  }
  return least;
}

/** Weighted least connections: overhead / weight. */
export class WeightedLeastConnection implements Scheduler {
  readonly name = 'wlc';
  pick<D extends DestView>(_conn: ConnInfo, dests: readonly D[]): D | null {
    return leastRatio(dests, connOverhead);
  }
}

/** Shortest expected delay: (active + 1) / weight. */
export class ShortestExpectedDelay implements Scheduler {
  readonly name = 'sed';
  pick<D extends DestView>(_conn: ConnInfo, dests: readonly D[]): D | null {
    return leastRatio(dests, (d) => d.activeConns + 1);
  }
}

/** Never queue: an idle server if there is one, else shortest expected delay. */
export class NeverQueue implements Scheduler {
  readonly name = 'nq';
  pick<D extends DestView>(_conn: ConnInfo, dests: readonly D[]): D | null {
    for (const d of dests) if (available(d) && d.activeConns === 0) return d;
    return leastRatio(dests, (d) => d.activeConns + 1);
  }
}
