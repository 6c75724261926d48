// What a client saw through a VIP, from its probe's samples (one per request: time and who
// answered, '-' for no answer): the outage around an event and who answered over a window.

export interface Sample {
  /** ms since the epoch. */
  at: number;
  /** The real server that answered, or '-' (timeout, refused, reset). */
  who: string;
}

export interface Outage {
  /** The answers either side of the longest silence (ms since the epoch). */
  lastBefore: number;
  firstAfter: number;
  /** firstAfter - lastBefore: how long the client had no answer. */
  ms: number;
  /** Requests that got no answer in between. */
  failed: number;
}

/**
 * The client-visible outage of an event at `t0`: the longest gap between consecutive answers
 * from the last answer before t0 to `until` (requests in flight at t0 still land after it, so the
 * first answer after t0 alone says nothing). Null until there is an answer before t0 and one
 * after the gap, i.e. while the client may still be waiting.
 */
export function outageAround(samples: readonly Sample[], t0: number, until: number): Outage | null {
  const oks = samples
    .filter((s) => s.who !== '-' && s.at <= until)
    .map((s) => s.at)
    .sort((a, b) => a - b);
  const start = oks.findLastIndex((at) => at <= t0);
  if (start < 0 || start === oks.length - 1) return null;
  let best = start;
  for (let i = start + 1; i < oks.length - 1; i++)
    if (oks[i + 1]! - oks[i]! > oks[best + 1]! - oks[best]!) best = i;
  const b = oks[best]!;
  const a = oks[best + 1]!;
  const failed = samples.filter((s) => s.who === '-' && s.at > b && s.at < a).length;
  return { lastBefore: b, firstAfter: a, ms: a - b, failed };
}

/** Answers per server (and '-' for failures) among samples in [from, to). */
export function tally(samples: readonly Sample[], from: number, to: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) if (s.at >= from && s.at < to) out[s.who] = (out[s.who] ?? 0) + 1;
  return out;
}

/** "rs1 98, rs2 97, no answer 3" (servers sorted, failures last). */
export function formatTally(t: Record<string, number>): string {
  const parts = Object.keys(t)
    .filter((k) => k !== '-')
    .sort()
    .map((k) => `${k} ${t[k]}`);
  if (t['-']) parts.push(`no answer ${t['-']}`);
  return parts.length ? parts.join(', ') : 'nothing';
}
