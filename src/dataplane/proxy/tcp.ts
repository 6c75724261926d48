// TCP for the user-space engine: the proxy terminates the client's connection and opens one to
// the chosen real server (NAT-like). A slow side pauses the other (at most a socket's high-water
// mark and one read chunk are buffered per direction), and a FIN in one direction is passed on
// while the other keeps flowing (half-close). Counts follow IPVS: a connection is inactive while
// connecting and after the first FIN, active while established.
import net from 'node:net';
import type { ConnEntry } from '../engine.js';
import type { LiveDest, ServiceTable } from './service.js';

export interface TcpTimeouts {
  /** Idle seconds of an established connection (IPVS tcp, 900). */
  tcp: number;
  /** Seconds a half-closed connection may linger (IPVS tcpfin, 120). */
  tcpfin: number;
}

const CHUNK = 64 * 1024;
/** Read buffers whose writes have completed, kept warm for the next read; bounded. */
const spare: Buffer[] = [];
const SPARE_MAX = 64;

function takeChunk(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
}

function giveChunk(b: Buffer): void {
  if (spare.length < SPARE_MAX) spare.push(b);
}

export class TcpFlow {
  private state: 'active' | 'inactive' | null = 'inactive';
  private phase: 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT' = 'SYN_RECV';
  private lastActivity = 0;
  private clientAddr = '';
  private clientPort = 0;
  private timeouts: TcpTimeouts = { tcp: 0, tcpfin: 0 };
  private closedSides = 0;
  private finTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly client: net.Socket,
    readonly upstream: net.Socket,
    readonly dest: LiveDest,
  ) {}

  /** Bytes the proxy holds for this connection (both directions, user-space buffers). */
  buffered(): number {
    return (
      this.client.writableLength +
      this.client.readableLength +
      this.upstream.writableLength +
      this.upstream.readableLength
    );
  }

  entry(now: number): ConnEntry {
    const local = this.client.localPort ?? 0;
    const timeout = (this.phase === 'FIN_WAIT' ? this.timeouts.tcpfin : this.timeouts.tcp) * 1000;
    return {
      protocol: 'tcp',
      client: this.clientAddr,
      clientPort: this.clientPort,
      virtual: this.client.localAddress ?? '',
      virtualPort: local,
      dest: this.dest.address,
      destPort: this.dest.port,
      state: this.phase,
      expiresMs: Math.max(0, this.lastActivity + timeout - now),
    };
  }

  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  static start(
    svc: ServiceTable,
    client: net.Socket,
    timeouts: TcpTimeouts,
    now: () => number,
    done: (f: TcpFlow) => void,
  ): TcpFlow | null {
    const address = client.remoteAddress ?? '';
    const port = client.remotePort ?? 0;
    const key = svc.spec.key;
    const vip = key.kind === 'addr' ? key.address : '';
    const vport = key.kind === 'addr' ? key.port : 0;
    const dest = svc.choose(address, port, vip, vport);
    if (!dest) {
      // No server may take it (all drained, overloaded or down): refuse as IPVS would drop.
      client.resetAndDestroy();
      return null;
    }
    // Replies (the bulk of the bytes) are read into recycled buffers (`onread`) and written straight
    // on: a fresh 64 KiB buffer per read, as a stream allocates, cost twice HAProxy's CPU per MiB
    // (bench/proxy.ts). A buffer goes back only when its write completed, so the kernel never
    // reads memory a later read reuses.
    const onReply = (n: number, buf: Uint8Array): boolean => {
      flow.lastActivity = now();
      svc.counters.outPkts++;
      svc.counters.outBytes += n;
      dest.counters.outPkts++;
      dest.counters.outBytes += n;
      // false pauses the upstream until the client drains (back-pressure).
      return client.write(buf.subarray(0, n), () => giveChunk(buf as Buffer));
    };
    const upstream = net.connect({
      host: dest.address,
      port: dest.port,
      allowHalfOpen: true,
      noDelay: true,
      onread: { buffer: takeChunk, callback: onReply },
    });
    const flow = new TcpFlow(client, upstream, dest);
    flow.clientAddr = address;
    flow.clientPort = port;
    flow.timeouts = timeouts;
    flow.lastActivity = now();
    svc.counters.conns++;
    dest.counters.conns++;
    dest.shift(null, 'inactive');
    svc.persistence?.open(address, dest.id, now());
    client.setNoDelay(true);

    const setState = (s: 'active' | 'inactive' | null) => {
      if (flow.state === s) return;
      dest.shift(flow.state, s);
      flow.state = s;
    };
    upstream.once('connect', () => {
      if (flow.state === 'inactive' && !client.readableEnded) {
        setState('active');
        flow.phase = 'ESTABLISHED';
      }
    });
    const onFin = () => {
      setState(flow.state === null ? null : 'inactive');
      flow.phase = 'FIN_WAIT';
      flow.lastActivity = now();
      flow.finTimer ??= setTimeout(() => flow.destroy(), timeouts.tcpfin * 1000).unref();
    };
    client.on('end', onFin);
    upstream.on('end', onFin);
    client.on('data', (b: Buffer) => {
      flow.lastActivity = now();
      svc.counters.inPkts++;
      svc.counters.inBytes += b.length;
      dest.counters.inPkts++;
      dest.counters.inBytes += b.length;
    });
    client.pipe(upstream);
    client.on('drain', () => upstream.resume());
    upstream.on('end', () => client.end());
    client.setTimeout(timeouts.tcp * 1000, () => flow.destroy());

    const onClose = (hadError: boolean) => {
      // An aborted side aborts the other; a clean close waits for the other side's own close.
      if (hadError) flow.destroy();
      if (++flow.closedSides < 2) return;
      if (flow.finTimer) clearTimeout(flow.finTimer);
      setState(null);
      svc.persistence?.close(address, dest.id, now());
      done(flow);
    };
    client.on('error', () => flow.destroy());
    upstream.on('error', () => flow.destroy());
    client.on('close', onClose);
    upstream.on('close', onClose);
    return flow;
  }
}
