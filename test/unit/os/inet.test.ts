import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { endianness } from 'node:os';
import { bytesToIp, ipToBytes, isMulticast, parseCidr } from '../../../src/base/inet.js';
import { ipMreqn, sockaddrIn, sockaddrLl } from '../../../src/os/native.js';

test('address text to bytes and back', () => {
  const cases: [string, string, string][] = [
    ['192.168.10.100', 'c0a80a64', '192.168.10.100'],
    ['::', '0'.repeat(32), '::'],
    ['::1', '0'.repeat(31) + '1', '::1'],
    ['ff02::12', 'ff02' + '0'.repeat(26) + '12', 'ff02::12'],
    ['fe80::a:0:0:1%eth0', 'fe80000000000000000a000000000001', 'fe80::a:0:0:1'],
    ['2001:db8:0:0:1:0:0:1', '20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['::ffff:10.1.2.3', '00000000000000000000ffff0a010203', '::ffff:a01:203'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008', '1:2:3:4:5:6:7:8'],
  ];
  for (const [text, hex, back] of cases) {
    assert.equal(ipToBytes(text).toString('hex'), hex, text);
    assert.equal(bytesToIp(Buffer.from(hex, 'hex')), back, text);
  }
  assert.throws(() => ipToBytes('300.1.1.1'), /not an IP address: '300.1.1.1'/);
  assert.throws(() => bytesToIp(Buffer.alloc(5)), /4 or 16 bytes, not 5/);
});

test('IPv6 round trip: any 16 bytes survive text form (RFC 5952 as URL prints it)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
      const text = bytesToIp(b);
      assert.deepEqual(ipToBytes(text), Buffer.from(b));
      assert.equal(`[${text}]`, new URL(`http://[${text}]/`).hostname);
    }),
  );
});

test('multicast and CIDR parsing', () => {
  assert.equal(isMulticast('224.0.0.18'), true);
  assert.equal(isMulticast('239.255.255.255'), true);
  assert.equal(isMulticast('192.168.1.1'), false);
  assert.equal(isMulticast('ff02::12'), true);
  assert.equal(isMulticast('fe80::1'), false);
  assert.deepEqual(parseCidr('10.0.0.1/24'), { address: '10.0.0.1', prefix: 24, family: 4 });
  assert.deepEqual(parseCidr('fd00::1'), { address: 'fd00::1', prefix: 128, family: 6 });
  assert.throws(() => parseCidr('10.0.0.1/33'), /bad prefix length in '10.0.0.1\/33'/);
  assert.throws(() => parseCidr('10.0.0.1/x'), /bad prefix length/);
  assert.throws(() => parseCidr('nope/8'), /not an IP address: 'nope'/);
});

test('Linux socket structures (little-endian host layout)', { skip: endianness() !== 'LE' }, () => {
  assert.equal(sockaddrIn('224.0.0.18').toString('hex'), '0200' + '0000' + 'e0000012' + '0'.repeat(16));
  const s6 = sockaddrIn('ff02::12', 0, 3);
  assert.equal(s6.length, 28);
  assert.equal(s6.subarray(0, 2).toString('hex'), '0a00');
  assert.equal(s6.subarray(8, 24).toString('hex'), 'ff020000000000000000000000000012');
  assert.equal(s6.readUInt32LE(24), 3);
  assert.equal(ipMreqn('224.0.0.18', 7).toString('hex'), 'e0000012' + '00000000' + '07000000');
  const ll = sockaddrLl(5, 0x0806, Buffer.alloc(6, 0xff));
  assert.equal(ll.toString('hex'), '1100' + '0806' + '05000000' + '0000' + '00' + '06' + 'ffffffffffff0000');
});
