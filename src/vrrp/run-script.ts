// Runs notify and vrrp_script programs as keepalived does: argv without a shell, in a process
// group of their own (so a timeout kills whatever the script started too), killed at the timeout.
import { spawn } from 'node:child_process';

export interface ScriptExit {
  /** Exit status; null when killed by a signal (a timeout included). */
  code: number | null;
  timedOut: boolean;
  /** Could not be started at all (missing program, not executable). */
  error?: string;
}

/** Starts argv; resolves when it ends or has been killed `timeoutMs` after start (0: no limit). */
export function runScript(argv: readonly string[], timeoutMs: number): Promise<ScriptExit> {
  return new Promise((resolve) => {
    if (argv.length === 0) {
      resolve({ code: null, timedOut: false, error: 'empty command' });
      return;
    }
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', detached: true });
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, timedOut: false, error: e.message });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut });
    });
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        killGroup();
      }, timeoutMs);
    }
  });
}
