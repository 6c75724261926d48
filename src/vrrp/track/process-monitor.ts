// vrrp_track_process at run time: the process table (pure) fed by the kernel's process events
// connector, as keepalived does it, or — where the kernel refuses the connector (any network
// namespace but the initial one) — by a scan of /proc every SCAN_INTERVAL_MS compared with the
// previous scan. It owns the fork/terminate delay timer and reports each quorum change.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { TrackProcess } from '../../config/model.js';
import { ProcConnector, type ProcEvent } from '../../os/proc-connector.js';
import { readProcess, scanProcesses } from '../../os/procfs.js';
import { ProcessTable, type StatusChange, type TrackedProcessDef } from './process-table.js';

/**
 * /proc scan period without the connector: 250 ms, longer when a scan costs more CPU so scanning
 * takes at most 2 % of a core, but never more than 1 s (a scan of ~110 processes cost 2-7 ms on
 * the 2-core lab VM under load).
 */
export const SCAN_INTERVAL_MS = 250;
const SCAN_MAX_INTERVAL_MS = 1000;
const SCAN_SHARE = 0.02;

/** CPU time (user + system) of this process in ms: wall time would count waiting for a core. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** After lost events, keepalived waits this long for things to settle before re-reading /proc. */
const RECOUNT_DELAY_MS = 1000;

export interface MonitorLog {
  info(m: string): void;
  warn(m: string): void;
}

/** The kernel's default socket receive buffer (what an unset process_monitor_rcv_bufs means). */
function defaultRcvbuf(): number {
  try {
    const v = Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8').trim());
    return Number.isFinite(v) && v > 0 ? v : 212_992;
  } catch {
    return 212_992;
  }
}

/** keepalived's vrrp_tracked_process_t from the configuration. */
export function trackedProcessDef(t: TrackProcess): TrackedProcessDef {
  return {
    name: t.name,
    pattern: {
      process: t.process ?? '',
      ...(t.params ? { params: t.params } : {}),
      paramMatch: t.paramMatch,
      fullCommand: t.fullCommand,
    },
    quorum: {
      quorum: t.quorum,
      quorumMax: t.quorumMax ?? Infinity,
      forkDelayMs: (t.forkDelay ?? 0) * 1000,
      terminateDelayMs: (t.terminateDelay ?? 0) * 1000,
    },
  };
}

/** Bytes of /proc/PID/cmdline enough to tell every pattern apart (keepalived's max name length + 2). */
export function cmdlineBytes(defs: readonly TrackedProcessDef[]): number {
  let max = 0;
  for (const d of defs) {
    if (!d.pattern.fullCommand) continue;
    const len = [d.pattern.process, ...(d.pattern.params ?? [])].reduce(
      (n, s) => n + Buffer.byteLength(s) + 1,
      0,
    );
    max = Math.max(max, len);
  }
  return max === 0 ? 0 : max + 2;
}

export class ProcessMonitor {
  private table: ProcessTable | null = null;
  private connector: ProcConnector | null = null;
  private scanTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private recountTimer: NodeJS.Timeout | undefined;
  private readonly cmdlineMax: number;
  private stopped = false;
  private rcvbuf: { bytes: number; force: boolean } | null = null;
  mode: 'connector' | 'scan' | null = null;

  constructor(
    private readonly defs: readonly TrackedProcessDef[],
    private readonly onChange: (name: string, up: boolean) => void,
    private readonly log: MonitorLog,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.cmdlineMax = cmdlineBytes(defs);
  }

  /**
   * Subscribes (or starts scanning), then counts what runs now: statuses are known on return.
   * `rcvbuf`: global_defs process_monitor_rcv_bufs (and _force).
   */
  start(rcvbuf?: { bytes: number; force: boolean }): void {
    if (rcvbuf) this.rcvbuf = rcvbuf;
    const connector = new ProcConnector();
    try {
      // Subscribe before the first scan, as keepalived does: nothing between the two is missed.
      connector.open(
        (e) => this.onEvent(e),
        () => this.lost(),
        (e) => this.log.warn(`process monitor: ${e.message}`),
        rcvbuf,
      );
      this.connector = connector;
      this.mode = 'connector';
    } catch (e) {
      this.mode = 'scan';
      this.log.info(
        `vrrp_track_process: no process events from the kernel here (${(e as Error).message}; ` +
          `the connector serves only the initial network namespace): scanning /proc every ${SCAN_INTERVAL_MS} ms (up to ${SCAN_MAX_INTERVAL_MS} ms if a scan is costly)`,
      );
    }
    this.table = new ProcessTable(this.defs, scanProcesses(this.cmdlineMax));
    if (this.mode === 'scan') this.scheduleScan(0);
  }

  private scheduleScan(lastCpuMs: number): void {
    if (this.stopped) return;
    const wait = Math.min(SCAN_MAX_INTERVAL_MS, Math.max(SCAN_INTERVAL_MS, lastCpuMs / SCAN_SHARE));
    this.scanTimer = setTimeout(() => {
      if (!this.table || this.stopped) return;
      const c0 = cpuMs();
      const scan = scanProcesses(this.cmdlineMax);
      const took = cpuMs() - c0;
      this.apply(this.table.reconcile(scan, this.now()));
      this.scheduleScan(took);
    }, wait);
  }

  /** Whether the tracker has its quorum (false for an unknown name). */
  status(name: string): boolean {
    return this.table?.status(name) ?? false;
  }

  count(name: string): number {
    return this.table?.count(name) ?? 0;
  }

  stop(): void {
    this.stopped = true;
    this.connector?.close();
    this.connector = null;
    clearTimeout(this.scanTimer);
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.recountTimer);
  }

  private onEvent(e: ProcEvent): void {
    const table = this.table;
    if (!table || this.stopped) return;
    const now = this.now();
    switch (e.type) {
      case 'fork':
        this.apply(table.fork(e.parent, e.child, now));
        break;
      case 'exec': {
        const p = readProcess(e.pid, this.cmdlineMax);
        if (p) this.apply(table.exec(e.pid, p, now));
        break;
      }
      case 'comm':
        this.apply(table.comm(e.pid, e.comm, now));
        break;
      case 'exit':
        this.apply(table.exit(e.pid, now));
        break;
      case 'ack':
        break;
    }
  }

  private lost(): void {
    if (this.recountTimer || this.stopped) return;
    this.log.warn('process monitor: events were lost (receive buffer full); counting again from /proc');
    // As keepalived: a buffer twice the size, and the figure to put in the configuration.
    const bytes = 2 * (this.rcvbuf?.bytes ?? defaultRcvbuf());
    const force = this.rcvbuf?.force ?? false;
    this.rcvbuf = { bytes, force };
    try {
      this.connector?.setRcvbuf(bytes, force);
      this.log.info(
        `Setting global_def process_monitor_rcv_bufs to ${bytes} - recommend updating configuration file`,
      );
    } catch (e) {
      this.log.warn(`process monitor: cannot set its receive buffer to ${bytes}: ${(e as Error).message}`);
    }
    this.recountTimer = setTimeout(() => {
      this.recountTimer = undefined;
      if (this.table && !this.stopped)
        this.apply(this.table.recount(scanProcesses(this.cmdlineMax), this.now()));
    }, RECOUNT_DELAY_MS);
  }

  private apply(changes: StatusChange[]): void {
    for (const c of changes) {
      this.log.info(`Quorum ${c.up ? 'gained' : 'lost'} for tracked process ${c.name}`);
      this.onChange(c.name, c.up);
    }
    this.arm();
  }

  /** One timer for the earliest fork/terminate deadline. */
  private arm(): void {
    clearTimeout(this.deadlineTimer);
    const at = this.table?.nextDeadline() ?? null;
    if (at === null || this.stopped) return;
    this.deadlineTimer = setTimeout(
      () => this.apply(this.table!.expire(this.now())),
      Math.max(0, Math.ceil(at - this.now())),
    );
  }
}
