import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { inNetns } from '../../../src/os/native.js';
import { closeRtnl, openRtnl } from '../../../src/os/link.js';
import { addRoute, deleteRoute } from '../../../src/os/routes.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  metric?: number;
  type?: string;
  prefsrc?: string;
  scope?: string;
}

async function routes(lab: Lab, args: string[] = []): Promise<IpRoute[]> {
  return JSON.parse((await lab.exec('d', ['ip', '-j', ...args, 'route', 'show'])).stdout) as IpRoute[];
}

test('virtual routes are added and removed over rtnetlink, idempotently', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({ nodes: [{ name: 'd', addresses: ['192.168.95.11/24', 'fd00:95::11/64'] }] });
  const rtnl = inNetns(lab.node('d').nsPath, openRtnl);
  try {
    const viaGw = { to: '10.20.0.0/16', via: '192.168.95.1', metric: 50 };
    const onDev = { to: '10.30.0.0/24', dev: 'eth0', src: '192.168.95.11' };
    const hole = { to: '10.40.0.0/24', kind: 'blackhole' as const };
    const v6 = { to: 'fd00:99::/64', via: 'fd00:95::1', dev: 'eth0' };
    const tab = { to: 'default', via: '192.168.95.1', table: 1000 };
    for (const r of [viaGw, onDev, hole, v6, tab])
      assert.equal(await addRoute(rtnl, r), 'added', JSON.stringify(r));
    assert.equal(await addRoute(rtnl, viaGw), 'present');

    const v4 = await routes(lab);
    const g = v4.find((r) => r.dst === '10.20.0.0/16');
    assert.deepEqual(g && [g.gateway, g.dev, g.protocol, g.metric], [
      '192.168.95.1',
      'eth0',
      'keepalived',
      50,
    ]);
    const d = v4.find((r) => r.dst === '10.30.0.0/24');
    assert.deepEqual(d && [d.dev, d.prefsrc, d.scope], ['eth0', '192.168.95.11', 'link']);
    assert.equal(v4.find((r) => r.dst === '10.40.0.0/24')?.type, 'blackhole');
    const six = (await routes(lab, ['-6'])).find((r) => r.dst === 'fd00:99::/64');
    assert.equal(six?.gateway, 'fd00:95::1');
    const t1000 = JSON.parse(
      (await lab.exec('d', ['ip', '-j', 'route', 'show', 'table', '1000'])).stdout,
    ) as IpRoute[];
    assert.equal(t1000[0]?.dst, 'default');

    for (const r of [viaGw, onDev, hole, v6, tab])
      assert.equal(await deleteRoute(rtnl, r), 'deleted', JSON.stringify(r));
    assert.equal(await deleteRoute(rtnl, viaGw), 'absent');
    const left = (await routes(lab)).map((r) => r.dst);
    assert.deepEqual(left, ['192.168.95.0/24']);

    await assert.rejects(addRoute(rtnl, { to: '10.50.0.0/24' }), /route 10.50.0.0\/24: needs via or dev/);
    await assert.rejects(addRoute(rtnl, { to: '10.50.0.0/24', dev: 'eth7' }), /no interface named 'eth7'/);
    await assert.rejects(
      addRoute(rtnl, { to: '10.50.0.0/24', via: 'fd00::1' }),
      /gateway fd00::1 is not IPv4/,
    );
    await assert.rejects(
      addRoute(rtnl, { to: '10.50.0.0/24', via: '10.9.9.9' }),
      /adding route 10.50.0.0\/24 via 10.9.9.9: ENETUNREACH/,
    );
  } finally {
    closeRtnl(rtnl);
    await lab.destroy();
  }
});
