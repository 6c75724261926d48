// A clean stop: after SIGTERM, `vigil run` leaves the director's namespace as it found it. The
// nft ruleset, the addresses, the routes and the policy rules are read before the daemon starts
// and after it exits, and must be equal, on every engine (keepalived removes its VIPs and its
// IPVS services at stop too, unless told not to).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import { startServer, requests } from '../nft/traffic.js';
import { hasVip, startVigil, stopDaemon, waitFor, waitState, type Daemon } from '../vrrpd/harness.js';

// Clients on one subnet, real servers on another (both routed through the director), so NAT
// replies come back through it; one L2 segment, so DR reaches rs1 directly.
const DIRECTOR = '10.74.0.1';
const DIRECTOR_PUBLIC = '10.75.0.1';
const VIP = '10.75.0.100';
const RS1 = '10.74.0.21';

const rsSysctls = {
  'net.ipv4.conf.all.arp_ignore': '1',
  'net.ipv4.conf.all.arp_announce': '2',
  'net.ipv4.conf.lo.arp_ignore': '1',
  'net.ipv4.conf.lo.arp_announce': '2',
};

function conf(engine: 'nft' | 'userspace', kind: 'NAT' | 'DR', port = 80, globals = ''): string {
  return `global_defs {
    lvs_engine ${engine}
${globals}}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 74
    priority 150
    advert_int 1
    virtual_ipaddress {
        ${VIP}/24 dev eth0
    }
}
virtual_server ${VIP} ${port} {
    delay_loop 1
    lb_algo rr
    lb_kind ${kind}
    protocol TCP
    real_server ${RS1} 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
`;
}

/** Everything a director's daemon may add to its namespace, as the kernel lists it. */
async function snapshot(lab: Lab): Promise<Record<string, unknown>> {
  const json = async (argv: string[]): Promise<unknown> =>
    JSON.parse((await lab.exec('director', argv)).stdout || 'null');
  return {
    nft: await json(['nft', '-j', 'list', 'ruleset']),
    addresses: await json(['ip', '-j', 'address', 'show']),
    routes4: await json(['ip', '-j', '-4', 'route', 'show', 'table', 'all']),
    routes6: await json(['ip', '-j', '-6', 'route', 'show', 'table', 'all']),
    rules4: await json(['ip', '-j', '-4', 'rule', 'show']),
    rules6: await json(['ip', '-j', '-6', 'rule', 'show']),
  };
}

describe('vigil run leaves nothing behind after SIGTERM', () => {
  let lab: Lab | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'vg-stop-'));
  const daemons: Daemon[] = [];
  const unavailable = [netnsUnavailable(), commandUnavailable('nft')];

  before(async () => {
    if (unavailable.some(Boolean)) return;
    lab = await createLab({
      nodes: [
        { name: 'client', addresses: ['10.75.0.10/24'], routes: [`default via ${DIRECTOR_PUBLIC}`] },
        {
          name: 'director',
          addresses: [`${DIRECTOR}/24`, `${DIRECTOR_PUBLIC}/24`],
          sysctls: { 'net.ipv4.ip_forward': '1' },
        },
        { name: 'rs1', addresses: [`${RS1}/24`], sysctls: rsSysctls, routes: [`default via ${DIRECTOR}`] },
      ],
    });
    await lab.exec('rs1', ['ip', 'addr', 'add', `${VIP}/32`, 'dev', 'lo']);
    await startServer(lab, 'rs1');
  });

  after(async () => {
    for (const d of daemons) if (lab) await stopDaemon(lab, d, 'SIGKILL');
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [engine, kind] of [
    ['nft', 'NAT'],
    ['nft', 'DR'],
    ['userspace', 'NAT'],
  ] as const) {
    it(`${engine} engine, lb_kind ${kind}: ruleset, addresses, routes and rules as before the start`, async (t) => {
      if (!requireSystem(t, ...unavailable) || !lab) return;
      // DR: rs1 answers the client itself, on the segment (a reply from the VIP through the
      // director would be a martian there).
      const direct = ['ip', 'route', 'add', '10.75.0.0/24', 'dev', 'eth0'];
      if (kind === 'DR') await lab.exec('rs1', direct);
      t.after(async () => {
        if (kind === 'DR') await lab!.exec('rs1', ['ip', 'route', 'del', ...direct.slice(3)]);
      });
      const before = await snapshot(lab);
      const d = await startVigil(lab, 'director', join(dir, `${engine}-${kind}`), conf(engine, kind));
      daemons.push(d);
      t.after(() => stopDaemon(lab!, d, 'SIGKILL'));
      await waitState(d, 'VI_1', 'MASTER', 15_000);
      // Traffic through the VIP proves the data plane was programmed before the stop.
      await waitFor(
        `an answer from rs1 through ${VIP}`,
        async () => (await requests(lab!, 'client', VIP, 80, 1)).rs1 === 1,
        15_000,
        200,
      );
      assert.ok(await hasVip(lab, 'director', VIP));
      assert.notDeepEqual(await snapshot(lab), before, 'the daemon changed nothing while running');
      await stopDaemon(lab, d, 'SIGTERM');
      assert.equal(d.child.exitCode, 0, d.output());
      assert.deepEqual(await snapshot(lab), before, d.output());
    });
  }

  // keepalived's lvs_flush empties the table at start; without it, services vigil did not
  // program (here: left by a vigil killed with SIGKILL) are left alone, as keepalived leaves them.
  for (const flush of [false, true]) {
    it(`nft engine: a service left by a killed daemon is ${flush ? 'removed at start with' : 'kept without'} lvs_flush`, async (t) => {
      if (!requireSystem(t, ...unavailable) || !lab) return;
      const element = (port: number): string => `${VIP} . tcp . ${port}`;
      const table = async (): Promise<string> =>
        (await lab!.exec('director', ['nft', 'list', 'table', 'inet', 'vigil'], { allowFailure: true }))
          .stdout;
      const killed = await startVigil(lab, 'director', join(dir, `flush-${flush}-a`), conf('nft', 'NAT', 81));
      daemons.push(killed);
      await waitFor('the port 81 service', async () => (await table()).includes(element(81)), 15_000);
      await stopDaemon(lab, killed, 'SIGKILL');
      const d = await startVigil(
        lab,
        'director',
        join(dir, `flush-${flush}-b`),
        conf('nft', 'NAT', 80, flush ? '    lvs_flush\n' : ''),
      );
      daemons.push(d);
      t.after(() => stopDaemon(lab!, d, 'SIGKILL'));
      await waitFor('the port 80 service', async () => (await table()).includes(element(80)), 15_000);
      assert.equal((await table()).includes(element(81)), !flush, await table());
      if (flush) assert.match(d.output(), /lvs_flush: emptied the nft data plane/);
      await stopDaemon(lab, d, 'SIGTERM');
      // The clean stop takes the tables, and with them the leftover.
      assert.equal((await lab.exec('director', ['nft', 'list', 'ruleset'])).stdout.trim(), '');
    });
  }

  it('a reload onto another engine (nft to userspace) removes the nft tables at once', async (t) => {
    if (!requireSystem(t, ...unavailable) || !lab) return;
    const before = await snapshot(lab);
    const d = await startVigil(lab, 'director', join(dir, 'switch'), conf('nft', 'NAT'));
    daemons.push(d);
    t.after(() => stopDaemon(lab!, d, 'SIGKILL'));
    const tables = async (): Promise<string> =>
      (await lab!.exec('director', ['nft', 'list', 'tables'])).stdout;
    await waitFor('table inet vigil', async () => (await tables()).includes('table inet vigil'), 15_000);
    writeFileSync(join(dir, 'switch', 'vigil.conf'), conf('userspace', 'NAT'));
    lab.kill(d.child, 'SIGHUP');
    await waitFor('the nft tables gone after the reload', async () => (await tables()).trim() === '', 15_000);
    await waitFor(
      `an answer from rs1 through the userspace engine`,
      async () => (await requests(lab!, 'client', VIP, 80, 1)).rs1 === 1,
      15_000,
      200,
    );
    await stopDaemon(lab, d, 'SIGTERM');
    assert.deepEqual(await snapshot(lab), before, d.output());
  });
});
