// The nft engine with real traffic: a client, a director and two real servers in namespaces.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { createLab, type Lab } from '../../../src/lab/index.js';
import type { DestSpec, Forwarding, ServiceKey } from '../../../src/dataplane/engine.js';
import { NftEngine } from '../../../src/dataplane/nft/engine.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import { holdConnection, requests, startServer } from './traffic.js';

const VIP = '10.71.0.100';
const RS1 = '10.72.0.21';
const RS2 = '10.72.0.22';

const dest = (address: string, weight: number, forwarding: Forwarding = 'nat', port = 80): DestSpec => ({
  address,
  port,
  forwarding,
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
});

const share = (c: Record<string, number>, name: string): number => {
  const total = Object.values(c).reduce((a, b) => a + b, 0);
  return (c[name] ?? 0) / total;
};

function skipUnlessSystem(t: TestContext): boolean {
  return requireSystem(t, netnsUnavailable(), commandUnavailable('nft'));
}

describe('nft engine, NAT and full NAT (client | director | rs1, rs2 behind it)', () => {
  let lab: Lab | undefined;
  let engine: NftEngine;
  const web: ServiceKey = { kind: 'addr', family: 4, address: VIP, port: 80, protocol: 'tcp' };

  before(async () => {
    if (netnsUnavailable() || commandUnavailable('nft')) return;
    lab = await createLab({
      segments: ['front', 'back'],
      nodes: [
        {
          name: 'client',
          interfaces: [{ segment: 'front', addresses: ['10.71.0.10/24', '10.71.0.11/24'] }],
          routes: ['default via 10.71.0.1'],
        },
        {
          name: 'director',
          interfaces: [
            { segment: 'front', addresses: ['10.71.0.1/24', `${VIP}/32`] },
            { segment: 'back', addresses: ['10.72.0.1/24', '10.72.0.2/24'] },
          ],
          sysctls: { 'net.ipv4.ip_forward': '1' },
        },
        {
          name: 'rs1',
          interfaces: [{ segment: 'back', addresses: [`${RS1}/24`] }],
          routes: ['default via 10.72.0.1'],
        },
        {
          name: 'rs2',
          interfaces: [{ segment: 'back', addresses: [`${RS2}/24`] }],
          routes: ['default via 10.72.0.1'],
        },
      ],
    });
    await startServer(lab, 'rs1');
    await startServer(lab, 'rs2');
    const probe = await NftEngine.probe({ netns: lab.node('director').ns });
    assert.deepEqual(probe, { ok: true });
    engine = new NftEngine({
      netns: lab.node('director').ns,
      fullnat: { address4: '10.72.0.2', ports: [40000, 49999] },
    });
  });

  after(async () => {
    await lab?.destroy();
  });

  it('wrr 3:1 distributes new connections 3:1 and reads back what it programmed', async (t) => {
    if (!skipUnlessSystem(t) || !lab) return;
    await engine.apply([
      { op: 'add-service', service: { key: web, scheduler: 'wrr', flags: {} } },
      { op: 'add-dest', key: web, dest: dest(RS1, 3) },
      { op: 'add-dest', key: web, dest: dest(RS2, 1) },
    ]);
    const c = await requests(lab, 'client', VIP, 80, 400);
    assert.equal(Object.keys(c).filter((k) => k.startsWith('error')).length, 0, JSON.stringify(c));
    assert.ok(Math.abs(share(c, 'rs1') - 0.75) < 0.05, JSON.stringify(c));
    const [st] = await engine.stats();
    assert.deepEqual(
      st?.dests.map((d) => [d.address, d.counters.conns]),
      [
        [RS1, c.rs1],
        [RS2, c.rs2],
      ],
    );
    assert.equal(st?.counters.conns, 400);
    const fresh = new NftEngine({ netns: lab.node('director').ns });
    assert.deepEqual(await fresh.read(), [
      { key: web, scheduler: 'wrr', flags: {}, dests: [dest(RS1, 3), dest(RS2, 1)] },
    ]);
  });

  it('a weight change takes effect', async (t) => {
    if (!skipUnlessSystem(t) || !lab) return;
    await engine.apply([{ op: 'edit-dest', key: web, dest: dest(RS2, 3) }]);
    const c = await requests(lab, 'client', VIP, 80, 200);
    assert.ok(Math.abs(share(c, 'rs1') - 0.5) < 0.08, JSON.stringify(c));
  });

  it('a removed server gets no new connections while its established one keeps working', async (t) => {
    if (!skipUnlessSystem(t) || !lab) return;
    // Open keep-alive connections until one lands on rs2.
    const holders = Array.from({ length: 6 }, () => holdConnection(lab!, 'client', VIP, 80));
    try {
      const first = await Promise.all(holders.map((h) => h.ask()));
      const onRs2 = holders[first.indexOf('rs2')];
      assert.ok(onRs2, `no connection on rs2: ${first.join(',')}`);
      const live = (await engine.stats())[0]?.dests.find((d) => d.address === RS2);
      assert.equal(live?.activeConns, first.filter((x) => x === 'rs2').length, 'held connections are active');
      await engine.apply([{ op: 'del-dest', key: web, address: RS2, port: 80 }]);
      const c = await requests(lab, 'client', VIP, 80, 100);
      assert.deepEqual(c, { rs1: 100 });
      assert.equal(await onRs2.ask(), 'rs2', 'established connection kept its server');
    } finally {
      for (const h of holders) h.stop();
    }
  });

  it('persistence keeps a client on one server; another client subnet may go elsewhere', async (t) => {
    if (!skipUnlessSystem(t) || !lab) return;
    await engine.apply([
      { op: 'add-dest', key: web, dest: dest(RS2, 1) },
      {
        op: 'edit-service',
        service: {
          key: web,
          scheduler: 'rr',
          flags: {},
          persistenceTimeout: 30,
          persistenceNetmask: '255.255.255.255',
        },
      },
    ]);
    const a = await requests(lab, 'client', VIP, 80, 60, 'http', '10.71.0.10');
    const b = await requests(lab, 'client', VIP, 80, 60, 'http', '10.71.0.11');
    assert.equal(Object.keys(a).length, 1, JSON.stringify(a));
    assert.equal(Object.keys(b).length, 1, JSON.stringify(b));
    // rr: the second client's first connection went to the other server.
    assert.notDeepEqual(Object.keys(a), Object.keys(b));
  });

  it('sh keeps a client on one server', async (t) => {
    if (!skipUnlessSystem(t) || !lab) return;
    await engine.apply([{ op: 'edit-service', service: { key: web, scheduler: 'sh', flags: {} } }]);
    const a = await requests(lab, 'client', VIP, 80, 60, 'http', '10.71.0.10');
    assert.equal(Object.keys(a).length, 1, JSON.stringify(a));
  });

  it('UDP through a full-NAT service: replies come back, servers see the director’s SNAT address', async (t) => {
    if (!skipUnlessSystem(t) || !lab) return;
    const dns: ServiceKey = { kind: 'addr', family: 4, address: VIP, port: 53, protocol: 'udp' };
    await engine.apply([
      { op: 'add-service', service: { key: dns, scheduler: 'rr', flags: {} } },
      { op: 'add-dest', key: dns, dest: dest(RS1, 1, 'fullnat', 53) },
      { op: 'add-dest', key: dns, dest: dest(RS2, 1, 'fullnat', 53) },
    ]);
    // Real servers lose their route back to the client: only SNATed replies can return.
    for (const rs of ['rs1', 'rs2']) await lab.exec(rs, ['ip', 'route', 'del', 'default']);
    try {
      const c = await requests(lab, 'client', VIP, 53, 100, 'udp');
      // rr alternates; a reused ephemeral port can meet its earlier conntrack entry, hence ±.
      assert.equal((c.rs1 ?? 0) + (c.rs2 ?? 0), 100, JSON.stringify(c));
      assert.ok(Math.abs((c.rs1 ?? 0) - 50) <= 5, JSON.stringify(c));
      const ct = await lab.exec('director', ['cat', '/proc/net/nf_conntrack'], { allowFailure: true });
      if (ct.code === 0) assert.match(ct.stdout, /dst=10\.72\.0\.2 sport=53 dport=4\d{4}/);
    } finally {
      for (const rs of ['rs1', 'rs2'])
        await lab.exec(rs, ['ip', 'route', 'add', 'default', 'via', '10.72.0.1']);
    }
  });

  it('deleting services leaves an empty table; removeAll deletes it', async (t) => {
    if (!skipUnlessSystem(t) || !lab) return;
    const all = await engine.read();
    await engine.apply(all.map((s) => ({ op: 'del-service' as const, key: s.key })));
    assert.deepEqual(await engine.read(), []);
    const listing = await lab.exec('director', ['nft', 'list', 'table', 'inet', 'vigil']);
    assert.doesNotMatch(listing.stdout, /chain s4/);
    await engine.removeAll();
    const gone = await lab.exec('director', ['nft', 'list', 'tables']);
    assert.doesNotMatch(gone.stdout, /vigil/);
  });
});
