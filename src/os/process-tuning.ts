// keepalived's process tuning for a child (vrrp_priority, vrrp_rt_priority, vrrp_rlimit_rttime,
// vrrp_cpu_affinity and the checker_ ones), applied once when the child starts, as keepalived does.
// Nice and affinity apply to every thread of the process (Linux keeps them per thread); SCHED_RR
// only to the main thread, which runs the event loop and so every timer and socket callback —
// not to libuv's pool or V8's helper threads.
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { ProcessTuning } from '../config/model.js';
import { native } from './native.js';

/** keepalived's RLIMIT_RTTIME when a realtime priority is set and no limit is given. */
export const DEFAULT_RLIMIT_RTTIME_US = 10_000;

function threads(): number[] {
  return readdirSync('/proc/self/task').map(Number);
}

/**
 * Applies `t` to this process. `child` names it in messages ('vrrp', 'checker'). Returns what was
 * applied, for the log; what the OS refused goes to `warn` (the child keeps running).
 */
export function applyTuning(t: ProcessTuning, child: string, warn: (m: string) => void): string[] {
  const done: string[] = [];
  const attempt = (what: string, f: () => void): void => {
    try {
      f();
      done.push(what);
    } catch (e) {
      warn(`${child}: ${what} not applied: ${(e as Error).message}`);
    }
  };
  if (t.nice !== undefined) {
    const nice = t.nice;
    attempt(`nice ${nice}`, () => {
      for (const tid of threads()) setPriority(tid, nice);
    });
  }
  if (t.cpuAffinity) {
    const cpus = t.cpuAffinity;
    attempt(`CPUs ${cpus.join(',')}`, () => {
      for (const tid of threads()) native().setAffinity(tid, cpus);
    });
  }
  if (t.rtPriority !== undefined) {
    const prio = t.rtPriority;
    const limit = t.rlimitRttimeUs ?? DEFAULT_RLIMIT_RTTIME_US;
    attempt(`SCHED_RR ${prio} (RLIMIT_RTTIME ${limit} µs)`, () => {
      native().rlimitRttime(limit);
      native().schedRr(0, prio);
      // The soft limit's signal: the loop ran `limit` µs without blocking (a reload's parse).
      process.on('SIGXCPU', () =>
        warn(`${child}: ran ${limit} µs of realtime CPU without blocking (RLIMIT_RTTIME)`),
      );
    });
  } else if (t.rlimitRttimeUs !== undefined)
    attempt(`RLIMIT_RTTIME ${t.rlimitRttimeUs} µs`, () => native().rlimitRttime(t.rlimitRttimeUs!));
  return done;
}
