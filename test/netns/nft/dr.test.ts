// Direct routing through the nft engine: one segment, the VIP on the director's interface and on
// the real servers' lo (arp_ignore/arp_announce as the guides' rs scripts do); replies bypass the
// director.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { createLab, type Lab } from '../../../src/lab/index.js';
import type { DestSpec, ServiceKey } from '../../../src/dataplane/engine.js';
import { NftEngine } from '../../../src/dataplane/nft/engine.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import { holdConnection, requests, startServer } from './traffic.js';

const VIP = '10.73.0.100';
const RS1 = '10.73.0.21';
const RS2 = '10.73.0.22';

const dr = (address: string, weight: number, port = 80): DestSpec => ({
  address,
  port,
  forwarding: 'dr',
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
});

const rsSysctls = {
  'net.ipv4.conf.all.arp_ignore': '1',
  'net.ipv4.conf.all.arp_announce': '2',
  'net.ipv4.conf.lo.arp_ignore': '1',
  'net.ipv4.conf.lo.arp_announce': '2',
};

const share = (c: Record<string, number>, name: string): number =>
  (c[name] ?? 0) / Object.values(c).reduce((a, b) => a + b, 0);

describe('nft engine, direct routing (client, director, rs1, rs2 on one segment)', () => {
  let lab: Lab | undefined;
  let engine: NftEngine;
  const web: ServiceKey = { kind: 'addr', family: 4, address: VIP, port: 80, protocol: 'tcp' };

  const skip = (t: TestContext): boolean =>
    !requireSystem(t, netnsUnavailable(), commandUnavailable('nft')) || !lab;

  before(async () => {
    if (netnsUnavailable() || commandUnavailable('nft')) return;
    lab = await createLab({
      nodes: [
        { name: 'client', addresses: ['10.73.0.10/24', '10.73.0.11/24'] },
        { name: 'director', addresses: ['10.73.0.1/24', `${VIP}/32`] },
        { name: 'rs1', addresses: [`${RS1}/24`], sysctls: rsSysctls },
        { name: 'rs2', addresses: [`${RS2}/24`], sysctls: rsSysctls },
      ],
    });
    for (const rs of ['rs1', 'rs2']) {
      await lab.exec(rs, ['ip', 'addr', 'add', `${VIP}/32`, 'dev', 'lo']);
      await startServer(lab, rs);
    }
    engine = new NftEngine({ netns: lab.node('director').ns, dr: { ifname: 'eth0' } });
  });

  after(async () => {
    await lab?.destroy();
  });

  it('wrr 3:1 is hashed per flow about 3:1, MACs resolved by the engine', async (t) => {
    if (skip(t) || !lab) return;
    await engine.apply([
      { op: 'add-service', service: { key: web, scheduler: 'wrr', flags: {} } },
      { op: 'add-dest', key: web, dest: dr(RS1, 3) },
      { op: 'add-dest', key: web, dest: dr(RS2, 1) },
    ]);
    const c = await requests(lab, 'client', VIP, 80, 400);
    assert.equal((c.rs1 ?? 0) + (c.rs2 ?? 0), 400, JSON.stringify(c));
    assert.ok(Math.abs(share(c, 'rs1') - 0.75) < 0.08, JSON.stringify(c));
    assert.deepEqual(await new NftEngine({ netns: lab.node('director').ns, dr: { ifname: 'eth0' } }).read(), [
      { key: web, scheduler: 'wrr', flags: {}, dests: [dr(RS1, 3), dr(RS2, 1)] },
    ]);
  });

  it('replies bypass the director: its counters see only client-to-VIP packets', async (t) => {
    if (skip(t) || !lab) return;
    const dump = async (): Promise<number> => {
      const r = await lab!.exec('director', ['ip', '-s', '-j', 'link', 'show', 'eth0']);
      const [link] = JSON.parse(r.stdout) as { stats64: { tx: { bytes: number } } }[];
      return link?.stats64.tx.bytes ?? 0;
    };
    const tx0 = await dump();
    await requests(lab, 'client', VIP, 80, 50);
    const tx = (await dump()) - tx0;
    // Each request's forwarded packets go out again (≈ 5-6 small frames), but no response bodies
    // and no reply packets: well under what 50 two-way exchanges through the director would send.
    assert.ok(tx < 50 * 8 * 120, `director sent ${tx} bytes`);
  });

  it('weight 0 stops new flows to a server; flows on the other keep their server (Maglev)', async (t) => {
    if (skip(t) || !lab) return;
    const holders = Array.from({ length: 20 }, () => holdConnection(lab!, 'client', VIP, 80));
    try {
      const first = await Promise.all(holders.map((h) => h.ask()));
      const onRs2 = holders[first.indexOf('rs2')];
      assert.ok(onRs2, `no connection on rs2: ${first.join(',')}`);
      await engine.apply([{ op: 'edit-dest', key: web, dest: dr(RS2, 0) }]);
      const c = await requests(lab, 'client', VIP, 80, 100);
      assert.deepEqual(c, { rs1: 100 });
      // Maglev: rs1's slots did not move, so connections on rs1 stay; rs2's flows now hash to rs1.
      for (const [i, h] of holders.entries()) {
        if (first[i] === 'rs1') assert.equal(await h.ask(), 'rs1');
      }
    } finally {
      for (const h of holders) h.stop();
    }
  });

  it('sh keeps a client address on one server; UDP works', async (t) => {
    if (skip(t) || !lab) return;
    await engine.apply([
      { op: 'edit-dest', key: web, dest: dr(RS2, 1) },
      { op: 'edit-service', service: { key: web, scheduler: 'sh', flags: {} } },
    ]);
    for (const local of ['10.73.0.10', '10.73.0.11']) {
      const c = await requests(lab, 'client', VIP, 80, 40, 'http', local);
      assert.equal(Object.keys(c).length, 1, JSON.stringify(c));
    }
    const dns: ServiceKey = { kind: 'addr', family: 4, address: VIP, port: 53, protocol: 'udp' };
    await engine.apply([
      { op: 'add-service', service: { key: dns, scheduler: 'rr', flags: {} } },
      { op: 'add-dest', key: dns, dest: dr(RS1, 1, 53) },
      { op: 'add-dest', key: dns, dest: dr(RS2, 1, 53) },
    ]);
    const u = await requests(lab, 'client', VIP, 53, 100, 'udp');
    assert.equal((u.rs1 ?? 0) + (u.rs2 ?? 0), 100, JSON.stringify(u));
    assert.ok((u.rs1 ?? 0) > 20 && (u.rs2 ?? 0) > 20, JSON.stringify(u));
    await engine.removeAll();
    const tables = await lab.exec('director', ['nft', 'list', 'tables']);
    assert.doesNotMatch(tables.stdout, /vigil/);
  });
});
