// TCP_CHECK's native connect prober, in a network namespace this test builds and moves into:
// bindto / bind_port as the server sees them, refused, a bind address that is not local, packets
// dropped by nftables (timeout), abort, thousands of checks at once each given its own answer, a
// completed check closed with a reset (no TIME_WAIT left per check), and host names falling back
// to a net.Socket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import net from 'node:net';
import { tcpCheck } from '../../../src/check/tcp.js';
import { native } from '../../../src/os/native.js';
import { commandUnavailable, netnsUnavailable } from '../../support/system.js';

const why = netnsUnavailable() ?? commandUnavailable('nft') ?? commandUnavailable('ss');
const NS = `vigil-tcpprobe-${process.pid}`;
const DROPPED = 9; // nft drops every packet to this port in the namespace
const resets: string[] = [];
let server: net.Server | undefined;
let port = 0;
let closedPort = 0;

const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'pipe' });
const strip = (r: { ok: boolean; reason: string }) => [r.ok, r.reason];

before(async () => {
  if (why) return;
  ip('netns', 'add', NS);
  ip('-n', NS, 'link', 'set', 'lo', 'up');
  execFileSync('ip', ['netns', 'exec', NS, 'nft', '-f', '-'], {
    input: `table inet t {\n  chain in {\n    type filter hook input priority 0;\n    tcp dport ${DROPPED} drop\n  }\n}\n`,
  });
  // This process's main thread (its sockets, and the prober thread it starts) now lives there.
  const fd = openSync(`/run/netns/${NS}`, 'r');
  native().setns(fd);
  closeSync(fd);
  server = net.createServer((c) => {
    c.on('error', (e: NodeJS.ErrnoException) => resets.push(e.code ?? e.message));
  });
  await new Promise<void>((r) => server!.listen({ port: 0, host: '::', backlog: 4096 }, r));
  port = (server.address() as net.AddressInfo).port;
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
});

after(() => {
  server?.close();
  if (!why) ip('netns', 'del', NS);
});

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(
  'connects, over IPv4 and IPv6, and the server sees the connection reset, not closed',
  { skip: why ?? false },
  async () => {
    assert.deepEqual(strip(await tcpCheck({ host: '127.0.0.1', port, timeoutMs: 1000 })), [
      true,
      'connected',
    ]);
    assert.deepEqual(strip(await tcpCheck({ host: '::1', port, timeoutMs: 1000 })), [true, 'connected']);
    await settle(100);
    assert.ok(
      resets.length >= 2 && resets.every((r) => r === 'ECONNRESET'),
      `server saw ${resets.join(',')}`,
    );
    const tw = execFileSync('ss', ['-Htn', 'state', 'time-wait'], { encoding: 'utf8' }).trim();
    assert.equal(tw, '', 'no TIME_WAIT left by the checks');
  },
);

// The source a check came from, counted by nft: the check has reset its connection before the
// server's accept() could ask for the peer's address.
function count(match: string): void {
  execFileSync('ip', [
    'netns',
    'exec',
    NS,
    'nft',
    'add',
    'rule',
    'inet',
    't',
    'in',
    ...match.split(' '),
    'counter',
  ]);
}

function packets(match: string): number {
  const out = execFileSync('ip', ['netns', 'exec', NS, 'nft', 'list', 'chain', 'inet', 't', 'in'], {
    encoding: 'utf8',
  });
  const line = out.split('\n').find((l) => l.includes(match));
  return Number(/packets (\d+)/.exec(line ?? '')?.[1] ?? 0);
}

test('bindto and bind_port are the source the server sees', { skip: why ?? false }, async () => {
  const both = `ip saddr 127.0.0.2 tcp sport 40123 tcp dport ${port}`;
  const portOnly = `tcp sport 40124 tcp dport ${port}`;
  count(both);
  count(portOnly);
  const r = await tcpCheck({
    host: '127.0.0.1',
    port,
    timeoutMs: 1000,
    bindto: '127.0.0.2',
    bindPort: 40123,
  });
  assert.deepEqual(strip(r), [true, 'connected']);
  assert.deepEqual(strip(await tcpCheck({ host: '127.0.0.1', port, timeoutMs: 1000, bindPort: 40124 })), [
    true,
    'connected',
  ]);
  // The handshake's ACK and the reset at least, from exactly that source.
  assert.ok(packets(both) >= 2, `from 127.0.0.2:40123: ${packets(both)} packets`);
  assert.ok(packets(portOnly) >= 2, `from port 40124: ${packets(portOnly)} packets`);
  const foreign = await tcpCheck({ host: '127.0.0.1', port, timeoutMs: 1000, bindto: '192.0.2.7' });
  assert.deepEqual(strip(foreign), [false, 'bind address not available']);
});

test(
  'a closed port is refused; dropped packets time out at connect_timeout',
  { skip: why ?? false },
  async () => {
    assert.deepEqual(strip(await tcpCheck({ host: '127.0.0.1', port: closedPort, timeoutMs: 1000 })), [
      false,
      'connection refused',
    ]);
    const t0 = performance.now();
    const dropped = await tcpCheck({ host: '127.0.0.1', port: DROPPED, timeoutMs: 300 });
    const took = performance.now() - t0;
    assert.deepEqual(strip(dropped), [false, 'timeout']);
    assert.ok(took >= 295 && took < 450, `timed out after ${took.toFixed(0)} ms`);
    assert.ok(dropped.latencyMs >= 295 && dropped.latencyMs < 450, `latency ${dropped.latencyMs}`);
  },
);

test(
  'an aborted check answers at once; a host name is checked through a socket',
  { skip: why ?? false },
  async () => {
    const ac = new AbortController();
    const pending = tcpCheck({ host: '127.0.0.1', port: DROPPED, timeoutMs: 5000 }, ac.signal);
    const t0 = performance.now();
    ac.abort();
    assert.deepEqual(strip(await pending), [false, 'aborted']);
    assert.ok(performance.now() - t0 < 50);
    assert.deepEqual(strip(await tcpCheck({ host: 'localhost', port, timeoutMs: 1000 })), [
      true,
      'connected',
    ]);
  },
);

test('3,000 checks at once: each gets its own answer', { skip: why ?? false }, async () => {
  const kinds = Array.from({ length: 3000 }, (_, i) => i % 3);
  const target = [port, closedPort, DROPPED];
  const results = await Promise.all(
    kinds.map((k) => tcpCheck({ host: '127.0.0.1', port: target[k]!, timeoutMs: 500 })),
  );
  const want = [
    [true, 'connected'],
    [false, 'connection refused'],
    [false, 'timeout'],
  ];
  const wrong = results.filter((r, i) => JSON.stringify(strip(r)) !== JSON.stringify(want[kinds[i]!]));
  assert.equal(wrong.length, 0, `${wrong.length} wrong, e.g. ${JSON.stringify(wrong[0])}`);
});
