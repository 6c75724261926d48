// UDP_CHECK's reply rules as keepalived 2.2.7 (read_hex_str, check_udp_reply), and its config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHex, replyMatches } from '../../../src/check/udp.js';
import { loadConfigText } from '../../../src/config/load.js';

test('hex strings: pairs, a blank ends a group, x nibbles are wildcards only where allowed', () => {
  assert.deepEqual(parseHex('0102ff', false), { data: Buffer.from([1, 2, 255]) });
  assert.deepEqual(parseHex('1 23 4', false), { data: Buffer.from([0x01, 0x23, 0x04]) });
  assert.deepEqual(parseHex('123', false), { data: Buffer.from([0x12, 0x03]) });
  assert.deepEqual(parseHex('1x x2', true), {
    data: Buffer.from([0x10, 0x02]),
    mask: Buffer.from([0x0f, 0xf0]),
  });
  assert.equal(parseHex('1x', false), null);
  assert.equal(parseHex('zz', true), null);
  assert.equal(parseHex('', true), null);
});

test('a reply matches: length within min..max, the bytes both have equal outside the mask', () => {
  const p = { ...parseHex('41 4x', true)!, minLength: 0, maxLength: 255 };
  assert.equal(replyMatches(Buffer.from('AB'), p), true);
  assert.equal(replyMatches(Buffer.from('AO'), p), true); // 0x4f: the low nibble is free
  assert.equal(replyMatches(Buffer.from('AP'), p), false); // 0x50
  assert.equal(replyMatches(Buffer.from('A'), p), true); // keepalived compares the lesser length
  assert.equal(replyMatches(Buffer.alloc(256, 0x41), p), false); // over the default 255
  assert.equal(replyMatches(Buffer.from('AB'), { ...p, minLength: 3 }), false);
  assert.equal(replyMatches(Buffer.from('ABC'), { ...p, maxLength: 2 }), false);
});

test('require_reply and payload words are joined as keepalived joins them; min > max is warned', () => {
  const r = loadConfigText(
    `virtual_server 10.0.0.1 53 {\n  protocol UDP\n  real_server 10.0.0.2 53 {\n    UDP_CHECK {\n      payload 01 02\n      require_reply 41 42\n      min_reply_length 9\n      max_reply_length 8\n    }\n  }\n}\n`,
    'k.conf',
  );
  const ch = r.config.virtualServers[0]!.realServers[0]!.checkers[0]!;
  assert.equal(ch.kind, 'UDP_CHECK');
  if (ch.kind !== 'UDP_CHECK') return;
  assert.equal(ch.payload, '01 02');
  assert.equal(ch.requireReply, '41 42');
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.loc.line}: ${d.message}`),
    ['4: UDP_CHECK min_reply_length 9 > max_reply_length 8: the check will always fail'],
  );
});
