// TCP for the user-space engine through the native relay (native/tcp_relay.c): relay threads
// accept, connect and move the bytes; this module only schedules. Each accepted connection
// arrives here (in batches) with its client address, the service's scheduler picks the real
// server exactly as for the Node relay (tcp.ts), and one call hands the choice back. Counts
// follow IPVS: inactive while connecting and after the first FIN, active while established.
import { availableParallelism } from 'node:os';
import type { ConnEntry } from '../engine.js';
import { native, type RelayHandle, type RelayListenerHandle } from '../../os/native.js';
import type { LiveDest, ServiceTable } from './service.js';
import type { TcpTimeouts } from './tcp.js';

// Record layout and event types of tcp_relay.c's on_events.
const REC = 8;
const EV_ACCEPT = 1;
const EV_ESTABLISHED = 2;
const EV_FIN = 3;
const EV_CLOSED = 4;
const EV_PROGRESS = 5;

export class NativeFlow {
  state: 'active' | 'inactive' | null = 'inactive';
  phase: 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT' = 'SYN_RECV';
  lastActivity: number;

  constructor(
    readonly id: number,
    readonly listener: NativeTcpListener,
    readonly dest: LiveDest,
    readonly client: string,
    readonly clientPort: number,
    readonly timeouts: TcpTimeouts,
    now: number,
  ) {
    this.lastActivity = now;
  }

  setState(s: 'active' | 'inactive' | null): void {
    if (this.state === s) return;
    this.dest.shift(this.state, s);
    this.state = s;
  }

  entry(now: number): ConnEntry {
    const l = this.listener;
    const timeout = (this.phase === 'FIN_WAIT' ? this.timeouts.tcpfin : this.timeouts.tcp) * 1000;
    return {
      protocol: 'tcp',
      client: this.client,
      clientPort: this.clientPort,
      virtual: l.address,
      virtualPort: l.port,
      dest: this.dest.address,
      destPort: this.dest.port,
      state: this.phase,
      expiresMs: Math.max(0, this.lastActivity + timeout - now),
    };
  }

  destroy(): void {
    this.listener.end(this);
  }
}

/** The relay threads, one set per process, started on first use. */
class Relay {
  readonly handle: RelayHandle;
  readonly listeners = new Map<number, NativeTcpListener>();
  readonly flows = new Map<number, NativeFlow>();
  private nextListener = 1;
  private referenced = false;

  constructor(readonly threads: number) {
    this.handle = native().tcpRelay(threads, (rec, addrs) => this.onEvents(rec, addrs));
    // Before Node's teardown, which would deliver a pending relay wake-up to a half-gone runtime.
    process.once('exit', () => native().relayStop(this.handle));
  }

  listenerId(): number {
    return this.nextListener++;
  }

  /** Keeps the process alive while anything listens or relays, as net servers and sockets do. */
  ref(): void {
    const want = this.listeners.size + this.flows.size > 0;
    if (want === this.referenced) return;
    this.referenced = want;
    native().relayRef(this.handle, want);
  }

  private onEvents(rec: Float64Array, addrs: string[]): void {
    let a = 0;
    for (let i = 0; i < rec.length; i += REC) {
      const type = rec[i]!;
      const id = rec[i + 1]!;
      if (type === EV_ACCEPT) {
        const listener = this.listeners.get(rec[i + 2]!);
        const addr = addrs[a++]!;
        if (!listener) native().relayEnd(this.handle, id, true);
        else listener.accepted(id, addr, rec[i + 3]!);
        continue;
      }
      const flow = this.flows.get(id);
      if (!flow) continue; // refused, or ended by a service deletion
      const l = flow.listener;
      if (type === EV_ESTABLISHED) {
        flow.setState('active');
        flow.phase = 'ESTABLISHED';
        flow.lastActivity = l.now();
      } else if (type === EV_FIN) {
        flow.setState('inactive');
        flow.phase = 'FIN_WAIT';
        flow.lastActivity = l.now();
      } else if (type === EV_PROGRESS || type === EV_CLOSED) {
        l.count(flow, rec[i + 4]!, rec[i + 5]!, rec[i + 6]!, rec[i + 7]!);
        if (type === EV_CLOSED) l.closed(flow);
      }
    }
    this.ref();
  }
}

let relay: Relay | null | undefined;
/** Why TCP goes through Node, when it does. */
let relayAbsence = '';

/** Relay threads: VIGIL_TCP_RELAY_THREADS, else all cores but the event loop's. */
function relayThreads(): number {
  const n = Number(process.env.VIGIL_TCP_RELAY_THREADS);
  if (Number.isInteger(n) && n >= 1 && n <= 64) return n;
  return Math.max(1, Math.min(64, availableParallelism() - 1));
}

/**
 * The process's relay, or null when TCP must go through Node (VIGIL_TCP_RELAY=node, or no addon).
 */
export function nativeRelay(): Relay | null {
  if (relay === undefined) {
    relayAbsence = 'VIGIL_TCP_RELAY=node';
    if (process.env.VIGIL_TCP_RELAY === 'node') return (relay = null);
    try {
      relay = new Relay(relayThreads());
    } catch (err) {
      relayAbsence = `no native relay: ${(err as Error).message}`;
      relay = null;
    }
  }
  return relay;
}

/** A line for the log: which relay carries TCP, and why. */
export function relayDescription(): string {
  const r = nativeRelay();
  return r
    ? `user-space TCP through the native relay (${r.threads} thread${r.threads === 1 ? '' : 's'})`
    : `user-space TCP through Node sockets (${relayAbsence})`;
}

/** One TCP virtual service's listening socket on the relay and its connections. */
export class NativeTcpListener {
  readonly flows = new Set<NativeFlow>();
  private readonly id: number;
  private readonly handle: RelayListenerHandle;

  /** Listens (throws the errno as net.Server would: EADDRNOTAVAIL, EADDRINUSE, ...). */
  constructor(
    private readonly relay: Relay,
    private readonly table: ServiceTable,
    readonly address: string,
    readonly port: number,
    private readonly timeouts: () => TcpTimeouts,
    readonly now: () => number,
  ) {
    this.id = relay.listenerId();
    this.handle = native().relayListen(relay.handle, address, port, 1024, this.id);
    relay.listeners.set(this.id, this);
    relay.ref();
  }

  accepted(id: number, client: string, clientPort: number): void {
    const svc = this.table;
    const dest = svc.choose(client, clientPort, this.address, this.port);
    if (!dest) {
      // No server may take it (all drained, overloaded or down): refuse as IPVS would drop.
      native().relayEnd(this.relay.handle, id, true);
      return;
    }
    const t = { ...this.timeouts() };
    const now = this.now();
    const flow = new NativeFlow(id, this, dest, client, clientPort, t, now);
    svc.counters.conns++;
    dest.counters.conns++;
    dest.shift(null, 'inactive');
    svc.persistence?.open(client, dest.id, now);
    this.flows.add(flow);
    this.relay.flows.set(id, flow);
    native().relayConnect(
      this.relay.handle,
      id,
      dest.address,
      dest.port,
      Math.round(t.tcp * 1000),
      Math.round(t.tcpfin * 1000),
    );
  }

  count(flow: NativeFlow, inBytes: number, outBytes: number, inPkts: number, outPkts: number): void {
    const c = this.table.counters;
    const d = flow.dest.counters;
    c.inBytes += inBytes;
    c.outBytes += outBytes;
    c.inPkts += inPkts;
    c.outPkts += outPkts;
    d.inBytes += inBytes;
    d.outBytes += outBytes;
    d.inPkts += inPkts;
    d.outPkts += outPkts;
    if (inBytes || outBytes) flow.lastActivity = this.now();
  }

  closed(flow: NativeFlow): void {
    flow.setState(null);
    this.table.persistence?.close(flow.client, flow.dest.id, this.now());
    this.flows.delete(flow);
    this.relay.flows.delete(flow.id);
  }

  /** Ends one connection now (its counts are released at once; the relay closes it after). */
  end(flow: NativeFlow): void {
    if (!this.relay.flows.has(flow.id)) return;
    native().relayEnd(this.relay.handle, flow.id, false);
    this.closed(flow);
    this.relay.ref();
  }

  /** Stops listening and ends every connection, as IPVS flushes them with the service. */
  close(): void {
    if (!this.relay.listeners.delete(this.id)) return;
    native().relayUnlisten(this.relay.handle, this.handle);
    for (const f of [...this.flows]) this.end(f);
    this.relay.ref();
  }

  /** Bytes the relay holds unsent, across all services (it does not count them per service). */
  static buffered(): number {
    return relay ? native().relayBuffered(relay.handle) : 0;
  }
}
