// An AdmBackend over a plain in-memory table, with the kernel's defaults for timeouts: the test
// double of the daemon's engine-backed backend (test/unit/adm replays ipvsadm sequences on it).
import type { Change, ServiceKey, ServiceStats } from '../../src/dataplane/engine.js';
import { applyChanges } from '../../src/lvs/plan.js';
import { serviceId } from '../../src/dataplane/keys.js';
import type { AdmBackend } from '../../src/adm/handle.js';
import type { AdmConnection, AdmTable, SyncDaemonSpec, Timeouts } from '../../src/adm/types.js';

export class MemoryAdmBackend implements AdmBackend {
  table: AdmTable;
  timeouts: Timeouts = { tcp: 900, tcpfin: 120, udp: 300 };
  daemons: SyncDaemonSpec[] = [];
  conns: AdmConnection[] = [];
  figures: ServiceStats[] = [];
  zeroed: (ServiceKey | undefined)[] = [];

  constructor(table: AdmTable = []) {
    this.table = table;
  }

  async read(): Promise<AdmTable> {
    return structuredClone(this.table);
  }

  async apply(changes: Change[]): Promise<void> {
    this.table = applyChanges(this.table, changes) as AdmTable;
  }

  async stats(): Promise<ServiceStats[]> {
    return structuredClone(this.figures);
  }

  async zero(key?: ServiceKey): Promise<void> {
    this.zeroed.push(key);
    const zeroCounters = (s: ServiceStats) => {
      s.counters = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
      for (const d of s.dests) d.counters = { ...s.counters };
    };
    for (const s of this.figures) if (!key || serviceId(s.key) === serviceId(key)) zeroCounters(s);
  }

  async connections(): Promise<AdmConnection[]> {
    return structuredClone(this.conns);
  }

  getTimeouts(): Timeouts {
    return { ...this.timeouts };
  }

  setTimeouts(t: Timeouts): void {
    // 0 keeps a value, as IPVS does.
    for (const k of ['tcp', 'tcpfin', 'udp'] as const) if (t[k]) this.timeouts[k] = t[k];
  }

  readonly syncDaemons = {
    list: async (): Promise<SyncDaemonSpec[]> => structuredClone(this.daemons),
    start: async (d: SyncDaemonSpec): Promise<void> => {
      this.daemons.push({ ...d });
    },
    stop: async (state: 'master' | 'backup'): Promise<void> => {
      this.daemons = this.daemons.filter((d) => d.state !== state);
    },
  };
}
