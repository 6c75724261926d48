// wrr: interleaved weighted round robin (ip_vs_wrr.c). A current weight `cw` starts at the
// maximum weight and drops by the gcd of the weights on each pass; a pass picks every server
// whose weight is at least `cw`, so weights 3:1 give a a a b, 4:2:1 give a a b a b c a.
import type { ConnInfo, DestView, Scheduler } from './types.js';
import { available, gcd } from './types.js';

export class WeightedRoundRobin implements Scheduler {
  readonly name = 'wrr';
  private seen: readonly DestView[] | null = null;
  private index = -1;
  private cw = 0;
  private mw = 0;
  private di = 1;

  pick<D extends DestView>(_conn: ConnInfo, dests: readonly D[]): D | null {
    const n = dests.length;
    if (n === 0) return null;
    if (dests !== this.seen) this.reset(dests);
    // One full sweep per weight level bounds the search when nothing is available.
    const limit = n * (Math.floor(this.mw / this.di) + 1) + 1;
    for (let step = 0; step < limit; step++) {
      this.index++;
      if (this.index >= n) {
        this.index = 0;
        this.cw -= this.di;
        if (this.cw <= 0) {
          this.cw = this.mw;
          if (this.cw === 0) return null;
        }
      }
      const d = dests[this.index]!;
      if (available(d) && d.weight >= this.cw) return d;
    }
    return null;
  }

  private reset(dests: readonly DestView[]): void {
    const lastId = this.seen?.[this.index]?.id;
    this.seen = dests;
    const weights = dests.map((d) => d.weight).filter((w) => w > 0);
    this.di = weights.reduce((g, w) => gcd(g, w), 0) || 1;
    this.mw = Math.max(0, ...weights);
    // Keep the rotation where it was when the last server chosen is still there.
    const at = lastId === undefined ? -1 : dests.findIndex((d) => d.id === lastId);
    if (at < 0) {
      this.index = dests.length - 1;
      this.cw = 0;
    } else {
      this.index = at;
      this.cw = Math.min(this.cw, this.mw);
    }
  }
}
