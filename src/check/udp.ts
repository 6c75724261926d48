// UDP_CHECK: send the payload; without require_reply the server is up unless the port answers
// with ICMP port unreachable within the timeout; with it, a reply must come (and start with the
// given bytes when some are given).
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { attempt } from './attempt.js';
import { describeError, type CheckResult } from './result.js';

export interface UdpCheckOptions {
  host: string;
  port: number;
  payload: Buffer;
  /** true: any reply; bytes: a reply starting with them; undefined: no reply needed. */
  requireReply?: true | Buffer;
  timeoutMs: number;
}

export function hexBytes(hex: string): Buffer | null {
  const h = hex.replace(/^0x/i, '');
  return /^([0-9a-fA-F]{2})*$/.test(h) ? Buffer.from(h, 'hex') : null;
}

export function udpCheck(o: UdpCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  // Without require_reply, silence until the timeout is success: attempt() reports it as a
  // failure named below, which is turned around here.
  const SILENT = 'no port unreachable';
  return attempt(o.timeoutMs, o.requireReply ? 'timeout: no reply' : SILENT, signal, ({ finish }) => {
    const sock = dgram.createSocket(isIPv6(o.host) ? 'udp6' : 'udp4');
    // A connected socket reports the ICMP port unreachable as ECONNREFUSED.
    sock.once('error', (e: NodeJS.ErrnoException) => finish(false, describeError(e)));
    sock.on('message', (m: Buffer) => {
      const want = o.requireReply;
      if (want instanceof Buffer && !m.subarray(0, want.length).equals(want))
        return finish(false, 'unexpected reply');
      finish(true, 'reply received');
    });
    sock.connect(o.port, o.host, () => sock.send(o.payload));
    return () => sock.close();
  }).then((r) => (r.reason === SILENT ? { ...r, ok: true } : r));
}
