// rr: round robin over available servers, continuing after the last one chosen (ip_vs_rr.c).
import type { ConnInfo, DestView, Scheduler } from './types.js';
import { available } from './types.js';

export class RoundRobin implements Scheduler {
  readonly name = 'rr';
  private lastId: string | null = null;

  pick<D extends DestView>(_conn: ConnInfo, dests: readonly D[]): D | null {
    const n = dests.length;
    if (n === 0) return null;
    const last = this.lastId === null ? -1 : dests.findIndex((d) => d.id === this.lastId);
    for (let step = 1; step <= n; step++) {
      const d = dests[(last + step + n) % n]!;
      if (available(d)) {
        this.lastId = d.id;
        return d;
      }
    }
    return null;
  }
}
