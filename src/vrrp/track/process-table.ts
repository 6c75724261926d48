// Which processes each vrrp_track_process counts, driven by process events (fork, exec, comm
// change, exit) as keepalived 2.2.7 handles them (core/track_process.c), or by whole /proc scans
// compared with the previous one. Pure: the OS adapter reads /proc and the process events
// connector and passes what it read; times are milliseconds passed in.
import { ProcessMatcher, type ProcessInfo, type ProcessPattern } from './process-match.js';
import { ProcessQuorum, type QuorumSpec } from './process-quorum.js';

export interface TrackedProcessDef {
  name: string;
  pattern: ProcessPattern;
  quorum: QuorumSpec;
}

/** A process as one /proc scan saw it (zombies left out). */
export interface ScannedProcess extends ProcessInfo {
  ppid: number;
}

export interface StatusChange {
  name: string;
  up: boolean;
}

interface Tracker {
  def: TrackedProcessDef;
  matcher: ProcessMatcher;
  quorum: ProcessQuorum;
}

export class ProcessTable {
  private readonly trackers: Tracker[];
  /** pid -> the trackers counting it. */
  private readonly pids = new Map<number, Set<Tracker>>();
  /** Every pid the last scan saw (to tell a new process from an old one that exec'd). */
  private seen = new Set<number>();

  /** Counts the processes of a first scan (no status changes: the initial status is the count's). */
  constructor(defs: readonly TrackedProcessDef[], scan: ReadonlyMap<number, ScannedProcess>) {
    const matchers = defs.map((d) => new ProcessMatcher(d.pattern));
    const counted = new Map<number, number[]>();
    const counts = defs.map(() => 0);
    for (const [pid, p] of scan)
      matchers.forEach((m, i) => {
        if (!m.matches(p)) return;
        counts[i]!++;
        counted.set(pid, [...(counted.get(pid) ?? []), i]);
      });
    this.trackers = defs.map((def, i) => ({
      def,
      matcher: matchers[i]!,
      quorum: new ProcessQuorum(def.quorum, counts[i]!),
    }));
    for (const [pid, idx] of counted) this.pids.set(pid, new Set(idx.map((i) => this.trackers[i]!)));
    this.seen = new Set(scan.keys());
  }

  /** Whether any tracker compares the command line (then /proc/PID/cmdline must be read). */
  get needsCmdline(): boolean {
    return this.trackers.some((t) => t.matcher.fullCommand);
  }

  status(name: string): boolean | undefined {
    return this.trackers.find((t) => t.def.name === name)?.quorum.haveQuorum;
  }

  count(name: string): number | undefined {
    return this.trackers.find((t) => t.def.name === name)?.quorum.count;
  }

  /** A process forked: the child counts for every tracker its parent counts for. */
  fork(parent: number, child: number, now: number): StatusChange[] {
    const refs = this.pids.get(parent);
    if (!refs) return [];
    const out: StatusChange[] = [];
    for (const t of refs) {
      if (!this.refsOf(child).has(t)) {
        this.refsOf(child).add(t);
        note(out, t, t.quorum.added(now, 'fork'));
      }
    }
    return out;
  }

  /** A process exec'd (or was found by a scan): it now counts for exactly the trackers it matches. */
  exec(pid: number, info: ProcessInfo, now: number): StatusChange[] {
    const out: StatusChange[] = [];
    const refs = this.pids.get(pid);
    for (const t of this.trackers) {
      const counted = refs?.has(t) ?? false;
      const matches = t.matcher.matches(info);
      if (matches && !counted) {
        this.refsOf(pid).add(t);
        note(out, t, t.quorum.added(now, 'exec'));
      } else if (!matches && counted) {
        refs!.delete(t);
        note(out, t, t.quorum.removed(now, 'changed'));
      }
    }
    this.drop(pid);
    return out;
  }

  /**
   * A process changed its name (prctl PR_SET_NAME): comm trackers re-decide; full_command ones
   * do not look at comm. As keepalived: if any comm tracker still matches, nothing changes.
   */
  comm(pid: number, comm: string, now: number): StatusChange[] {
    const out: StatusChange[] = [];
    const refs = this.pids.get(pid);
    const commRefs = [...(refs ?? [])].filter((t) => !t.matcher.fullCommand);
    if (commRefs.some((t) => t.matcher.matches({ comm }))) return out;
    for (const t of commRefs) {
      refs!.delete(t);
      note(out, t, t.quorum.removed(now, 'changed'));
    }
    for (const t of this.trackers) {
      if (t.matcher.fullCommand || !t.matcher.matches({ comm }) || this.pids.get(pid)?.has(t)) continue;
      this.refsOf(pid).add(t);
      note(out, t, t.quorum.added(now, 'exec'));
    }
    this.drop(pid);
    return out;
  }

  /** A process exited. */
  exit(pid: number, now: number): StatusChange[] {
    const refs = this.pids.get(pid);
    this.pids.delete(pid);
    const out: StatusChange[] = [];
    for (const t of refs ?? []) note(out, t, t.quorum.removed(now, 'exit'));
    return out;
  }

  /**
   * A whole scan, compared with what the table knows: processes gone are exits; a new process
   * whose parent is counted is a fork (then checked as an exec, in case it exec'd since); every
   * other process is checked as an exec (it may have exec'd or been renamed since).
   */
  reconcile(scan: ReadonlyMap<number, ScannedProcess>, now: number): StatusChange[] {
    const out: StatusChange[] = [];
    for (const pid of [...this.pids.keys()]) if (!scan.has(pid)) out.push(...this.exit(pid, now));
    for (const [pid, p] of scan) {
      if (!this.seen.has(pid)) out.push(...this.fork(p.ppid, pid, now));
      out.push(...this.exec(pid, p, now));
    }
    this.seen = new Set(scan.keys());
    return squash(out);
  }

  /** Starts over from a scan after events were lost (keepalived's reinitialise_track_processes). */
  recount(scan: ReadonlyMap<number, ScannedProcess>, now: number): StatusChange[] {
    this.pids.clear();
    const counts = new Map<Tracker, number>();
    for (const [pid, p] of scan)
      for (const t of this.trackers)
        if (t.matcher.matches(p)) {
          this.refsOf(pid).add(t);
          counts.set(t, (counts.get(t) ?? 0) + 1);
        }
    this.seen = new Set(scan.keys());
    const out: StatusChange[] = [];
    for (const t of this.trackers) note(out, t, t.quorum.recount(now, counts.get(t) ?? 0));
    return out;
  }

  /** The earliest fork/terminate timer of any tracker, or null. */
  nextDeadline(): number | null {
    let at: number | null = null;
    for (const t of this.trackers) {
      const d = t.quorum.nextDeadline();
      if (d !== null && (at === null || d < at)) at = d;
    }
    return at;
  }

  /** Fires the timers due at `now`. */
  expire(now: number): StatusChange[] {
    const out: StatusChange[] = [];
    for (const t of this.trackers) note(out, t, t.quorum.expire(now));
    return out;
  }

  private refsOf(pid: number): Set<Tracker> {
    let s = this.pids.get(pid);
    if (!s) this.pids.set(pid, (s = new Set()));
    return s;
  }

  private drop(pid: number): void {
    if (this.pids.get(pid)?.size === 0) this.pids.delete(pid);
  }
}

function note(out: StatusChange[], t: Tracker, up: boolean | null): void {
  if (up !== null) out.push({ name: t.def.name, up });
}

/** Within one scan a tracker may flip and flip back: report only its final change. */
function squash(changes: StatusChange[]): StatusChange[] {
  const last = new Map<string, { before: boolean; up: boolean }>();
  for (const c of changes) {
    const l = last.get(c.name);
    if (l) l.up = c.up;
    else last.set(c.name, { before: !c.up, up: c.up });
  }
  const out: StatusChange[] = [];
  for (const [name, { before, up }] of last) if (before !== up) out.push({ name, up });
  return out;
}
