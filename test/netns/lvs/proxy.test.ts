// The user-space engine against real HTTP and UDP servers on loopback (127.0.0.0/8 is all local
// on Linux, so each server and the virtual service get their own address without root).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { randomInt } from 'node:crypto';
import { ProxyEngine } from '../../../src/dataplane/proxy/engine.js';
import { plan } from '../../../src/lvs/plan.js';
import type { DestSpec, ServiceKey } from '../../../src/dataplane/engine.js';
import { freePort } from '../../support/ports.js';

const base = `127.${randomInt(1, 250)}.${randomInt(1, 250)}`;
const VIP = `${base}.1`;
const servers: { name: string; address: string; port: number; server: http.Server }[] = [];

function dest(address: string, port: number, weight = 1): DestSpec {
  return { address, port, forwarding: 'nat', weight, upperThreshold: 0, lowerThreshold: 0 };
}

/** One request on a new connection; resolves with the server's name. */
function get(port: number, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: VIP, port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

async function sequential(port: number, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = await get(port);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

before(async () => {
  for (const [i, name] of ['a', 'b', 'c'].entries()) {
    const address = `${base}.${11 + i}`;
    const server = http.createServer((req, res) => {
      if (req.url?.startsWith('/big/')) {
        const size = Number(req.url.slice(5));
        res.writeHead(200, { 'content-length': size });
        const chunk = Buffer.alloc(64 * 1024, 120);
        let sent = 0;
        const pump = () => {
          while (sent < size) {
            const n = Math.min(chunk.length, size - sent);
            sent += n;
            if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n)))
              return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      res.end(name);
    });
    await new Promise<void>((r) => server.listen(0, address, r));
    servers.push({ name, address, port: (server.address() as net.AddressInfo).port, server });
  }
});

after(() => {
  for (const s of servers) s.server.closeAllConnections();
  for (const s of servers) s.server.close();
});

async function withService(
  scheduler: string,
  weights: number[],
  body: (engine: ProxyEngine, key: ServiceKey, port: number) => Promise<void>,
  extra: { persistenceTimeout?: number } = {},
): Promise<void> {
  const port = await freePort(VIP);
  const key: ServiceKey = { kind: 'addr', family: 4, address: VIP, port, protocol: 'tcp' };
  const engine = new ProxyEngine();
  try {
    await engine.apply([
      { op: 'add-service', service: { key, scheduler, flags: {}, ...extra } },
      ...weights.map((w, i) => ({
        op: 'add-dest' as const,
        key,
        dest: dest(servers[i]!.address, servers[i]!.port, w),
      })),
    ]);
    await body(engine, key, port);
  } finally {
    await engine.close();
  }
}

test('TCP goes through the relay this run asks for, and the log says which', async () => {
  const want = process.env.VIGIL_TCP_RELAY === 'node' ? 'node' : 'native';
  const logs: string[] = [];
  const engine = new ProxyEngine({ log: (m) => logs.push(m) });
  assert.equal(engine.tcpRelay(), want);
  const port = await freePort(VIP);
  const key: ServiceKey = { kind: 'addr', family: 4, address: VIP, port, protocol: 'tcp' };
  try {
    await engine.apply([{ op: 'add-service', service: { key, scheduler: 'rr', flags: {} } }]);
  } finally {
    await engine.close();
  }
  const line =
    want === 'node'
      ? /TCP through Node sockets \(VIGIL_TCP_RELAY=node\)/
      : /TCP through the native relay \(\d+ threads?\)/;
  assert.match(logs.join('\n'), line);
});

test('wrr 3:2:1 distributes new connections 3:2:1', async () => {
  await withService('wrr', [3, 2, 1], async (_e, _k, port) => {
    assert.deepEqual(await sequential(port, 60), { a: 30, b: 20, c: 10 });
  });
});

test('rr alternates; persistence keeps the client on one server', async () => {
  await withService('rr', [1, 1], async (_e, _k, port) => {
    assert.deepEqual(await sequential(port, 10), { a: 5, b: 5 });
  });
  await withService(
    'rr',
    [1, 1],
    async (_e, _k, port) => {
      const counts = await sequential(port, 10);
      assert.equal(Object.keys(counts).length, 1, JSON.stringify(counts));
    },
    { persistenceTimeout: 60 },
  );
});

/** A keep-alive connection held open to whichever server answers it. */
async function heldConnection(
  port: number,
): Promise<{ agent: http.Agent; server: string; ask: () => Promise<string> }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ask = () =>
    new Promise<string>((resolve, reject) => {
      http
        .get({ host: VIP, port, agent }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
  return { agent, server: await ask(), ask };
}

test('a removed server gets no new connections while its established one keeps working', async () => {
  await withService('rr', [1, 1, 1], async (engine, key, port) => {
    const held = await heldConnection(port);
    const gone = servers.find((s) => s.name === held.server)!;
    await engine.apply([{ op: 'del-dest', key, address: gone.address, port: gone.port }]);
    const counts = await sequential(port, 20);
    assert.equal(counts[gone.name], undefined);
    assert.equal(
      Object.values(counts).reduce((a, b) => a + b, 0),
      20,
    );
    assert.equal(await held.ask(), gone.name);
    held.agent.destroy();
  });
});

test('weight 0 drains: no new connections, the established one stays counted and served', async () => {
  await withService('wlc', [1, 1], async (engine, key, port) => {
    const held = await heldConnection(port);
    const drained = servers.find((s) => s.name === held.server)!;
    await engine.apply([{ op: 'edit-dest', key, dest: dest(drained.address, drained.port, 0) }]);
    const counts = await sequential(port, 10);
    assert.equal(counts[drained.name], undefined);
    const [st] = await engine.stats();
    const d = st!.dests.find((x) => x.address === drained.address)!;
    assert.equal(d.activeConns, 1);
    // Short requests to the other server may still be closing; the held one is the drained one's only.
    const table = engine.connections().filter((c) => c.dest === drained.address);
    assert.equal(table.length, 1);
    assert.equal(table[0]!.dest, drained.address);
    assert.equal(table[0]!.state, 'ESTABLISHED');
    assert.equal(table[0]!.virtualPort, port);
    assert.ok(table[0]!.expiresMs > 800_000 && table[0]!.expiresMs <= 900_000);
    assert.equal(await held.ask(), drained.name);
    assert.deepEqual((await engine.read())[0]!.dests.map((x) => x.weight).sort(), [0, 1]);
    held.agent.destroy();
  });
});

test('counters follow the traffic; lc counts live connections', async () => {
  await withService('lc', [1, 1], async (engine, _k, port) => {
    const held = await heldConnection(port);
    // With one connection held on one server, lc sends every new one to the other.
    const counts = await sequential(port, 6);
    assert.deepEqual(Object.keys(counts), [held.server === 'a' ? 'b' : 'a']);
    const [st] = await engine.stats();
    assert.equal(st!.counters.conns, 7);
    assert.ok(st!.counters.inBytes > 7 * 30 && st!.counters.outBytes > 7 * 30);
    held.agent.destroy();
  });
});

test('upper threshold: a server at its limit takes no new connection until one ends', async () => {
  await withService('rr', [1, 1], async (engine, key, port) => {
    const [a] = servers;
    await engine.apply([{ op: 'edit-dest', key, dest: { ...dest(a!.address, a!.port), upperThreshold: 1 } }]);
    const held = await heldConnection(port);
    assert.equal(held.server, 'a');
    assert.deepEqual(await sequential(port, 4), { b: 4 });
    held.agent.destroy();
    for (let i = 0; i < 100 && (await engine.stats())[0]!.dests[0]!.activeConns > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    // Without a lower threshold the flag clears below 3/4 of the upper one: a is back.
    assert.deepEqual(await sequential(port, 4), { a: 2, b: 2 });
  });
});

test('half-close: the client FIN reaches the server and its reply still comes back', async () => {
  const address = `${base}.20`;
  const echo = net.createServer({ allowHalfOpen: true }, (s) => {
    const parts: Buffer[] = [];
    s.on('data', (b: Buffer) => parts.push(b));
    s.on('end', () => s.end(Buffer.concat(parts).toString().toUpperCase()));
  });
  await new Promise<void>((r) => echo.listen(0, address, r));
  const port = await freePort(VIP);
  const key: ServiceKey = { kind: 'addr', family: 4, address: VIP, port, protocol: 'tcp' };
  const engine = new ProxyEngine();
  try {
    await engine.apply([
      { op: 'add-service', service: { key, scheduler: 'rr', flags: {} } },
      { op: 'add-dest', key, dest: dest(address, (echo.address() as net.AddressInfo).port) },
    ]);
    const c = net.connect({ host: VIP, port, allowHalfOpen: true });
    c.end('half closed');
    let got = '';
    c.on('data', (b: Buffer) => (got += b.toString()));
    await once(c, 'close');
    assert.equal(got, 'HALF CLOSED');
  } finally {
    await engine.close();
    echo.close();
  }
});

test('back-pressure: a client that stops reading keeps the proxy buffer bounded', async () => {
  await withService('rr', [1], async (engine, _k, port) => {
    const size = 64 * 1024 * 1024;
    const c = net.connect({ host: VIP, port });
    await once(c, 'connect');
    c.write(`GET /big/${size} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    let received = 0;
    let reading = false;
    c.on('data', (b: Buffer) => {
      received += b.length;
      if (!reading && received > 256 * 1024) c.pause();
    });
    // Wait until the transfer stalls: nothing more arrives over several polls (bounded count).
    let last = -1;
    let stable = 0;
    for (let i = 0; i < 200 && stable < 5; i++) {
      await new Promise((r) => setTimeout(r, 20));
      stable = received === last ? stable + 1 : 0;
      last = received;
    }
    assert.equal(stable, 5, 'transfer never stalled');
    assert.ok(received < size / 2, `client took ${received} bytes while paused`);
    const held = engine.bufferedBytes();
    assert.ok(held < 1024 * 1024, `proxy holds ${held} bytes`);
    reading = true;
    c.resume();
    await once(c, 'end');
    assert.ok(received >= size, `received ${received}`);
  });
});

test('UDP echo round-trip through a flow per client, flows counted', async () => {
  const address = `${base}.30`;
  const echo = dgram.createSocket('udp4');
  echo.on('message', (m, r) => echo.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
  await new Promise<void>((r) => echo.bind(0, address, r));
  const port = await freePort(VIP);
  const key: ServiceKey = { kind: 'addr', family: 4, address: VIP, port, protocol: 'udp' };
  const engine = new ProxyEngine();
  const client = dgram.createSocket('udp4');
  try {
    await engine.apply([
      { op: 'add-service', service: { key, scheduler: 'wrr', flags: {} } },
      { op: 'add-dest', key, dest: dest(address, echo.address().port) },
    ]);
    for (const text of ['one', 'two']) {
      client.send(text, port, VIP);
      const [msg] = (await once(client, 'message')) as [Buffer];
      assert.equal(msg.toString(), `echo:${text}`);
    }
    const [st] = await engine.stats();
    assert.equal(st!.counters.conns, 1);
    assert.equal(st!.dests[0]!.inactiveConns, 1);
    const [flow] = engine.connections();
    assert.equal(flow!.state, 'UDP');
    assert.equal(flow!.clientPort, client.address().port);
    assert.equal(st!.counters.inPkts, 2);
    assert.equal(st!.counters.outPkts, 2);
  } finally {
    client.close();
    await engine.close();
    echo.close();
  }
});

test('UDP: one-packet scheduling spreads datagrams, idle flows expire', async () => {
  const echoes: dgram.Socket[] = [];
  const port = await freePort(VIP);
  const key: ServiceKey = { kind: 'addr', family: 4, address: VIP, port, protocol: 'udp' };
  const engine = new ProxyEngine({ timeouts: { udp: 0.2 } });
  const client = dgram.createSocket('udp4');
  try {
    await engine.apply([{ op: 'add-service', service: { key, scheduler: 'rr', flags: { ops: true } } }]);
    for (const name of ['x', 'y']) {
      const echo = dgram.createSocket('udp4');
      echo.on('message', (_m, r) => echo.send(name, r.port, r.address));
      const address = `${base}.${name === 'x' ? 40 : 41}`;
      await new Promise<void>((r) => echo.bind(0, address, r));
      echoes.push(echo);
      await engine.apply([{ op: 'add-dest', key, dest: dest(address, echo.address().port) }]);
    }
    const got: string[] = [];
    for (let i = 0; i < 4; i++) {
      client.send('ping', port, VIP);
      const [msg] = (await once(client, 'message')) as [Buffer];
      got.push(msg.toString());
    }
    assert.deepEqual(got, ['x', 'y', 'x', 'y']);
    const flows = async () => (await engine.stats())[0]!.dests.reduce((n, d) => n + d.inactiveConns, 0);
    assert.equal(await flows(), 2);
    for (let i = 0; i < 100 && (await flows()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await flows(), 0);
  } finally {
    client.close();
    await engine.close();
    for (const e of echoes) e.close();
  }
});

test('the planner against the engine: applying its plan converges, replanning is empty', async () => {
  const port = await freePort(VIP);
  const key: ServiceKey = { kind: 'addr', family: 4, address: VIP, port, protocol: 'tcp' };
  const desired = [
    {
      key,
      scheduler: 'wrr',
      flags: {},
      dests: servers.map((s, i) => dest(s.address, s.port, i + 1)),
    },
  ];
  const engine = new ProxyEngine();
  try {
    await engine.apply(plan(desired, await engine.read()));
    assert.deepEqual(plan(desired, await engine.read()), []);
    desired[0]!.dests.pop();
    desired[0]!.dests[0]!.weight = 5;
    const changes = plan(desired, await engine.read());
    assert.deepEqual(
      changes.map((c) => c.op),
      ['del-dest', 'edit-dest'],
    );
    await engine.apply(changes);
    assert.deepEqual(plan(desired, await engine.read()), []);
    assert.deepEqual(await sequential(port, 7), { a: 5, b: 2 });
  } finally {
    await engine.close();
  }
});

test('IPv6: a service on ::1 proxies to a server on ::1', async (t) => {
  const server = http.createServer((_q, r) => r.end('six'));
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '::1', resolve));
  } catch {
    t.skip('no IPv6 loopback');
    return;
  }
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '::1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const key: ServiceKey = { kind: 'addr', family: 6, address: '::1', port, protocol: 'tcp' };
  const engine = new ProxyEngine();
  try {
    await engine.apply([
      { op: 'add-service', service: { key, scheduler: 'mh', flags: {} } },
      { op: 'add-dest', key, dest: dest('::1', (server.address() as net.AddressInfo).port) },
    ]);
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '::1', port, agent: false }, (res) => {
          let b = '';
          res.on('data', (c: Buffer) => (b += c.toString()));
          res.on('end', () => resolve(b));
        })
        .on('error', reject);
    });
    assert.equal(body, 'six');
  } finally {
    await engine.close();
    server.close();
  }
});

test('an idle TCP connection is closed after the tcp timeout', async () => {
  const port = await freePort(VIP);
  const key: ServiceKey = { kind: 'addr', family: 4, address: VIP, port, protocol: 'tcp' };
  const engine = new ProxyEngine({ timeouts: { tcp: 0.2 } });
  try {
    await engine.apply([
      { op: 'add-service', service: { key, scheduler: 'rr', flags: {} } },
      { op: 'add-dest', key, dest: dest(servers[0]!.address, servers[0]!.port) },
    ]);
    const c = net.connect({ host: VIP, port });
    c.on('error', () => {});
    await once(c, 'connect');
    const closed = once(c, 'close');
    const guard = new Promise((_r, reject) =>
      setTimeout(() => reject(new Error('not closed within 5 s')), 5000).unref(),
    );
    await Promise.race([closed, guard]);
    for (let i = 0; i < 100 && engine.connections().length > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(engine.connections().length, 0);
  } finally {
    await engine.close();
  }
});

test('a virtual address not on this host yet keeps the service programmed and retries', async () => {
  const logs: string[] = [];
  const engine = new ProxyEngine({ log: (m) => logs.push(m), rebindMs: 50 });
  const key: ServiceKey = { kind: 'addr', family: 4, address: '192.0.2.123', port: 80, protocol: 'tcp' };
  try {
    await engine.apply([{ op: 'add-service', service: { key, scheduler: 'rr', flags: {} } }]);
    assert.equal((await engine.read()).length, 1);
    assert.match(logs.join('\n'), /192\.0\.2\.123 is not local yet/);
  } finally {
    await engine.close();
  }
});

test('bad changes are refused with the service and server named, nothing changed', async () => {
  await withService('rr', [1], async (engine, key) => {
    const before = await engine.read();
    await assert.rejects(
      engine.apply([{ op: 'add-dest', key, dest: dest(servers[0]!.address, servers[0]!.port) }]),
      /already exists/,
    );
    await assert.rejects(
      engine.apply([{ op: 'add-dest', key, dest: dest('not-an-ip', 80) }]),
      /not-an-ip:80: not an IP address/,
    );
    await assert.rejects(
      engine.apply([{ op: 'add-dest', key, dest: dest('10.0.0.1', 80, 70000) }]),
      /weight out of range/,
    );
    await assert.rejects(
      engine.apply([
        {
          op: 'add-service',
          service: { key: { kind: 'fwmark', family: 4, fwmark: 3 }, scheduler: 'rr', flags: {} },
        },
      ]),
      /fwmark\|4\|3: fwmark services need the ipvs or nft engine/,
    );
    await assert.rejects(
      engine.apply([{ op: 'edit-service', service: { key, scheduler: 'nope', flags: {} } }]),
      /unknown scheduler "nope"/,
    );
    assert.deepEqual(await engine.read(), before);
  });
});
