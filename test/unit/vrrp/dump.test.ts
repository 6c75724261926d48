// vigil's VRRP dump files against those a real keepalived 2.2.7 wrote for the same configuration
// (test/fixtures/keepalived-dumps, see its README): the same labels in the same order, the same
// JSON keys with the same types. Values differ (times, counters); the status here is made up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, loadConfigText } from '../../../src/config/load.js';
import { newAdvertCounters } from '../../../src/vrrp/packet.js';
import type { InstanceRuntimeStatus, RuntimeStatus } from '../../../src/vrrp/runtime.js';
import { vrrpDataText, vrrpJson, vrrpStatsText } from '../../../src/vrrp/dump.js';
import { globalData } from '../../../src/config/dump-global.js';
import type { DumpView } from '../../../src/vrrp/dump-view.js';

const DIR = join(import.meta.dirname, '../../fixtures/keepalived-dumps');
const ref = (name: string): string => readFileSync(join(DIR, name), 'utf8');
const { config, diagnostics } = loadConfig(join(DIR, 'ka.conf'));
const STARTED = Date.parse('2026-12-07T20:30:40Z');

function instance(name: string, vrid: number, priority: number, version: 2 | 3): InstanceRuntimeStatus {
  const counters = newAdvertCounters();
  counters.advertRcvd = 4;
  counters.rejected['auth-failure'] = 2;
  return {
    name,
    state: 'MASTER',
    wantState: 'MASTER',
    basePriority: priority,
    effectivePriority: priority,
    masterAddress: '10.77.0.11',
    masterPriority: priority,
    masterAdvertIntCs: 100,
    lastAdvert: null,
    vipsSet: true,
    nextTimer: null,
    stats: { becomeMaster: 1, releaseMaster: 0, advertSent: 3, priZeroSent: 0 },
    vrid,
    interface: 'eth0',
    vips: [],
    counters,
    tracking: { total: priority, effective: priority, faults: [], pending: [] },
    family: 4,
    version,
    source: '10.77.0.11',
    syncGroup: null,
    advertsSent: 3,
    advertsReceived: 4,
    rejected: {},
    trackers: name === 'VI_1' ? [{ kind: 'script', name: 'chk_true', weight: -20, status: 'up' }] : [],
    transitions: [{ at: '2026-12-07T20:30:47.464Z', from: 'BACKUP', to: 'MASTER' }],
    transitionsTotal: 2,
  };
}

const status: RuntimeStatus = {
  instances: [instance('VI_1', 51, 150, 2), instance('VI_2', 52, 100, 3)],
  syncGroups: [],
  failed: [],
  unknownVrid: 0,
};

/** A line without its value: `   Priority = 150` -> `   Priority =`. */
function label(line: string): string {
  if (line.includes('fd_in ')) return fds(line);
  const eq = line.indexOf(' = ');
  if (eq >= 0) return line.slice(0, eq + 2);
  return line.replace(/\(\d+\)/, '(N)').replace(/: \d+$/, ':');
}

/**
 * Socket numbers without their values: keepalived has a receive and a send socket (13, 14), vigil
 * one for both.
 */
function fds(line: string): string {
  return line.replace(/fd_in \d+/, 'fd_in N').replace(/fd_out( =)? \d+/, 'fd_out$1 N');
}

/** Whether every item of `sub` occurs in `all` in the same order. */
function subsequence(sub: string[], all: string[]): string | null {
  let i = 0;
  for (const s of sub) {
    while (i < all.length && all[i] !== s) i++;
    if (i === all.length) return s;
    i++;
  }
  return null;
}

test('the fixture configuration loads', () => {
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
});

test('keepalived.stats: the same lines as keepalived 2.2.7 writes, with vigil counters', () => {
  const mine = vrrpStatsText(status);
  assert.deepEqual(mine.split('\n').map(label), ref('keepalived.stats').split('\n').map(label));
  assert.match(mine, /^VRRP Instance: VI_1\n {2}Advertisements:\n {4}Received: 4\n {4}Sent: 3\n/);
  assert.match(mine, /Authentication Errors:\n {4}Invalid Type: 0\n {4}Type Mismatch: 0\n {4}Failure: 2\n/);
});

test("keepalived.json: keepalived 2.2.7's array of {data, stats}, same keys in the same order, same types", () => {
  const theirs = JSON.parse(ref('keepalived.json')) as {
    data: Record<string, unknown>;
    stats: Record<string, unknown>;
  }[];
  const mine = JSON.parse(JSON.stringify(vrrpJson(config, status, STARTED))) as typeof theirs;
  assert.equal(mine.length, theirs.length);
  const shape = (o: Record<string, unknown>): [string, string][] =>
    Object.entries(o).map(([k, v]) => [k, Array.isArray(v) ? 'array' : typeof v]);
  for (let i = 0; i < theirs.length; i++) {
    assert.deepEqual(Object.keys(mine[i]!), ['data', 'stats']);
    assert.deepEqual(shape(mine[i]!.data), shape(theirs[i]!.data), `instance ${i} data`);
    assert.deepEqual(shape(mine[i]!.stats), shape(theirs[i]!.stats), `instance ${i} stats`);
  }
  // Values an exporter reads: name, state (2 = MASTER), priorities, VIPs as keepalived formats them.
  const d = mine[0]!.data;
  assert.equal(d.iname, 'VI_1');
  assert.equal(d.state, 2);
  assert.equal(d.base_priority, 150);
  assert.deepEqual(d.vips, theirs[0]!.data.vips);
  assert.equal(d.auth_data, 's3cret');
  assert.equal(mine[0]!.stats.auth_failure, 2);
  assert.equal(mine[1]!.data.version, 3);
});

test('keepalived.data: every line vigil writes is one keepalived writes, in its order', () => {
  const theirs = ref('keepalived.data').split('\n');
  const mine = vrrpDataText(config, status, STARTED).split('\n');
  const section = (lines: string[], from: string, to: string): string[] =>
    lines.slice(lines.indexOf(from), lines.indexOf(to) < 0 ? undefined : lines.indexOf(to));
  const missing = subsequence(
    section(mine, '------< VRRP Topology >------', '------< VRRP Scripts >------').map(label),
    section(theirs, '------< VRRP Topology >------', '------< VRRP Sockpool >------').map(label),
  );
  assert.equal(missing, null, `not in keepalived's topology (or out of order): ${missing}`);
  const scripts = subsequence(
    section(mine, '------< VRRP Scripts >------', '').map(label),
    section(theirs, '------< VRRP Scripts >------', '------< Interfaces >------').map(label),
  );
  assert.equal(scripts, null, `not in keepalived's scripts section: ${scripts}`);
  const globals = subsequence(
    section(mine, '------< Global definitions >------', '------< VRRP Topology >------').map(label),
    theirs.map(label),
  );
  assert.equal(globals, null, `not in keepalived's global definitions: ${globals}`);
  // The lines the text exporters parse, with keepalived's exact values where they are the same.
  for (const line of [
    ' VRRP Instance = VI_1',
    '   State = MASTER',
    '   Interface = eth0',
    '   Virtual Router ID = 51',
    '   Virtual IP (2):',
    '     10.77.0.100/24 dev eth0 scope global set',
    '     10.77.0.101 dev eth0 scope global set',
    '   Advert interval = 1000 milli-sec',
    ' VRRP Script = chk_true',
    '   Status = GOOD',
    '     VI_1, weight -20',
    '   Notify priority changes = false',
  ])
    assert.ok(mine.includes(line) && theirs.includes(line), line);
});

// The OS as the fixture's keepalived saw it (its namespace: lo, eth1, eth0 with the VIPs set).
const ETH = {
  up: true,
  running: true,
  broadcast: true,
  loopback: false,
  pointopoint: false,
  noarp: false,
  multicast: true,
};
const VIEW: DumpView = {
  sockets: [
    {
      fd: 13,
      ifname: 'eth0',
      family: 4,
      ah: false,
      unicastSrc: null,
      instances: [
        { name: 'VI_1', vrid: 51 },
        { name: 'VI_2', vrid: 52 },
      ],
    },
  ],
  timers: new Map([
    ['VI_1', { readTimeout: 1796675449.471683, masterDownUs: 3414062 }],
    ['VI_2', { readTimeout: null, masterDownUs: 3609375 }],
  ]),
  interfaces: [
    {
      name: 'lo',
      index: 1,
      flags: { ...ETH, broadcast: false, loopback: true, multicast: false },
      mac: null,
      macBroadcast: null,
      mtu: 65536,
      hwType: 772,
      addresses: [
        { family: 4, address: '127.0.0.1', scope: 254 },
        { family: 6, address: '::1', scope: 254 },
      ],
    },
    {
      name: 'eth1',
      index: 2,
      flags: ETH,
      mac: 'b6:00:3c:c5:59:69',
      macBroadcast: 'ff:ff:ff:ff:ff:ff',
      mtu: 1500,
      hwType: 1,
      addresses: [{ family: 6, address: 'fe80::b400:3cff:fec5:5969', scope: 253 }],
    },
    {
      name: 'eth0',
      index: 3,
      flags: ETH,
      mac: '0e:05:32:4a:8d:c4',
      macBroadcast: 'ff:ff:ff:ff:ff:ff',
      mtu: 1500,
      hwType: 1,
      addresses: [
        { family: 4, address: '10.77.0.11', scope: 0 },
        { family: 4, address: '10.77.0.100', scope: 0 },
        { family: 4, address: '10.77.0.101', scope: 0 },
        { family: 4, address: '10.77.0.110', scope: 0 },
        { family: 6, address: 'fe80::c05:32ff:fe4a:8dc4', scope: 253 },
      ],
    },
  ],
};

function between(lines: string[], from: string, to?: string): string[] {
  const a = lines.indexOf(from);
  const b = to === undefined ? lines.length : lines.indexOf(to);
  return lines.slice(a, b < 0 ? lines.length : b);
}

test('keepalived.data with the OS view: sockpool and interfaces exactly as keepalived 2.2.7 wrote them', () => {
  const theirs = ref('keepalived.data').split('\n');
  const mine = vrrpDataText(config, status, STARTED, VIEW).split('\n');
  assert.deepEqual(
    between(mine, '------< VRRP Sockpool >------', '------< VRRP Scripts >------').map(fds),
    between(theirs, '------< VRRP Sockpool >------', '------< VRRP Scripts >------').map(fds),
  );
  assert.ok(mine.includes(' fd_in 13 fd_out = 13'));
  // The VIPs on eth0 are not its addresses; ::1 (host scope) is not kept; eth0 tracked by both.
  assert.deepEqual(
    between(mine, '------< Interfaces >------'),
    between(theirs, '------< Interfaces >------'),
  );
  // The sections in keepalived's order.
  const heads = (l: string[]): string[] => l.filter((x) => x.startsWith('------<'));
  assert.deepEqual(heads(mine), heads(theirs));
});

test('keepalived.data with the OS view: the timers and sockets of each instance, at their place', () => {
  const theirs = between(
    ref('keepalived.data').split('\n'),
    '------< VRRP Topology >------',
    '------< VRRP Sockpool >------',
  );
  const mine = between(
    vrrpDataText(config, status, STARTED, VIEW).split('\n'),
    '------< VRRP Topology >------',
    '------< VRRP Sockpool >------',
  );
  // Every line keepalived writes for these instances, in its order (values aside).
  assert.deepEqual(mine.map(label), theirs.map(label));
  for (const line of [
    '   Number of track scripts init = 0',
    '   Master down timer = 3414062 usecs',
    '   Master down timer = 3609375 usecs',
    '   fd_in 13, fd_out 14',
  ])
    assert.ok(theirs.includes(line), line);
  assert.ok(
    mine.includes(
      '   Read timeout = 1796675449.471683 (' +
        mine.find((l) => l.startsWith('   Read timeout = 1796675449.471683 ('))!.slice(37),
    ),
  );
  assert.ok(mine.includes('   Read timeout = DISABLED'));
  assert.ok(mine.includes('   Master down timer = 3414062 usecs'));
  assert.equal(mine.filter((l) => l === '   fd_in 13, fd_out 13').length, 2);
  // Without the view (the -d log at start) keepalived writes none of this.
  const bare = vrrpDataText(config, status, STARTED);
  assert.doesNotMatch(bare, /Read timeout|Master down timer|fd_in|Sockpool|Interfaces/);
});

test('keepalived.data: the advert and lower-priority GARP settings the engine runs with (vrrp_strict changes them)', () => {
  const strict = loadConfigText(
    `global_defs {\n  vrrp_strict\n  vrrp_higher_prio_send_advert\n}\n${readFileSync(join(DIR, 'ka.conf'), 'utf8').replace(/authentication \{[^}]*\}/, '')}`,
    'strict.conf',
  ).config;
  const lines = vrrpDataText(strict, status, STARTED).split('\n');
  for (const l of [
    '   Gratuitous ARP lower priority delay = 0',
    '   Gratuitous ARP lower priority repeat = 0',
    '   Send advert after receive lower priority advert = false',
    '   Send advert after receive higher priority advert = false',
  ])
    assert.ok(lines.includes(l), l);
  const plain = vrrpDataText(config, status, STARTED).split('\n');
  assert.ok(plain.includes('   Send advert after receive lower priority advert = true'));
  assert.ok(plain.includes('   Gratuitous ARP lower priority repeat = 5'));
});

test("the global definitions: keepalived 2.2.7's lines for this configuration, in its order, for the VRRP and parent files", () => {
  // Left out on purpose: keepalived's build (nftables counters, libnftnl) and its process umask.
  const leftOut = [' nftables without counters', ' libnftnl version 1.2.3', ' umask = 0177'];
  for (const [proc, file] of [
    ['vrrp', 'keepalived.data'],
    ['parent', 'keepalived_parent.data'],
  ] as const) {
    const lines = ref(file).split('\n');
    const end = lines.findIndex((l, i) => i > 0 && l.startsWith('------<'));
    const theirs = lines.slice(0, end < 0 ? undefined : end).filter((l) => l !== '' && !leftOut.includes(l));
    assert.deepEqual(globalData(config, proc), theirs, file);
  }
});

test('keepalived.data, the whole file: every line keepalived 2.2.7 wrote, in its order, values aside', () => {
  const leftOut = [' nftables without counters', ' libnftnl version 1.2.3', ' umask = 0177'];
  const theirs = ref('keepalived.data')
    .split('\n')
    .filter((l) => !leftOut.includes(l));
  const mine = vrrpDataText(config, status, STARTED, VIEW).split('\n');
  assert.deepEqual(mine.map(label), theirs.map(label));
});

test("a use_vmac instance: keepalived's JSON names its macvlan (vmac_ifname, ifp_ifname), the data file its VMAC lines", () => {
  const vmacStatus: RuntimeStatus = {
    ...status,
    instances: status.instances.map((i) => (i.name === 'VI_1' ? { ...i, vmac: 'vrrp.51' } : i)),
  };
  const json = vrrpJson(config, vmacStatus, STARTED) as { data: Record<string, unknown> }[];
  assert.deepEqual(
    json.map((j) => [j.data.vmac_ifname, j.data.ifp_ifname]),
    [
      ['vrrp.51', 'vrrp.51'],
      ['', 'eth0'],
    ],
  );
  const data = vrrpDataText(config, vmacStatus, STARTED).split('\n');
  const vi1 = data.slice(data.indexOf(' VRRP Instance = VI_1'), data.indexOf(' VRRP Instance = VI_2'));
  assert.ok(vi1.includes('   Use VMAC, i/f name vrrp.51, is_up = true, xmit_base = false'), vi1.join('\n'));
  assert.ok(vi1.includes('   Interface = vrrp.51, vmac on eth0'));
  assert.ok(!data.some((l) => l.includes('Use VMAC') && !vi1.includes(l)), 'VI_2 has no VMAC line');
});
