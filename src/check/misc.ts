// MISC_CHECK: run a command; exit 0 is up. With misc_dynamic an exit code 2..255 also means up and
// sets the weight to code - 2 (1 means down). Killed (its whole process group) at misc_timeout,
// which is a failure and leaves the weight alone.
import { spawn, type ChildProcess } from 'node:child_process';
import { scriptSpawnOptions, type RunAs } from '../scripts/run.js';
import { onAbort } from './abort.js';
import type { CheckResult } from './result.js';
import type { CheckerFactory } from './target.js';

export interface MiscCheckOptions {
  argv: string[];
  timeoutMs: number;
  dynamic: boolean;
  /** misc_check `user`, script_user or keepalived_script (unset: vigil's own user). */
  runAs?: RunAs;
}

export function miscCheck(
  o: MiscCheckOptions,
  signal?: AbortSignal,
): Promise<CheckResult & { weight?: number }> {
  const start = performance.now();
  return new Promise((resolve) => {
    let done = false;
    let child: ChildProcess;
    try {
      child = spawn(o.argv[0]!, o.argv.slice(1), scriptSpawnOptions(o.runAs));
    } catch (e) {
      // spawn throws (EPERM) when it cannot switch to the uid/gid.
      resolve({ ok: false, reason: `cannot run ${o.argv[0]}: ${(e as Error).message}`, latencyMs: 0 });
      return;
    }
    const finish = (r: { ok: boolean; reason: string; weight?: number }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      resolve({ ...r, latencyMs: performance.now() - start });
    };
    const kill = (): void => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      kill();
      finish({ ok: false, reason: `timeout after ${o.timeoutMs} ms (killed)` });
    }, o.timeoutMs);
    const unsubscribe = onAbort(signal, () => {
      kill();
      finish({ ok: false, reason: 'aborted' });
    });
    child.once('error', (e) => finish({ ok: false, reason: `cannot run ${o.argv[0]}: ${e.message}` }));
    child.once('exit', (code, sig) => {
      if (sig) return finish({ ok: false, reason: `killed by ${sig}` });
      if (code === 0) return finish({ ok: true, reason: 'exit 0' });
      if (o.dynamic && code !== null && code >= 2)
        return finish({ ok: true, reason: `exit ${code}`, weight: code - 2 });
      finish({ ok: false, reason: `exit ${code}` });
    });
  });
}

/** MISC_CHECK: misc_path run as its user, bounded by misc_timeout (else the delay_loop, else 5 s). */
export const miscFactory: CheckerFactory<'MISC_CHECK'> = (ch, _t, { vs }) => {
  const argv = ch.miscPath?.argv;
  if (!argv) return { note: 'MISC_CHECK without misc_path' };
  const misc = {
    argv,
    ...(ch.miscPath?.runAs ? { runAs: ch.miscPath.runAs } : {}),
    timeoutMs: (ch.miscTimeout ?? (vs.delayLoop || 5)) * 1000,
    dynamic: ch.miscDynamic,
  };
  return { run: (signal) => miscCheck(misc, signal) };
};
