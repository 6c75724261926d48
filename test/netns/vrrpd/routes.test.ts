// virtual_routes / virtual_rules follow MASTER between vigil and a real keepalived 2.2.7 with the
// same configuration, and read back from the kernel exactly as keepalived's own; static_ipaddress /
// static_routes / static_rules are installed at start, put back after `ip ... del`, removed at stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlRequest, controlSocketPath } from '../../../src/daemon/control.js';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import {
  type Daemon,
  hasVip,
  instanceOf,
  startKeepalived,
  startVigil,
  stopDaemon,
  waitFor,
  waitState,
} from './harness.js';

const NET = '192.168.74';
const VIP = `${NET}.100`;

function conf(priority: number, statics: boolean): string {
  return `${
    statics
      ? `static_ipaddress {
  ${NET}.200/32 dev eth0
  ${NET}.201/32
}
static_routes {
  10.80.0.0/16 via ${NET}.1 dev eth0
  10.82.0.0/16 via ${NET}.1 dev eth0 no_track
}
static_rules {
  to 10.81.0.0/16 table 101 priority 1001
}
`
      : ''
  }vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 74
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/24
  }
  virtual_routes {
    10.74.0.0/16 via ${NET}.1 dev eth0
    src ${VIP} 10.77.0.0/24 dev eth0 scope link metric 7
    blackhole 10.75.0.0/24
    fd00:74::/64 via fd00:74::1 dev eth0
    10.76.0.0/24 via ${NET}.1 dev eth0 table 100 metric 5
  }
  virtual_rules {
    from 10.74.1.0/24 table 100 priority 1000
    to 10.74.2.0/24 fwmark 7 blackhole priority 999
  }
}
`;
}

/** `ip route` lines with keepalived's protocol, every table, both families (sorted). */
async function keepalivedRoutes(lab: Lab, node: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of ['-4', '-6']) {
    const r = await lab.exec(node, ['ip', f, 'route', 'show', 'table', 'all', 'proto', 'keepalived']);
    out.push(...r.stdout.split('\n').filter(Boolean));
  }
  return out.map((l) => l.trim()).sort();
}

/** `ip rule` lines other than the kernel's three defaults (sorted). */
async function rules(lab: Lab, node: string): Promise<string[]> {
  const r = await lab.exec(node, ['ip', '-4', 'rule', 'show']);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(0|32766|32767):/.test(l))
    .sort();
}

// Filtered on `proto keepalived`, so `ip` leaves that word out of each line.
const VIRTUAL_ROUTES = [
  'blackhole 10.75.0.0/24',
  '10.74.0.0/16 via 192.168.74.1 dev eth0',
  '10.76.0.0/24 via 192.168.74.1 dev eth0 table 100 metric 5',
  '10.77.0.0/24 dev eth0 scope link src 192.168.74.100 metric 7',
  'fd00:74::/64 via fd00:74::1 dev eth0 metric 1024 pref medium',
].sort();
const STATIC_ROUTES = ['10.80.0.0/16 via 192.168.74.1 dev eth0', '10.82.0.0/16 via 192.168.74.1 dev eth0'];
const VIRTUAL_RULES = [
  '1000:\tfrom 10.74.1.0/24 lookup 100 proto keepalived',
  '999:\tfrom all to 10.74.2.0/24 fwmark 0x7 blackhole proto keepalived',
];
const STATIC_RULES = ['1001:\tfrom all to 10.81.0.0/16 lookup 101 proto keepalived'];

test('virtual routes and rules follow MASTER to and from keepalived 2.2.7; static ones live with vigil', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('keepalived'))) return;
  const lab = await createLab({
    nodes: [
      { name: 'k', addresses: [`${NET}.11/24`, 'fd00:74::11/64'] },
      { name: 'v', addresses: [`${NET}.12/24`, 'fd00:74::12/64'] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-routes-'));
  const daemons: Daemon[] = [];
  const sorted = (a: string[]): string[] => [...a].sort();
  try {
    // What a crashed run left (keepalived's protocol) goes at start, as keepalived removes it.
    await lab.exec('v', ['ip', 'route', 'add', '10.74.0.0/16', 'via', `${NET}.1`, 'proto', 'keepalived']);
    await lab.exec('v', [
      'ip',
      'rule',
      'add',
      'from',
      '10.74.1.0/24',
      'table',
      '100',
      'pref',
      '1000',
      'proto',
      'keepalived',
    ]);
    // vigil alone becomes MASTER: VIP, then its routes and rules; static ones from the start.
    const v = await startVigil(lab, 'v', join(dir, 'v'), conf(150, true));
    daemons.push(v);
    await waitState(v, 'VI_1', 'BACKUP', 20_000);
    assert.deepEqual(
      await keepalivedRoutes(lab, 'v'),
      sorted(STATIC_ROUTES),
      'leftover virtual route removed',
    );
    assert.deepEqual(await rules(lab, 'v'), STATIC_RULES, 'leftover virtual rule removed');
    await waitState(v, 'VI_1', 'MASTER', 20_000);
    await waitFor(
      'vigil to add its virtual routes',
      async () => (await keepalivedRoutes(lab, 'v')).length === 7,
      3000,
    );
    assert.deepEqual(await keepalivedRoutes(lab, 'v'), sorted([...VIRTUAL_ROUTES, ...STATIC_ROUTES]));
    assert.deepEqual(await rules(lab, 'v'), sorted([...VIRTUAL_RULES, ...STATIC_RULES]));
    assert.ok(await hasVip(lab, 'v', `${NET}.200`), 'static_ipaddress installed');
    assert.ok(await hasVip(lab, 'v', `${NET}.201`), 'static_ipaddress without dev: on eth0 as keepalived');

    // Static entries deleted by hand come back (no_track ones do not), as keepalived puts them back.
    await lab.exec('v', ['ip', 'route', 'del', '10.80.0.0/16']);
    await lab.exec('v', ['ip', 'route', 'del', '10.82.0.0/16']);
    await lab.exec('v', ['ip', 'rule', 'del', 'pref', '1001']);
    await lab.exec('v', ['ip', 'addr', 'del', `${NET}.200/32`, 'dev', 'eth0']);
    await waitFor(
      'the static route, rule and address to be restored',
      async () =>
        (await keepalivedRoutes(lab, 'v')).includes(STATIC_ROUTES[0]!) &&
        (await rules(lab, 'v')).includes(STATIC_RULES[0]!) &&
        (await hasVip(lab, 'v', `${NET}.200`)),
      3000,
    );
    assert.ok(!(await keepalivedRoutes(lab, 'v')).includes(STATIC_ROUTES[1]!), 'no_track route left deleted');
    assert.match(v.output(), /Restoring deleted static route 10\.80\.0\.0\/16/);

    // A reload without one virtual route, one virtual rule and one static route drops just those;
    // the master stays master. Reloading the full configuration brings them back.
    const reload = async (text: string): Promise<void> => {
      writeFileSync(join(dir, 'v', 'vigil.conf'), text);
      const r = (await controlRequest(controlSocketPath(join(dir, 'v')), { cmd: 'reload' })) as {
        reloaded: boolean;
      };
      assert.ok(r.reloaded, 'reloaded');
    };
    await reload(
      conf(150, true)
        .replace(`    src ${VIP} 10.77.0.0/24 dev eth0 scope link metric 7\n`, '')
        .replace('    to 10.74.2.0/24 fwmark 7 blackhole priority 999\n', '')
        .replace(`  10.80.0.0/16 via ${NET}.1 dev eth0\n`, ''),
    );
    const dropped = (l: string): boolean => /10\.77\.0\.0|10\.80\.0\.0|^999:/.test(l);
    await waitFor(
      'the dropped route, rule and static route to go',
      async () => ![...(await keepalivedRoutes(lab, 'v')), ...(await rules(lab, 'v'))].some(dropped),
      3000,
    );
    assert.deepEqual(
      await keepalivedRoutes(lab, 'v'),
      // The no_track static route deleted above is installed again, as keepalived's reload does.
      sorted([...VIRTUAL_ROUTES.filter((l) => !dropped(l)), STATIC_ROUTES[1]!]),
    );
    assert.deepEqual(
      await rules(lab, 'v'),
      sorted([...VIRTUAL_RULES, ...STATIC_RULES].filter((l) => !dropped(l))),
    );
    await reload(conf(150, true));
    await waitFor(
      'the full set back after the second reload',
      async () =>
        (await keepalivedRoutes(lab, 'v')).length === VIRTUAL_ROUTES.length + 2 &&
        (await rules(lab, 'v')).length === 3,
      3000,
    );
    assert.equal(
      (await waitState(v, 'VI_1', 'MASTER', 1000)).stats.becomeMaster,
      1,
      'no flap over the reloads',
    );

    // A tracked virtual route deleted by hand: vigil leaves MASTER and, alone on the segment,
    // takes it back after Skew_Time with every route again (keepalived's set_vrrp_backup).
    await lab.exec('v', ['ip', 'route', 'del', '10.74.0.0/16']);
    await waitFor(
      'vigil to leave MASTER and come back',
      async () => {
        const i = await instanceOf(v, 'VI_1');
        return i?.state === 'MASTER' && i.stats.becomeMaster === 2;
      },
      5000,
    );
    await waitFor(
      'the deleted route back',
      async () => (await keepalivedRoutes(lab, 'v')).includes('10.74.0.0/16 via 192.168.74.1 dev eth0'),
      3000,
    );
    assert.match(
      v.output(),
      /virtual route '10\.74\.0\.0\/16 via 192\.168\.74\.1 dev eth0' was deleted: leaving MASTER/,
    );
    // An untracked one (no dev, like keepalived's "not tracking" routes) is left alone.
    await lab.exec('v', ['ip', 'route', 'del', 'blackhole', '10.75.0.0/24']);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await instanceOf(v, 'VI_1'))?.stats.becomeMaster, 2, 'no flap for an untracked route');

    // keepalived with the same virtual_routes and a higher priority preempts: the routes move.
    const k = await startKeepalived(lab, 'k', join(dir, 'k'), conf(200, false));
    daemons.push(k);
    await waitState(v, 'VI_1', 'BACKUP', 20_000);
    await waitFor(
      'keepalived to add its virtual routes',
      async () => (await keepalivedRoutes(lab, 'k')).length === VIRTUAL_ROUTES.length,
      5000,
    );
    // keepalived's routes and rules read back exactly as vigil's did.
    assert.deepEqual(await keepalivedRoutes(lab, 'k'), sorted(VIRTUAL_ROUTES));
    assert.deepEqual(await rules(lab, 'k'), sorted(VIRTUAL_RULES));
    await waitFor(
      'vigil to remove its virtual routes and rules',
      async () =>
        (await keepalivedRoutes(lab, 'v')).join() === STATIC_ROUTES.join() &&
        (await rules(lab, 'v')).join() === STATIC_RULES[0],
      3000,
    );

    // keepalived stops: vigil is MASTER again with every virtual route.
    await stopDaemon(lab, k, 'SIGTERM');
    await waitState(v, 'VI_1', 'MASTER', 10_000);
    assert.deepEqual(await keepalivedRoutes(lab, 'k'), [], 'keepalived removed its routes at stop');
    await waitFor(
      'vigil to add its virtual routes again',
      async () => (await keepalivedRoutes(lab, 'v')).length === VIRTUAL_ROUTES.length + 2,
      3000,
    );

    // vigil stops: nothing of its own is left (virtual and static alike).
    await stopDaemon(lab, v, 'SIGTERM');
    assert.deepEqual(await keepalivedRoutes(lab, 'v'), []);
    assert.deepEqual(await rules(lab, 'v'), []);
    assert.ok(!(await hasVip(lab, 'v', `${NET}.200`)), 'static_ipaddress removed at stop');
    assert.ok(!(await hasVip(lab, 'v', `${NET}.201`)), 'static_ipaddress without dev removed at stop');
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.kind} on ${d.node}:\n${d.output()}`);
    throw e;
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
