import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  desiredSysctls,
  missingItems,
  parseRealserverArgs,
  parseState,
  persistFiles,
  type Observed,
  type RealserverOptions,
} from '../../../src/realserver/plan.js';
import { sysctlName } from '../../../src/os/sysctl.js';

function opts(argv: string[]): RealserverOptions {
  const r = parseRealserverArgs(argv);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.options;
}

test('arguments: repeated --vip, /32 and /128 accepted, duplicates folded, modes and devices', () => {
  const o = opts(['--vip', '10.0.0.1', '--vip=10.0.0.1/32', '--vip', 'fd00::1/128', '--persist']);
  assert.deepEqual(
    o.vips.map((v) => `${v.address}/${v.prefix}`),
    ['10.0.0.1/32', 'fd00::1/128'],
  );
  assert.equal(o.mode, 'dr');
  assert.equal(o.dev, 'lo');
  assert.equal(o.persist, true);
  assert.equal(o.root, '/');
  assert.equal(opts(['--mode', 'tun', '--vip', '10.0.0.1']).dev, 'tunl0');
  assert.equal(opts(['--dev', 'vip0', '--vip', '10.0.0.1']).dev, 'vip0');
  assert.deepEqual(opts(['--undo']).vips, []);
  for (const [argv, want] of [
    [['--vip'], /--vip needs an address/],
    [['--vip', '10.0.0.1', '--mode', 'tun', '--dev', 'eth0'], /--mode tun puts the VIPs on tunl0/],
    [['--vip', '10.0.0.1', '--dev', 'tunl0'], /tunl0 is for --mode tun/],
    [['--vip', '10.0.0.1', '--dev', 'a-very-long-interface-name'], /--dev needs an interface name/],
    [['--undo', '--persist'], /--undo cannot be combined/],
    [['--check=yes', '--vip', '10.0.0.1'], /--check takes no value/],
  ] as [string[], RegExp][]) {
    const r = parseRealserverArgs(argv);
    assert.ok(!r.ok, argv.join(' '));
    assert.match(r.error, want);
  }
});

test('sysctls: arp_ignore=1 / arp_announce=2 on all and the device; TUN adds rp_filter=0; none for IPv6 only', () => {
  const dr = desiredSysctls('dr', 'lo', true).map((s) => `${sysctlName(s.key)}=${s.value}`);
  assert.deepEqual(dr, [
    'net.ipv4.conf.all.arp_ignore=1',
    'net.ipv4.conf.all.arp_announce=2',
    'net.ipv4.conf.lo.arp_ignore=1',
    'net.ipv4.conf.lo.arp_announce=2',
  ]);
  const tun = desiredSysctls('tun', 'tunl0', true).map((s) => `${sysctlName(s.key)}=${s.value}`);
  assert.ok(tun.includes('net.ipv4.conf.all.rp_filter=0') && tun.includes('net.ipv4.conf.tunl0.rp_filter=0'));
  assert.deepEqual(desiredSysctls('dr', 'lo', false), []);
  // sysctl(8) spells a dotted device name with slashes.
  assert.equal(
    sysctlName(['net', 'ipv4', 'conf', 'eth0.100', 'arp_ignore']),
    'net/ipv4/conf/eth0.100/arp_ignore',
  );
});

test('missingItems: one line per thing not in place, nothing when all is', () => {
  const o = opts(['--vip', '10.0.0.1', '--vip', '10.0.0.2']);
  const good: Observed = {
    link: { exists: true, up: true },
    addresses: new Map([
      ['10.0.0.1', 32],
      ['10.0.0.2', 32],
    ]),
    sysctls: new Map(desiredSysctls('dr', 'lo', true).map((s) => [sysctlName(s.key), s.value])),
    files: new Map(),
  };
  assert.deepEqual(missingItems(o, good, []), []);
  const bad: Observed = {
    link: { exists: true, up: false },
    addresses: new Map([['10.0.0.2', 24]]),
    sysctls: new Map([...good.sysctls, ['net.ipv4.conf.lo.arp_announce', '0']]),
    files: new Map([['/r/etc/x', 'old']]),
  };
  assert.deepEqual(
    missingItems(o, bad, [
      { path: '/r/etc/x', content: 'new' },
      { path: '/r/etc/y', content: '' },
    ]),
    [
      'missing: interface lo is down',
      'missing: 10.0.0.1/32 on lo',
      'wrong: 10.0.0.2 on lo is /24, want /32',
      'wrong: net.ipv4.conf.lo.arp_announce = 0, want 2',
      'wrong: /r/etc/x differs from what --persist writes',
      'missing: /r/etc/y',
    ],
  );
});

test('persistFiles: sysctl.d and a oneshot unit under the root that re-runs vigil realserver', () => {
  const o = opts(['--dev', 'vip0', '--vip', '10.0.0.1']);
  const [sysctl, unit] = persistFiles('/tmp/r/', o.mode, o.dev, o.vips, '/usr/bin/vigil');
  assert.equal(sysctl!.path, '/tmp/r/etc/sysctl.d/90-vigil-realserver.conf');
  assert.match(sysctl!.content, /^net\.ipv4\.conf\.vip0\.arp_ignore = 1$/m);
  assert.equal(unit!.path, '/tmp/r/etc/systemd/system/vigil-realserver.service');
  assert.match(
    unit!.content,
    /^ExecStart=\/usr\/bin\/vigil realserver --mode dr --dev vip0 --vip 10.0.0.1$/m,
  );
  // IPv6 only: no ARP sysctls, so no sysctl.d file.
  const v6 = opts(['--vip', 'fd00::1']);
  assert.deepEqual(
    persistFiles('/', v6.mode, v6.dev, v6.vips, 'vigil').map((f) => f.path),
    ['/etc/systemd/system/vigil-realserver.service'],
  );
});

test('parseState rejects what is not a state file', () => {
  assert.equal(parseState('not json'), null);
  assert.equal(parseState('{"version":2}'), null);
  assert.equal(parseState('null'), null);
  const ok = parseState(
    JSON.stringify({
      version: 1,
      mode: 'dr',
      dev: 'lo',
      vips: [],
      added: [],
      sysctls: [],
      createdLink: false,
      upLink: false,
      persisted: false,
    }),
  );
  assert.equal(ok?.dev, 'lo');
});
