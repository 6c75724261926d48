// Event-loop lateness of this process (each child and the supervisor): p50/p99/max in ms over
// the last minute, with a warning an operator should see when the loop ran late.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from '../base/logger.js';

/** Event-loop lateness figures (ms) since the last report. */
export interface LoopLateness {
  p50: number;
  p99: number;
  max: number;
}

const RESOLUTION_MS = 10;

export function watchLateness(log: Logger): () => LoopLateness {
  const hist = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  hist.enable();
  // The histogram holds the time between its timer's runs, the resolution included: the
  // lateness is what goes beyond it.
  const late = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  const lateness = (): LoopLateness => ({
    p50: late(hist.percentile(50)),
    p99: late(hist.percentile(99)),
    max: late(hist.max),
  });
  // Report lateness that an operator should know about, at most once a minute.
  const watch = setInterval(() => {
    const l = lateness();
    if (l.max > 50) log.warn(`event loop ran late: max ${l.max.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms`);
    hist.reset();
  }, 60_000);
  watch.unref();
  return lateness;
}
