import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { inNetns } from '../../../src/os/native.js';
import { closeRtnl, openRtnl } from '../../../src/os/link.js';
import {
  addAddress,
  deleteAddress,
  listAddresses,
  primaryAddress,
  removeLeftoverVips,
} from '../../../src/os/addresses.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';

interface IpAddr {
  local: string;
  prefixlen: number;
  label?: string;
  broadcast?: string;
  scope: string;
  nodad?: boolean;
  family: string;
}

async function ipAddrs(lab: Lab, node: string): Promise<IpAddr[]> {
  const out = (await lab.exec(node, ['ip', '-j', 'addr', 'show', 'dev', 'eth0'])).stdout;
  return (JSON.parse(out) as { addr_info?: IpAddr[] }[]).flatMap((l) => l.addr_info ?? []);
}

test('VIPs added and deleted over rtnetlink show in `ip -j addr`; repeats are harmless', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({ nodes: [{ name: 'd', addresses: ['192.168.60.11/24', 'fd00:60::11/64'] }] });
  const rtnl = inNetns(lab.node('d').nsPath, openRtnl);
  try {
    const v4 = { address: '192.168.60.100/24', dev: 'eth0', label: 'eth0:vip', brd: '+' };
    const v6 = { address: 'fd00:60::100', prefix: 64, dev: 'eth0' };
    const host = { address: '192.168.60.101', dev: 'eth0', scope: 'host' };
    assert.equal(await addAddress(rtnl, v4), 'added');
    assert.equal(await addAddress(rtnl, v4), 'present');
    assert.equal(await addAddress(rtnl, v6), 'added');
    assert.equal(await addAddress(rtnl, host), 'added');

    const seen = await ipAddrs(lab, 'd');
    const a4 = seen.find((a) => a.local === '192.168.60.100');
    assert.deepEqual(a4 && { prefix: a4.prefixlen, label: a4.label, brd: a4.broadcast, scope: a4.scope }, {
      prefix: 24,
      label: 'eth0:vip',
      brd: '192.168.60.255',
      scope: 'global',
    });
    const a6 = seen.find((a) => a.local === 'fd00:60::100');
    assert.equal(a6?.prefixlen, 64);
    assert.equal(a6?.nodad, true, 'IPv6 VIPs skip DAD as keepalived adds them');
    assert.equal(seen.find((a) => a.local === '192.168.60.101')?.scope, 'host');

    const listed = await listAddresses(rtnl, 'eth0');
    const vip = listed.find((a) => a.address === '192.168.60.100');
    assert.equal(vip?.secondary, true, 'a VIP in the primary subnet is secondary');
    assert.equal(vip?.label, 'eth0:vip');
    assert.equal(await primaryAddress(rtnl, 'eth0', 4), '192.168.60.11');
    assert.match((await primaryAddress(rtnl, 'eth0', 6)) ?? '', /^fe80::/);

    assert.equal(await deleteAddress(rtnl, v4), 'deleted');
    assert.equal(await deleteAddress(rtnl, v4), 'absent');
    assert.equal(await deleteAddress(rtnl, v6), 'deleted');
    assert.equal(await deleteAddress(rtnl, { address: '192.168.60.100', dev: 'nope0' }), 'absent');
    const after = (await ipAddrs(lab, 'd')).map((a) => a.local);
    assert.ok(!after.includes('192.168.60.100') && !after.includes('fd00:60::100'), after.join(' '));
    assert.ok(after.includes('192.168.60.11'), 'the node address is untouched');
  } finally {
    closeRtnl(rtnl);
    await lab.destroy();
  }
});

test('leftover VIPs from a killed run are removed at start, whatever their prefix', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({ nodes: [{ name: 'd', addresses: ['192.168.61.11/24'] }] });
  const rtnl = inNetns(lab.node('d').nsPath, openRtnl);
  try {
    // As a SIGKILLed daemon leaves them (added by hand here, with another prefix for one).
    await lab.exec('d', ['ip', 'addr', 'add', '192.168.61.100/32', 'dev', 'eth0']);
    await lab.exec('d', ['ip', 'addr', 'add', '192.168.61.101/24', 'dev', 'eth0']);
    const removed = await removeLeftoverVips(rtnl, [
      { address: '192.168.61.100', dev: 'eth0' },
      { address: '192.168.61.101/32', dev: 'eth0' },
      { address: '192.168.61.102', dev: 'eth0' },
    ]);
    assert.deepEqual(
      removed.map((r) => r.address),
      ['192.168.61.100', '192.168.61.101/32'],
    );
    const left = (await ipAddrs(lab, 'd')).map((a) => a.local);
    assert.deepEqual(left, ['192.168.61.11', ...left.filter((a) => a.startsWith('fe80'))]);
  } finally {
    closeRtnl(rtnl);
    await lab.destroy();
  }
});

test('bad VIP specs give clear errors naming the address', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({ nodes: [{ name: 'd', addresses: ['192.168.62.11/24'] }] });
  const rtnl = inNetns(lab.node('d').nsPath, openRtnl);
  try {
    await assert.rejects(
      addAddress(rtnl, { address: '192.168.62.100', dev: 'eth9' }),
      /192.168.62.100\/32 dev eth9: no interface named 'eth9'/,
    );
    await assert.rejects(
      addAddress(rtnl, { address: '192.168.62.100', dev: 'eth0', label: 'lo:x' }),
      /label 'lo:x' must be 'eth0' or start with 'eth0:'/,
    );
    await assert.rejects(
      addAddress(rtnl, { address: '192.168.62.100', dev: 'eth0', scope: 'galaxy' }),
      /unknown scope 'galaxy'/,
    );
    await assert.rejects(
      addAddress(rtnl, { address: '192.168.62.100/40', dev: 'eth0' }),
      /bad prefix length/,
    );
    await assert.rejects(addAddress(rtnl, { address: 'fd00::1', dev: 'eth0', brd: '+' }), /brd is for IPv4/);
  } finally {
    closeRtnl(rtnl);
    await lab.destroy();
  }
});
