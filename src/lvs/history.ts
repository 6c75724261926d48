// The last 15 minutes of each real server's traffic, kept by the daemon for the dashboard's
// charts: one point every 10 s of new connections per second and bytes per second (in + out),
// from the data plane's cumulative counters (read every estimator period). Memory is bounded:
// 90 points in two Float32Arrays per real server (≈ 1.5 KB with their times), and servers the
// data plane has not reported for 15 minutes are forgotten. Pure: the caller passes the time and the counters.

export const HISTORY_WINDOW_MS = 15 * 60_000;
export const HISTORY_STEP_MS = 10_000;
const POINTS = HISTORY_WINDOW_MS / HISTORY_STEP_MS;

export interface HistoryPoint {
  /** The end of the step, ms since the epoch. */
  t: number;
  /** New connections per second over the step. */
  cps: number;
  /** Bytes per second (in + out) over the step. */
  bps: number;
}

interface Series {
  /** When the data plane last reported the server. */
  seen: number;
  /** Cumulative counters at the start of the current step. */
  from: { at: number; conns: number; bytes: number };
  cps: Float32Array;
  bps: Float32Array;
  ends: Float64Array;
  /** Points written so far (the ring holds the last POINTS of them). */
  count: number;
}

export class ServerHistory {
  private readonly series = new Map<string, Series>();

  /** The counters of one real server (by its key) read at `now`. */
  record(key: string, now: number, c: { conns: number; inBytes: number; outBytes: number }): void {
    const bytes = c.inBytes + c.outBytes;
    const s = this.series.get(key);
    if (!s) {
      this.series.set(key, {
        seen: now,
        from: { at: now, conns: c.conns, bytes },
        cps: new Float32Array(POINTS),
        bps: new Float32Array(POINTS),
        ends: new Float64Array(POINTS),
        count: 0,
      });
      return;
    }
    s.seen = now;
    const dt = now - s.from.at;
    if (dt < HISTORY_STEP_MS) return;
    const i = s.count % POINTS;
    // Counters that went back (a data plane restarted) count as a new start, not as negative traffic.
    s.cps[i] = (Math.max(0, c.conns - s.from.conns) * 1000) / dt;
    s.bps[i] = (Math.max(0, bytes - s.from.bytes) * 1000) / dt;
    s.ends[i] = now;
    s.count++;
    s.from = { at: now, conns: c.conns, bytes };
  }

  /**
   * Forgets the real servers the data plane has not reported for a whole window (removed from
   * the table, or by a reload). A server missing for a moment (its service being changed) keeps
   * its points.
   */
  prune(now: number): void {
    for (const [k, s] of this.series) if (now - s.seen > HISTORY_WINDOW_MS) this.series.delete(k);
  }

  /** The points of the last 15 minutes, oldest first (empty for an unknown key). */
  points(key: string, now: number): HistoryPoint[] {
    const s = this.series.get(key);
    if (!s) return [];
    const out: HistoryPoint[] = [];
    const n = Math.min(s.count, POINTS);
    for (let j = s.count - n; j < s.count; j++) {
      const i = j % POINTS;
      const t = s.ends[i]!;
      if (now - t <= HISTORY_WINDOW_MS) out.push({ t, cps: s.cps[i]!, bps: s.bps[i]! });
    }
    return out;
  }
}

/** The history key of one destination of one data-plane service (serviceId, destId). */
export const historyKey = (service: string, dest: string): string => `${service} ${dest}`;

/** Points of several series (a virtual_server_group's services) added up step by step. */
export function sumPoints(all: HistoryPoint[][]): HistoryPoint[] {
  const byT = new Map<number, HistoryPoint>();
  for (const points of all)
    for (const p of points) {
      const q = byT.get(p.t);
      if (q) {
        q.cps += p.cps;
        q.bps += p.bps;
      } else byT.set(p.t, { ...p });
    }
  return [...byT.values()].sort((a, b) => a.t - b.t);
}

/** GET …/real-servers/{rs}/history: the last 15 minutes of one real server. */
export type HistoryReply =
  | { ok: true; vs: string; rs: string; stepS: number; points: HistoryPoint[] }
  | { ok: false; status: 400 | 404 | 500; error: string };
