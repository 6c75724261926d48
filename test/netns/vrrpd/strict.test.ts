// vrrp_strict as keepalived 2.2.7 applies it, against a real keepalived on one segment.
// 1. The stock sample's settings (vrrp_strict, auth_type PASS, state MASTER on a non-owner) on both
//    nodes: exactly one node holds the VIP in both priority orders, through a failover (the master
//    stops) and a failback (it comes back and preempts). Before strict mode dropped authentication
//    the two rejected each other's adverts and both held the VIP.
// 2. keepalived's no_accept firewall: a strict vigil master drops traffic to its VIP (ping fails)
//    and removes its nftables table on stop; with `accept` (VRRPv3) the VIP answers.
// 3. mcast_src_ip, unicast_ttl and unicast_peer min_ttl / max_ttl against keepalived's checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlRequest, controlSocketPath } from '../../../src/daemon/control.js';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { VRRP_FIREWALL_TABLE } from '../../../src/vrrp/firewall.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import {
  type Daemon,
  instanceConf,
  startKeepalived,
  startVigil,
  stopDaemon,
  vipHolders,
  waitFor,
  waitState,
} from './harness.js';

const STRICT = 'global_defs {\n  vrrp_strict\n}\n';
// vigil's start under tsx on a busy 2-core machine takes seconds, then Master_Down (3.6 s, v2).
const START_MS = 20_000;

/** Fails unless exactly `holder` holds the VIP at every sample for `ms`. */
async function onlyHolder(lab: Lab, vip: string, holder: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (let i = 0; i < 100 && Date.now() < end; i++) {
    assert.deepEqual(await vipHolders(lab, ['k', 'v'], vip), [holder], `only ${holder} holds ${vip}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function waitHolder(lab: Lab, vip: string, holder: string, ms: number): Promise<boolean> {
  return waitFor(
    `${vip} on ${holder} only`,
    async () => (await vipHolders(lab, ['k', 'v'], vip)).join() === holder,
    ms,
  );
}

const ORDERS = [
  { title: 'vigil higher', subnet: 74, vigil: 150, keepalived: 100 },
  { title: 'keepalived higher', subnet: 75, vigil: 100, keepalived: 150 },
];

for (const o of ORDERS) {
  test(`vrrp_strict + auth_type PASS, vigil and keepalived: one master (${o.title}), failover and failback`, async (t) => {
    if (!requireSystem(t, netnsUnavailable(), commandUnavailable('keepalived'), commandUnavailable('nft')))
      return;
    const net = `192.168.${o.subnet}`;
    const vip = `${net}.100`;
    const lab = await createLab({
      nodes: [
        { name: 'k', addresses: [`${net}.11/24`] },
        { name: 'v', addresses: [`${net}.12/24`] },
      ],
    });
    const dir = mkdtempSync(join(tmpdir(), 'vigil-strict-'));
    // keepalived's sample: both written as `state MASTER`; strict starts non-owners as BACKUP.
    const conf = (priority: number): string =>
      STRICT + instanceConf({ vrid: 61, priority, vip: `${vip}/24`, authPass: '1111', state: 'MASTER' });
    const [high, low] = o.vigil > o.keepalived ? (['v', 'k'] as const) : (['k', 'v'] as const);
    const daemons: Daemon[] = [];
    const start = async (node: 'k' | 'v', n: number): Promise<Daemon> => {
      const d =
        node === 'k'
          ? await startKeepalived(lab, 'k', join(dir, `k${n}`), conf(o.keepalived))
          : await startVigil(lab, 'v', join(dir, `v${n}`), conf(o.vigil));
      daemons.push(d);
      return d;
    };
    try {
      // The lower one alone becomes master; the higher one joins and takes over.
      await start(low, 1);
      await waitHolder(lab, vip, low, START_MS);
      let h = await start(high, 1);
      await waitHolder(lab, vip, high, START_MS);
      await onlyHolder(lab, vip, high, 3000);
      const v = daemons.find((d) => d.kind === 'vigil')!;
      const vi = await waitState(v, 'VI_1', high === 'v' ? 'MASTER' : 'BACKUP', 1000);
      assert.deepEqual(vi.rejected, {}, "vigil rejected keepalived's adverts");
      // no_accept (strict's default): vigil's drop table exists only while it is master.
      assert.equal(await hasTable(lab, 'v'), high === 'v', 'the no_accept table follows MASTER');
      assert.ok(vi.advertsReceived >= 1 || high === 'v', 'vigil hears keepalived');

      // Failover: the master stops (priority-0 advert), the other takes the VIP alone.
      await stopDaemon(lab, h, 'SIGTERM');
      await waitHolder(lab, vip, low, 5000);
      await onlyHolder(lab, vip, low, 2000);
      assert.equal(await hasTable(lab, 'v'), low === 'v', 'the no_accept table follows MASTER');

      // Failback: it comes back (as BACKUP, strict) and preempts.
      h = await start(high, 2);
      await waitHolder(lab, vip, high, START_MS);
      await onlyHolder(lab, vip, high, 2000);
      const last = await waitState(
        daemons.filter((d) => d.kind === 'vigil').at(-1)!,
        'VI_1',
        high === 'v' ? 'MASTER' : 'BACKUP',
        1000,
      );
      assert.deepEqual(last.rejected, {}, 'no advert rejected');
      assert.equal(await hasTable(lab, 'v'), high === 'v', 'the no_accept table follows MASTER');
      for (const d of daemons) await stopDaemon(lab, d, 'SIGTERM');
    } catch (e) {
      for (const d of daemons) console.log(`--- ${d.kind} on ${d.node}:\n${d.output()}`);
      throw e;
    } finally {
      await lab.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

async function pings(lab: Lab, from: string, to: string): Promise<boolean> {
  const r = await lab.exec(from, ['busybox', 'ping', '-c', '1', '-W', '1', to], {
    allowFailure: true,
    timeoutMs: 5000,
  });
  return r.code === 0;
}

async function hasTable(lab: Lab, node: string): Promise<boolean> {
  const r = await lab.exec(node, ['nft', 'list', 'tables'], { allowFailure: true });
  return r.stdout.includes(`table inet ${VRRP_FIREWALL_TABLE}`);
}

for (const accept of [false, true]) {
  test(`vrrp_strict master (VRRPv3)${accept ? ' with accept' : ''}: ping to the VIP ${accept ? 'answers' : 'is dropped'}`, async (t) => {
    if (!requireSystem(t, netnsUnavailable(), commandUnavailable('nft'), commandUnavailable('busybox')))
      return;
    const net = `192.168.${accept ? 77 : 76}`;
    const vip = `${net}.100`;
    const lab = await createLab({
      nodes: [
        { name: 'c', addresses: [`${net}.10/24`] },
        { name: 'v', addresses: [`${net}.12/24`] },
      ],
    });
    const dir = mkdtempSync(join(tmpdir(), 'vigil-strict-fw-'));
    const confWith = (acc: boolean): string =>
      STRICT +
      instanceConf({ vrid: 62, priority: 100, vip: `${vip}/24`, version: 3, advertInt: 0.1 }).replace(
        '  virtual_ipaddress',
        `  ${acc ? 'accept' : 'no_accept'}\n  virtual_ipaddress`,
      );
    const conf = confWith(accept);
    let v: Daemon | undefined;
    try {
      v = await startVigil(lab, 'v', dir, conf);
      await waitState(v, 'VI_1', 'MASTER', START_MS);
      await waitFor('the VIP on vigil', async () => (await vipHolders(lab, ['v'], vip)).length > 0, 3000);
      assert.ok(await pings(lab, 'c', `${net}.12`), "vigil's own address answers");
      assert.equal(
        await pings(lab, 'c', vip),
        accept,
        `ping to the VIP ${accept ? 'answers' : 'is dropped'}`,
      );
      assert.equal(
        await hasTable(lab, 'v'),
        !accept,
        `table inet ${VRRP_FIREWALL_TABLE} only without accept`,
      );
      if (!accept) {
        // Reloaded with `accept`: still MASTER, and the drop table goes.
        const before = (await waitState(v, 'VI_1', 'MASTER', 1000)).transitions;
        writeFileSync(join(dir, 'vigil.conf'), confWith(true));
        const r = (await controlRequest(controlSocketPath(dir), { cmd: 'reload' })) as { reloaded: boolean };
        assert.equal(r.reloaded, true);
        await waitFor('the table to go after the reload', async () => !(await hasTable(lab, 'v')), 5000);
        assert.deepEqual((await waitState(v, 'VI_1', 'MASTER', 1000)).transitions, before, 'no flap');
        assert.ok(await pings(lab, 'c', vip), 'ping to the VIP answers after the reload');
      }
      await stopDaemon(lab, v, 'SIGTERM');
      assert.equal(await hasTable(lab, 'v'), false, 'the table is removed on stop');
    } catch (e) {
      if (v) console.log(`--- vigil:\n${v.output()}`);
      throw e;
    } finally {
      await lab.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// Unicast with keepalived: vigil's mcast_src_ip is the adverts' source and unicast_ttl their TTL
// (keepalived's peer range 5-5 accepts nothing else, so both must be right for one master), and
// vigil's own peer range drops keepalived's TTL-255 adverts when they fall outside it.
test('mcast_src_ip, unicast_ttl and unicast_peer min_ttl/max_ttl with keepalived (VRRPv3 unicast)', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('keepalived'))) return;
  const net = '192.168.78';
  const vip = `${net}.100`;
  const lab = await createLab({
    nodes: [
      { name: 'k', addresses: [`${net}.11/24`] },
      { name: 'v', addresses: [`${net}.12/24`, `${net}.13/24`] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ttl-'));
  const conf = (priority: number, lines: string, peer: string): string => `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 63
  version 3
  advert_int 0.1
  priority ${priority}
${lines}  unicast_peer {
    ${peer}
  }
  virtual_ipaddress {
    ${vip}/24
  }
}
`;
  const vigilConf = (priority: number, peerRange: string): string =>
    conf(priority, `  mcast_src_ip ${net}.13\n  unicast_ttl 5\n`, `${net}.11 ${peerRange}`);
  const daemons: Daemon[] = [];
  try {
    const k = await startKeepalived(
      lab,
      'k',
      join(dir, 'k'),
      conf(100, `  unicast_src_ip ${net}.11\n`, `${net}.13 min_ttl 5 max_ttl 5`),
    );
    daemons.push(k);
    await waitHolder(lab, vip, 'k', START_MS);
    // vigil higher: keepalived hears it (source .13, TTL 5) and steps down.
    let v = await startVigil(lab, 'v', join(dir, 'v1'), vigilConf(150, 'min_ttl 250'));
    daemons.push(v);
    await waitHolder(lab, vip, 'v', START_MS);
    await onlyHolder(lab, vip, 'v', 1000);
    assert.doesNotMatch(k.output(), /not in range|not a unicast peer/);
    await stopDaemon(lab, v, 'SIGTERM');
    await waitHolder(lab, vip, 'k', 3000);

    // vigil lower: keepalived's TTL-255 adverts are inside vigil's range 250-255: BACKUP.
    v = await startVigil(lab, 'v', join(dir, 'v2'), vigilConf(50, 'min_ttl 250'));
    daemons.push(v);
    const backup = await waitFor(
      'vigil to hear keepalived',
      async () => {
        const i = await waitState(v, 'VI_1', 'BACKUP', START_MS);
        return i.advertsReceived >= 5 ? i : null;
      },
      START_MS,
    );
    assert.deepEqual(backup.rejected, {});
    await onlyHolder(lab, vip, 'k', 1000);
    await stopDaemon(lab, v, 'SIGTERM');

    // Outside vigil's range (max_ttl 100): dropped, so vigil takes the VIP as well.
    v = await startVigil(lab, 'v', join(dir, 'v3'), vigilConf(50, 'max_ttl 100'));
    daemons.push(v);
    const deaf = await waitState(v, 'VI_1', 'MASTER', START_MS);
    assert.ok((deaf.rejected.ttl ?? 0) > 0, `TTL drops counted: ${JSON.stringify(deaf.rejected)}`);
    for (const d of daemons) await stopDaemon(lab, d, 'SIGTERM');
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.kind} on ${d.node}:\n${d.output()}`);
    throw e;
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
