// Check latency as a cumulative histogram (Prometheus buckets, seconds): the checker child keeps
// one per checker and reports it in its status; /metrics turns it into vigil_check_duration_seconds.
export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface LatencyHistogram {
  /** Upper bounds in seconds (+Inf implied by count). */
  buckets: number[];
  /** Cumulative counts, one per bucket. */
  counts: number[];
  sum: number;
  count: number;
}

export function emptyHistogram(): LatencyHistogram {
  return { buckets: LATENCY_BUCKETS_S, counts: LATENCY_BUCKETS_S.map(() => 0), sum: 0, count: 0 };
}

/** Records one check that took `ms` milliseconds. */
export function observe(h: LatencyHistogram, ms: number): void {
  const s = Math.max(0, ms) / 1000;
  for (let i = 0; i < h.buckets.length; i++) if (s <= h.buckets[i]!) h.counts[i]!++;
  h.sum += s;
  h.count++;
}
