// virtual_server_group entries in every form keepalived 2.2.7 reads (alloc_vsg_entry), IPv6 included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGroupAddress, rangeAddresses } from '../../../src/config/group-range.js';
import { loadConfigText } from '../../../src/config/load.js';
import { serviceKeys } from '../../../src/lvs/desired.js';

const range = (text: string): string[] | string => {
  const r = parseGroupAddress(text);
  return r.ok ? rangeAddresses(r.address, r.last, r.family) : r.message;
};

test('IPv4: single, last octet, full range, prefix', () => {
  assert.deepEqual(range('10.0.0.1'), ['10.0.0.1']);
  assert.deepEqual(range('10.0.0.1-3'), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  assert.deepEqual(range('10.0.0.254-10.0.1.1'), ['10.0.0.254', '10.0.0.255', '10.0.1.0', '10.0.1.1']);
  assert.deepEqual(range('10.0.0.4/30'), ['10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.7']);
  assert.deepEqual(range('10.0.0.4/32'), ['10.0.0.4']);
});

test('IPv6: single, last group in hex, full range, prefix', () => {
  assert.deepEqual(range('fd00::1'), ['fd00::1']);
  assert.deepEqual(range('fd00::9-b'), ['fd00::9', 'fd00::a', 'fd00::b']);
  assert.deepEqual(range('fd00::ffff-fd00::1:1'), ['fd00::ffff', 'fd00::1:0', 'fd00::1:1']);
  assert.deepEqual(range('fd00:0:0:1::/126'), [
    'fd00:0:0:1::',
    'fd00:0:0:1::1',
    'fd00:0:0:1::2',
    'fd00:0:0:1::3',
  ]);
});

test('what keepalived skips, with its reason', () => {
  assert.match(range('10.0.0.5/30') as string, /address mask bits not empty/);
  assert.match(range('10.0.0.5/0') as string, /invalid netmask/);
  assert.match(range('10.0.0.5-5') as string, /end is not greater than/);
  assert.match(range('10.0.0.5-256') as string, /up to 255/);
  assert.match(range('10.0.0.5-10.0.0.4') as string, /end is less than/);
  assert.match(range('fd00::5-fd00::4') as string, /end is less than/);
  assert.match(range('10.0.0.0/8') as string, /16777216 addresses; vigil programs at most 65536/);
});

test('a group expands to one service per address and port; a bad range is warned and skipped, a huge one refused', () => {
  const r = loadConfigText(
    `virtual_server_group G {\n  10.0.0.1-2 80\n  fd00::1-2 443\n  10.0.1.0/31 8080\n  10.0.2.9-1 80\n  10.2.0.0/15 80\n}\nvirtual_server group G {\n  protocol TCP\n  real_server 10.9.0.1 80 {\n  }\n}\n`,
    'k.conf',
  );
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.severity} ${d.loc.line}:${d.loc.col} ${d.message}`),
    [
      "warning 5:3 virtual_server_group G: address range end is not greater than address range start in '10.0.2.9-1'; entry skipped",
      "error 6:3 virtual_server_group G: '10.2.0.0/15' has 131072 addresses; vigil programs at most 65536 per entry",
    ],
  );
  const keys = serviceKeys(r.config.virtualServers[0]!, r.config).map((k) =>
    k.kind === 'addr' ? `${k.address} ${k.port}` : '',
  );
  assert.deepEqual(keys, [
    '10.0.0.1 80',
    '10.0.0.2 80',
    'fd00::1 443',
    'fd00::2 443',
    '10.0.1.0 8080',
    '10.0.1.1 8080',
  ]);
});
