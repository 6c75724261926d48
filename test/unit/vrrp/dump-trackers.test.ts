// keepalived.data's tracker sections as keepalived 2.2.7 writes them (vrrp_data.c dump_sync_group,
// dump_vprocess, dump_tracking_vrrp; trackers/track_file.c dump_track_file) and the instance's
// tracked lists (interfaces and scripts 'NAME weight W', files and processes 'NAME, weight W').
// The fixture's keepalived ran none of these, so the lines follow the source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import { newAdvertCounters } from '../../../src/vrrp/packet.js';
import type { InstanceRuntimeStatus, RuntimeStatus } from '../../../src/vrrp/runtime.js';
import { vrrpDataText } from '../../../src/vrrp/dump.js';

const { config, diagnostics } = loadConfigText(
  `track_file tf {
  file /run/tf
  weight 5
}
vrrp_track_process nginx {
  process nginx
  param_match partial
  quorum 2
  weight 10 reverse
  fork_delay 1.5
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  priority 100
  virtual_ipaddress { 10.0.0.1 }
  track_interface { eth1 weight -7 reverse }
  track_file { tf weight 3 }
  track_process { nginx }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 2
  priority 100
  virtual_ipaddress { 10.0.0.2 }
}
vrrp_sync_group G {
  group { VI_1 VI_2 }
  notify_master "/bin/echo m"
}
`,
  't.conf',
);

function instance(
  name: string,
  vrid: number,
  state: string,
  trackers: InstanceRuntimeStatus['trackers'],
): InstanceRuntimeStatus {
  return {
    name,
    state,
    wantState: state,
    basePriority: 100,
    effectivePriority: 100,
    masterAddress: null,
    masterPriority: null,
    masterAdvertIntCs: 100,
    lastAdvert: null,
    vipsSet: false,
    nextTimer: null,
    stats: { becomeMaster: 0, releaseMaster: 0, advertSent: 0, priZeroSent: 0 },
    vrid,
    interface: 'eth0',
    vips: [],
    counters: newAdvertCounters(),
    tracking: { total: 100, effective: 100, faults: [], pending: [] },
    family: 4,
    version: 2,
    source: '10.0.0.9',
    syncGroup: 'G',
    advertsSent: 0,
    advertsReceived: 0,
    rejected: {},
    trackers,
    transitions: [],
    transitionsTotal: 0,
  } as InstanceRuntimeStatus;
}

const status: RuntimeStatus = {
  instances: [
    instance('VI_1', 1, 'FAULT', [{ kind: 'file', name: 'tf', weight: 3, status: 'value 4' }]),
    instance('VI_2', 2, 'BACKUP', []),
  ],
  syncGroups: [{ name: 'G', state: 'FAULT', members: ['VI_1', 'VI_2'] }],
  failed: [],
  unknownVrid: 0,
};

const VIEW = {
  sockets: [],
  timers: new Map(),
  processes: new Map([['nginx', { count: 1, quorum: false }]]),
  interfaces: null,
};

function section(lines: string[], head: string): string[] {
  const from = lines.indexOf(head);
  const end = lines.findIndex((l, i) => i > from && l.startsWith('------<'));
  return lines.slice(from, end < 0 ? lines.length - 1 : end);
}

test('the configuration loads', () => {
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
});

test('sync groups, track files and track processes sections, in keepalived order', () => {
  const lines = vrrpDataText(config, status, 0, VIEW).split('\n');
  assert.deepEqual(
    lines.filter((l) => l.startsWith('------<')),
    [
      '------< Global definitions >------',
      '------< VRRP Topology >------',
      '------< VRRP Sync groups >------',
      '------< VRRP Track files >------',
      '------< VRRP Track processes >------',
    ],
  );
  assert.deepEqual(section(lines, '------< VRRP Sync groups >------'), [
    '------< VRRP Sync groups >------',
    ' VRRP Sync Group = G, FAULT',
    '   Num member fault 1, num member init 0',
    '   VRRP member instances :',
    '     VI_1',
    '     VI_2',
    '   Using smtp notification = no',
    "   Master state transition script = '/bin/echo' 'm', uid:gid 0:0",
  ]);
  assert.deepEqual(section(lines, '------< VRRP Track files >------'), [
    '------< VRRP Track files >------',
    ' Track file = tf',
    '   File = /run/tf',
    '   Status = 4',
    '   Weight = 5',
    '   Tracking instances :',
    '     VI_1, weight 3',
  ]);
  assert.deepEqual(section(lines, '------< VRRP Track processes >------'), [
    '------< VRRP Track processes >------',
    ' VRRP Track process = nginx',
    '   Process = nginx',
    '   Param match = partial',
    '   Min processes = 2',
    '   Current processes = 1',
    '   Have quorum = false',
    '   Weight = 10 reverse',
    '   Terminate delay = 0.000000s',
    '   Fork delay = 1.500000s',
    // param_match implies matching the whole command line, as keepalived sets it.
    '   Full command = true',
    '   Tracking instances :',
    '     VI_1, weight 10 reverse',
  ]);
});

test("an instance's tracked lists: a comma after file and process names only, reverse shown", () => {
  const lines = vrrpDataText(config, status, 0, VIEW).split('\n');
  const at = lines.indexOf('   Tracked interfaces :');
  assert.deepEqual(lines.slice(at, at + 6), [
    '   Tracked interfaces :',
    '     eth1 weight -7 reverse',
    '   Tracked files :',
    '     tf, weight 3',
    '   Tracked processes :',
    '     nginx, weight 10 reverse',
  ]);
});

test('static_ipaddress: a Static Addresses section before the topology, as format_ipaddress writes them', () => {
  const { config: c } = loadConfigText(
    `static_ipaddress {\n  192.168.5.1/24 dev eth1 scope link\n  10.9.9.9 dev lo\n}\n${'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n  virtual_ipaddress { 10.0.0.1 }\n}\n'}`,
    's.conf',
  );
  const lines = vrrpDataText(c, { ...status, instances: [status.instances[0]!] }, 0, VIEW).split('\n');
  const at = lines.indexOf('------< Static Addresses >------');
  assert.deepEqual(lines.slice(at, at + 4), [
    '------< Static Addresses >------',
    '     192.168.5.1/24 dev eth1 scope link set',
    '     10.9.9.9 dev lo scope global set',
    '------< VRRP Topology >------',
  ]);
});
