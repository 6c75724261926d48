// keepalived 2.2.7's rule for weighted trackers on sync group members and on the address owner
// (vrrp.c: vrrp_complete_instance, sync_group_tracking_init), from keepalived.conf to priority/FAULT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import { summarize } from '../../../src/cli/summary.js';
import { instanceConfig } from '../../../src/vrrp/config.js';
import { defaultTrackers } from '../../../src/vrrp/instance.js';
import { evaluateTracking, type TrackerStatus } from '../../../src/vrrp/priority.js';

function conf(o: { groupExtra?: string; priority?: number; group?: boolean } = {}): string {
  return `vrrp_script chk_w {
  script "/bin/true"
  weight -20
}
vrrp_script chk_0 {
  script "/bin/true"
}
track_file tf {
  file /tmp/vigil-tf
}
track_file tf5 {
  file /tmp/vigil-tf5
  weight 5
}
${
  o.group === false
    ? ''
    : `vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
${o.groupExtra ?? ''}}
`
}vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  priority ${o.priority ?? 100}
  track_interface {
    eth1 weight -10
    eth2
  }
  track_script {
    chk_w
    chk_0
  }
  track_file {
    tf
    tf5
  }
  virtual_ipaddress {
    192.0.2.1/24
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 2
  priority 100
  virtual_ipaddress {
    192.0.2.2/24
  }
}
`;
}

function load(text: string): ReturnType<typeof loadConfigText> {
  const r = loadConfigText(text, 'k.conf');
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return r;
}
const warnings = (r: ReturnType<typeof loadConfigText>): string[] =>
  r.diagnostics
    .filter((d) => d.severity === 'warning')
    .map((d) => `${d.loc.line}:${d.loc.col}: ${d.message}`);
const tracked = (r: ReturnType<typeof loadConfigText>): string[] =>
  defaultTrackers(instanceConfig(r.config, r.config.vrrpInstances[0]!)).map(
    (t) => `${t.kind} ${t.name} ${t.weight}`,
  );

test('a sync group member loses its own weighted trackers, with keepalived warnings at each reference', () => {
  const r = load(conf());
  const why = 'it is in vrrp_sync_group G (set sync_group_tracking_weight there to use weights)';
  assert.deepEqual(warnings(r), [
    `26:5: vrrp_instance VI_1: ignoring the weight of tracked interface eth1 (it puts the instance in FAULT when down): ${why}`,
    `30:5: vrrp_instance VI_1: ignoring tracked script chk_w with weight -20: ${why}`,
    `34:5: vrrp_instance VI_1: ignoring the weight of tracked file tf (a non-zero value puts the instance in FAULT; specify weight 0): ${why}`,
    `35:5: vrrp_instance VI_1: ignoring tracked file tf5 with weight 5: ${why}`,
  ]);
  // vigil check shows what is really tracked.
  assert.match(summarize(r.config), / VI_1: .* tracking chk_0, tf, eth1, eth2\n/);
  // Interfaces weight 0 (FAULT when down), weighted script and file dropped, tf's default weight 0.
  assert.deepEqual(tracked(r), [
    'interface eth1 0',
    'interface eth2 0',
    'interface eth0 0',
    'script chk_0 0',
    'file tf 0',
  ]);
});

test('sync_group_tracking_weight (or the deprecated global_tracking) keeps the weights', () => {
  for (const kw of ['sync_group_tracking_weight', 'global_tracking']) {
    const r = load(conf({ groupExtra: `  ${kw}\n` }));
    assert.deepEqual(
      warnings(r).filter((w) => w.includes('ignoring')),
      [],
      kw,
    );
    assert.deepEqual(tracked(r), [
      'interface eth1 -10',
      'interface eth2 0',
      'interface eth0 0',
      'script chk_w -20',
      'script chk_0 0',
      'file tf 1',
      'file tf5 5',
    ]);
  }
  assert.ok(
    warnings(load(conf({ groupExtra: '  global_tracking\n' }))).some((w) => w.includes('deprecated')),
  );
  // Outside a sync group nothing changes either.
  assert.equal(
    tracked(load(conf({ group: false }))).join(),
    tracked(load(conf({ groupExtra: '  global_tracking\n' }))).join(),
  );
});

test('the address owner drops weighted interfaces, and its sync group clears the group trackers weights', () => {
  const r = load(conf({ group: false, priority: 255 }));
  assert.ok(warnings(r).some((w) => w.includes('ignoring tracked interface eth1: it is the address owner')));
  assert.deepEqual(tracked(r), ['interface eth2 0', 'interface eth0 0', 'script chk_0 0', 'file tf 0']);
  const g = load(
    conf({ priority: 255, groupExtra: '  sync_group_tracking_weight\n  track_script {\n    chk_w\n  }\n' }),
  );
  assert.ok(
    warnings(g).some((w) => w.includes('vrrp_sync_group G: clearing the weight of tracked script chk_w')),
  );
  const vi2 = defaultTrackers(instanceConfig(g.config, g.config.vrrpInstances[1]!));
  assert.deepEqual(
    vi2.filter((t) => t.kind === 'script').map((t) => `${t.name} ${t.weight}`),
    ['chk_w 0'],
  );
});

test('priority and FAULT follow: a failing weighted script no longer lowers a member, a down weighted interface faults it', () => {
  const r = load(conf());
  const specs = defaultTrackers(instanceConfig(r.config, r.config.vrrpInstances[0]!));
  const status = (down: string[]): { spec: (typeof specs)[number]; status: TrackerStatus }[] =>
    specs.map((spec) =>
      spec.kind === 'file' ? { spec, status: { value: 0 } } : { spec, status: !down.includes(spec.name) },
    );
  // chk_w down: without the rule 100 - 20 = 80; a member stays at 100.
  assert.deepEqual(
    [evaluateTracking(100, status(['chk_w'])).effective, evaluateTracking(100, status(['chk_w'])).faults],
    [100, []],
  );
  // eth1 down: without the rule 100 - 10 = 90 and no FAULT; a member goes to FAULT.
  assert.deepEqual(evaluateTracking(100, status(['eth1'])).faults, ['interface eth1 down']);
});
