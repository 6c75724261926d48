import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GarpPacer, type GarpRequest } from '../../../src/vrrp/garp.js';

const req = (address: string, ifname = 'eth0', instance = 'VI_1'): GarpRequest => ({
  instance,
  ifname,
  address,
  ipv6: false,
});

/** Drives the pacer like the adapter: request a burst, then wake whenever it asks; returns send times. */
function burst(pacer: GarpPacer, requests: GarpRequest[], now = 0): [number, string][] {
  const sent: [number, string][] = [];
  for (const r of requests) if (pacer.request(r, now)) sent.push([now, `${r.ifname}/${r.address}`]);
  for (let wake = pacer.nextWake(); wake !== null; wake = pacer.nextWake())
    for (const r of pacer.due(wake)) sent.push([wake, `${r.ifname}/${r.address}`]);
  return sent;
}

test('without an interval every gratuitous ARP goes at once', () => {
  const p = new GarpPacer(() => 0);
  const vips = ['10.0.0.1', '10.0.0.2'];
  const reqs = [1, 2, 3].flatMap(() => vips.map((v) => req(v)));
  assert.equal(burst(p, reqs).length, 6);
});

test('vrrp_garp_interval spaces packets per interface and coalesces repeats per address', () => {
  const p = new GarpPacer((ifname) => (ifname === 'eth0' ? 10 : 0));
  // garp_master_repeat 3 for two VIPs on eth0 and one on eth1.
  const reqs = [1, 2, 3].flatMap(() => [req('10.0.0.1'), req('10.0.0.2'), req('10.0.1.1', 'eth1')]);
  assert.deepEqual(burst(p, reqs), [
    [0, 'eth0/10.0.0.1'],
    [0, 'eth1/10.0.1.1'],
    [0, 'eth1/10.0.1.1'],
    [0, 'eth1/10.0.1.1'],
    [10, 'eth0/10.0.0.2'],
    [20, 'eth0/10.0.0.1'],
  ]);
});

test('IPv4 and IPv6 are paced separately; leaving MASTER drops the queue', () => {
  const p = new GarpPacer(() => 50);
  assert.equal(p.request(req('10.0.0.1'), 0), true);
  assert.equal(p.request({ instance: 'VI_1', ifname: 'eth0', address: 'fe80::1', ipv6: true }, 0), true);
  assert.equal(p.request(req('10.0.0.2'), 10), false);
  assert.equal(p.nextWake(), 50);
  p.cancel('VI_1');
  assert.equal(p.nextWake(), null);
  assert.deepEqual(p.due(100), []);
  assert.equal(p.request(req('10.0.0.2'), 100), true, 'the interval has passed');
});
