// TCP_CHECK: the real server is up when a TCP connection to it completes in time.
import net from 'node:net';
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
  const start = performance.now();
  return new Promise((resolve) => {
    const sock = net.connect({
      host: o.host,
      port: o.port,
      ...(o.bindto !== undefined ? { localAddress: o.bindto } : {}),
      ...(o.bindPort !== undefined ? { localPort: o.bindPort } : {}),
    });
    let done = false;
    const finish = (ok: boolean, reason: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve({ ok, reason, latencyMs: performance.now() - start });
    };
    const onAbort = (): void => finish(false, 'aborted');
    const timer = setTimeout(() => finish(false, 'timeout'), o.timeoutMs);
    signal?.addEventListener('abort', onAbort);
    sock.once('connect', () => finish(true, 'connected'));
    sock.once('error', (e: NodeJS.ErrnoException) => finish(false, describeError(e)));
  });
}
