// DNS_CHECK: one query (recursion desired) for `name` of `type`; the server is up when the answer
// has our id, is a response and its rcode is 0 (keepalived's test).
import { randomInt } from 'node:crypto';
import { attempt } from './attempt.js';
import { checkUdpSocket, type UdpSocketOptions } from './native-socket.js';
import { describeError, type CheckResult } from './result.js';
import type { CheckerFactory } from './target.js';

export const DNS_TYPES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 };

export interface DnsCheckOptions extends UdpSocketOptions {
  port: number;
  type: string;
  name: string;
  timeoutMs: number;
}

/** The query message: header (id, RD), one question. */
export function dnsQuery(id: number, name: string, type: string): Buffer {
  const labels = name === '.' || name === '' ? [] : name.replace(/\.$/, '').split('.');
  const qname = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(DNS_TYPES[type] ?? 6, 0);
  tail.writeUInt16BE(1, 2); // IN
  return Buffer.concat([header, qname, tail]);
}

export function dnsCheck(o: DnsCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  const id = randomInt(0, 0x10000);
  return attempt(o.timeoutMs, 'timeout: no answer', signal, ({ finish }) => {
    const sock = checkUdpSocket(o);
    if (typeof sock === 'string') {
      finish(false, sock);
      return () => undefined;
    }
    sock.once('error', (e: NodeJS.ErrnoException) => finish(false, describeError(e)));
    const query = dnsQuery(id, o.name, o.type);
    // The socket is connected: every datagram comes from the server itself.
    sock.on('message', (m: Buffer) => {
      if (m.length < 12) return finish(false, `malformed answer (${m.length} bytes)`);
      if (m.readUInt16BE(0) !== id) return; // a late answer to an earlier query
      const flags = m.readUInt16BE(2);
      if (!(flags & 0x8000)) return finish(false, 'answer is not a response');
      const rcode = flags & 0xf;
      if (rcode !== 0) return finish(false, `rcode ${rcode}`);
      // A well-formed answer repeats the question it answers.
      const question = query.subarray(12).toString('latin1').toLowerCase();
      const echoed = m
        .subarray(12, 12 + question.length)
        .toString('latin1')
        .toLowerCase();
      if (m.readUInt16BE(4) !== 1 || echoed !== question)
        return finish(false, 'malformed answer (question section does not match the query)');
      finish(true, `answered ${m.readUInt16BE(6)} records`);
    });
    sock.connect(o.port, o.host, () => sock.send(query));
    return () => sock.close();
  });
}

/** DNS_CHECK: one query of `type` for `name`, to port 53 unless connect_port. */
export const dnsFactory: CheckerFactory<'DNS_CHECK'> = (ch, t) => {
  const o = {
    host: t.host,
    port: (ch as { connectPort?: number }).connectPort ?? 53,
    type: ch.type,
    name: ch.name,
    timeoutMs: t.timeoutMs,
    ...t.bind,
    ...t.sockopts,
  };
  return { run: (signal) => dnsCheck(o, signal) };
};
