// The quorum of one vrrp_track_process, as keepalived 2.2.7 keeps it (core/track_process.c:
// check_process, check_process_fork, check_process_termination, remove_process_from_track and
// the two quorum timers). Pure: times are milliseconds passed in, timers are deadlines the caller
// waits for and then calls expire() at.
//
// The tracker is up while quorum <= count <= quorum_max. Only the crossings of those bounds act:
//   - a fork of a counted process that crosses one starts the fork_delay timer (status decided
//     when it fires) unless a terminate timer was running, which is cancelled instead;
//   - an exit that crosses one starts the terminate_delay timer, unless a fork timer was running,
//     which is cancelled instead (and the status follows at once);
//   - a process that starts counting through exec (or a name change), or stops counting because
//     it exec'd into something else, acts at once (cancelling the other timer).

export interface QuorumSpec {
  quorum: number;
  /** Infinity: no maximum. */
  quorumMax: number;
  forkDelayMs: number;
  terminateDelayMs: number;
}

/** How a process joined or left the count: the delays apply to forks and exits only. */
export type Cause = 'fork' | 'exec' | 'exit' | 'changed';

export class ProcessQuorum {
  private forkAt: number | null = null;
  private terminateAt: number | null = null;
  /** keepalived's have_quorum: the status last reported. */
  private up: boolean;

  constructor(
    readonly spec: QuorumSpec,
    private n = 0,
  ) {
    this.up = this.inRange();
  }

  get count(): number {
    return this.n;
  }

  get haveQuorum(): boolean {
    return this.up;
  }

  /** The earliest pending timer, or null. */
  nextDeadline(): number | null {
    if (this.forkAt === null) return this.terminateAt;
    if (this.terminateAt === null) return this.forkAt;
    return Math.min(this.forkAt, this.terminateAt);
  }

  /** One more matching process. Returns the new status when it changed, else null. */
  added(now: number, cause: 'fork' | 'exec'): boolean | null {
    this.n++;
    const { quorum, quorumMax } = this.spec;
    if (this.n !== quorum && this.n !== quorumMax + 1) return null;
    if (this.terminateAt !== null) this.terminateAt = null;
    else if (cause === 'fork' && this.spec.forkDelayMs > 0) {
      this.forkAt = now + this.spec.forkDelayMs;
      return null;
    }
    return this.set(this.n === quorum);
  }

  /** One matching process fewer. Returns the new status when it changed, else null. */
  removed(now: number, cause: 'exit' | 'changed'): boolean | null {
    const before = this.n;
    this.n = Math.max(0, this.n - 1);
    const { quorum, quorumMax } = this.spec;
    if (before !== quorum && this.n !== quorumMax) return null;
    if (this.forkAt !== null) this.forkAt = null;
    else if (cause === 'exit' && this.spec.terminateDelayMs > 0) {
      this.terminateAt = now + this.spec.terminateDelayMs;
      return null;
    }
    return this.set(this.n === quorumMax);
  }

  /** Fires the timers due at `now`; returns the new status when it changed, else null. */
  expire(now: number): boolean | null {
    let fired = false;
    if (this.forkAt !== null && this.forkAt <= now) {
      this.forkAt = null;
      fired = true;
    }
    if (this.terminateAt !== null && this.terminateAt <= now) {
      this.terminateAt = null;
      fired = true;
    }
    return fired ? this.set(this.inRange()) : null;
  }

  /** Starts over from a fresh count (after lost events), as keepalived's reinitialise does. */
  recount(now: number, count: number): boolean | null {
    const was = this.n;
    this.n = count;
    this.forkAt = null;
    this.terminateAt = null;
    if (was === count) return null;
    const { quorum, quorumMax } = this.spec;
    if (was < quorum === count < quorum && was > quorumMax === count > quorumMax) return null;
    if (this.inRange()) return this.set(true);
    if (this.spec.terminateDelayMs > 0) {
      this.terminateAt = now + this.spec.terminateDelayMs;
      return null;
    }
    return this.set(false);
  }

  private inRange(): boolean {
    return this.n >= this.spec.quorum && this.n <= this.spec.quorumMax;
  }

  private set(up: boolean): boolean | null {
    if (up === this.up) return null;
    this.up = up;
    return up;
  }
}
