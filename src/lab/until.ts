// The one polling wait of the labs, the demo and the tests: ask until there is an answer, for at
// most a time, with the reason of the last failed try in the timeout's message.

/** What a poll returns while the awaited thing has not happened yet. */
export type NotYet = null | undefined | false;

export interface UntilOptions {
  /** Between tries; 50 ms unless said. */
  stepMs?: number;
  /** Ends the wait at once (the demo's Ctrl-C). */
  signal?: AbortSignal;
  /** Appended to the timeout's message: what the caller saw (a table, logs). */
  detail?: () => string;
}

/**
 * Calls `poll` until it returns something other than null, undefined or false (0 and '' are
 * answers), and returns that. A poll that throws counts as "not yet"; after `timeoutMs` the wait
 * fails with `what`, the last error and the caller's detail.
 */
export async function until<T>(
  what: string,
  poll: () => T | NotYet | Promise<T | NotYet>,
  timeoutMs: number,
  o: UntilOptions = {},
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    o.signal?.throwIfAborted();
    try {
      const v = await poll();
      if (v !== null && v !== undefined && v !== false) return v as T;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > end) {
      const why =
        lastError === undefined ? '' : ` (last try: ${(lastError as Error).message ?? String(lastError)})`;
      const detail = o.detail ? `\n${o.detail()}` : '';
      throw new Error(`${what}: not within ${timeoutMs} ms${why}${detail}`);
    }
    await new Promise((r) => setTimeout(r, o.stepMs ?? 50));
  }
}
