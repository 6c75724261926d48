// Rate estimation as IPVS does it (ip_vs_est.c): every 2 s the counters' deltas give the current
// rates, smoothed by an exponentially weighted moving average with weight 1/4. `ipvsadm --rate`
// shows these as CPS, InPPS, OutPPS, InBPS and OutBPS. Pure: the caller ticks it with counters.
import type { Counters } from '../dataplane/engine.js';

export interface Rates {
  cps: number;
  inPps: number;
  outPps: number;
  inBps: number;
  outBps: number;
}

/** IPVS's estimator period. */
export const ESTIMATOR_INTERVAL_MS = 2000;

export class RateEstimator {
  private last: Counters | null = null;
  private lastAt = 0;
  private avg: Rates = { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };

  /** Feeds the counters read at `now` (ms); call about every ESTIMATOR_INTERVAL_MS. */
  tick(c: Counters, now: number): Rates {
    const prev = this.last;
    const dt = (now - this.lastAt) / 1000;
    this.last = { ...c };
    this.lastAt = now;
    if (!prev || dt <= 0) return this.rates();
    const step = (avg: number, delta: number) => avg + (Math.max(0, delta) / dt - avg) / 4;
    this.avg = {
      cps: step(this.avg.cps, c.conns - prev.conns),
      inPps: step(this.avg.inPps, c.inPkts - prev.inPkts),
      outPps: step(this.avg.outPps, c.outPkts - prev.outPkts),
      inBps: step(this.avg.inBps, c.inBytes - prev.inBytes),
      outBps: step(this.avg.outBps, c.outBytes - prev.outBytes),
    };
    return this.rates();
  }

  /** The current estimates, rounded as ipvsadm prints them. */
  rates(): Rates {
    const r = this.avg;
    return {
      cps: Math.round(r.cps),
      inPps: Math.round(r.inPps),
      outPps: Math.round(r.outPps),
      inBps: Math.round(r.inBps),
      outBps: Math.round(r.outBps),
    };
  }
}
