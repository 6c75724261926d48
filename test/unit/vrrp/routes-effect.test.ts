// Which deleted route or rule is one of an instance's tracked virtual ones (keepalived's
// route_is_ours / rule_is_ours), and how config routes and rules become rtnetlink specs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IpRoute, IpRule } from '../../../src/config/model.js';
import { isOurRoute, isOurRule, osRoute, osRule } from '../../../src/vrrp/routes-effect.js';

const loc = { file: 'k.conf', line: 1, col: 1 };
const route = (r: Partial<IpRoute>): IpRoute => ({
  to: '10.74.0.0/16',
  family: 4,
  kind: 'unicast',
  via: '192.168.74.1',
  dev: 'eth0',
  table: 254,
  scope: 0,
  protocol: 18,
  noTrack: false,
  text: '',
  loc,
  ...r,
});
const deleted = {
  family: 4 as const,
  to: '10.74.0.0/16',
  table: 254,
  metric: 0,
  tos: 0,
  oif: 2,
  protocol: 18,
};
const ifindex = (n: string): number | undefined => ({ eth0: 2, eth1: 3 })[n];

test('a deleted route is ours when protocol, table, family, prefix, metric, tos, interface and destination match', () => {
  assert.ok(isOurRoute(deleted, route({}), ifindex));
  assert.ok(!isOurRoute({ ...deleted, protocol: 4 }, route({}), ifindex), 'another protocol');
  assert.ok(!isOurRoute({ ...deleted, table: 100 }, route({}), ifindex), 'another table');
  assert.ok(!isOurRoute({ ...deleted, metric: 5 }, route({}), ifindex), 'another metric');
  assert.ok(isOurRoute({ ...deleted, metric: 5 }, route({ metric: 5 }), ifindex));
  assert.ok(!isOurRoute({ ...deleted, oif: 3 }, route({}), ifindex), 'another interface');
  assert.ok(!isOurRoute({ ...deleted, to: '10.74.0.0/24' }, route({}), ifindex), 'another prefix');
  assert.ok(!isOurRoute(deleted, route({ noTrack: true }), ifindex), 'no_track');
  // Destinations compare as addresses, not text; /0 is the default route.
  const v6 = { ...deleted, family: 6 as const, to: 'fd00:74::/64' };
  assert.ok(isOurRoute(v6, route({ family: 6, to: 'fd00:0074:0::/64', via: 'fd00:74::1' }), ifindex));
  assert.ok(isOurRoute({ ...deleted, to: 'default' }, route({ to: '0.0.0.0/0' }), ifindex));
});

test('a deleted rule is ours by family, preference, protocol and table', () => {
  const rule: IpRule = {
    family: 4,
    from: '10.74.1.0/24',
    not: false,
    priority: 1000,
    action: 'table',
    table: 100,
    protocol: 18,
    noTrack: false,
    text: '',
    loc,
  };
  assert.ok(isOurRule({ family: 4, priority: 1000, protocol: 18, table: 100 }, rule));
  assert.ok(!isOurRule({ family: 4, priority: 1001, protocol: 18, table: 100 }, rule));
  assert.ok(!isOurRule({ family: 4, priority: 1000, protocol: 18, table: 101 }, rule));
  assert.ok(!isOurRule({ family: 6, priority: 1000, protocol: 18, table: 100 }, rule));
  assert.ok(!isOurRule({ family: 4, priority: 1000, protocol: 18, table: 100 }, { ...rule, noTrack: true }));
  assert.deepEqual(osRule(rule), {
    family: 4,
    from: '10.74.1.0/24',
    not: false,
    priority: 1000,
    action: 'table',
    table: 100,
    protocol: 18,
  });
});

test('a config route becomes the rtnetlink spec keepalived would send (scope, protocol, table as given)', () => {
  assert.deepEqual(osRoute(route({ src: '192.168.74.100', metric: 7, tos: 16 })), {
    to: '10.74.0.0/16',
    family: 4,
    kind: 'unicast',
    table: 254,
    scope: 0,
    protocol: 18,
    via: '192.168.74.1',
    dev: 'eth0',
    src: '192.168.74.100',
    metric: 7,
    tos: 16,
  });
});
