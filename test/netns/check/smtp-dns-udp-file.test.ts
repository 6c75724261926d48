// SMTP_CHECK, DNS_CHECK, UDP_CHECK and FILE_CHECK against real servers on loopback.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dnsCheck } from '../../../src/check/dns.js';
import { fileCheck } from '../../../src/check/file.js';
import { smtpCheck } from '../../../src/check/smtp.js';
import { udpCheck, type ReplyPattern } from '../../../src/check/udp.js';

const closers: (() => void)[] = [];
after(() => closers.forEach((c) => c()));

async function tcpServer(onConn: (c: net.Socket) => void): Promise<number> {
  const s = net.createServer(onConn);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closers.push(() => s.close());
  return (s.address() as net.AddressInfo).port;
}

async function udpServer(onMsg: (m: Buffer, reply: (b: Buffer) => void) => void): Promise<number> {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, rinfo) => onMsg(m, (b) => s.send(b, rinfo.port, rinfo.address)));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  closers.push(() => s.close());
  return s.address().port;
}

async function closedUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(r));
  return p;
}

const strip = (r: { ok: boolean; reason: string }) => [r.ok, r.reason];

test('SMTP_CHECK: 220 banner, HELO 250, QUIT; a bad banner or HELO fails with the code', async () => {
  const helos: string[] = [];
  const good = await tcpServer((c) => {
    c.write('220-mx.test ESMTP\r\n220 ready\r\n');
    c.on('data', (d) => {
      const line = d.toString();
      if (line.startsWith('HELO')) {
        helos.push(line.trim());
        c.write('250 mx.test\r\n');
      } else if (line.startsWith('QUIT')) c.end('221 bye\r\n');
    });
  });
  assert.deepEqual(
    strip(await smtpCheck({ host: '127.0.0.1', port: good, heloName: 'vigil.test', timeoutMs: 1000 })),
    [true, 'HELO 250'],
  );
  assert.deepEqual(helos, ['HELO vigil.test']);
  const busy = await tcpServer((c) => c.end('554 no service\r\n'));
  assert.deepEqual(
    strip(await smtpCheck({ host: '127.0.0.1', port: busy, heloName: 'x', timeoutMs: 1000 })),
    [false, 'banner 554, not 220'],
  );
  const rude = await tcpServer((c) => {
    c.write('220 ok\r\n');
    c.on('data', () => c.write('501 who are you\r\n'));
  });
  assert.deepEqual(
    strip(await smtpCheck({ host: '127.0.0.1', port: rude, heloName: 'x', timeoutMs: 1000 })),
    [false, 'HELO answered 501, not 250'],
  );
  const mute = await tcpServer(() => undefined);
  assert.deepEqual(strip(await smtpCheck({ host: '127.0.0.1', port: mute, heloName: 'x', timeoutMs: 200 })), [
    false,
    'timeout waiting for the banner',
  ]);
});

test('DNS_CHECK: a real query; rcode 0 is up, an error rcode or silence is down', async () => {
  const seen: Buffer[] = [];
  const mk = (rcode: number) =>
    udpServer((m, reply) => {
      seen.push(m);
      const r = Buffer.from(m);
      r.writeUInt16BE(0x8180 | rcode, 2); // QR, RD, RA
      reply(r);
    });
  const ok = await mk(0);
  assert.deepEqual(
    strip(
      await dnsCheck({ host: '127.0.0.1', port: ok, type: 'A', name: 'www.example.test', timeoutMs: 1000 }),
    ),
    [true, 'answered 0 records'],
  );
  // The query as sent: RD set, one question, QNAME www.example.test, QTYPE A, QCLASS IN.
  const q = seen[0]!;
  assert.equal(q.readUInt16BE(2), 0x0100);
  assert.equal(q.readUInt16BE(4), 1);
  assert.deepEqual(
    q.subarray(12),
    Buffer.from('03777777076578616d706c65047465737400' + '0001' + '0001', 'hex'),
  );
  const nx = await mk(3);
  assert.deepEqual(
    strip(await dnsCheck({ host: '127.0.0.1', port: nx, type: 'SOA', name: '.', timeoutMs: 1000 })),
    [false, 'rcode 3'],
  );
  const silent = await udpServer(() => undefined);
  assert.deepEqual(
    strip(await dnsCheck({ host: '127.0.0.1', port: silent, type: 'SOA', name: '.', timeoutMs: 200 })),
    [false, 'timeout: no answer'],
  );
});

const pattern = (text: string, minLength = 0, maxLength = 255): ReplyPattern => ({
  data: Buffer.from(text),
  minLength,
  maxLength,
});

test('UDP_CHECK: port unreachable is down; with require_reply a (matching) reply is needed', async () => {
  const echo = await udpServer((m, reply) => reply(Buffer.concat([Buffer.from('ok:'), m])));
  const payload = Buffer.from('ping');
  assert.deepEqual(
    strip(await udpCheck({ host: '127.0.0.1', port: echo, payload, requireReply: true, timeoutMs: 1000 })),
    [true, 'reply received'],
  );
  assert.deepEqual(
    strip(
      await udpCheck({
        host: '127.0.0.1',
        port: echo,
        payload,
        requireReply: pattern('ok:'),
        timeoutMs: 1000,
      }),
    ),
    [true, 'reply received'],
  );
  assert.deepEqual(
    strip(
      await udpCheck({
        host: '127.0.0.1',
        port: echo,
        payload,
        requireReply: pattern('no'),
        timeoutMs: 1000,
      }),
    ),
    [false, 'reply data mismatch (7 bytes)'],
  );
  // keepalived's min_reply_length / max_reply_length: the 7-byte answer must fit them.
  for (const [min, max, ok] of [
    [7, 7, true],
    [8, 255, false],
    [0, 6, false],
  ] as const) {
    const r = await udpCheck({
      host: '127.0.0.1',
      port: echo,
      payload,
      requireReply: pattern('ok:', min, max),
      timeoutMs: 1000,
    });
    assert.equal(r.ok, ok, `min ${min} max ${max}: ${r.reason}`);
  }
  const closed = await closedUdpPort();
  assert.deepEqual(strip(await udpCheck({ host: '127.0.0.1', port: closed, payload, timeoutMs: 500 })), [
    false,
    'connection refused',
  ]);
  const silent = await udpServer(() => undefined);
  assert.deepEqual(strip(await udpCheck({ host: '127.0.0.1', port: silent, payload, timeoutMs: 200 })), [
    true,
    'no port unreachable',
  ]);
  assert.deepEqual(
    strip(await udpCheck({ host: '127.0.0.1', port: silent, payload, requireReply: true, timeoutMs: 200 })),
    [false, 'timeout: no reply'],
  );
});

test('FILE_CHECK: 0 is up, non-zero down, a weight turns the value into the real server weight', async () => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-file-'));
  const f = join(d, 'state');
  writeFileSync(f, '0\n');
  assert.deepEqual(strip(await fileCheck({ path: f, reverse: false })), [true, 'value 0']);
  writeFileSync(f, '3\n');
  assert.deepEqual(strip(await fileCheck({ path: f, reverse: false })), [false, 'value 3']);
  const w = await fileCheck({ path: f, weight: 2, reverse: false });
  assert.deepEqual([w.ok, w.weight], [true, 6]);
  assert.equal((await fileCheck({ path: f, weight: 2, reverse: true })).ok, false);
  assert.deepEqual(strip(await fileCheck({ path: join(d, 'missing'), reverse: false })), [
    false,
    `cannot read ${join(d, 'missing')}: ENOENT`,
  ]);
});

test('PING_CHECK: an echo reply from a live address; silence from one nobody holds', async (t) => {
  const { requireSystem, netnsUnavailable } = await import('../../support/system.js');
  if (!requireSystem(t, netnsUnavailable())) return;
  const { pingCheck } = await import('../../../src/check/ping.js');
  assert.deepEqual(strip(await pingCheck({ host: '127.0.0.1', timeoutMs: 1000 })), [true, 'echo reply']);
  assert.deepEqual(strip(await pingCheck({ host: '::1', timeoutMs: 1000 })), [true, 'echo reply']);
  // In a fresh network namespace even loopback is down: no reply can come.
  const { execFileSync } = await import('node:child_process');
  const code = `import { pingCheck } from './src/check/ping.ts';
const r = await pingCheck({ host: '127.0.0.1', timeoutMs: 300 });
console.log(JSON.stringify([r.ok, r.reason]));`;
  const out = execFileSync(
    'unshare',
    ['--net', process.execPath, '--import', 'tsx', '--input-type=module', '-e', code],
    { encoding: 'utf8' },
  );
  const [ok, reason] = JSON.parse(out.trim()) as [boolean, string];
  assert.equal(ok, false);
  assert.ok(
    ['timeout: no echo reply', 'enetunreach: sendmsg: Network is unreachable'].includes(reason) ||
      /unreachable/.test(reason),
    reason,
  );
});
