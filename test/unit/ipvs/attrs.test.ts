import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  CmdAttr,
  DestAttr,
  StatsAttr,
  SvcAttr,
  attr,
  decodeDest,
  decodeInfo,
  decodeService,
  decodeTimeouts,
  encodeDest,
  encodeService,
  encodeServiceKey,
  encodeTimeouts,
  nest,
  parseAttrs,
} from '../../../src/dataplane/ipvs/attrs.js';
import type { DestSpec, ServiceKey, ServiceSpec } from '../../../src/dataplane/engine.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const tcp80: ServiceKey = { kind: 'addr', family: 4, address: '10.0.0.1', port: 80, protocol: 'tcp' };

test('attributes are padded to 4 bytes; the length field excludes the padding', () => {
  assert.equal(hex(attr(6, Buffer.from('rr\0'))), '0700060072720000');
  assert.equal(hex(attr(1, Buffer.of(1, 2, 3, 4))), '0800010001020304');
  assert.equal(hex(attr(2, Buffer.alloc(0))), '04000200');
  // a nest carries NLA_F_NESTED and the padded length of its children
  assert.equal(hex(nest(1, [attr(6, Buffer.from('rr\0'))])), '0c000180' + '0700060072720000');
  assert.throws(() => attr(1, Buffer.alloc(0x10000)), /too long/);
});

test('a service key: AF and protocol host order, 16-byte address, port network order', () => {
  assert.equal(
    hex(encodeServiceKey(tcp80)),
    '30000180' + // nested IPVS_CMD_ATTR_SERVICE, 48 bytes
      '0600010002000000' + // AF_INET
      '0600020006000000' + // IPPROTO_TCP
      '14000300' +
      '0a000001' +
      '00'.repeat(12) + // union nf_inet_addr
      '0600040000500000', // port 80 big-endian
  );
  assert.equal(
    hex(encodeServiceKey({ kind: 'fwmark', family: 6, fwmark: 0x01020304 })),
    '14000180' + '060001000a000000' + '0800050004030201',
  );
  const v6 = parseAttrs(
    parseAttrs(encodeServiceKey({ ...tcp80, family: 6, address: '2001:db8::1', protocol: 'sctp' })).get(
      CmdAttr.SERVICE,
    )!,
  );
  assert.equal(hex(v6.get(SvcAttr.ADDR)!), '20010db8000000000000000000000001');
  assert.equal(v6.get(SvcAttr.PROTOCOL)!.readUInt16LE(0), 132);
});

test('a full service: scheduler, flags with a full mask, timeout, netmask in network order', () => {
  const a = parseAttrs(
    parseAttrs(
      encodeService({
        key: tcp80,
        scheduler: 'wlc',
        persistenceTimeout: 300,
        persistenceNetmask: '255.255.255.0',
        flags: { ops: true },
      }),
    ).get(CmdAttr.SERVICE)!,
  );
  assert.equal(a.get(SvcAttr.SCHED_NAME)!.toString(), 'wlc\0');
  assert.equal(hex(a.get(SvcAttr.FLAGS)!), '05000000ffffffff'); // persistent | one-packet
  assert.equal(a.get(SvcAttr.TIMEOUT)!.readUInt32LE(0), 300);
  assert.equal(hex(a.get(SvcAttr.NETMASK)!), 'ffffff00');
  const b = parseAttrs(
    parseAttrs(
      encodeService({
        key: { kind: 'fwmark', family: 6, fwmark: 9 },
        scheduler: 'mh',
        flags: { fallback: true, port: true },
      }),
    ).get(CmdAttr.SERVICE)!,
  );
  assert.equal(hex(b.get(SvcAttr.FLAGS)!), '18000000ffffffff'); // sched1 | sched2
  assert.equal(b.get(SvcAttr.TIMEOUT)!.readUInt32LE(0), 0);
  assert.equal(b.get(SvcAttr.NETMASK)!.readUInt32LE(0), 128); // IPv6: a prefix length
  assert.throws(
    () =>
      encodeService({
        key: { kind: 'fwmark', family: 6, fwmark: 9 },
        scheduler: 'rr',
        persistenceTimeout: 5,
        persistenceNetmask: '200',
        flags: {},
      }),
    /IPv6 persistence prefix '200'/,
  );
});

test('a destination: forwarding method, weight, thresholds, tunnel type and port', () => {
  const d: DestSpec = {
    address: '10.0.0.2',
    port: 8080,
    forwarding: 'tun',
    weight: 5,
    upperThreshold: 100,
    lowerThreshold: 10,
    tunnelType: 'gue',
    tunnelPort: 5555,
  };
  const buf = encodeDest(d);
  assert.equal(buf.readUInt16LE(2), CmdAttr.DEST | 0x8000);
  const a = parseAttrs(parseAttrs(buf).get(CmdAttr.DEST)!);
  assert.equal(hex(a.get(DestAttr.PORT)!), '1f90');
  assert.equal(a.get(DestAttr.FWD_METHOD)!.readUInt32LE(0), 2);
  assert.equal(a.get(DestAttr.WEIGHT)!.readUInt32LE(0), 5);
  assert.equal(a.get(DestAttr.U_THRESH)!.readUInt32LE(0), 100);
  assert.equal(a.get(DestAttr.L_THRESH)!.readUInt32LE(0), 10);
  assert.equal(hex(a.get(DestAttr.TUN_TYPE)!), '01');
  assert.equal(hex(a.get(DestAttr.TUN_PORT)!), '15b3');
  assert.equal(a.get(DestAttr.ADDR_FAMILY)!.readUInt16LE(0), 2);
  assert.equal(a.get(DestAttr.TUN_FLAGS), undefined, 'nocsum: the kernel default, not sent');
  // csum / remcsum: IP_VS_TUNNEL_ENCAP_FLAG_CSUM (1) / _REMCSUM (2), u16 in host order, read back
  for (const [csum, flag] of [
    ['csum', 1],
    ['remcsum', 2],
  ] as const) {
    const e = encodeDest({ ...d, tunnelCsum: csum });
    const f = parseAttrs(parseAttrs(e).get(CmdAttr.DEST)!).get(DestAttr.TUN_FLAGS)!;
    assert.equal(f.readUInt16LE(0), flag);
    assert.equal(decodeDest(e, 4).dest.tunnelCsum, csum);
  }
  // the TUN_TYPE u8 attribute is 5 bytes long and padded to 8
  const raw = parseAttrs(buf).get(CmdAttr.DEST)!;
  const at = raw.indexOf(Buffer.from('05000d00', 'hex'));
  assert.equal(hex(raw.subarray(at, at + 8)), '05000d0001000000');
  // identity only, for DEL_DEST
  assert.deepEqual(
    [...parseAttrs(parseAttrs(encodeDest(d, false)).get(CmdAttr.DEST)!).keys()],
    [DestAttr.ADDR, DestAttr.PORT, DestAttr.ADDR_FAMILY],
  );
  assert.throws(() => encodeDest({ ...d, forwarding: 'fullnat' }), /full-NAT/);
});

const addrKey = fc.record({
  kind: fc.constant('addr' as const),
  family: fc.constant(4 as const),
  address: fc.ipV4(),
  port: fc.integer({ min: 0, max: 65535 }),
  protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const),
});
const markKey = fc.record({
  kind: fc.constant('fwmark' as const),
  family: fc.constantFrom(4 as const, 6 as const),
  fwmark: fc.integer({ min: 1, max: 0xffffffff }),
});

test('services decode to what was encoded (the kernel echoes these attributes)', () => {
  fc.assert(
    fc.property(
      fc.oneof(addrKey, markKey),
      fc.constantFrom('rr', 'wlc', 'sh', 'mh'),
      fc.option(fc.integer({ min: 1, max: 1e6 }), { nil: undefined }),
      fc.record(
        { ops: fc.constant(true), fallback: fc.constant(true), port: fc.constant(true) },
        { requiredKeys: [] },
      ),
      (key, scheduler, persistenceTimeout, flags) => {
        const spec: ServiceSpec = { key: { ...key }, scheduler, flags: { ...flags } };
        if (persistenceTimeout !== undefined) {
          spec.persistenceTimeout = persistenceTimeout;
          spec.persistenceNetmask = key.family === 6 ? '64' : '255.255.0.0';
        }
        assert.deepEqual(decodeService(encodeService(spec)).spec, spec);
      },
    ),
  );
  // the default full mask reads back as absent, like a config that leaves it out
  const s: ServiceSpec = { key: tcp80, scheduler: 'rr', persistenceTimeout: 60, flags: {} };
  assert.deepEqual(decodeService(encodeService(s)).spec, s);
});

test('destinations decode with their connection counts and 64-bit counters', () => {
  const u32 = (t: number, v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return attr(t, b);
  };
  const u64 = (t: number, v: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    return attr(t, b);
  };
  const d: DestSpec = {
    address: '2001:db8::2',
    port: 443,
    forwarding: 'dr',
    weight: 0,
    upperThreshold: 0,
    lowerThreshold: 0,
  };
  const inner = parseAttrs(encodeDest(d)).get(CmdAttr.DEST)!;
  const stats64 = nest(DestAttr.STATS64, [
    u64(StatsAttr.CONNS, 7n),
    u64(StatsAttr.INPKTS, 5_000_000_000n),
    u64(StatsAttr.OUTPKTS, 1n),
    u64(StatsAttr.INBYTES, 2n),
    u64(StatsAttr.OUTBYTES, 3n),
  ]);
  const reply = nest(CmdAttr.DEST, [
    inner,
    u32(DestAttr.ACTIVE_CONNS, 4),
    u32(DestAttr.INACT_CONNS, 2),
    u32(DestAttr.PERSIST_CONNS, 1),
    stats64,
  ]);
  const got = decodeDest(reply, 6);
  assert.deepEqual(got.dest, d);
  assert.deepEqual([got.activeConns, got.inactiveConns, got.persistConns], [4, 2, 1]);
  assert.deepEqual(got.counters, { conns: 7, inPkts: 5_000_000_000, outPkts: 1, inBytes: 2, outBytes: 3 });
  // older kernels: STATS only (u32 counts), and tunnel defaults
  const t: DestSpec = {
    address: '10.0.0.9',
    port: 80,
    forwarding: 'tun',
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
  };
  const old = nest(CmdAttr.DEST, [
    parseAttrs(encodeDest(t)).get(CmdAttr.DEST)!,
    nest(DestAttr.STATS, [u32(StatsAttr.CONNS, 9)]),
  ]);
  const o = decodeDest(old, 4);
  assert.deepEqual(o.dest, { ...t, tunnelType: 'ipip' });
  assert.equal(o.counters.conns, 9);
});

test('info, timeouts, and malformed replies', () => {
  const u32 = (t: number, v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return attr(t, b);
  };
  assert.deepEqual(decodeInfo(Buffer.concat([u32(1, 0x010201), u32(2, 4096)])), {
    version: '1.2.1',
    connTabSize: 4096,
  });
  assert.deepEqual(decodeTimeouts(Buffer.concat(encodeTimeouts({ tcp: 900, tcpFin: 120, udp: 300 }))), {
    tcp: 900,
    tcpFin: 120,
    udp: 300,
  });
  assert.equal(hex(Buffer.concat(encodeTimeouts({ udp: 5 }))), '0800060005000000');
  assert.throws(() => parseAttrs(Buffer.from('0900010000000000', 'hex')), /bad netlink attribute length 9/);
  assert.throws(() => decodeService(Buffer.alloc(0)), /without a service/);
  assert.throws(() => decodeDest(Buffer.alloc(0), 4), /without a destination/);
});
