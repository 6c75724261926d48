// The user-space engine, vigil's embedded default: no root, no kernel module. Each virtual
// service listens on its address and port and proxies to the real server its scheduler picks,
// with IPVS's live active/inactive counts, thresholds, persistence and weight-0 draining.
//
// It terminates TCP, so every forwarding method behaves like NAT from the real server's side
// (it sees the proxy's address, not the client's). DR, TUN and FULLNAT are accepted and proxied
// the same way; `approximation()` says so for `vigil check`. fwmark and SCTP services need a
// kernel engine and are refused.
import net from 'node:net';
import dgram from 'node:dgram';
import type {
  Change,
  ConnEntry,
  DestSpec,
  Engine,
  ServiceKey,
  ServiceSpec,
  ServiceState,
  ServiceStats,
} from '../engine.js';
import { destId, serviceId } from '../keys.js';
import { isSchedulerName } from './schedulers/index.js';
import { ServiceTable } from './service.js';
import { TcpFlow, type TcpTimeouts } from './tcp.js';
import { NativeTcpListener, nativeRelay, relayDescription } from './native-tcp.js';

import { UdpService } from './udp.js';

export interface ProxyTimeouts extends TcpTimeouts {
  /** Idle seconds of a UDP flow (IPVS udp, 300). */
  udp: number;
}

export interface ProxyEngineOptions {
  timeouts?: Partial<ProxyTimeouts>;
  /** Milliseconds clock for persistence and the lblc caches. */
  now?: () => number;
  log?: (message: string) => void;
  /** How often to retry binding a virtual address not (yet) on this host, e.g. a VRRP VIP. */
  rebindMs?: number;
}

/** Why the proxy only approximates a service or server as configured, or null when exact. */
export function approximation(service: ServiceSpec, dest?: DestSpec): string | null {
  if (dest && dest.forwarding !== 'nat') {
    return `forwarding ${dest.forwarding} to ${destId(dest)} is approximated by proxying (NAT-like: the real server sees the director's address)`;
  }
  if (service.key.kind === 'fwmark') return 'fwmark services need the ipvs or nft engine';
  return null;
}

interface Running {
  table: ServiceTable;
  tcp?: net.Server;
  /** TCP through the native relay (instead of `tcp` and `flows`). */
  relay?: NativeTcpListener;
  udp?: UdpService;
  flows: Set<TcpFlow>;
  rebind?: NodeJS.Timeout;
  closed: boolean;
}

export class ProxyEngine implements Engine {
  readonly name = 'userspace' as const;
  private readonly services = new Map<string, Running>();
  private readonly timeouts: ProxyTimeouts;
  private readonly now: () => number;
  private readonly log: (message: string) => void;
  private readonly rebindMs: number;
  /** Expires idle persistence templates of clients that never come back. */
  private sweeper: NodeJS.Timeout | null = null;
  private relayLogged = false;

  constructor(options: ProxyEngineOptions = {}) {
    this.timeouts = { tcp: 900, tcpfin: 120, udp: 300, ...options.timeouts };
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => {});
    this.rebindMs = options.rebindMs ?? 1000;
  }

  /** IPVS's `--set tcp tcpfin udp`; 0 keeps a value. Applies to connections made from now on. */
  setTimeouts(t: Partial<ProxyTimeouts>): void {
    for (const k of ['tcp', 'tcpfin', 'udp'] as const) if (t[k]) this.timeouts[k] = t[k];
  }

  getTimeouts(): ProxyTimeouts {
    return { ...this.timeouts };
  }

  async read(): Promise<ServiceState[]> {
    return [...this.services.values()].map(({ table }) =>
      structuredClone({ ...table.spec, dests: table.views.map((d) => d.spec) }),
    );
  }

  async apply(changes: Change[]): Promise<void> {
    // Copies, so the caller's desired-state objects never alias what is programmed.
    for (const c of changes) await this.applyOne(structuredClone(c));
  }

  async stats(): Promise<ServiceStats[]> {
    return [...this.services.values()].map((r) => r.table.stats());
  }

  /** The connection table (ipvsadm -Lc): every proxied TCP connection and UDP flow. */
  connections(): ConnEntry[] {
    const now = this.now();
    const out: ConnEntry[] = [];
    for (const r of this.services.values()) {
      for (const f of r.flows) out.push(f.entry(now));
      if (r.relay) for (const f of r.relay.flows) out.push(f.entry(now));
      if (r.udp) out.push(...r.udp.entries(now));
    }
    return out;
  }

  /** Which relay carries TCP: the native relay threads, or Node sockets (VIGIL_TCP_RELAY=node, no addon). */
  tcpRelay(): 'native' | 'node' {
    return nativeRelay() ? 'native' : 'node';
  }

  /** Bytes held in user space across all connections (back-pressure keeps this bounded). */
  bufferedBytes(): number {
    let n = NativeTcpListener.buffered();
    for (const r of this.services.values()) for (const f of r.flows) n += f.buffered();
    return n;
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const r of [...this.services.values()]) await this.stop(r);
    this.services.clear();
  }

  private get(key: ServiceKey): Running {
    const r = this.services.get(serviceId(key));
    if (!r) throw new Error(`service ${serviceId(key)}: no such service`);
    return r;
  }

  private async applyOne(c: Change): Promise<void> {
    switch (c.op) {
      case 'add-service':
        return this.addService(c.service);
      case 'edit-service': {
        const r = this.get(c.service.key);
        checkScheduler(c.service);
        r.table.edit(c.service);
        return;
      }
      case 'del-service': {
        const r = this.get(c.key);
        this.services.delete(serviceId(c.key));
        return this.stop(r);
      }
      case 'add-dest': {
        const r = this.get(c.key);
        if (r.table.dests.has(destId(c.dest))) {
          throw new Error(`service ${serviceId(c.key)}: destination ${destId(c.dest)} already exists`);
        }
        checkDest(c.key, c.dest);
        r.table.addDest(c.dest);
        return;
      }
      case 'edit-dest': {
        const r = this.get(c.key);
        if (!r.table.dests.has(destId(c.dest))) {
          throw new Error(`service ${serviceId(c.key)}: no destination ${destId(c.dest)}`);
        }
        checkDest(c.key, c.dest);
        r.table.editDest(c.dest);
        return;
      }
      case 'del-dest': {
        const r = this.get(c.key);
        const id = destId(c);
        if (!r.table.dests.has(id)) throw new Error(`service ${serviceId(c.key)}: no destination ${id}`);
        r.table.delDest(id);
        return;
      }
    }
  }

  private async addService(spec: ServiceSpec): Promise<void> {
    const id = serviceId(spec.key);
    if (this.services.has(id)) throw new Error(`service ${id} already exists`);
    const key = spec.key;
    if (key.kind === 'fwmark') {
      throw new Error(
        `service ${id}: fwmark services need the ipvs or nft engine (the user-space engine listens on an address and port)`,
      );
    }
    if (key.protocol === 'sctp') throw new Error(`service ${id}: SCTP needs the ipvs or nft engine`);
    checkScheduler(spec);
    const r: Running = { table: new ServiceTable(spec, this.now), flows: new Set(), closed: false };
    await this.listen(r, key);
    this.services.set(id, r);
    this.sweeper ??= setInterval(() => {
      const now = this.now();
      for (const s of this.services.values()) s.table.persistence?.sweep(now);
    }, 10_000).unref();
  }

  private async listen(r: Running, key: Extract<ServiceKey, { kind: 'addr' }>): Promise<void> {
    const id = serviceId(key);
    try {
      const relay = key.protocol === 'tcp' ? nativeRelay() : null;
      if (key.protocol === 'tcp' && !this.relayLogged) {
        this.relayLogged = true;
        this.log(relayDescription());
      }
      if (relay) {
        r.relay = new NativeTcpListener(relay, r.table, key.address, key.port, () => this.timeouts, this.now);
        if (r.closed) r.relay.close();
      } else if (key.protocol === 'tcp') r.tcp = await this.listenTcp(r, key);
      else r.udp = await this.listenUdp(r, key);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EADDRNOTAVAIL')
        throw new Error(`service ${id}: cannot listen: ${(err as Error).message}`);
      // The address is not on this host yet (a VIP VRRP has still to bring up): keep the service
      // programmed and bind as soon as it appears.
      this.log(`service ${id}: ${key.address} is not local yet; listening once it is`);
      r.rebind = setTimeout(() => {
        if (!r.closed) void this.listen(r, key).catch((e: Error) => this.log(e.message));
      }, this.rebindMs).unref();
    }
  }

  private listenTcp(r: Running, key: Extract<ServiceKey, { kind: 'addr' }>): Promise<net.Server> {
    const server = net.createServer({ allowHalfOpen: true }, (client) => {
      const flow = TcpFlow.start(r.table, client, this.timeouts, this.now, (f) => r.flows.delete(f));
      if (flow) r.flows.add(flow);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: key.address, port: key.port, backlog: 1024 }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.log(`service ${serviceId(key)}: ${e.message}`));
        resolve(server);
      });
    });
  }

  private listenUdp(r: Running, key: Extract<ServiceKey, { kind: 'addr' }>): Promise<UdpService> {
    const socket = dgram.createSocket(key.family === 6 ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: key.address, port: key.port }, () => {
        socket.off('error', reject);
        socket.on('error', (e) => this.log(`service ${serviceId(key)}: ${e.message}`));
        resolve(new UdpService(r.table, socket, () => this.timeouts.udp, this.now));
      });
    });
  }

  /** Deleting a service ends its connections, as IPVS flushes them with the service. */
  private async stop(r: Running): Promise<void> {
    r.closed = true;
    if (r.rebind) clearTimeout(r.rebind);
    for (const f of r.flows) f.destroy();
    r.relay?.close();
    r.udp?.close();
    const server = r.tcp;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function checkScheduler(spec: ServiceSpec): void {
  if (!isSchedulerName(spec.scheduler)) {
    throw new Error(`service ${serviceId(spec.key)}: unknown scheduler "${spec.scheduler}"`);
  }
}

function checkDest(key: ServiceKey, d: DestSpec): void {
  const where = `service ${serviceId(key)}: destination ${destId(d)}`;
  if (net.isIP(d.address) === 0) throw new Error(`${where}: not an IP address`);
  if (!Number.isInteger(d.port) || d.port < 1 || d.port > 65535)
    throw new Error(`${where}: port out of range`);
  if (!Number.isInteger(d.weight) || d.weight < 0 || d.weight > 65535)
    throw new Error(`${where}: weight out of range 0-65535`);
}
