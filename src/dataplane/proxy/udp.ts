// UDP for the user-space engine: a flow per client address and port (IPVS's UDP connection),
// each with its own upstream socket so replies find their client. A flow ends after `udp` idle
// seconds. With one-packet scheduling (ops) every datagram is scheduled on its own and flows are
// keyed by client and server. Flows count as inactive connections, as IPVS counts UDP.
import dgram from 'node:dgram';
import type { LiveDest, ServiceTable } from './service.js';
import type { ConnEntry } from '../engine.js';

interface Flow {
  upstream: dgram.Socket;
  dest: LiveDest;
  client: dgram.RemoteInfo;
  timer: NodeJS.Timeout;
  lastSeen: number;
}

export class UdpService {
  private readonly flows = new Map<string, Flow>();

  constructor(
    private readonly svc: ServiceTable,
    readonly socket: dgram.Socket,
    private readonly idleSec: () => number,
    private readonly now: () => number,
  ) {
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
  }

  get size(): number {
    return this.flows.size;
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const svc = this.svc;
    const ops = !!svc.spec.flags.ops;
    let key = `${rinfo.address}|${rinfo.port}`;
    let flow = ops ? undefined : this.flows.get(key);
    if (!flow) {
      const k = svc.spec.key;
      const dest = svc.choose(
        rinfo.address,
        rinfo.port,
        k.kind === 'addr' ? k.address : '',
        k.kind === 'addr' ? k.port : 0,
      );
      if (!dest) return;
      if (ops) key = `${key}|${dest.id}`;
      flow = this.flows.get(key) ?? this.open(key, dest, rinfo);
    }
    flow.timer.refresh();
    flow.lastSeen = this.now();
    svc.counters.inPkts++;
    svc.counters.inBytes += msg.length;
    flow.dest.counters.inPkts++;
    flow.dest.counters.inBytes += msg.length;
    flow.upstream.send(msg, flow.dest.port, flow.dest.address);
  }

  private open(key: string, dest: LiveDest, client: dgram.RemoteInfo): Flow {
    const svc = this.svc;
    const upstream = dgram.createSocket(dest.address.includes(':') ? 'udp6' : 'udp4');
    const flow: Flow = {
      upstream,
      dest,
      client,
      lastSeen: this.now(),
      timer: setTimeout(() => this.end(key), this.idleSec() * 1000).unref(),
    };
    this.flows.set(key, flow);
    svc.counters.conns++;
    dest.counters.conns++;
    dest.shift(null, 'inactive');
    svc.persistence?.open(client.address, dest.id, this.now());
    upstream.on('message', (reply, from) => {
      // Only the real server's replies (IPv6 text forms vary, so those are matched by port).
      if (from.port !== dest.port || (from.address !== dest.address && !dest.address.includes(':'))) return;
      flow.timer.refresh();
      flow.lastSeen = this.now();
      svc.counters.outPkts++;
      svc.counters.outBytes += reply.length;
      dest.counters.outPkts++;
      dest.counters.outBytes += reply.length;
      this.socket.send(reply, client.port, client.address);
    });
    // An ICMP error on the upstream (server port closed) surfaces here; the flow just idles out.
    upstream.on('error', () => {});
    upstream.bind();
    return flow;
  }

  private end(key: string): void {
    const flow = this.flows.get(key);
    if (!flow) return;
    this.flows.delete(key);
    clearTimeout(flow.timer);
    flow.upstream.close();
    flow.dest.shift('inactive', null);
    this.svc.persistence?.close(flow.client.address, flow.dest.id, this.now());
  }

  entries(now: number): ConnEntry[] {
    const k = this.svc.spec.key;
    return [...this.flows.values()].map((f) => ({
      protocol: 'udp',
      client: f.client.address,
      clientPort: f.client.port,
      virtual: k.kind === 'addr' ? k.address : '',
      virtualPort: k.kind === 'addr' ? k.port : 0,
      dest: f.dest.address,
      destPort: f.dest.port,
      state: 'UDP',
      expiresMs: Math.max(0, f.lastSeen + this.idleSec() * 1000 - now),
    }));
  }

  close(): void {
    for (const key of [...this.flows.keys()]) this.end(key);
    this.socket.close();
  }
}
