// The checker's lines on notify_fifo and lvs_notify_fifo, in keepalived 2.2.7's format
// (check/ipwrapper.c notify_fifo_rs / notify_fifo_vs):
//   RS [10.0.0.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN
//   VS [10.0.0.1]:tcp:80 UP
// written to both FIFOs when both are configured.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, writeSync } from 'node:fs';
import { formatRs, formatVs } from '../alert/message.js';
import type { GlobalDefs, RealServer, VirtualServer } from '../config/model.js';

export function rsFifoLine(vs: VirtualServer, rs: RealServer, up: boolean): string {
  return `RS ${formatRs(rs, vs)} ${formatVs(vs)} ${up ? 'UP' : 'DOWN'}\n`;
}

export function vsFifoLine(vs: VirtualServer, up: boolean): string {
  return `VS ${formatVs(vs)} ${up ? 'UP' : 'DOWN'}\n`;
}

/** The open FIFOs of the checker process; lines that cannot be written are dropped, as keepalived drops them. */
export class CheckerFifos {
  private readonly fds: { path: string; fd: number }[] = [];

  /**
   * `runNotifyFifoScript`: notify_fifo is shared with the VRRP process, which starts its script;
   * the checker starts it only when it runs alone (-C). lvs_notify_fifo's script is the checker's.
   */
  constructor(g: GlobalDefs, runNotifyFifoScript: boolean, warn: (m: string) => void) {
    const fifos = [
      { f: g.notifyFifo, script: runNotifyFifoScript },
      { f: g.lvsNotifyFifo, script: true },
    ];
    for (const { f, script } of fifos) {
      if (!f || this.fds.some((x) => x.path === f.path)) continue;
      try {
        if (!existsSync(f.path)) execFileSync('mkfifo', ['-m', '0600', f.path]);
        // Read-write: opening a FIFO for writing alone fails (ENXIO) while nobody reads it.
        this.fds.push({ path: f.path, fd: openSync(f.path, constants.O_RDWR | constants.O_NONBLOCK) });
        if (script && f.script) {
          const argv = [...f.script.argv, f.path];
          const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', detached: true });
          child.on('error', (e) => warn(`notify fifo script ${argv[0]}: ${e.message}`));
          child.unref();
        }
      } catch (e) {
        warn(`notify fifo ${f.path}: ${(e as Error).message}`);
      }
    }
  }

  write(line: string): void {
    for (const { fd } of this.fds) {
      try {
        writeSync(fd, line);
      } catch {
        // full (nobody reading) or gone: keepalived ignores the write's failure too
      }
    }
  }

  close(): void {
    for (const { fd } of this.fds.splice(0)) closeSync(fd);
  }
}
