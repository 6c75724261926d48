// One check attempt as every socket checker runs it: it ends exactly once — with its answer, at
// its timeout, or when aborted — and its cleanup (close the socket) runs exactly then.
import { onAbort } from './abort.js';
import type { CheckResult } from './result.js';

export interface Attempt {
  /** Ends the attempt with this answer (later calls are ignored). */
  finish(ok: boolean, reason: string): void;
  /** Restarts the timeout, naming what was being waited for. */
  rearm(reason: string): void;
}

export function attempt(
  timeoutMs: number,
  timeoutReason: string,
  signal: AbortSignal | undefined,
  start: (a: Attempt) => () => void,
): Promise<CheckResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const held: { cleanup?: () => void } = {};
    let timer: NodeJS.Timeout | undefined;
    const a: Attempt = {
      finish(ok, reason) {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        held.cleanup?.();
        resolve({ ok, reason, latencyMs: performance.now() - t0 });
      },
      rearm(reason) {
        clearTimeout(timer);
        timer = setTimeout(() => a.finish(false, reason), timeoutMs);
      },
    };
    const unsubscribe = onAbort(signal, () => a.finish(false, 'aborted'));
    a.rearm(timeoutReason);
    const cleanup = start(a);
    // start() may have finished synchronously, before its cleanup was known.
    if (done) cleanup();
    else held.cleanup = cleanup;
  });
}
