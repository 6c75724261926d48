// TCP_CHECK: the real server is up when a TCP connection to it completes in time.
import net from 'node:net';
import { attempt } from './attempt.js';
import { describeError, type CheckResult } from './result.js';

export interface TcpCheckOptions {
  host: string;
  port: number;
  /** bindto / bind_port: the local address and port to connect from. */
  bindto?: string;
  bindPort?: number;
  timeoutMs: number;
}

export function tcpCheck(o: TcpCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  return attempt(o.timeoutMs, 'timeout', signal, ({ finish }) => {
    const sock = net.connect({
      host: o.host,
      port: o.port,
      ...(o.bindto !== undefined ? { localAddress: o.bindto } : {}),
      ...(o.bindPort !== undefined ? { localPort: o.bindPort } : {}),
    });
    sock.once('connect', () => finish(true, 'connected'));
    sock.once('error', (e: NodeJS.ErrnoException) => finish(false, describeError(e)));
    return () => sock.destroy();
  });
}
