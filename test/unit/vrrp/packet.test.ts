import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  AUTH_NONE,
  AUTH_PASS,
  countValidation,
  decodeAdvert,
  decodeIpv4Header,
  decodeIpv6Header,
  encodeAdvert,
  encodeIpv4Header,
  internetChecksum,
  newAdvertCounters,
  passwordBytes,
  splitIpPacket,
  validateAdvert,
  vrrpChecksum,
  type AdvertCheck,
  type ReceivedAdvert,
  type VrrpVersion,
} from '../../../src/vrrp/packet.js';

const FIXTURES = new URL('../../fixtures/vrrp/', import.meta.url);

function fixture(name: string): Buffer {
  const text = readFileSync(new URL(`${name}.hex`, FIXTURES), 'utf8');
  const hex = text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('')
    .replace(/\s+/g, '');
  return Buffer.from(hex, 'hex');
}

interface Expect {
  name: string;
  version: VrrpVersion;
  family: 4 | 6;
  vrid: number;
  priority: number;
  intervalCs: number;
  authType: number;
  pass?: string;
  /** auth_pass as written in the config, when keepalived truncated it. */
  configuredPass?: string;
  addresses: string[];
  source: string;
  destination: string;
  ipId?: number;
  checksum: number;
  unicast?: boolean;
}

const SRC4 = '192.0.2.1';
const GROUP4 = '224.0.0.18';
const LL = 'fe80::ff:fe00:1';

// Every captured advert with each field as tcpdump decoded it (see test/fixtures/vrrp/README.md).
const captured: Expect[] = [
  {
    name: 'ka227-v2-ipv4-pass-vrid51-prio100',
    version: 2,
    family: 4,
    vrid: 51,
    priority: 100,
    intervalCs: 100,
    authType: AUTH_PASS,
    pass: 'secret12',
    addresses: ['192.0.2.10', '192.0.2.11'],
    source: SRC4,
    destination: GROUP4,
    ipId: 1,
    checksum: 0x8834,
  },
  {
    name: 'ka227-v2-ipv4-pass-vrid51-prio0',
    version: 2,
    family: 4,
    vrid: 51,
    priority: 0,
    intervalCs: 100,
    authType: AUTH_PASS,
    pass: 'secret12',
    addresses: ['192.0.2.10', '192.0.2.11'],
    source: SRC4,
    destination: GROUP4,
    ipId: 4,
    checksum: 0xec34,
  },
  {
    name: 'ka227-v2-ipv4-noauth-vrid52-prio200',
    version: 2,
    family: 4,
    vrid: 52,
    priority: 200,
    intervalCs: 200,
    authType: AUTH_NONE,
    addresses: ['192.0.2.20'],
    source: SRC4,
    destination: GROUP4,
    ipId: 1,
    checksum: 0x54b3,
  },
  {
    name: 'ka227-v2-ipv4-noauth-vrid52-prio0',
    version: 2,
    family: 4,
    vrid: 52,
    priority: 0,
    intervalCs: 200,
    authType: AUTH_NONE,
    addresses: ['192.0.2.20'],
    source: SRC4,
    destination: GROUP4,
    ipId: 2,
    checksum: 0x1cb4,
  },
  {
    name: 'ka227-v3-ipv4-vrid53-prio150',
    version: 3,
    family: 4,
    vrid: 53,
    priority: 150,
    intervalCs: 50,
    authType: 0,
    addresses: ['192.0.2.30', '192.0.2.31', '192.0.2.32'],
    source: SRC4,
    destination: GROUP4,
    ipId: 1,
    checksum: 0x4f9d,
  },
  {
    name: 'ka227-v3-ipv4-vrid53-prio0',
    version: 3,
    family: 4,
    vrid: 53,
    priority: 0,
    intervalCs: 50,
    authType: 0,
    addresses: ['192.0.2.30', '192.0.2.31', '192.0.2.32'],
    source: SRC4,
    destination: GROUP4,
    ipId: 11,
    checksum: -1,
  },
  {
    name: 'ka227-v3-ipv6-vrid54-prio120',
    version: 3,
    family: 6,
    vrid: 54,
    priority: 120,
    intervalCs: 100,
    authType: 0,
    addresses: ['fe80::54', '2001:db8::54'],
    source: LL,
    destination: 'ff02::12',
    checksum: -1,
  },
  {
    name: 'ka227-v3-ipv6-vrid54-prio0',
    version: 3,
    family: 6,
    vrid: 54,
    priority: 0,
    intervalCs: 100,
    authType: 0,
    addresses: ['fe80::54', '2001:db8::54'],
    source: LL,
    destination: 'ff02::12',
    checksum: -1,
  },
  {
    name: 'ka227-v3-ipv4-unicast-vrid55-prio110',
    version: 3,
    family: 4,
    vrid: 55,
    priority: 110,
    intervalCs: 100,
    authType: 0,
    addresses: ['198.51.100.55'],
    source: SRC4,
    destination: '192.0.2.2',
    ipId: 1,
    checksum: -1,
    unicast: true,
  },
  {
    name: 'ka227-v3-ipv4-unicast-vrid55-prio0',
    version: 3,
    family: 4,
    vrid: 55,
    priority: 0,
    intervalCs: 100,
    authType: 0,
    addresses: ['198.51.100.55'],
    source: SRC4,
    destination: '192.0.2.2',
    ipId: 4,
    checksum: -1,
    unicast: true,
  },
  {
    name: 'ka227-v2-ipv4-unicast-pass-vrid56-prio90',
    version: 2,
    family: 4,
    vrid: 56,
    priority: 90,
    intervalCs: 100,
    authType: AUTH_PASS,
    pass: 'longerth',
    configuredPass: 'longerthan8chars',
    addresses: ['198.51.100.56'],
    source: SRC4,
    destination: '192.0.2.2',
    ipId: 1,
    checksum: 0xa4a7,
    unicast: true,
  },
  {
    name: 'ka227-v2-ipv4-unicast-pass-vrid56-prio0',
    version: 2,
    family: 4,
    vrid: 56,
    priority: 0,
    intervalCs: 100,
    authType: AUTH_PASS,
    pass: 'longerth',
    configuredPass: 'longerthan8chars',
    addresses: ['198.51.100.56'],
    source: SRC4,
    destination: '192.0.2.2',
    ipId: 4,
    checksum: -1,
    unicast: true,
  },
];

function checkFor(e: Expect): AdvertCheck {
  return {
    version: e.version,
    family: e.family,
    intervalCs: e.intervalCs,
    authType: e.authType,
    ...(e.pass ? { authData: passwordBytes(e.configuredPass ?? e.pass) } : {}),
    addresses: e.addresses,
    ...(e.unicast ? { unicastPeers: [{ address: e.source }], checkUnicastSource: true } : {}),
  };
}

for (const e of captured) {
  test(`keepalived 2.2.7 capture ${e.name}: every field decodes`, () => {
    const bytes = fixture(e.name);
    const rx = splitIpPacket(bytes);
    assert.ok(rx);
    assert.equal(rx.family, e.family);
    assert.equal(rx.source, e.source);
    assert.equal(rx.destination, e.destination);
    assert.equal(rx.ttl, 255);
    assert.equal(rx.multicast, !e.unicast);
    if (e.family === 4) {
      const h = decodeIpv4Header(bytes);
      assert.ok(h);
      assert.equal(h.tos, 0xc0);
      assert.equal(h.protocol, 112);
      assert.equal(h.totalLength, bytes.length);
      assert.equal(h.id, e.ipId);
      assert.equal(internetChecksum(bytes.subarray(0, 20)), 0, 'kernel-filled IPv4 header checksum verifies');
    } else {
      const h = decodeIpv6Header(bytes);
      assert.ok(h);
      assert.equal(h.nextHeader, 112);
      assert.equal(h.hopLimit, 255);
      assert.equal(h.trafficClass, 0xc0);
      assert.equal(h.payloadLength, bytes.length - 40);
    }
    const d = decodeAdvert(rx.payload, e.family);
    assert.ok(d.ok);
    const a = d.advert;
    assert.equal(a.version, e.version);
    assert.equal(a.type, 1);
    assert.equal(a.vrid, e.vrid);
    assert.equal(a.priority, e.priority);
    assert.equal(a.intervalCs, e.intervalCs);
    assert.equal(a.authType, e.authType);
    assert.deepEqual(a.addresses, e.addresses);
    if (e.checksum >= 0) assert.equal(a.checksum, e.checksum);
    if (e.version === 2) {
      assert.equal(a.authData.length, 8);
      assert.deepEqual(a.authData, e.pass ? Buffer.from(e.pass) : Buffer.alloc(8));
    } else assert.equal(a.authData.length, 0);
    assert.equal(
      vrrpChecksum(rx.payload, e.version, e.family, e.source, e.destination),
      0,
      'checksum verifies',
    );
  });

  test(`keepalived 2.2.7 capture ${e.name}: re-encodes to identical bytes`, () => {
    const bytes = fixture(e.name);
    const payload = encodeAdvert(
      {
        version: e.version,
        vrid: e.vrid,
        priority: e.priority,
        intervalCs: e.intervalCs,
        authType: e.authType,
        ...(e.pass ? { authData: passwordBytes(e.pass) } : {}),
        addresses: e.addresses,
      },
      { family: e.family, source: e.source, destination: e.destination },
    );
    if (e.family === 4) {
      const header = encodeIpv4Header({
        source: e.source,
        destination: e.destination,
        payloadLength: payload.length,
        id: e.ipId ?? 0,
      });
      assert.equal(Buffer.concat([header, payload]).toString('hex'), bytes.toString('hex'));
    } else {
      assert.equal(payload.toString('hex'), bytes.subarray(40).toString('hex'));
    }
  });

  test(`keepalived 2.2.7 capture ${e.name}: validates as keepalived would`, () => {
    const rx = splitIpPacket(fixture(e.name));
    assert.ok(rx);
    const v = validateAdvert(rx, checkFor(e));
    assert.equal(v.verdict, 'ok', v.verdict === 'ok' ? '' : v.detail);
    if (v.verdict === 'ok') assert.deepEqual(v.notes, e.priority === 0 ? ['priority-zero'] : []);
  });
}

test('auth_pass longer than 8 characters is truncated as keepalived does', () => {
  assert.deepEqual(passwordBytes('longerthan8chars'), Buffer.from('longerth'));
  assert.deepEqual(passwordBytes('abc'), Buffer.from([0x61, 0x62, 0x63, 0, 0, 0, 0, 0]));
});

// ---- rejection reasons, each from a real captured packet with one thing wrong ----------------

const V2 = captured[0]!; // v2 PASS multicast
const V3 = captured[4]!; // v3 IPv4 multicast
const V6 = captured[6]!; // v3 IPv6 multicast

function rxOf(
  e: Expect,
  mutate?: (payload: Buffer) => void,
  extra: Partial<ReceivedAdvert> = {},
): ReceivedAdvert {
  const rx = splitIpPacket(fixture(e.name));
  assert.ok(rx);
  const payload = Buffer.from(rx.payload);
  mutate?.(payload);
  return { ...rx, payload, ...extra };
}

/** Rewrites the checksum so that only the intended fault remains. */
function fixSum(e: Expect): (p: Buffer) => void {
  return (p) => {
    p.writeUInt16BE(0, 6);
    p.writeUInt16BE(vrrpChecksum(p, p.readUInt8(0) >> 4 === 2 ? 2 : 3, e.family, e.source, e.destination), 6);
  };
}

function reason(rx: ReceivedAdvert, cfg: AdvertCheck): string {
  const v = validateAdvert(rx, cfg);
  return v.verdict === 'ok' ? `ok:${v.notes.join(',')}` : `${v.verdict}:${v.reason}`;
}

test('rejects a truncated packet and a packet longer than its address count (packet-length)', () => {
  assert.equal(
    reason(rxOf(V2, undefined, { payload: fixture(V2.name).subarray(20, 25) }), checkFor(V2)),
    'ko:packet-length',
  );
  assert.equal(
    reason(rxOf(V2, undefined, { payload: fixture(V2.name).subarray(20, 40) }), checkFor(V2)),
    'ko:packet-length',
  );
  const longer = Buffer.concat([fixture(V3.name).subarray(20), Buffer.alloc(16)]);
  assert.equal(reason(rxOf(V3, undefined, { payload: longer }), checkFor(V3)), 'ko:packet-length');
});

test('accepts Ethernet padding on a short IPv4 advert, as keepalived does', () => {
  const e = captured[8]!; // v3 unicast: 32-byte IP packet, padded to 46 on the wire
  const padded = Buffer.concat([fixture(e.name).subarray(20), Buffer.alloc(14)]);
  assert.equal(reason(rxOf(e, undefined, { payload: padded }), checkFor(e)), 'ok:');
});

test('rejects TTL other than 255 on multicast, not on unicast (ttl)', () => {
  assert.equal(reason(rxOf(V2, undefined, { ttl: 254 }), checkFor(V2)), 'ko:ttl');
  assert.equal(reason(rxOf(V6, undefined, { ttl: 1 }), checkFor(V6)), 'ko:ttl');
  const uni = captured[8]!;
  assert.equal(reason(rxOf(uni, undefined, { ttl: 64 }), checkFor(uni)), 'ok:');
  const ranged = { ...checkFor(uni), unicastPeers: [{ address: SRC4, minTtl: 250, maxTtl: 255 }] };
  assert.equal(reason(rxOf(uni, undefined, { ttl: 64 }), ranged), 'drop:ttl');
});

test('rejects a wrong version (version)', () => {
  assert.equal(reason(rxOf(V2), { ...checkFor(V2), version: 3 }), 'ko:version');
  assert.equal(
    reason(
      rxOf(V3, (p) => p.writeUInt8(0x41, 0)),
      checkFor(V3),
    ),
    'ko:version',
  );
});

test('v2 authentication: invalid type, type mismatch, wrong password', () => {
  const fix = fixSum(V2);
  assert.equal(
    reason(
      rxOf(V2, (p) => (p.writeUInt8(7, 4), fix(p))),
      checkFor(V2),
    ),
    'ko:invalid-auth-type',
  );
  assert.equal(reason(rxOf(V2), { ...checkFor(V2), authType: AUTH_NONE }), 'ko:auth-type-mismatch');
  assert.equal(reason(rxOf(V2), { ...checkFor(V2), authData: passwordBytes('secret13') }), 'ko:auth-failure');
  assert.equal(
    reason(rxOf(captured[2]!), { ...checkFor(captured[2]!), authType: AUTH_PASS }),
    'ko:auth-type-mismatch',
  );
});

test('v2 advert_int mismatch is dropped; v3 is only noted', () => {
  assert.equal(reason(rxOf(V2), { ...checkFor(V2), intervalCs: 200 }), 'drop:interval-mismatch');
  assert.equal(reason(rxOf(V3), { ...checkFor(V3), intervalCs: 100 }), 'ok:interval-differs');
});

test('rejects a packet type other than advertisement (invalid-type)', () => {
  assert.equal(
    reason(
      rxOf(V3, (p) => (p.writeUInt8(0x32, 0), fixSum(V3)(p))),
      checkFor(V3),
    ),
    'ko:invalid-type',
  );
});

test('rejects a wrong IPv4 total length (packet-length)', () => {
  const rx = rxOf(V3);
  const h = Buffer.from(rx.ipHeader!);
  h.writeUInt16BE(h.readUInt16BE(2) + 4, 2);
  assert.equal(reason({ ...rx, ipHeader: h }, checkFor(V3)), 'ko:packet-length');
});

test('rejects a bad checksum for v2, v3/IPv4 and IPv6 (checksum)', () => {
  assert.equal(
    reason(
      rxOf(V2, (p) => p.writeUInt8(p.readUInt8(7) ^ 1, 7)),
      checkFor(V2),
    ),
    'ko:checksum',
  );
  assert.equal(
    reason(
      rxOf(V3, (p) => p.writeUInt8(p.readUInt8(2) + 1, 2)),
      checkFor(V3),
    ),
    'ko:checksum',
  );
  assert.equal(
    reason(
      rxOf(V6, (p) => p.writeUInt8(p.readUInt8(2) + 1, 2)),
      checkFor(V6),
    ),
    'ko:checksum',
  );
  // v3 covers the pseudo-header: the same bytes from another source fail.
  assert.equal(reason(rxOf(V3, undefined, { source: '192.0.2.9' }), checkFor(V3)), 'ko:checksum');
});

test('accepts an old-style v3 unicast checksum (computed with 224.0.0.18) and notes it', () => {
  const e = captured[8]!;
  const rx = rxOf(e, (p) => {
    p.writeUInt16BE(0, 6);
    p.writeUInt16BE(vrrpChecksum(p, 3, 4, e.source, GROUP4), 6);
  });
  assert.equal(reason(rx, checkFor(e)), 'ok:old-unicast-checksum');
});

test('multicast packet on a unicast instance and the reverse (multicast-mismatch)', () => {
  assert.equal(
    reason(rxOf(V3), { ...checkFor(V3), unicastPeers: [{ address: SRC4 }] }),
    'ko:multicast-mismatch',
  );
  const uni = captured[8]!;
  assert.equal(reason(rxOf(uni), { ...checkFor(uni), unicastPeers: [] }), 'ko:multicast-mismatch');
  assert.equal(reason(rxOf(V6, undefined, { multicast: false }), checkFor(V6)), 'ko:multicast-mismatch');
});

test('VIP list mismatch is noted and counted, not rejected', () => {
  assert.equal(reason(rxOf(V3), { ...checkFor(V3), addresses: ['192.0.2.30'] }), 'ok:address-count-mismatch');
  const other = { ...checkFor(V3), addresses: ['192.0.2.30', '192.0.2.31', '192.0.2.99'] };
  assert.equal(reason(rxOf(V3), other), 'ok:address-mismatch');
  assert.equal(reason(rxOf(V3), { ...other, checkAddresses: false }), 'ok:');
  assert.equal(reason(rxOf(V6), { ...checkFor(V6), addresses: ['2001:db8:0::54', 'fe80:0::54'] }), 'ok:');
});

test('unicast source must be a unicast peer when checked (unicast-source)', () => {
  const uni = captured[8]!;
  const cfg = { ...checkFor(uni), unicastPeers: [{ address: '192.0.2.7' }] };
  assert.equal(reason(rxOf(uni), cfg), 'ko:unicast-source');
  assert.equal(reason(rxOf(uni), { ...cfg, checkUnicastSource: false }), 'ok:');
});

test('owner_ignore_adverts drops everything (owner-ignore)', () => {
  assert.equal(reason(rxOf(V3), { ...checkFor(V3), ownerIgnoresAdverts: true }), 'drop:owner-ignore');
});

test('counters: every outcome lands in one named counter', () => {
  const c = newAdvertCounters();
  countValidation(c, validateAdvert(rxOf(V2), checkFor(V2)));
  countValidation(c, validateAdvert(rxOf(captured[1]!), checkFor(captured[1]!)));
  countValidation(c, validateAdvert(rxOf(V2, undefined, { ttl: 1 }), checkFor(V2)));
  countValidation(c, validateAdvert(rxOf(V2), { ...checkFor(V2), authData: passwordBytes('x') }));
  countValidation(c, validateAdvert(rxOf(V3), { ...checkFor(V3), addresses: [] }));
  countValidation(c, validateAdvert(rxOf(V3), { ...checkFor(V3), unicastPeers: [{ address: SRC4 }] }));
  assert.equal(c.advertRcvd, 3);
  assert.equal(c.priZeroRcvd, 1);
  assert.equal(c.rejected.ttl, 1);
  assert.equal(c.rejected['auth-failure'], 1);
  assert.equal(c.rejected['multicast-mismatch'], 1);
  assert.equal(c.addrListErr, 2);
  assert.equal(
    Object.values(c.rejected).reduce((x, y) => x + y, 0),
    3,
  );
});

test('encode rejects addresses of the wrong family and more than 255 addresses', () => {
  const base = { version: 3 as const, vrid: 1, priority: 100, intervalCs: 100, authType: 0 };
  assert.throws(
    () =>
      encodeAdvert({ ...base, addresses: ['2001:db8::1'] }, { family: 4, source: SRC4, destination: GROUP4 }),
    /IPv4/,
  );
  const many = Array.from({ length: 256 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
  assert.throws(
    () => encodeAdvert({ ...base, addresses: many }, { family: 4, source: SRC4, destination: GROUP4 }),
    /255/,
  );
  assert.throws(() => encodeAdvert({ ...base, addresses: [] }, { family: 4 }), /source and destination/);
});

// ---- properties ----------------------------------------------------------------------------

test('property: decode and validate never throw on random bytes', () => {
  const cfg: AdvertCheck = { version: 3, family: 4, intervalCs: 100, authType: 0, addresses: ['192.0.2.1'] };
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 120 }),
      fc.constantFrom<4 | 6>(4, 6),
      fc.integer({ min: -1, max: 255 }),
      (bytes, family, ttl) => {
        decodeAdvert(bytes, family);
        splitIpPacket(bytes);
        const rx: ReceivedAdvert = {
          family,
          payload: bytes,
          source: family === 4 ? SRC4 : LL,
          destination: family === 4 ? GROUP4 : 'ff02::12',
          ttl,
          multicast: true,
        };
        const v = validateAdvert(rx, { ...cfg, family });
        assert.ok(v.verdict === 'ok' || v.verdict === 'ko' || v.verdict === 'drop');
        const ip = splitIpPacket(bytes);
        if (ip) validateAdvert(ip, { ...cfg, family: ip.family, version: 2 });
      },
    ),
    { numRuns: 3000 },
  );
});

test('property: encode then decode gives the same advert, and it validates', () => {
  const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
  fc.assert(
    fc.property(
      fc.constantFrom<VrrpVersion>(2, 3),
      fc.integer({ min: 1, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 1, max: 40 }),
      fc.uniqueArray(v4, { maxLength: 20 }),
      (version, vrid, priority, secs, addresses) => {
        const intervalCs = version === 2 ? secs * 100 : secs * 7;
        const fields = { version, vrid, priority, intervalCs, authType: 0, addresses };
        const payload = encodeAdvert(fields, { family: 4, source: SRC4, destination: GROUP4 });
        const d = decodeAdvert(payload, 4);
        assert.ok(d.ok);
        assert.equal(d.advert.vrid, vrid);
        assert.equal(d.advert.priority, priority);
        assert.equal(d.advert.intervalCs, intervalCs);
        assert.deepEqual(d.advert.addresses, addresses);
        const ipHeader = encodeIpv4Header({
          source: SRC4,
          destination: GROUP4,
          payloadLength: payload.length,
        });
        const v = validateAdvert(
          { family: 4, payload, ipHeader, source: SRC4, destination: GROUP4, ttl: 255, multicast: true },
          { version, family: 4, intervalCs, authType: 0, addresses },
        );
        assert.equal(v.verdict, 'ok');
      },
    ),
    { numRuns: 500 },
  );
});
