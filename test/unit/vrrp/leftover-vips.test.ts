import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leftoverVips } from '../../../src/vrrp/leftover-vips.js';

const vips = new Map([
  ['VI_1', [{ address: '192.0.2.1', dev: 'eth0' }]],
  ['VI_2', [{ address: '192.0.2.2', dev: 'eth0' }]],
  [
    'VI_NEW',
    [
      { address: '192.0.2.3', dev: 'eth0' },
      { address: '192.0.2.1', dev: 'eth0' },
      { address: '192.0.2.1', dev: 'eth1' },
    ],
  ],
]);

test('at start every configured VIP is a leftover candidate', () => {
  assert.deepEqual(
    leftoverVips(vips).map((v) => `${v.address}%${v.dev}`),
    ['192.0.2.1%eth0', '192.0.2.2%eth0', '192.0.2.3%eth0', '192.0.2.1%eth0', '192.0.2.1%eth1'],
  );
});

test('on reload only instances not resumed clear leftovers, never what a resumed master holds', () => {
  const resumed = new Map([
    ['VI_1', { state: 'MASTER' as const, vipsSet: true }],
    ['VI_2', { state: 'BACKUP' as const, vipsSet: false }],
  ]);
  assert.deepEqual(
    leftoverVips(vips, resumed).map((v) => `${v.address}%${v.dev}`),
    ['192.0.2.3%eth0', '192.0.2.1%eth1'],
  );
  // Nothing added, nothing to clear.
  assert.deepEqual(leftoverVips(new Map([...vips].slice(0, 2)), resumed), []);
});
