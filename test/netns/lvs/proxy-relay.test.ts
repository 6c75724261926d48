// What the native TCP relay (native/tcp_relay.c) must do beyond the engine's scenarios
// (proxy.test.ts runs those through both relays): many connections at once, bytes intact in both
// directions, errors on one side reaching the other, and a deleted service ending its connections.
// Real TCP servers on loopback addresses of their own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { ProxyEngine } from '../../../src/dataplane/proxy/engine.js';
import type { DestSpec, ServiceKey } from '../../../src/dataplane/engine.js';
import { freePort } from '../../support/ports.js';
import { until } from '../../../src/lab/until.js';

const base = `127.${randomInt(1, 250)}.${randomInt(1, 250)}`;
const VIP = `${base}.1`;
const ECHO = `${base}.11`;
let echo: net.Server;
let echoPort = 0;
/** Sockets the echo server holds, to reset them from the server side. */
const held = new Set<net.Socket>();

function dest(address: string, port: number): DestSpec {
  return { address, port, forwarding: 'nat', weight: 1, upperThreshold: 0, lowerThreshold: 0 };
}

before(async () => {
  // Echoes every byte; on end, ends too (so a client's FIN comes back as the server's).
  echo = net.createServer({ allowHalfOpen: true }, (s) => {
    held.add(s);
    s.on('close', () => held.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, ECHO, r));
  echoPort = (echo.address() as net.AddressInfo).port;
});

after(() => {
  for (const s of held) s.destroy();
  echo.close();
});

async function withService(
  body: (engine: ProxyEngine, key: ServiceKey, port: number) => Promise<void>,
  to = echoPort,
) {
  const port = await freePort(VIP);
  const key: ServiceKey = { kind: 'addr', family: 4, address: VIP, port, protocol: 'tcp' };
  const engine = new ProxyEngine();
  assert.equal(engine.tcpRelay(), 'native');
  try {
    await engine.apply([
      { op: 'add-service', service: { key, scheduler: 'rr', flags: {} } },
      { op: 'add-dest', key, dest: dest(ECHO, to) },
    ]);
    await body(engine, key, port);
  } finally {
    await engine.close();
  }
}

/** Polls until cond holds (bounded: 100 × 20 ms); returns whether it did. */
/** Whether cond holds within 2 s (for assert.ok with the caller's message). */
const eventually = (cond: () => boolean | Promise<boolean>): Promise<boolean> =>
  until('', cond, 2000, { stepMs: 20 }).then(
    () => true,
    () => false,
  );

/** Sends data, half-closes, and resolves with everything the far side sent back. */
function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host: VIP, port, allowHalfOpen: true });
    const parts: Buffer[] = [];
    c.on('data', (b: Buffer) => parts.push(b));
    c.on('end', () => resolve(Buffer.concat(parts)));
    c.on('error', reject);
    c.end(data);
  });
}

test('500 connections at once each get their own bytes back, and all are gone after', async () => {
  await withService(async (engine, _key, port) => {
    const payloads = Array.from({ length: 500 }, (_, i) => Buffer.from(`connection ${i} ${'x'.repeat(i)}`));
    const got = await Promise.all(payloads.map((p) => roundTrip(port, p)));
    for (let i = 0; i < payloads.length; i++) assert.deepEqual(got[i], payloads[i]);
    assert.ok(
      await eventually(() => engine.connections().length === 0),
      `${engine.connections().length} left`,
    );
    const [st] = await engine.stats();
    assert.equal(st!.counters.conns, 500);
    assert.equal(st!.dests[0]!.activeConns + st!.dests[0]!.inactiveConns, 0);
    const bytes = payloads.reduce((n, p) => n + p.length, 0);
    assert.ok(await eventually(async () => (await engine.stats())[0]!.counters.inBytes === bytes));
    assert.equal((await engine.stats())[0]!.counters.outBytes, bytes);
  });
});

test('8 MiB each way arrive intact (same hash), through a client that reads slowly', async () => {
  await withService(async (engine, _key, port) => {
    const data = randomBytes(8 * 1024 * 1024);
    const c = net.connect({ host: VIP, port, allowHalfOpen: true });
    const hash = createHash('sha256');
    let n = 0;
    let most = 0; // the relay holds at most one unsent read (64 KiB) per direction
    c.on('data', (b: Buffer) => {
      hash.update(b);
      n += b.length;
      most = Math.max(most, engine.bufferedBytes());
      // Pauses now and then, so the relay's write side blocks and it must hold back reading.
      if (n % 7 === 0) {
        c.pause();
        setTimeout(() => c.resume(), 5);
      }
    });
    c.end(data);
    await once(c, 'end');
    assert.equal(n, data.length);
    assert.equal(hash.digest('hex'), createHash('sha256').update(data).digest('hex'));
    assert.ok(most <= 2 * 64 * 1024, `the relay held ${most} bytes`);
  });
});

test('a refused real server resets the client; nothing stays counted', async () => {
  const closed = await freePort(ECHO);
  await withService(async (engine, _key, port) => {
    const c = net.connect({ host: VIP, port });
    const err = await new Promise<Error | null>((resolve) => {
      c.on('error', resolve);
      c.on('close', () => resolve(null));
    });
    assert.equal((err as NodeJS.ErrnoException | null)?.code, 'ECONNRESET');
    assert.ok(await eventually(() => engine.connections().length === 0));
    const [st] = await engine.stats();
    assert.equal(st!.dests[0]!.activeConns + st!.dests[0]!.inactiveConns, 0);
  }, closed);
});

/** How a client socket ends: `code on syscall` of its error, 'close' for a clean close, or 'timeout'. */
function ending(c: net.Socket, ms = 10_000): Promise<string> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('timeout'), ms);
    c.on('error', (e: NodeJS.ErrnoException) => resolve(`${e.code} on ${e.syscall}`));
    c.on('close', () => resolve('close'));
    c.on('close', () => clearTimeout(t));
  });
}

test('a client that resets before its server is connected leaves nothing behind', async () => {
  await withService(async (engine, _key, port) => {
    const before = held.size;
    const clients = Array.from({ length: 20 }, () => {
      const c = net.connect({ host: VIP, port });
      c.on('error', () => {});
      c.on('connect', () => c.resetAndDestroy());
      return c;
    });
    assert.ok(await eventually(() => clients.every((c) => c.destroyed)));
    // The relay learns of each reset by reading the client once its server is connected.
    assert.ok(
      await eventually(() => engine.connections().length === 0),
      `${engine.connections().length} left`,
    );
    const [st] = await engine.stats();
    assert.equal(st!.dests[0]!.activeConns + st!.dests[0]!.inactiveConns, 0);
    assert.ok(await eventually(() => held.size === before), 'the real server kept connections open');
  });
});

test("a real server's reset reaches the client as a reset", async () => {
  await withService(async (engine, _key, port) => {
    const c = net.connect({ host: VIP, port });
    const end = ending(c);
    c.write('hello');
    await once(c, 'data');
    assert.equal(held.size, 1);
    for (const s of held) s.resetAndDestroy();
    assert.equal(await end, 'ECONNRESET on read');
    assert.ok(await eventually(() => engine.connections().length === 0));
  });
});

test("a real server's reset reaches a client the relay holds bytes for", async () => {
  // A server that only sends, to a client that does not read: the relay holds a read for the
  // client and stops reading the server, so the reset comes as an error with nothing readable.
  const flood = net.createServer((s) => {
    held.add(s);
    s.on('close', () => held.delete(s));
    s.on('error', () => {});
    s.write(randomBytes(16 * 1024 * 1024));
  });
  await new Promise<void>((r) => flood.listen(0, ECHO, r));
  try {
    await withService(
      async (engine, _key, port) => {
        // A paused client with a full receive queue reads a reset as an end (the kernel's way), so
        // it writes instead: a reset socket refuses the write, one that got a FIN takes it.
        const c = net.connect({ host: VIP, port, allowHalfOpen: true });
        c.pause();
        assert.ok(await eventually(() => engine.bufferedBytes() > 0), 'the relay never held bytes back');
        for (const s of held) s.resetAndDestroy();
        assert.ok(await eventually(() => engine.connections().length === 0));
        const failed = ending(c, 2000);
        c.write('after the reset');
        assert.equal(await failed, 'ECONNRESET on write');
        c.destroy();
      },
      (flood.address() as net.AddressInfo).port,
    );
  } finally {
    flood.close();
  }
});

test('deleting the service ends its established connections and stops listening', async () => {
  await withService(async (engine, key, port) => {
    const c = net.connect({ host: VIP, port });
    const end = ending(c);
    c.write('hello');
    await once(c, 'data');
    // State changes reach the table within the relay's 10 ms (at once with the next accept).
    assert.ok(await eventually(() => engine.connections()[0]?.state === 'ESTABLISHED'));
    await engine.apply([{ op: 'del-service', key }]);
    assert.equal(await end, 'close');
    assert.equal(engine.connections().length, 0);
    const again = net.connect({ host: VIP, port });
    const [err] = (await once(again, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNREFUSED');
  });
});
