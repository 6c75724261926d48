// TCP_CHECK: the real server is up when a TCP connection to it completes in time.
import net from 'node:net';
import { attempt } from './attempt.js';
import { describeError, type CheckResult } from './result.js';
import { NO_ADDON, needsSockopts, type CheckSockopts } from './sockopts.js';
import { nativeTcpCheck } from './tcp-native.js';
import type { CheckerFactory } from './target.js';

export interface TcpCheckOptions extends CheckSockopts {
  host: string;
  port: number;
  /** bindto / bind_port: the local address and port to connect from. */
  bindto?: string;
  bindPort?: number;
  timeoutMs: number;
}

export function tcpCheck(o: TcpCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  const p = nativeTcpCheck(o, signal);
  if (p) return p;
  // A net.Socket cannot carry bind_if / fwmark: without the prober such a check cannot run as written.
  if (needsSockopts(o)) return Promise.resolve({ ok: false, reason: NO_ADDON, latencyMs: 0 });
  return socketCheck(o, signal);
}

/** The same check on a net.Socket: for host names, and where the native addon is not built. */
export function socketCheck(o: TcpCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  return attempt(o.timeoutMs, 'timeout', signal, ({ finish }) => {
    const sock = net.connect({
      host: o.host,
      port: o.port,
      ...(o.bindto !== undefined ? { localAddress: o.bindto } : {}),
      ...(o.bindPort !== undefined ? { localPort: o.bindPort } : {}),
    });
    let connected = false;
    sock.once('connect', () => {
      connected = true;
      finish(true, 'connected');
    });
    sock.once('error', (e: NodeJS.ErrnoException) => finish(false, describeError(e)));
    // A completed check ends with a reset (linger 0, as HAProxy's checks do): four packets fewer
    // than a FIN exchange, and no TIME_WAIT left on the director per check (10,000 a second
    // would overflow the kernel's time-wait table). A pending one is simply dropped.
    return () => (connected ? sock.resetAndDestroy() : sock.destroy());
  });
}

/** TCP_CHECK: a connect to the target. */
export const tcpFactory: CheckerFactory<'TCP_CHECK'> = (_ch, t) => ({
  run: (signal) =>
    tcpCheck({ host: t.host, port: t.port, timeoutMs: t.timeoutMs, ...t.bind, ...t.sockopts }, signal),
});
