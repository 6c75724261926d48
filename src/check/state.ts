// The retry logic of one checker, as keepalived's checkers run it (pure: time comes in).
// An up checker goes down only after `retry` further failures spaced by delay_before_retry;
// a down checker comes back on one success; `alpha` starts it down.

export interface CheckTiming {
  delayLoopMs: number;
  retry: number;
  delayBeforeRetryMs: number;
  warmupMs: number;
  alpha: boolean;
}

export interface Outcome {
  ok: boolean;
  reason: string;
}

export interface Step {
  /** The checker changed state with this result. */
  change?: 'up' | 'down';
  /** When to run next, from now. */
  nextInMs: number;
}

export class CheckerState {
  isUp: boolean;
  private hasRun = false;
  private retryIt = 0;
  consecutiveFailures = 0;
  last?: Outcome & { at: number };
  lastChangeAt?: number;

  constructor(readonly timing: CheckTiming) {
    this.isUp = !timing.alpha;
  }

  /** The first run waits a random part of `warmup` so checks do not all start at once. */
  firstDelayMs(random: () => number = Math.random): number {
    return Math.floor(random() * this.timing.warmupMs);
  }

  record(o: Outcome, now: number): Step {
    this.last = { ok: o.ok, reason: o.reason, at: now };
    this.consecutiveFailures = o.ok ? 0 : this.consecutiveFailures + 1;
    const t = this.timing;
    let next = t.delayLoopMs;
    let change: Step['change'];
    if (o.ok || ((this.isUp || !this.hasRun) && this.retryIt >= t.retry)) {
      this.retryIt = 0;
      if (o.ok && (!this.isUp || !this.hasRun)) {
        if (!this.isUp) change = 'up';
        this.isUp = true;
      } else if (!o.ok && (this.isUp || !this.hasRun)) {
        if (this.isUp) change = 'down';
        this.isUp = false;
      }
    } else if (this.isUp) {
      next = t.delayBeforeRetryMs;
      this.retryIt++;
    }
    this.hasRun = true;
    if (change) this.lastChangeAt = now;
    return change ? { change, nextInMs: next } : { nextInMs: next };
  }
}

/** A real server is up only when every one of its checkers is up (none: always up). */
export function realServerAlive(checkers: readonly { isUp: boolean }[]): boolean {
  return checkers.every((c) => c.isUp);
}
