// /metrics from a status model: every named series with the status' values, counters _total,
// seconds and bytes, the checker's histogram as cumulative buckets, SSE framing one line of JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMetrics } from '../../../src/daemon/metrics.js';
import { sseFrame } from '../../../src/daemon/api-server.js';
import { EventBus } from '../../../src/daemon/events.js';
import { parseMetrics, sample } from '../../support/prom.js';

const status = {
  pid: 1,
  reloads: 2,
  children: {
    vrrp: {
      pid: 10,
      restarts: 1,
      status: {
        instances: [
          {
            name: 'VI_1',
            state: 'BACKUP',
            basePriority: 100,
            effectivePriority: 90,
            transitionsTotal: 3,
            advertsSent: 4,
            advertsReceived: 50,
            rejected: { ttl: 2 },
          },
        ],
        loopLatenessMs: { p50: 0.5, p99: 2, max: 12 },
      },
    },
    checker: {
      pid: null,
      restarts: 0,
      status: {
        realServers: [
          {
            virtualServer: '10.0.0.1:80/TCP',
            realServer: '10.0.0.2:80',
            state: 'down',
            weight: 0,
            live: {
              activeConns: 3,
              inactiveConns: 1,
              conns: 9,
              inPkts: 7,
              outPkts: 6,
              inBytes: 700,
              outBytes: 6000,
            },
            checkers: [
              { kind: 'HTTP_GET', latency: { buckets: [0.01, 0.1], counts: [1, 3], sum: 0.2, count: 4 } },
            ],
          },
        ],
        virtualServers: [
          {
            virtualServer: '10.0.0.1:80/TCP',
            live: { conns: 9, inPkts: 7, outPkts: 6, inBytes: 700, outBytes: 6000 },
            rates: { cps: 2, inPps: 3, outPps: 4, inBps: 300, outBps: 4000 },
          },
        ],
      },
    },
  },
};

test('the status model as Prometheus series', async () => {
  const s = parseMetrics(await renderMetrics(status, { p50: 0, p99: 1, max: 5 }));
  const v = (name: string, labels: Record<string, string> = {}): number | undefined =>
    sample(s, name, labels)?.value;
  const i = { instance: 'VI_1' };
  assert.equal(v('vigil_vrrp_state', { ...i, state: 'BACKUP' }), 1);
  assert.equal(v('vigil_vrrp_state', { ...i, state: 'MASTER' }), 0);
  assert.equal(v('vigil_vrrp_priority', i), 100);
  assert.equal(v('vigil_vrrp_effective_priority', i), 90);
  assert.equal(v('vigil_vrrp_transitions_total', i), 3);
  assert.equal(v('vigil_vrrp_adverts_sent_total', i), 4);
  assert.equal(v('vigil_vrrp_adverts_received_total', i), 50);
  assert.equal(v('vigil_vrrp_packets_rejected_total', { ...i, reason: 'ttl' }), 2);
  assert.equal(v('vigil_vrrp_packets_rejected_total', { ...i, reason: 'checksum' }), 0);
  const rs = { virtual_server: '10.0.0.1:80/TCP', real_server: '10.0.0.2:80' };
  assert.equal(v('vigil_real_server_up', rs), 0);
  assert.equal(v('vigil_real_server_weight', rs), 0);
  assert.equal(v('vigil_real_server_active_connections', rs), 3);
  assert.equal(v('vigil_real_server_inactive_connections', rs), 1);
  assert.equal(v('vigil_real_server_connections_total', rs), 9);
  assert.equal(v('vigil_real_server_packets_total', { ...rs, direction: 'out' }), 6);
  assert.equal(v('vigil_real_server_bytes_total', { ...rs, direction: 'in' }), 700);
  const c = { ...rs, checker: 'HTTP_GET' };
  assert.equal(v('vigil_check_duration_seconds_bucket', { ...c, le: '0.01' }), 1);
  assert.equal(v('vigil_check_duration_seconds_bucket', { ...c, le: '0.1' }), 3);
  assert.equal(v('vigil_check_duration_seconds_bucket', { ...c, le: '+Inf' }), 4);
  assert.equal(v('vigil_check_duration_seconds_sum', c), 0.2);
  assert.equal(v('vigil_check_duration_seconds_count', c), 4);
  const vs = { virtual_server: '10.0.0.1:80/TCP' };
  assert.equal(v('vigil_virtual_server_connections_total', vs), 9);
  assert.equal(v('vigil_virtual_server_connections_per_second', vs), 2);
  assert.equal(v('vigil_virtual_server_bytes_per_second', { ...vs, direction: 'out' }), 4000);
  assert.equal(v('vigil_virtual_server_packets_per_second', { ...vs, direction: 'in' }), 3);
  assert.equal(v('vigil_virtual_server_bytes_total', { ...vs, direction: 'out' }), 6000);
  assert.equal(v('vigil_reloads_total'), 2);
  assert.equal(v('vigil_child_restarts_total', { child: 'vrrp' }), 1);
  assert.equal(v('vigil_child_up', { child: 'vrrp' }), 1);
  assert.equal(v('vigil_child_up', { child: 'checker' }), 0);
  assert.equal(v('vigil_event_loop_lateness_seconds', { process: 'vrrp', stat: 'max' }), 0.012);
  assert.equal(v('vigil_event_loop_lateness_seconds', { process: 'supervisor', stat: 'max' }), 0.005);
});

test('a status with missing parts still renders (a child that has not answered yet)', async () => {
  const s = parseMetrics(
    await renderMetrics(
      { children: { vrrp: { pid: 3, restarts: 0, status: { error: 'x' } } } },
      { p50: 0, p99: 0, max: 0 },
    ),
  );
  assert.equal(sample(s, 'vigil_child_up', { child: 'vrrp' })?.value, 1);
  assert.equal(s.filter((x) => x.name === 'vigil_vrrp_state').length, 0);
});

test('events: stamped with a time, framed as one server-sent event of one JSON line', () => {
  const bus = new EventBus();
  const got: unknown[] = [];
  const off = bus.subscribe((e) => got.push(e));
  assert.equal(bus.publish({ nokind: 1 }), null);
  const e = bus.publish({ kind: 'rs-state', vs: 'a', rs: 'b', state: 'DOWN', reason: 'line\nbreak' })!;
  off();
  bus.publish({ kind: 'reload' });
  assert.equal(got.length, 1);
  assert.ok(!Number.isNaN(Date.parse(e.time)));
  const frame = sseFrame(e);
  assert.match(frame, /^event: rs-state\ndata: \{[^\n]*\}\n\n$/);
  assert.deepEqual(JSON.parse(frame.split('\n')[1]!.slice(6)), e);
});
