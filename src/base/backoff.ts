// Restart delays for crashed children: doubling from 1 s to 30 s, back to the start once a child
// has stayed up for a minute, so a crash loop cannot spin while a one-off crash recovers fast.
export const BACKOFF_MIN_MS = 1000;
export const BACKOFF_MAX_MS = 30_000;
export const BACKOFF_STABLE_MS = 60_000;

export interface BackoffState {
  nextDelayMs: number;
}

export function initialBackoff(): BackoffState {
  return { nextDelayMs: BACKOFF_MIN_MS };
}

/** The delay before restarting a child that ran for `uptimeMs`, and the state for the next crash. */
export function restartDelay(state: BackoffState, uptimeMs: number): { delayMs: number; next: BackoffState } {
  const base = uptimeMs >= BACKOFF_STABLE_MS ? BACKOFF_MIN_MS : state.nextDelayMs;
  return { delayMs: base, next: { nextDelayMs: Math.min(base * 2, BACKOFF_MAX_MS) } };
}
