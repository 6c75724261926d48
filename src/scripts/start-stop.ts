// startup_script / shutdown_script (global_defs), run by the supervisor as keepalived's parent
// runs them: the startup script before the children start, the shutdown script after they have
// ended; each waited for at most its timeout, then its process group gets SIGTERM and, 2 s later,
// SIGKILL (keepalived's handle_child_timeout), and vigil goes on.
import { spawn } from 'node:child_process';
import { scriptSpawnOptions } from './run.js';
import type { Notify } from '../config/model.js';

/** After the timeout's SIGTERM, how long before SIGKILL; then how long before giving up. */
const TERM_GRACE_MS = 2000;
const KILL_GRACE_MS = 2000;

export interface StartStopScript {
  script: Notify;
  timeoutS: number;
}

/** Runs the script; resolves when it has ended or been killed. Never rejects. */
export function runStartStopScript(
  type: 'startup' | 'shutdown',
  s: StartStopScript,
  log: (level: 'info' | 'warning', message: string) => void,
): Promise<void> {
  const what = `${type} script`;
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(s.script.argv[0]!, s.script.argv.slice(1), scriptSpawnOptions(s.script.runAs));
    } catch (e) {
      log('warning', `Call of ${what} ${s.script.argv[0]} failed: ${(e as Error).message}`);
      resolve();
      return;
    }
    const pid = child.pid;
    const timers: NodeJS.Timeout[] = [];
    let termed = false;
    const group = (sig: NodeJS.Signals): void => {
      try {
        if (pid) process.kill(-pid, sig);
      } catch {
        // Already gone.
      }
    };
    const done = (): void => {
      for (const t of timers) clearTimeout(t);
      resolve();
    };
    log('info', `Running ${what} ${s.script.argv.join(' ')}`);
    child.once('error', (e) => {
      log('warning', `Call of ${what} ${s.script.argv[0]} failed: ${e.message}`);
      done();
    });
    child.once('exit', (code, signal) => {
      if (code) log('warning', `${what} failed, status ${code}`);
      else if (signal) log('warning', `${what} ended by ${signal}`);
      // Ended by the timeout's SIGTERM: what it started goes too (else it may leave daemons behind).
      if (termed) group('SIGKILL');
      done();
    });
    timers.push(
      setTimeout(() => {
        log('warning', `${what} timed out`);
        termed = true;
        group('SIGTERM');
        timers.push(
          setTimeout(() => {
            group('SIGKILL');
            timers.push(
              setTimeout(() => {
                log('warning', `${what} (PID ${pid}) failed to terminate after kill`);
                done();
              }, KILL_GRACE_MS),
            );
          }, TERM_GRACE_MS),
        );
      }, s.timeoutS * 1000),
    );
  });
}
