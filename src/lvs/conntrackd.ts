// The conntrackd process behind conntrack_sync: vigil's own child (foreground, console mode), its
// log lines read into vigil's log, restarted with the children's backoff when it dies, ended on
// stop. Its control commands (-c, -f, -R, -B, -t, -n) go through conntrackd's own client.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { initialBackoff, restartDelay, type BackoffState } from '../base/backoff.js';
import type { Conntrackd, ConntrackdFiles } from './conntrack-sync.js';

export interface ConntrackdLog {
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
}

export interface ConntrackdOptions {
  confPath: string;
  /** The configuration text, written to confPath at every start. */
  conf: string;
  files: ConntrackdFiles;
  log: ConntrackdLog;
  /** Default: conntrackd from PATH (Debian: /usr/sbin/conntrackd). */
  bin?: string;
  /** How long start() waits for the daemon to answer. */
  readyTimeoutMs?: number;
}

/** Told when a conntrackd restarted after a crash answers again. */
export type RestartListener = () => void;

/** `[Fri Dec  4 21:10:23 2026] (pid=16452) [notice] text` → level and text. */
export function parseConntrackdLine(line: string): { level: 'error' | 'warn' | 'info'; text: string } {
  const m = /^\[[^\]]*\]\s+\(pid=\d+\)\s+\[(\w+)\]\s*(.*)$/.exec(line.trim());
  if (!m) return { level: 'info', text: line.trim() };
  const level = m[1] === 'ERROR' ? 'error' : m[1] === 'warning' ? 'warn' : 'info';
  return { level, text: m[2]! };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ConntrackdProcess implements Conntrackd {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private backoff: BackoffState = initialBackoff();
  private lastError = '';
  private readonly bin: string;
  onRestarted: RestartListener = () => undefined;

  constructor(private readonly o: ConntrackdOptions) {
    this.bin = o.bin ?? 'conntrackd';
  }

  async start(): Promise<void> {
    this.stopping = false;
    writeFileSync(this.o.confPath, this.o.conf, { mode: 0o644 });
    await this.clearLeftover();
    this.spawnDaemon();
    await this.waitReady();
  }

  /**
   * A vigil killed with SIGKILL leaves its conntrackd running (and its lock file): ask that one to
   * quit over its socket, then remove the lock it may have left, or ours would refuse to start.
   */
  private async clearLeftover(): Promise<void> {
    if (!existsSync(this.o.files.lockFile)) return;
    if (
      await this.command(['-s']).then(
        () => true,
        () => false,
      )
    ) {
      this.o.log.warn('conntrack_sync: a conntrackd from an earlier run still answers; stopping it');
      await this.command(['-k']).catch(() => undefined);
      for (let i = 0; i < 60 && existsSync(this.o.files.lockFile); i++) await sleep(50);
    }
    rmSync(this.o.files.lockFile, { force: true });
  }

  private spawnDaemon(): void {
    const started = Date.now();
    const child = spawn(this.bin, ['-C', this.o.confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        if (!line.trim()) return;
        const { level, text } = parseConntrackdLine(line);
        if (level === 'error') this.lastError = text;
        this.o.log[level](`conntrackd: ${text}`);
      });
    }
    child.once('error', (e) => {
      this.lastError = e.message;
      this.o.log.error(`conntrack_sync: cannot run ${this.bin}: ${e.message}`);
    });
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      if (this.stopping) return;
      const { delayMs, next } = restartDelay(this.backoff, Date.now() - started);
      this.backoff = next;
      this.o.log.error(
        `conntrack_sync: conntrackd exited (${signal ?? `code ${code}`})${this.lastError ? `: ${this.lastError}` : ''}; restarting in ${delayMs / 1000} s`,
      );
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (this.stopping) return;
        void this.clearLeftover()
          .then(async () => {
            this.spawnDaemon();
            await this.waitReady();
            this.o.log.info('conntrack_sync: conntrackd restarted');
            this.onRestarted();
          })
          .catch((e: unknown) => this.o.log.error(`conntrack_sync: ${(e as Error).message}`));
      }, delayMs);
      this.restartTimer.unref();
    });
  }

  private async waitReady(): Promise<void> {
    const end = Date.now() + (this.o.readyTimeoutMs ?? 5000);
    for (;;) {
      const child = this.child;
      if (!child || child.exitCode !== null || child.signalCode !== null)
        throw new Error(this.lastError || 'conntrackd exited at once');
      try {
        await this.command(['-s']);
        return;
      } catch (e) {
        if (Date.now() > end)
          throw new Error(`conntrackd did not answer on ${this.o.files.socket}: ${(e as Error).message}`);
      }
      await sleep(50);
    }
  }

  running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  command(args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(this.bin, ['-C', this.o.confPath, ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
        if (!err) return resolve();
        const said = `${stderr}\n${stdout}`
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)
          .map((l) => parseConntrackdLine(l).text);
        reject(new Error(said.at(-1) ?? err.message));
      });
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(killer);
  }
}
