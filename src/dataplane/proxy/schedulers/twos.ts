// twos: power of two choices (ip_vs_twos.c). Two servers drawn at random in proportion to their
// weights; the one with the smaller overhead/weight wins.
import type { ConnInfo, DestView, Scheduler } from './types.js';
import { available, connOverhead } from './types.js';

export class TwoChoices implements Scheduler {
  readonly name = 'twos';
  constructor(private readonly random: () => number = Math.random) {}

  pick<D extends DestView>(_conn: ConnInfo, dests: readonly D[]): D | null {
    const live = dests.filter(available);
    if (live.length === 0) return null;
    const total = live.reduce((s, d) => s + d.weight, 0);
    const a = this.draw(live, total);
    const b = this.draw(live, total);
    return b.weight * connOverhead(a) > a.weight * connOverhead(b) ? b : a;
  }

  private draw<D extends DestView>(live: readonly D[], total: number): D {
    let r = Math.floor(this.random() * total);
    for (const d of live) {
      r -= d.weight;
      if (r < 0) return d;
    }
    return live[live.length - 1]!;
  }
}
