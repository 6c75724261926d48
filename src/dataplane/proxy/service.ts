// One virtual service of the user-space engine: its real servers with live connection counts
// (the DestView the schedulers read), its scheduler, persistence templates and counters.
// No sockets here; tcp.ts and udp.ts carry the traffic.
import type { Counters, DestSpec, ServiceSpec, ServiceStats } from '../engine.js';
import { createScheduler, available, type DestView, type Scheduler } from './schedulers/index.js';
import { PersistenceTable } from './persistence.js';
import { destId } from '../keys.js';
import { nextOverloaded } from './threshold.js';

export function zeroCounters(): Counters {
  return { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
}

/** A real server as the proxy tracks it; it outlives its removal while its connections finish. */
export class LiveDest implements DestView {
  readonly id: string;
  readonly address: string;
  readonly port: number;
  activeConns = 0;
  inactiveConns = 0;
  overloaded = false;
  readonly counters = zeroCounters();

  constructor(public spec: DestSpec) {
    this.id = destId(spec);
    this.address = spec.address;
    this.port = spec.port;
  }

  get weight(): number {
    return this.spec.weight;
  }

  /** Moves one connection between states (null = none) and re-evaluates the thresholds. */
  shift(from: 'active' | 'inactive' | null, to: 'active' | 'inactive' | null): void {
    if (from === 'active') this.activeConns--;
    if (from === 'inactive') this.inactiveConns--;
    if (to === 'active') this.activeConns++;
    if (to === 'inactive') this.inactiveConns++;
    this.overloaded = nextOverloaded(this.spec, this.activeConns + this.inactiveConns, this.overloaded);
  }
}

export class ServiceTable {
  spec: ServiceSpec;
  readonly dests = new Map<string, LiveDest>();
  /** The schedulers' view: a new array on every membership or weight change (see Scheduler). */
  views: LiveDest[] = [];
  scheduler: Scheduler;
  persistence: PersistenceTable | null;
  readonly counters = zeroCounters();

  constructor(
    spec: ServiceSpec,
    private readonly now: () => number,
  ) {
    this.spec = spec;
    this.scheduler = createScheduler(spec.scheduler, { flags: spec.flags, now });
    this.persistence = makePersistence(spec);
  }

  edit(spec: ServiceSpec): void {
    const old = this.spec;
    this.spec = spec;
    if (
      old.scheduler !== spec.scheduler ||
      !!old.flags.fallback !== !!spec.flags.fallback ||
      !!old.flags.port !== !!spec.flags.port
    ) {
      this.scheduler = createScheduler(spec.scheduler, { flags: spec.flags, now: this.now });
    }
    if (
      old.persistenceTimeout !== spec.persistenceTimeout ||
      old.persistenceNetmask !== spec.persistenceNetmask
    ) {
      this.persistence = makePersistence(spec);
    }
  }

  addDest(spec: DestSpec): void {
    this.dests.set(destId(spec), new LiveDest(spec));
    this.refresh();
  }

  editDest(spec: DestSpec): void {
    const d = this.dests.get(destId(spec))!;
    d.spec = spec;
    d.overloaded = nextOverloaded(spec, d.activeConns + d.inactiveConns, d.overloaded);
    this.refresh();
  }

  /** Forgets the server for new connections; its open ones keep running on the detached object. */
  delDest(id: string): void {
    this.dests.delete(id);
    this.persistence?.dropDest(id);
    this.refresh();
  }

  private refresh(): void {
    this.views = [...this.dests.values()];
  }

  /**
   * Chooses the server for a new connection: a live persistence template first (its server must
   * still take new connections, as IPVS with expire_quiescent_template), then the scheduler.
   */
  choose(client: string, clientPort: number, destination: string, destinationPort: number): LiveDest | null {
    if (this.persistence) {
      const id = this.persistence.lookup(client, this.now());
      const pinned = id === null ? undefined : this.dests.get(id);
      if (pinned && available(pinned)) return pinned;
    }
    return this.scheduler.pick({ client, clientPort, destination, destinationPort }, this.views);
  }

  stats(): ServiceStats {
    return {
      key: this.spec.key,
      counters: { ...this.counters },
      dests: this.views.map((d) => ({
        address: d.address,
        port: d.port,
        activeConns: d.activeConns,
        inactiveConns: d.inactiveConns,
        counters: { ...d.counters },
      })),
    };
  }
}

function makePersistence(spec: ServiceSpec): PersistenceTable | null {
  const t = spec.persistenceTimeout ?? 0;
  return t > 0 ? new PersistenceTable(t, spec.persistenceNetmask) : null;
}
