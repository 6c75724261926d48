// UDP_CHECK: send the payload; without require_reply the server is up unless the port answers
// with ICMP port unreachable within the timeout; with it, a reply must come. With reply bytes, as
// keepalived's check_udp_reply: its length within min_reply_length..max_reply_length (default
// 0..255), and its first bytes (as many as both have) equal to them, `x` nibbles matching any.
import { attempt } from './attempt.js';
import { checkUdpSocket, type UdpSocketOptions } from './native-socket.js';
import { describeError, type CheckResult } from './result.js';
import type { CheckerFactory } from './target.js';

export interface UdpCheckOptions extends UdpSocketOptions {
  port: number;
  payload: Buffer;
  /** true: any reply; a pattern: a reply that matches it; undefined: no reply needed. */
  requireReply?: true | ReplyPattern;
  timeoutMs: number;
}

/** require_reply's bytes; `mask` bits set where the pattern had an `x` (any value). */
export interface ReplyPattern {
  data: Buffer;
  mask?: Buffer;
  minLength: number;
  maxLength: number;
}

/** keepalived 2.2.7's default max_reply_length (UINT8_MAX). */
export const DEFAULT_MAX_REPLY = 255;

/**
 * keepalived's read_hex_str: hex digits two by two, a blank ends a group (so `1 23` is 01 23),
 * `x` a wildcard nibble where allowed; null when invalid or empty.
 */
export function parseHex(text: string, wildcards: boolean): { data: Buffer; mask?: Buffer } | null {
  const nibble = (c: string): number | 'x' | null =>
    /^[0-9a-f]$/i.test(c) ? parseInt(c, 16) : wildcards && /^x$/i.test(c) ? 'x' : null;
  const data: number[] = [];
  const mask: number[] = [];
  for (const group of text.trim().split(/[ \t]+/)) {
    if (group === '') continue;
    for (let i = 0; i < group.length; i += 2) {
      const pair = group
        .slice(i, i + 2)
        .split('')
        .map(nibble);
      if (pair.some((n) => n === null)) return null;
      let v = 0;
      let m = 0;
      for (const n of pair) {
        v = (v << 4) | (n === 'x' ? 0 : (n as number));
        m = (m << 4) | (n === 'x' ? 0xf : 0);
      }
      data.push(v);
      mask.push(m);
    }
  }
  if (data.length === 0) return null;
  return { data: Buffer.from(data), ...(mask.some((m) => m) ? { mask: Buffer.from(mask) } : {}) };
}

/** The payload's bytes (no wildcards); null when not hex. */
export function hexBytes(hex: string): Buffer | null {
  return parseHex(hex, false)?.data ?? null;
}

/** Whether a reply passes keepalived's check_udp_reply. */
export function replyMatches(reply: Buffer, p: ReplyPattern): boolean {
  if (reply.length < p.minLength || reply.length > p.maxLength) return false;
  const n = Math.min(reply.length, p.data.length);
  for (let i = 0; i < n; i++) if ((reply[i]! ^ p.data[i]!) & ~(p.mask?.[i] ?? 0) & 0xff) return false;
  return true;
}

export function udpCheck(o: UdpCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  // Without require_reply, silence until the timeout is success: attempt() reports it as a
  // failure named below, which is turned around here.
  const SILENT = 'no port unreachable';
  return attempt(o.timeoutMs, o.requireReply ? 'timeout: no reply' : SILENT, signal, ({ finish }) => {
    const sock = checkUdpSocket(o);
    if (typeof sock === 'string') {
      finish(false, sock);
      return () => undefined;
    }
    // A connected socket reports the ICMP port unreachable as ECONNREFUSED.
    sock.once('error', (e: NodeJS.ErrnoException) => finish(false, describeError(e)));
    sock.on('message', (m: Buffer) => {
      const want = o.requireReply;
      if (want && want !== true && !replyMatches(m, want))
        return finish(false, `reply data mismatch (${m.length} bytes)`);
      finish(true, 'reply received');
    });
    sock.connect(o.port, o.host, () => sock.send(o.payload));
    return () => sock.close();
  }).then((r) => (r.reason === SILENT ? { ...r, ok: true } : r));
}

/** UDP_CHECK: the payload sent, a reply required (or matched) when asked; fwmark but no bind_if. */
export const udpFactory: CheckerFactory<'UDP_CHECK'> = (ch, t) => {
  const payload = ch.payload === undefined ? Buffer.alloc(0) : hexBytes(ch.payload);
  if (!payload) return { note: `UDP_CHECK payload '${ch.payload}' is not a hex string` };
  let requireReply: true | ReplyPattern | undefined;
  if (ch.requireReply === true) requireReply = true;
  else if (typeof ch.requireReply === 'string') {
    const b = parseHex(ch.requireReply, true);
    if (!b) return { note: `UDP_CHECK require_reply '${ch.requireReply}' is not a hex string` };
    requireReply = {
      ...b,
      minLength: ch.minReplyLength ?? 0,
      maxLength: ch.maxReplyLength ?? DEFAULT_MAX_REPLY,
    };
  }
  const o = {
    host: t.host,
    port: t.port,
    payload,
    timeoutMs: t.timeoutMs,
    ...t.bind,
    ...t.mark,
    ...(requireReply ? { requireReply } : {}),
  };
  return { run: (signal) => udpCheck(o, signal) };
};
