// fo and ovf: the weight-ordered schedulers (ip_vs_fo.c, ip_vs_ovf.c). fo sends everything to
// the available server with the highest weight; ovf does the same until that server has more
// active connections than its weight, then overflows to the next highest.
import type { ConnInfo, DestView, Scheduler } from './types.js';
import { available } from './types.js';

function heaviest<D extends DestView>(dests: readonly D[], ok: (d: D) => boolean): D | null {
  let h: D | null = null;
  for (const d of dests) if (available(d) && ok(d) && (h === null || d.weight > h.weight)) h = d;
  return h;
}

export class WeightedFailover implements Scheduler {
  readonly name = 'fo';
  pick<D extends DestView>(_conn: ConnInfo, dests: readonly D[]): D | null {
    return heaviest(dests, () => true);
  }
}

export class Overflow implements Scheduler {
  readonly name = 'ovf';
  pick<D extends DestView>(_conn: ConnInfo, dests: readonly D[]): D | null {
    return heaviest(dests, (d) => d.activeConns <= d.weight);
  }
}
