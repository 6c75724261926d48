// lvs_sync_daemon: the kernel's IPVS connection synchronisation follows one VRRP instance. Its
// MASTER runs the sync daemon in master mode (multicasting its connection entries), every other
// state in backup mode (receiving them), so the new master already knows the connections of the
// old one. As keepalived, this lives in the VRRP process, where the state is known first; the
// daemons belong to the kernel, not to the table the checker process programs.
import type { SyncDaemonSpec } from '../dataplane/engine.js';
import type { LvsSyncDaemon } from '../config/model.js';

export type SyncMode = SyncDaemonSpec['state'];

/** The kernel side: IpvsEngine.syncDaemons. */
export interface SyncDaemonControl {
  list(): Promise<SyncDaemonSpec[]>;
  start(d: SyncDaemonSpec): Promise<void>;
  stop(state: SyncMode): Promise<void>;
}

export type SyncDaemonStep = { op: 'stop'; state: SyncMode } | { op: 'start'; daemon: SyncDaemonSpec };

/** The daemon for this mode; the sync id defaults to the instance's VRID, as keepalived's. */
export function syncDaemonSpec(cfg: LvsSyncDaemon, vrid: number, mode: SyncMode): SyncDaemonSpec {
  const d: SyncDaemonSpec = { state: mode, mcastInterface: cfg.interface, syncid: cfg.id ?? vrid };
  if (cfg.maxlen !== undefined) d.syncMaxlen = cfg.maxlen;
  if (cfg.port !== undefined) d.mcastPort = cfg.port;
  if (cfg.ttl !== undefined) d.mcastTtl = cfg.ttl;
  if (cfg.group !== undefined) d.mcastGroup = cfg.group;
  return d;
}

/** A running daemon is the wanted one when everything we set matches (the kernel fills the rest). */
function same(running: SyncDaemonSpec, want: SyncDaemonSpec): boolean {
  return (
    running.state === want.state &&
    running.mcastInterface === want.mcastInterface &&
    running.syncid === want.syncid &&
    (want.syncMaxlen === undefined || running.syncMaxlen === want.syncMaxlen) &&
    (want.mcastPort === undefined || running.mcastPort === want.mcastPort) &&
    (want.mcastTtl === undefined || running.mcastTtl === want.mcastTtl) &&
    (want.mcastGroup === undefined || running.mcastGroup === want.mcastGroup)
  );
}

/**
 * What takes the kernel from `running` to `want` (null: no daemon at all). The other mode's
 * daemon stops first (keepalived's ipvs_syncd_master/backup order); a daemon with other
 * parameters is restarted; one already right is left alone, so repeating a state is free.
 */
export function planSyncDaemons(
  running: readonly SyncDaemonSpec[],
  want: SyncDaemonSpec | null,
): SyncDaemonStep[] {
  const steps: SyncDaemonStep[] = [];
  for (const r of running) if (!want || r.state !== want.state) steps.push({ op: 'stop', state: r.state });
  if (!want) return steps;
  const current = running.find((r) => r.state === want.state);
  if (current && same(current, want)) return steps;
  if (current) steps.push({ op: 'stop', state: want.state });
  steps.push({ op: 'start', daemon: want });
  return steps;
}

export interface SyncDaemonLog {
  info(m: string): void;
  error(m: string): void;
}

/**
 * Keeps the kernel's daemons equal to the instance's state. Calls are serialised: transitions
 * that come faster than the kernel answers are applied in order, the last one winning.
 */
export class SyncDaemonDriver {
  private queue: Promise<void> = Promise.resolve();
  private mode: SyncMode | null = null;

  constructor(
    private cfg: LvsSyncDaemon,
    private vrid: number,
    private readonly control: SyncDaemonControl,
    private readonly log: SyncDaemonLog,
  ) {}

  get instance(): string {
    return this.cfg.instance;
  }

  /**
   * Master when the instance is MASTER, backup in every other state (BACKUP, FAULT, INIT).
   * STOP is shutdown, where stop() follows: switching to backup first would only delay it.
   */
  follow(vrrpState: string): Promise<void> {
    if (vrrpState === 'STOP') return this.queue;
    const mode: SyncMode = vrrpState === 'MASTER' ? 'master' : 'backup';
    return this.converge(() => syncDaemonSpec(this.cfg, this.vrid, mode), mode);
  }

  /** A reload's new parameters, applied in the current mode. */
  reconfigure(cfg: LvsSyncDaemon, vrid: number): Promise<void> {
    this.cfg = cfg;
    this.vrid = vrid;
    const mode = this.mode ?? 'backup';
    return this.converge(() => syncDaemonSpec(this.cfg, this.vrid, mode), mode);
  }

  /** Shutdown, or lvs_sync_daemon removed by a reload: no daemon left running. */
  stop(): Promise<void> {
    return this.converge(() => null, null);
  }

  private converge(want: () => SyncDaemonSpec | null, mode: SyncMode | null): Promise<void> {
    const run = async (): Promise<void> => {
      const spec = want();
      const steps = planSyncDaemons(await this.control.list(), spec);
      for (const s of steps) {
        if (s.op === 'stop') await this.control.stop(s.state);
        else await this.control.start(s.daemon);
      }
      this.mode = mode;
      if (steps.length && spec)
        this.log.info(
          `lvs_sync_daemon: ${spec.state} sync daemon on ${spec.mcastInterface} (syncid ${spec.syncid}) for ${this.cfg.instance}`,
        );
      else if (steps.length) this.log.info('lvs_sync_daemon: sync daemons stopped');
    };
    const next = this.queue.then(run).catch((e: unknown) => {
      this.log.error(`lvs_sync_daemon: ${(e as Error).message}`);
    });
    this.queue = next;
    return next;
  }
}
