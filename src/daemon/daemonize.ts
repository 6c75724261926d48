// keepalived forks into the background unless told not to (-n). vigil stays in the foreground
// (shells, tests, Type=notify and Type=simple units), except where a service manager waits for
// that fork: a systemd unit of Type=forking (Red Hat's keepalived.service runs
// `keepalived $KEEPALIVED_OPTIONS` and then reads PIDFile=/run/keepalived.pid). There systemd sets
// INVOCATION_ID and no NOTIFY_SOCKET, and vigil does what keepalived does.
import { spawn } from 'node:child_process';
import { runningPid } from './pidfile.js';

/** keepalived's default pid file (KEEPALIVED_PID_DIR/keepalived.pid), for PIDFile= units. */
export const KEEPALIVED_PID_FILE = '/run/keepalived.pid';

export function wantsBackground(dontFork: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return !dontFork && Boolean(env.INVOCATION_ID) && !env.NOTIFY_SOCKET;
}

/**
 * Starts this same command again with `-n` (and `-p PID_FILE`), detached from the terminal and
 * this process, and waits until it has written its pid file (then 0) or has exited (then 1);
 * bounded by timeoutMs.
 */
export async function daemonize(pidFile: string, addPidFlag: boolean, timeoutMs = 60_000): Promise<number> {
  const argv = [...process.execArgv, ...process.argv.slice(1), '-n', ...(addPidFlag ? ['-p', pidFile] : [])];
  const child = spawn(process.execPath, argv, { detached: true, stdio: 'ignore' });
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  child.once('error', () => (exited = 1));
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (exited !== null) {
      console.error(`vigil: the background daemon exited (status ${exited}) before it was ready`);
      return 1;
    }
    if (child.pid !== undefined && runningPid(pidFile) === child.pid) {
      child.unref();
      return 0;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  console.error(
    `vigil: the background daemon (pid ${child.pid}) wrote no pid file ${pidFile} within ${timeoutMs} ms`,
  );
  child.unref();
  return 1;
}
