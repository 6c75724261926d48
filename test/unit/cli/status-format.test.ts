import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDaemonStatus, formatInstance } from '../../../src/cli/status.js';

const master = {
  name: 'VI_1',
  interface: 'eth0',
  vrid: 51,
  state: 'MASTER',
  basePriority: 100,
  effectivePriority: 100,
  masterAddress: '10.0.0.1',
  masterPriority: 100,
  vips: ['10.0.0.100/24'],
  advertsSent: 12,
  advertsReceived: 0,
  rejected: {},
  trackers: [{ kind: 'interface', name: 'eth0', weight: 0, status: 'up' }],
  tracking: { faults: [] },
};

test('one line per instance, as the issue shows it', () => {
  assert.deepEqual(formatInstance(master), [
    'VI_1 eth0 vrid 51 MASTER prio 100/100 VIPs 10.0.0.100/24 adverts sent 12 rcvd 0',
  ]);
});

test('a backup names its master; rejections, trackers and faults follow', () => {
  const backup = {
    ...master,
    state: 'FAULT',
    effectivePriority: 80,
    masterAddress: '10.0.0.2',
    masterPriority: 150,
    rejected: { ttl: 3, 'auth-pass': 1 },
    trackers: [
      { kind: 'interface', name: 'eth0', weight: 0, status: 'up' },
      { kind: 'script', name: 'chk', weight: -20, status: 'down' },
    ],
    tracking: { faults: ['interface eth1 down'] },
  };
  assert.deepEqual(formatInstance(backup), [
    'VI_1 eth0 vrid 51 FAULT prio 80/100 VIPs 10.0.0.100/24 master 10.0.0.2 (prio 150) adverts sent 12 rcvd 0 rejected ttl:3,auth-pass:1',
    '    trackers: script chk down (weight -20)',
    '    fault: interface eth1 down',
  ]);
});

test('the daemon status: supervisor line, VRRP instances, other children as a tree', () => {
  const text = formatDaemonStatus({
    pid: 10,
    configFile: '/etc/keepalived/keepalived.conf',
    runtimeDir: '/run/vigil',
    reloads: 1,
    children: {
      vrrp: {
        pid: 11,
        restarts: 0,
        status: {
          instances: [master],
          syncGroups: [{ name: 'G', state: 'MASTER', members: ['VI_1'] }],
          failed: [{ name: 'VI_9', error: 'eth9 has no IPv4 address to send adverts from' }],
        },
      },
      checker: { pid: 12, restarts: 2, status: { virtualServers: 0, note: 'health checking not wired yet' } },
    },
  });
  assert.equal(
    text,
    [
      'vigil pid 10, config /etc/keepalived/keepalived.conf, runtime dir /run/vigil, reloads 1',
      'vrrp child pid 11 (restarts 0)',
      '  VI_1 eth0 vrid 51 MASTER prio 100/100 VIPs 10.0.0.100/24 adverts sent 12 rcvd 0',
      '  sync group G MASTER: VI_1',
      '  VI_9 NOT RUNNING: eth9 has no IPv4 address to send adverts from',
      'checker child pid 12 (restarts 2)',
      '  virtualServers: 0',
      '  note: health checking not wired yet',
    ].join('\n'),
  );
});
