// keepalived's process tuning keywords in global_defs: values, aliases, and errors naming the
// keyword, the range and the line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';

const load = (body: string) => loadConfigText(`global_defs {\n${body}\n}\n`, 'k.conf');

test('vrrp_ and checker_ priority, rt_priority, rlimit_rttime and cpu_affinity are read', () => {
  const { config, diagnostics } = load(
    [
      'vrrp_priority -20',
      'vrrp_rt_priority 99',
      'vrrp_rlimit_rtime 5000',
      'vrrp_cpu_affinity 0 1',
      'checker_priority 19',
      'checker_rlimit_rttime 20000',
    ].join('\n'),
  );
  // The old spelling works, with keepalived's deprecation warning at its line.
  assert.deepEqual(
    diagnostics.map((d) => `${d.loc.line}:${d.loc.col}: ${d.severity}: ${d.message}`),
    ["4:1: warning: Keyword 'vrrp_rlimit_rtime' is deprecated - please use 'vrrp_rlimit_rttime'"],
  );
  const { vrrp, checker } = config.globalDefs.tuning;
  assert.deepEqual(
    { ...vrrp, loc: vrrp.loc?.line },
    { nice: -20, rtPriority: 99, rlimitRttimeUs: 5000, cpuAffinity: [0, 1], loc: 2 },
  );
  assert.deepEqual({ ...checker, loc: undefined }, { nice: 19, rlimitRttimeUs: 20000, loc: undefined });
  assert.deepEqual(loadConfigText('', 'k.conf').config.globalDefs.tuning, { vrrp: {}, checker: {} });
});

test('out-of-range values are errors at their line, and nothing is applied', () => {
  for (const [line, what] of [
    ['vrrp_priority -21', /vrrp_priority.*-20.*19/],
    ['checker_rt_priority 0', /checker_rt_priority.*1.*99/],
    ['vrrp_rt_priority fast', /vrrp_rt_priority/],
    ['vrrp_cpu_affinity', /vrrp_cpu_affinity needs at least one CPU number/],
    ['checker_cpu_affinity 0 x', /checker_cpu_affinity CPU/],
  ] as const) {
    const { config, diagnostics } = load(line);
    const errors = diagnostics.filter((d) => d.severity === 'error');
    assert.equal(errors.length, 1, `${line}: ${JSON.stringify(diagnostics)}`);
    assert.match(errors[0]!.message, what);
    assert.equal(errors[0]!.loc?.line, 2, line);
    assert.deepEqual(
      Object.values(config.globalDefs.tuning).map((t) => Object.keys(t).filter((k) => k !== 'loc')),
      [[], []],
      line,
    );
  }
});
