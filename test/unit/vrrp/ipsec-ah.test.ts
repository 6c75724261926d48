// AH adverts against the bytes keepalived 2.2.7 sent (test/fixtures/vrrp/ka227-v2-ah-*.hex).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AhSession, checkAh, encodeAhPacket } from '../../../src/vrrp/ipsec-ah.js';
import { AUTH_AH, encodeAdvert } from '../../../src/vrrp/packet.js';

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
const vrrp = (priority: number): Buffer =>
  encodeAdvert(
    { version: 2, vrid: 60, priority, intervalCs: 100, authType: AUTH_AH, addresses: ['192.0.2.100'] },
    { family: 4 },
  );

test('encodeAhPacket builds the packet keepalived 2.2.7 sent (but the IP checksum, which the kernel fills)', () => {
  for (const [name, priority, seq] of [
    ['ka227-v2-ah-vrid60-prio100-seq1', 100, 1],
    ['ka227-v2-ah-vrid60-prio0-seq4', 0, 4],
  ] as const) {
    const want = fixture(name);
    want.writeUInt16BE(0, 10);
    const got = encodeAhPacket({
      source: '192.0.2.1',
      destination: '224.0.0.18',
      id: seq,
      seq,
      key: 's3cr3t',
      unicast: false,
      vrrp: vrrp(priority),
    });
    assert.equal(got.toString('hex'), want.toString('hex'), name);
  }
});

test("checkAh accepts keepalived's adverts and refuses a wrong key, a changed packet or SPI", () => {
  const p = fixture('ka227-v2-ah-vrid60-prio100-seq1');
  const split = (b: Buffer): [Buffer, Buffer] => [b.subarray(0, 20), b.subarray(20)];
  const ok = checkAh(...split(p), 's3cr3t', false);
  assert.ok(ok.ok);
  assert.equal(ok.seq, 1);
  assert.equal(ok.vrrp.toString('hex'), vrrp(100).toString('hex'));
  // Mutable fields do not count: TOS, checksum.
  const tos = Buffer.from(p);
  tos.writeUInt8(0, 1);
  tos.writeUInt16BE(0x1234, 10);
  assert.ok(checkAh(...split(tos), 's3cr3t', false).ok);
  const reason = (b: Buffer, key = 's3cr3t', unicast = false): string => {
    const r = checkAh(...split(b), key, unicast);
    return r.ok ? 'ok' : r.reason;
  };
  assert.equal(reason(p, 'secret'), 'ah-icv');
  const prio = Buffer.from(p);
  prio.writeUInt8(254, 46);
  assert.equal(reason(prio), 'ah-icv');
  const ttl = Buffer.from(p);
  ttl.writeUInt8(64, 8);
  assert.equal(reason(ttl), 'ah-icv', 'multicast: the TTL is covered');
  const spi = Buffer.from(p);
  spi.writeUInt8(2, 27);
  assert.equal(reason(spi), 'ah-icv', 'the SPI is covered by the ICV');
  assert.equal(reason(p.subarray(0, 40)), 'ah-length');
});

test('AhSession: one counter for sending and receiving; replays are refused; a master numbers above a lower peer', () => {
  const a = new AhSession('s3cr3t');
  const b = new AhSession('s3cr3t');
  const send = (s: AhSession): Buffer => s.wrap(vrrp(100), '192.0.2.1', ['224.0.0.18'], false)[0]!;
  const recv = (s: AhSession, p: Buffer): string => {
    const r = s.unwrap(p.subarray(0, 20), p.subarray(20), false);
    return r.ok ? `ok ${r.seq}` : r.reason;
  };
  const p1 = send(a);
  const p2 = send(a);
  assert.deepEqual([p1.readUInt16BE(4), p2.readUInt16BE(4)], [1, 2], 'IP ids count from 1');
  assert.equal(recv(b, p1), 'ok 1');
  assert.equal(recv(b, p2), 'ok 2');
  assert.equal(recv(b, p1), 'ah-seq', 'a replayed advert is dropped');
  assert.equal(recv(b, p2), 'ah-seq');
  // b sends above what it received (keepalived's shared counter).
  assert.equal(send(b).readUInt32BE(28), 3);
  // A restarted peer (counter 0) is refused until it numbers above us.
  const fresh = new AhSession('s3cr3t');
  assert.equal(recv(b, send(fresh)), 'ah-seq');
  fresh.syncAbove(3);
  assert.equal(recv(b, send(fresh)), 'ok 5');
  assert.equal(recv(new AhSession('other'), p1), 'ah-icv');
});
