import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { defaultTrackers, VrrpInstance, type InstanceConfig } from '../../../src/vrrp/instance.js';
import { splitIpPacket, vrrpChecksum } from '../../../src/vrrp/packet.js';

function fixture(name: string): Buffer {
  const text = readFileSync(new URL(`../../fixtures/vrrp/${name}.hex`, import.meta.url), 'utf8');
  return Buffer.from(
    text
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('')
      .replace(/\s+/g, ''),
    'hex',
  );
}

// The instances of test/fixtures/vrrp/ka227-capture.conf, as vigil would configure them.
const V2PASS: InstanceConfig = {
  name: 'V2PASS',
  interface: 'vgka0',
  family: 4,
  version: 2,
  vrid: 51,
  priority: 100,
  advertIntCs: 100,
  authPass: 'secret12',
  vips: [{ address: '192.0.2.10' }, { address: '192.0.2.11' }],
};
const V3V6: InstanceConfig = {
  name: 'V3V6',
  interface: 'vgka0',
  family: 6,
  version: 3,
  vrid: 54,
  priority: 120,
  advertIntCs: 100,
  vips: [{ address: 'fe80::54' }, { address: '2001:db8::54' }],
};
const V3UNI: InstanceConfig = {
  name: 'V3UNI',
  interface: 'vgka0',
  family: 4,
  version: 3,
  vrid: 55,
  priority: 110,
  advertIntCs: 100,
  unicastSrcIp: '192.0.2.1',
  unicastPeers: [{ address: '192.0.2.2' }],
  vips: [{ address: '198.51.100.55' }],
};
const V2UNI: InstanceConfig = {
  name: 'V2UNI',
  interface: 'vgka0',
  family: 4,
  version: 2,
  vrid: 56,
  priority: 90,
  advertIntCs: 100,
  authPass: 'longerthan8chars',
  unicastSrcIp: '192.0.2.1',
  unicastPeers: [{ address: '192.0.2.2' }],
  vips: [{ address: '198.51.100.56' }],
};

test('vigil builds the same advert bytes keepalived 2.2.7 sent for the same configuration', () => {
  const cases: [InstanceConfig, string, string][] = [
    [V2PASS, '192.0.2.1', 'ka227-v2-ipv4-pass-vrid51-prio100'],
    [V3V6, 'fe80::ff:fe00:1', 'ka227-v3-ipv6-vrid54-prio120'],
    [V3UNI, '192.0.2.1', 'ka227-v3-ipv4-unicast-vrid55-prio110'],
    [V2UNI, '192.0.2.1', 'ka227-v2-ipv4-unicast-pass-vrid56-prio90'],
  ];
  for (const [cfg, source, name] of cases) {
    const inst = new VrrpInstance(cfg, source);
    const rx = splitIpPacket(fixture(name))!;
    const out = inst.adverts(cfg.priority);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.destination, rx.destination, name);
    assert.equal(out[0]!.payload.toString('hex'), Buffer.from(rx.payload).toString('hex'), name);
    // And the priority-0 advert on resigning.
    const zero = splitIpPacket(fixture(name.replace(/prio\d+$/, 'prio0')))!;
    assert.equal(
      inst.adverts(0)[0]!.payload.toString('hex'),
      Buffer.from(zero.payload).toString('hex'),
      `${name} prio 0`,
    );
  }
});

test('a vigil backup accepts keepalived adverts and counts wrong passwords and VRIDs', () => {
  const backup = new VrrpInstance({ ...V2PASS, priority: 50 }, '192.0.2.2');
  const ev = backup.startEvent();
  backup.handle(ev, 0);
  const rx = splitIpPacket(fixture('ka227-v2-ipv4-pass-vrid51-prio100'))!;
  const r = backup.receive(rx);
  assert.deepEqual(r.event, { type: 'advert', priority: 100, intervalCs: 100, source: '192.0.2.1' });
  backup.handle(r.event!, 100);
  assert.equal(backup.machine.masterAddress, '192.0.2.1');
  const wrong = new VrrpInstance({ ...V2PASS, authPass: 'other' }, '192.0.2.2');
  assert.equal(wrong.receive(rx).event, null);
  assert.equal(wrong.counters.rejected['auth-failure'], 1);
  assert.equal(backup.counters.advertRcvd, 1);
  const st = backup.status();
  assert.equal(st.state, 'BACKUP');
  assert.equal(st.counters.advertRcvd, 1);
  assert.equal(st.vrid, 51);
  // The peer as last heard: the valid advert's sender and priority, and when (a rejected one is not).
  assert.equal(st.lastAdvert?.address, '192.0.2.1');
  assert.equal(st.lastAdvert?.priority, 100);
  assert.ok(Math.abs(Date.parse(st.lastAdvert.at) - Date.now()) < 5000, st.lastAdvert.at);
  assert.equal(wrong.status().lastAdvert, null);
});

test('unicast v3: one advert per peer, each checksummed for its destination', () => {
  const inst = new VrrpInstance(
    { ...V3UNI, unicastPeers: [{ address: '192.0.2.2' }, { address: '192.0.2.3' }] },
    '192.0.2.1',
  );
  const out = inst.adverts(110);
  assert.deepEqual(
    out.map((o) => o.destination),
    ['192.0.2.2', '192.0.2.3'],
  );
  for (const o of out) assert.equal(vrrpChecksum(o.payload, 3, 4, '192.0.2.1', o.destination), 0);
  assert.notEqual(out[0]!.payload.readUInt16BE(6), out[1]!.payload.readUInt16BE(6));
});

test('vrrp_skip_check_adv_addr: the VIP list is not checked for adverts from the known master', () => {
  const inst = new VrrpInstance(
    {
      ...V2PASS,
      priority: 50,
      skipCheckAdvAddr: true,
      vips: [{ address: '192.0.2.10' }, { address: '192.0.2.99' }],
    },
    '192.0.2.2',
  );
  inst.handle(inst.startEvent(), 0);
  const rx = splitIpPacket(fixture('ka227-v2-ipv4-pass-vrid51-prio100'))!;
  const first = inst.receive(rx);
  assert.equal(first.validation.verdict === 'ok' && first.validation.notes.join(), 'address-mismatch');
  inst.handle(first.event!, 10);
  const second = inst.receive(rx);
  assert.equal(second.validation.verdict === 'ok' && second.validation.notes.join(), '');
  assert.equal(inst.counters.addrListErr, 1);
});

test('default trackers: own interface unless dont_track_primary, VIP interfaces unless dont_track', () => {
  const cfg: InstanceConfig = {
    ...V2PASS,
    vips: [
      { address: '192.0.2.10' },
      { address: '192.0.2.11', interface: 'eth1' },
      { address: '192.0.2.12', interface: 'eth2', dontTrack: true },
    ],
    trackInterfaces: [{ name: 'eth3', weight: -20 }],
  };
  assert.deepEqual(
    defaultTrackers(cfg).map((t) => `${t.name}:${t.weight}`),
    ['eth3:-20', 'vgka0:0', 'eth1:0'],
  );
  assert.deepEqual(
    defaultTrackers({ ...cfg, dontTrackPrimary: true }).map((t) => t.name),
    ['eth3', 'eth1'],
  );
  // Link down on the instance interface means FAULT; back up clears it.
  const inst = new VrrpInstance(cfg, '192.0.2.1', new Map([['vgka0', false]]));
  assert.deepEqual(inst.startEvent(), { type: 'start', faulty: true });
  inst.handle(inst.startEvent(), 0);
  assert.equal(inst.machine.state, 'FAULT');
  const evs = inst.trackerChanged({ kind: 'interface', name: 'vgka0', weight: 0 }, true);
  for (const e of evs) inst.handle(e, 10);
  assert.equal(inst.machine.state, 'BACKUP');
  // A weighted interface lowers the priority.
  const evs2 = inst.trackerChanged({ kind: 'interface', name: 'eth3', weight: -20 }, false);
  assert.deepEqual(evs2, [{ type: 'priority', effective: 80 }]);
});

test('a source address of the wrong family is a clear error', () => {
  assert.throws(() => new VrrpInstance(V2PASS, 'fe80::1'), /V2PASS.*not IPv4/);
});
