// Real servers that misbehave (issue #6 §3, bad input): garbage instead of HTTP, headers that never
// end, a 1 GB body, a malformed DNS answer, a script that floods stdout and never exits. Each check
// fails with a reason an operator can act on, within its timeout, without buffering what the
// server sends; and the checker is still healthy: the next check of a good server passes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { dnsCheck } from '../../../src/check/dns.js';
import { httpCheck } from '../../../src/check/http.js';
import { miscCheck } from '../../../src/check/misc.js';

const closers: (() => void)[] = [];
after(() => closers.forEach((c) => c()));

async function tcpServer(onConn: (c: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const s = net.createServer((c) => {
    sockets.add(c);
    c.on('error', () => {});
    c.on('close', () => sockets.delete(c));
    onConn(c);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closers.push(() => {
    for (const c of sockets) c.destroy();
    s.close();
  });
  return (s.address() as net.AddressInfo).port;
}

/** Writes `chunk` as fast as the client takes it, until the client goes away; counts bytes. */
function firehose(c: net.Socket, head: string, chunk: Buffer, sent: { bytes: number }): void {
  c.write(head);
  const pump = (): void => {
    while (!c.destroyed && c.write(chunk)) sent.bytes += chunk.length;
  };
  c.on('drain', pump);
  pump();
}

const http1 = (port: number) => ({ host: '127.0.0.1', port, ssl: false, timeoutMs: 1000 });
const strip = (r: { ok: boolean; reason: string }) => [r.ok, r.reason];

test('HTTP_GET: garbage, endless headers and a 1 GB body fail fast and bounded', async () => {
  const garbage = await tcpServer((c) => c.once('data', () => c.end('\x00\xffSSH-2.0-OpenSSH\r\n\r\nhello')));
  assert.deepEqual(strip(await httpCheck(http1(garbage), [{ path: '/', statusCodes: [] }])), [
    false,
    '/: malformed response (no HTTP status line)',
  ]);
  const noHeaderEnd = await tcpServer((c) => c.once('data', () => c.end('HTTP/1.0 200 OK\r\nX: y\r\n')));
  assert.deepEqual(strip(await httpCheck(http1(noHeaderEnd), [{ path: '/', statusCodes: [] }])), [
    false,
    '/: malformed response (no end of header)',
  ]);

  const headerBytes = { bytes: 0 };
  const endless = await tcpServer((c) =>
    c.once('data', () =>
      firehose(c, 'HTTP/1.0 200 OK\r\n', Buffer.from('X-Pad: ' + 'a'.repeat(1000) + '\r\n'), headerBytes),
    ),
  );
  const bodyBytes = { bytes: 0 };
  const huge = await tcpServer((c) =>
    c.once('data', () =>
      firehose(
        c,
        'HTTP/1.0 200 OK\r\nContent-Length: 1073741824\r\n\r\n',
        Buffer.alloc(64 << 10, 0x61),
        bodyBytes,
      ),
    ),
  );
  const rss0 = process.memoryUsage().rss;
  for (const [port, sent] of [
    [endless, headerBytes],
    [huge, bodyBytes],
  ] as const) {
    const t0 = performance.now();
    const r = await httpCheck(http1(port), [{ path: '/', statusCodes: [] }]);
    assert.deepEqual(strip(r), [false, `/: response larger than ${1 << 20} bytes`]);
    assert.ok(performance.now() - t0 < 1000, `failed after ${(performance.now() - t0).toFixed(0)} ms`);
    // The checker stopped reading just past its limit: the server could not push a gigabyte.
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(sent.bytes < 32 << 20, `the server wrote ${sent.bytes} bytes`);
  }
  assert.ok(process.memoryUsage().rss - rss0 < 64 << 20, 'no gigabyte buffered');

  // Still healthy: a good server passes the next check.
  const good = http.createServer((_q, s) => s.end('ok'));
  await new Promise<void>((r) => good.listen(0, '127.0.0.1', r));
  closers.push(() => good.close());
  const port = (good.address() as net.AddressInfo).port;
  assert.deepEqual(strip(await httpCheck(http1(port), [{ path: '/', statusCodes: [] }])), [
    true,
    'status ok',
  ]);
});

test('DNS_CHECK: a truncated or mismatched answer is malformed, not up', async () => {
  const server = dgram.createSocket('udp4');
  let mode: 'short' | 'wrong-question' | 'good' = 'short';
  server.on('message', (m, rinfo) => {
    let r: Buffer;
    if (mode === 'short') r = m.subarray(0, 7);
    else {
      r = Buffer.from(m);
      r.writeUInt16BE(0x8180, 2);
      if (mode === 'wrong-question') r[13] = 'x'.charCodeAt(0); // first letter of the name
    }
    server.send(r, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
  closers.push(() => server.close());
  const o = {
    host: '127.0.0.1',
    port: server.address().port,
    type: 'A',
    name: 'www.example.test',
    timeoutMs: 1000,
  };
  assert.deepEqual(strip(await dnsCheck(o)), [false, 'malformed answer (7 bytes)']);
  mode = 'wrong-question';
  assert.deepEqual(strip(await dnsCheck(o)), [
    false,
    'malformed answer (question section does not match the query)',
  ]);
  mode = 'good';
  assert.deepEqual(strip(await dnsCheck(o)), [true, 'answered 0 records']);
});

test('MISC_CHECK: a script that floods stdout and never exits is killed at its timeout', async () => {
  const t0 = performance.now();
  const r = await miscCheck({
    argv: ['/bin/sh', '-c', 'yes flood; sleep 60'],
    timeoutMs: 300,
    dynamic: true,
  });
  assert.deepEqual([r.ok, r.reason, r.weight], [false, 'timeout after 300 ms (killed)', undefined]);
  assert.ok(performance.now() - t0 < 1000);
  assert.deepEqual(strip(await miscCheck({ argv: ['/bin/true'], timeoutMs: 1000, dynamic: false })), [
    true,
    'exit 0',
  ]);
});
