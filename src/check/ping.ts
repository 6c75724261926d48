// PING_CHECK: an ICMP (or ICMPv6) echo request; up when the matching echo reply comes back in
// time. Raw sockets through vigil's native addon (Node has none); needs root, as keepalived does.
import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import {
  AF_INET,
  AF_INET6,
  IPPROTO_ICMPV6,
  SOCK_RAW,
  isSyscallError,
  native,
  sockaddrIn,
} from '../os/native.js';
import { attempt } from './attempt.js';
import type { CheckResult } from './result.js';
import type { CheckerFactory } from './target.js';

const IPPROTO_ICMP = 1;

export interface PingCheckOptions {
  host: string;
  timeoutMs: number;
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2) sum += b[b.length - 1]! << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

/** An echo request: type 8 (ICMP) or 128 (ICMPv6, whose checksum the kernel fills in). */
export function echoRequest(v6: boolean, id: number, seq: number, payload: Buffer): Buffer {
  const m = Buffer.concat([Buffer.alloc(8), payload]);
  m[0] = v6 ? 128 : 8;
  m.writeUInt16BE(id, 4);
  m.writeUInt16BE(seq, 6);
  if (!v6) m.writeUInt16BE(checksum(m), 2);
  return m;
}

export function pingCheck(o: PingCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  const v6 = isIPv6(o.host);
  const id = randomInt(1, 0x10000);
  const seq = 1;
  return attempt(o.timeoutMs, 'timeout: no echo reply', signal, ({ finish }) => {
    const n = native();
    let fd: number;
    try {
      fd = n.socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
    } catch (e) {
      finish(
        false,
        isSyscallError(e) && e.code === 'EPERM' ? 'raw ICMP sockets need root' : (e as Error).message,
      );
      return () => undefined;
    }
    const handle = n.watch(fd, () => {
      for (;;) {
        const r = n.recvmsg(fd, 2048);
        if (!r) return;
        // IPv4 raw sockets deliver the IP header too; ICMPv6 ones do not.
        const icmp = v6 ? r.data : r.data.subarray((r.data[0]! & 0x0f) * 4);
        if (
          icmp.length >= 8 &&
          icmp[0] === (v6 ? 129 : 0) &&
          icmp.readUInt16BE(4) === id &&
          icmp.readUInt16BE(6) === seq
        ) {
          return finish(true, 'echo reply');
        }
        if (icmp.length >= 8 && icmp[0] === (v6 ? 1 : 3)) {
          // Destination unreachable carrying our request.
          const inner = v6 ? icmp.subarray(48) : icmp.subarray(8 + (icmp[8]! & 0x0f) * 4);
          if (inner.length >= 8 && inner.readUInt16BE(4) === id)
            return finish(false, 'destination unreachable');
        }
      }
    });
    try {
      n.sendmsg(fd, echoRequest(v6, id, seq, Buffer.from('vigil-ping')), sockaddrIn(o.host), null);
    } catch (e) {
      finish(false, isSyscallError(e) ? `${e.code.toLowerCase()}: ${e.message}` : (e as Error).message);
    }
    return () => {
      n.unwatch(handle);
      n.close(fd);
    };
  });
}

/** PING_CHECK: one echo request (keepalived sets neither bind_if nor fwmark on it). */
export const pingFactory: CheckerFactory<'PING_CHECK'> = (_ch, t) => ({
  run: (signal) => pingCheck({ host: t.host, timeoutMs: t.timeoutMs }, signal),
});
