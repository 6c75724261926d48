// Runs notify and vrrp_script programs as keepalived does: argv without a shell, in a process
// group of their own (so a timeout kills whatever the script started too), killed at the timeout.
import { spawn, type SpawnOptions } from 'node:child_process';

/** A uid/gid to run a script as (src/scripts/secure-config.ts sets it when not vigil's own). */
export interface RunAs {
  uid: number;
  gid: number;
}

/**
 * spawn() options for a script: no stdio, its own process group, and the script's user and group
 * (libuv sets the gid, drops the supplementary groups, then sets the uid, as keepalived does).
 */
export function scriptSpawnOptions(runAs?: RunAs): SpawnOptions {
  const o: SpawnOptions = { stdio: 'ignore', detached: true };
  if (runAs) {
    o.uid = runAs.uid;
    o.gid = runAs.gid;
  }
  return o;
}

export interface ScriptExit {
  /** Exit status; null when killed by a signal (a timeout included). */
  code: number | null;
  timedOut: boolean;
  /** Could not be started at all (missing program, not executable). */
  error?: string;
}

/** Starts argv; resolves when it ends or has been killed `timeoutMs` after start (0: no limit). */
export function runScript(argv: readonly string[], timeoutMs: number, runAs?: RunAs): Promise<ScriptExit> {
  return new Promise((resolve) => {
    if (argv.length === 0) {
      resolve({ code: null, timedOut: false, error: 'empty command' });
      return;
    }
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    let child;
    try {
      child = spawn(argv[0]!, argv.slice(1), scriptSpawnOptions(runAs));
    } catch (e) {
      // spawn throws (EPERM) when it cannot switch to the uid/gid.
      resolve({ code: null, timedOut: false, error: (e as Error).message });
      return;
    }
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
