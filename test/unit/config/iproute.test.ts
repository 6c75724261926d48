// virtual_routes / virtual_rules / static_routes / static_rules read into typed values as keepalived
// 2.2.7's alloc_route / alloc_rule read them; a line keepalived drops is a warning at its token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';

function instance(routes: string[], rules: string[] = []) {
  const text = [
    'vrrp_instance VI {',
    '  interface eth0',
    '  virtual_router_id 9',
    '  virtual_ipaddress {',
    '    10.0.0.9/24',
    '  }',
    '  virtual_routes {',
    ...routes.map((r) => `    ${r}`),
    '  }',
    '  virtual_rules {',
    ...rules.map((r) => `    ${r}`),
    '  }',
    '}',
    '',
  ].join('\n');
  const { config, diagnostics } = loadConfigText(text, 'k.conf');
  const vi = config.vrrpInstances[0]!;
  return {
    routes: vi.virtualRoutes.map(({ loc: _loc, text: _text, ...r }) => r),
    rules: vi.virtualRules.map(({ loc: _loc, text: _text, ...r }) => r),
    diags: diagnostics.map((d) => `${d.severity} ${d.loc?.line}:${d.loc?.col} ${d.message}`),
  };
}

test('routes: every option vigil programs is read into a typed value', () => {
  const { routes, diags } = instance([
    'src 10.0.0.9 10.20.0.0/16 via 10.0.0.1 dev eth0 metric 50 table 100 scope link proto 18 tos 16',
    'blackhole 10.40.0.1',
    'to unreachable 10.41.0.0/24 table main',
    'default via fd00::1 dev eth0 no_track',
    '10.42.0.0/24 dev eth0 preference 7',
  ]);
  const noTrack = 'cannot track a route with no interface specified, not tracking (as keepalived)';
  assert.deepEqual(diags, [
    `warning 9:15 route 'blackhole 10.40.0.1' in virtual_routes: ${noTrack}`,
    `warning 10:20 route 'to unreachable 10.41.0.0/24 table main' in virtual_routes: ${noTrack}`,
  ]);
  assert.deepEqual(routes, [
    {
      to: '10.20.0.0/16',
      family: 4,
      kind: 'unicast',
      src: '10.0.0.9',
      via: '10.0.0.1',
      dev: 'eth0',
      metric: 50,
      tos: 16,
      table: 100,
      scope: 253,
      protocol: 18,
      noTrack: false,
    },
    { to: '10.40.0.1/32', family: 4, kind: 'blackhole', table: 254, scope: 0, protocol: 18, noTrack: true },
    { to: '10.41.0.0/24', family: 4, kind: 'unreachable', table: 254, scope: 0, protocol: 18, noTrack: true },
    {
      to: 'default',
      family: 6,
      kind: 'unicast',
      via: 'fd00::1',
      dev: 'eth0',
      table: 254,
      scope: 0,
      protocol: 18,
      noTrack: true,
    },
    {
      to: '10.42.0.0/24',
      family: 4,
      kind: 'unicast',
      dev: 'eth0',
      metric: 7,
      table: 254,
      scope: 0,
      protocol: 18,
      noTrack: false,
    },
  ]);
});

test('routes keepalived drops are warnings at the offending token; unimplemented options say so', () => {
  const { routes, diags } = instance([
    '10.1.0.0/16 via 10.0.0.1 table nosuch',
    '10.2.0.0/16 via fd00::1',
    '10.3.0.0/16 via 10.0.0.1 or 10.0.0.2',
    'via 10.0.0.1 dev eth0',
    '10.4.0.0/16 gw 10.0.0.1 mtu lock 1400',
    '10.5.0.0/16 via 10.0.0.1 scope galaxy',
    '10.6.0.0/16 via',
    '10.7.0.0/16 metric -1 via 10.0.0.1',
    'local 10.8.0.1 dev eth0',
  ]);
  assert.deepEqual(diags, [
    "warning 8:36 route '10.1.0.0/16 via 10.0.0.1 table nosuch' in virtual_routes: routing table 'nosuch' not found; this route is ignored (as keepalived ignores it)",
    "warning 9:21 route '10.2.0.0/16 via fd00::1' in virtual_routes: cannot mix IPv4 and IPv6 addresses ('fd00::1'); this route is ignored (as keepalived ignores it)",
    "warning 10:30 route '10.3.0.0/16 via 10.0.0.1 or 10.0.0.2' in virtual_routes: 'or' is not implemented: vigil does not add this route",
    "warning 11:5 route 'via 10.0.0.1 dev eth0' in virtual_routes: route must have a destination; this route is ignored (as keepalived ignores it)",
    'warning 12:17 route \'10.4.0.0/16 gw 10.0.0.1 mtu lock 1400\' in virtual_routes: "gw" for routes is deprecated, use "via"',
    "warning 12:29 route '10.4.0.0/16 gw 10.0.0.1 mtu lock 1400' in virtual_routes: 'mtu' is not implemented: the route is added without it",
    "warning 12:5 route '10.4.0.0/16 gw 10.0.0.1 mtu lock 1400' in virtual_routes: cannot track a route with no interface specified, not tracking (as keepalived)",
    "warning 13:36 route '10.5.0.0/16 via 10.0.0.1 scope galaxy' in virtual_routes: scope 'galaxy' not found or invalid; this route is ignored (as keepalived ignores it)",
    "warning 14:17 route '10.6.0.0/16 via' in virtual_routes: 'via' needs a value; this route is ignored (as keepalived ignores it)",
    "warning 15:24 route '10.7.0.0/16 metric -1 via 10.0.0.1' in virtual_routes: invalid metric '-1'; this route is ignored (as keepalived ignores it)",
    "warning 16:5 route 'local 10.8.0.1 dev eth0' in virtual_routes: 'local' is not implemented: vigil does not add this route",
  ]);
  assert.deepEqual(
    routes.map((r) => r.to),
    ['10.4.0.0/16'],
  );
});

test('rules: options, actions, and keepalived numbering of rules without a preference', () => {
  const { rules, diags } = instance(
    [],
    [
      'from 10.0.0.0/24 table 100 priority 200',
      'not to fd00::/64 iif eth0 oif eth1 fwmark 0x10/0xff lookup main pref 201',
      'from 10.1.0.0/24 goto 300 preference 250 ipproto tcp dport 80-90 sport 1000 uidrange 0-99',
      'from 10.2.0.0/24 blackhole',
      'from fd00:1::/64 prohibit',
      'from 10.3.0.0/24 unreachable',
    ],
  );
  // 'pref' is not keepalived's spelling (preference/order/priority): it is an unknown option.
  assert.deepEqual(diags, [
    "warning 11:69 rule 'not to fd00::/64 iif eth0 oif eth1 fwmark 0x10/0xff lookup main pref 201' in virtual_rules: unknown rule option 'pref'; this rule is ignored (as keepalived ignores it)",
    "warning 13:5 rule 'from 10.2.0.0/24 blackhole' in virtual_rules: rule has no preference; set to 16384 as keepalived does (probably not what you want)",
    "warning 14:5 rule 'from fd00:1::/64 prohibit' in virtual_rules: rule has no preference; set to 16384 as keepalived does (probably not what you want)",
    "warning 15:5 rule 'from 10.3.0.0/24 unreachable' in virtual_rules: rule has no preference; set to 16383 as keepalived does (probably not what you want)",
  ]);
  assert.deepEqual(rules, [
    {
      family: 4,
      from: '10.0.0.0/24',
      table: 100,
      not: false,
      priority: 200,
      action: 'table',
      protocol: 18,
      noTrack: false,
    },
    {
      family: 4,
      from: '10.1.0.0/24',
      gotoTarget: 300,
      ipproto: 6,
      dport: [80, 90],
      sport: [1000, 1000],
      uidrange: [0, 99],
      not: false,
      priority: 250,
      action: 'goto',
      protocol: 18,
      noTrack: false,
    },
    {
      family: 4,
      from: '10.2.0.0/24',
      not: false,
      priority: 16384,
      action: 'blackhole',
      protocol: 18,
      noTrack: false,
    },
    {
      family: 6,
      from: 'fd00:1::/64',
      not: false,
      priority: 16384,
      action: 'prohibit',
      protocol: 18,
      noTrack: false,
    },
    {
      family: 4,
      from: '10.3.0.0/24',
      not: false,
      priority: 16383,
      action: 'unreachable',
      protocol: 18,
      noTrack: false,
    },
  ]);
});

test('rules keepalived drops: no action, two actions, goto backwards, bad address', () => {
  const { rules, diags } = instance(
    [],
    [
      'from 10.0.0.0/24 priority 5',
      'from 10.0.0.0/24 table 5 blackhole priority 5',
      'from 10.0.0.0/24 goto 5 priority 9',
      'to 192.168.100./24 table 1 priority 5',
    ],
  );
  assert.deepEqual(rules, []);
  assert.deepEqual(
    diags.map((d) => d.replace(/ rule '[^']*' in virtual_rules:/, '')),
    [
      'warning 10:5 no action specified for the rule; this rule is ignored (as keepalived ignores it)',
      'warning 11:30 cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable; this rule is ignored (as keepalived ignores it)',
      'warning 12:22 preference 9 >= goto target 5; this rule is ignored (as keepalived ignores it)',
      "warning 13:8 invalid rule to address '192.168.100./24'; this rule is ignored (as keepalived ignores it)",
    ],
  );
});

test('static_routes / static_rules are read the same way, with track_group warned', () => {
  const { config, diagnostics } = loadConfigText(
    [
      'static_routes {',
      '  10.9.0.0/16 via 10.0.0.1 dev eth0 track_group G',
      '}',
      'static_rules {',
      '  from 10.9.0.0/16 table 7 priority 99',
      '}',
      '',
    ].join('\n'),
    'k.conf',
  );
  assert.deepEqual(
    diagnostics.map((d) => `${d.loc?.line}:${d.loc?.col} ${d.message}`),
    [
      "2:37 route '10.9.0.0/16 via 10.0.0.1 dev eth0 track_group G' in static_routes: 'track_group' is not implemented: the route stays installed whatever the group's state",
    ],
  );
  assert.equal(config.staticAddresses.routes[0]?.to, '10.9.0.0/16');
  assert.equal(config.staticAddresses.rules[0]?.table, 7);
});

test("after 'inet6' keepalived 2.2.7 skips a word: vigil reads the line the same way and says so", () => {
  const { routes, rules, diags } = instance(
    ['inet6 fd00:74::/64 via fd00:74::1 dev eth0', 'inet6 to fd00:74::/64 via fd00:74::1 dev eth0'],
    ['inet6 from fd00:1::/64 table 5 priority 9'],
  );
  assert.deepEqual(diags, [
    "warning 8:11 route 'inet6 fd00:74::/64 via fd00:74::1 dev eth0' in virtual_routes: keepalived 2.2.7 skips the word after 'inet6', so 'fd00:74::/64' is not read (leave 'inet6' out: the addresses give the family)",
    "warning 8:5 route 'inet6 fd00:74::/64 via fd00:74::1 dev eth0' in virtual_routes: route must have a destination; this route is ignored (as keepalived ignores it)",
    "warning 9:11 route 'inet6 to fd00:74::/64 via fd00:74::1 dev eth0' in virtual_routes: keepalived 2.2.7 skips the word after 'inet6', so 'to' is not read (leave 'inet6' out: the addresses give the family)",
    "warning 12:11 rule 'inet6 from fd00:1::/64 table 5 priority 9' in virtual_rules: keepalived 2.2.7 skips the word after 'inet6', so 'from' is not read (leave 'inet6' out: the addresses give the family)",
    "warning 12:16 rule 'inet6 from fd00:1::/64 table 5 priority 9' in virtual_rules: unknown rule option 'fd00:1::/64'; this rule is ignored (as keepalived ignores it)",
  ]);
  assert.deepEqual(
    routes.map((r) => [r.to, r.family]),
    [['fd00:74::/64', 6]],
  );
  assert.deepEqual(rules, []);
});

test('use_vmac: a name is kept, a bad one warned, IPv6 instances accepted; vmac_xmit_base checked as keepalived', () => {
  const load = (body: string, vip = '10.0.0.9/24') =>
    loadConfigText(
      `vrrp_instance VI {\n  interface eth0\n  ${body}\n  virtual_router_id 9\n  virtual_ipaddress {\n    ${vip}\n  }\n}\n`,
      'k.conf',
    );
  let r = load('use_vmac vmac9');
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.config.vrrpInstances[0]!.useVmac?.name, 'vmac9');
  r = load('use_vmac');
  assert.equal(r.config.vrrpInstances[0]!.useVmac?.name, undefined);
  r = load('use_vmac a-name-far-too-long');
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.loc?.line}:${d.loc?.col} ${d.message}`),
    ["3:12 use_vmac: 'a-name-far-too-long' is not a valid interface name; the default vrrp.VRID is used"],
  );
  r = load('use_vmac\n  vmac_xmit_base', 'fd00::9/64');
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.config.vrrpInstances[0]!.vmacXmitBase, true);
  r = load('vmac_xmit_base');
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.loc?.line}:${d.loc?.col} ${d.message}`),
    ['3:3 vrrp_instance VI: vmac_xmit_base is only valid with a vmac: ignored, as keepalived does'],
  );
  assert.equal(r.config.vrrpInstances[0]!.vmacXmitBase, false);
  r = load('use_vmac\n  strict_mode\n  vmac_xmit_base');
  assert.deepEqual(
    r.diagnostics
      .filter((d) => d.message.includes('vmac'))
      .map((d) => `${d.loc?.line}:${d.loc?.col} ${d.message}`),
    [
      '5:3 vrrp_instance VI: vmac_xmit_base is incompatible with strict mode: reset, adverts leave from the vmac (as keepalived does)',
    ],
  );
  assert.equal(r.config.vrrpInstances[0]!.vmacXmitBase, false);
});
