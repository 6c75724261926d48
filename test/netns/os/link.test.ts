import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createLab } from '../../../src/lab/index.js';
import { inNetns } from '../../../src/os/native.js';
import {
  LinkMonitor,
  closeRtnl,
  getLink,
  linkUsable,
  openRtnl,
  type LinkChange,
} from '../../../src/os/link.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';

function nextChange(m: LinkMonitor, ms = 3000): Promise<LinkChange> {
  return Promise.race([
    once(m, 'change').then(([c]) => c as LinkChange),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no link change in ${ms} ms`)), ms).unref(),
    ),
  ]);
}

test('link state: index, MAC, up/running; down, carrier loss, up and deletion are reported', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({
    nodes: [{ name: 'd', interfaces: [{ mac: '02:00:00:00:aa:01', addresses: ['192.168.70.1/24'] }] }],
  });
  const rtnl = inNetns(lab.node('d').nsPath, openRtnl);
  const mon = inNetns(lab.node('d').nsPath, () => new LinkMonitor());
  try {
    await mon.ready;
    const l = await getLink(rtnl, 'eth0');
    assert.ok(l);
    assert.equal(l.mac, '02:00:00:00:aa:01');
    assert.equal(linkUsable(l), true);
    assert.equal(l.operstate, 'up');
    assert.equal(await getLink(rtnl, 'nope0'), null);
    assert.equal(mon.get('eth0')?.index, l.index);

    // Administrative down in the node itself.
    let c = nextChange(mon);
    await lab.setLink('d', 'eth0', false);
    assert.deepEqual(await c.then((x) => [x.ifname, x.usable, x.deleted]), ['eth0', false, false]);
    c = nextChange(mon);
    await lab.setLink('d', 'eth0', true);
    assert.deepEqual(await c.then((x) => [x.ifname, x.usable]), ['eth0', true]);

    // Carrier loss: the switch side of the veth goes down (a pulled cable).
    const peer = lab.node('d').interfaces[0]!.peer;
    c = nextChange(mon);
    execFileSync('ip', ['-n', lab.switchNs, 'link', 'set', peer, 'down']);
    const lost = await c;
    assert.deepEqual(
      [lost.ifname, lost.usable, lost.link.up, lost.link.running],
      ['eth0', false, true, false],
    );

    c = nextChange(mon);
    await lab.exec('d', ['ip', 'link', 'del', 'eth0']);
    assert.deepEqual(await c.then((x) => [x.ifname, x.usable, x.deleted]), ['eth0', false, true]);
    assert.equal(mon.get('eth0'), undefined);
  } finally {
    mon.close();
    closeRtnl(rtnl);
    await lab.destroy();
  }
});
