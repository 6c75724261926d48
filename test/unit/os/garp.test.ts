import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGratuitousArp, buildUnsolicitedNa, icmpv6Checksum } from '../../../src/os/garp.js';
import { ipToBytes } from '../../../src/base/inet.js';
import { formatMac, parseMac } from '../../../src/os/mac.js';

// Vectors checked with `tcpdump -vv -e` (ARP: "Request who-has 192.168.10.100 (Broadcast) tell
// 192.168.10.100"; NA: "[icmp6 sum ok] ... neighbor advertisement ... Flags [override]").
const ARP =
  'ffffffffffff02005e00010a0806' + // Ethernet: broadcast <- our MAC, ARP
  '0001080006040001' + // Ethernet/IPv4, 6/4, request
  '02005e00010ac0a80a64' + // sender MAC, VIP
  'ffffffffffffc0a80a64'; // target MAC broadcast (as keepalived), VIP
const NA =
  '33330000000102005e00010a86dd' + // Ethernet: 33:33:00:00:00:01 <- our MAC, IPv6
  '6000000000203aff' + // version 6, payload 32, ICMPv6, hop limit 255
  'fd000010000000000000000000000100' + // source: the VIP
  'ff020000000000000000000000000001' + // destination: all nodes
  '8800f97320000000' + // type 136, code 0, checksum, flags O
  'fd000010000000000000000000000100' + // target
  '020102005e00010a'; // target link-layer address option

test('gratuitous ARP frame matches the byte vector', () => {
  assert.equal(buildGratuitousArp('02:00:5e:00:01:0a', '192.168.10.100').toString('hex'), ARP);
  assert.equal(buildGratuitousArp(parseMac('02-00-5E-00-01-0A'), '192.168.10.100').toString('hex'), ARP);
});

test('unsolicited NA frame matches the byte vector; router flag changes flags and checksum', () => {
  assert.equal(buildUnsolicitedNa('02:00:5e:00:01:0a', 'fd00:10::100').toString('hex'), NA);
  const r = buildUnsolicitedNa('02:00:5e:00:01:0a', 'fd00:10::100', true);
  assert.equal(r[54 + 4], 0xa0);
  assert.equal(r.readUInt16BE(54 + 2), 0x7973);
});

test('the NA checksum verifies to zero over the pseudo-header', () => {
  for (const vip of ['fd00:10::100', 'fe80::1', '2001:db8::dead:beef']) {
    const f = buildUnsolicitedNa('aa:bb:cc:dd:ee:ff', vip);
    const icmp = f.subarray(54);
    assert.equal(icmpv6Checksum(ipToBytes(vip), ipToBytes('ff02::1'), icmp), 0, vip);
  }
});

test('wrong families and malformed MACs are refused with a clear message', () => {
  assert.throws(() => buildGratuitousArp('02:00:5e:00:01:0a', 'fd00::1'), /IPv4 addresses, not 'fd00::1'/);
  assert.throws(() => buildUnsolicitedNa('02:00:5e:00:01:0a', '10.0.0.1'), /IPv6 addresses, not '10.0.0.1'/);
  assert.throws(
    () => buildGratuitousArp('02:00:5e:00:01', '10.0.0.1'),
    /not a MAC address: '02:00:5e:00:01'/,
  );
  assert.throws(() => parseMac('zz:00:5e:00:01:0a'), /not a MAC address/);
  assert.throws(() => buildGratuitousArp(Buffer.alloc(8), '10.0.0.1'), /6 bytes, not 8/);
  assert.equal(formatMac(parseMac('2:0:5e:0:1:a')), '02:00:5e:00:01:0a');
});
