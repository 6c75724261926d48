import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDaemonStatus, formatInstance, formatRealServers } from '../../../src/cli/status.js';

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

test('the checker child: engine, then each real server with its checkers under its virtual server', () => {
  const text = formatDaemonStatus({
    pid: 10,
    configFile: 'k.conf',
    runtimeDir: '/run/vigil',
    reloads: 0,
    children: {
      checker: {
        pid: 12,
        restarts: 0,
        status: {
          engine: 'nft',
          changesApplied: 3,
          why: 'no IPVS',
          realServers: [
            {
              virtualServer: '10.0.0.100:80/TCP',
              realServer: '10.0.0.7:80',
              state: 'up',
              weight: 3,
              lastChange: '2026-12-04T10:00:00.000Z',
              checkers: [
                {
                  kind: 'HTTP_GET',
                  up: true,
                  consecutiveFailures: 0,
                  lastResult: {
                    ok: true,
                    reason: 'status 200',
                    at: '2026-12-04T10:00:01.000Z',
                    latencyMs: 1.5,
                  },
                },
              ],
            },
            {
              virtualServer: '10.0.0.100:80/TCP',
              realServer: '10.0.0.8:80',
              state: 'down',
              suspended: true,
              weight: 0,
              checkers: [
                {
                  kind: 'TCP_CHECK',
                  up: false,
                  consecutiveFailures: 4,
                  lastResult: {
                    ok: false,
                    reason: 'connection refused',
                    at: '2026-12-04T10:00:02.000Z',
                    latencyMs: 0.3,
                  },
                },
                { kind: 'MISC_CHECK', up: false, consecutiveFailures: 0 },
              ],
            },
          ],
        },
      },
    },
  });
  assert.equal(
    text,
    [
      'vigil pid 10, config k.conf, runtime dir /run/vigil, reloads 0',
      'checker child pid 12 (restarts 0)',
      '  engine: nft',
      '  changesApplied: 3',
      '  why: no IPVS',
      '  virtual server 10.0.0.100:80/TCP',
      '    10.0.0.7:80 up weight 3 since 2026-12-04T10:00:00.000Z',
      '      HTTP_GET up, last ok: status 200 (1.5 ms, at 2026-12-04T10:00:01.000Z)',
      '    10.0.0.8:80 down weight 0 (checks suspended: ha_suspend)',
      '      TCP_CHECK down, last failed: connection refused (0.3 ms, at 2026-12-04T10:00:02.000Z), 4 consecutive failures',
      '      MISC_CHECK down, last not run yet',
    ].join('\n'),
  );
});

test('a runtime weight change shows as the weight in force, marked, with the configured one', () => {
  assert.deepEqual(
    formatRealServers([
      {
        virtualServer: '10.0.0.100:80/TCP',
        realServer: '10.0.0.7:80',
        state: 'up',
        weight: 7,
        override: { by: 'runtime', configuredWeight: 2 },
        checkers: [],
      },
    ]),
    ['virtual server 10.0.0.100:80/TCP', '  10.0.0.7:80 up weight 7 (runtime override, configured 2)'],
  );
});
