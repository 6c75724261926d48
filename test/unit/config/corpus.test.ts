// Every configuration from the guides and keepalived's samples, with the diagnostics it deserves
// (test/fixtures/corpus/expected.json, reviewed by hand: the guides' own mistakes are named there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.js';

const root = 'test/fixtures/corpus';
const expected = JSON.parse(readFileSync(join(root, 'expected.json'), 'utf8')) as Record<string, string[]>;

for (const dir of ['seed-configs', 'keepalived-samples']) {
  for (const f of readdirSync(join(root, dir)).sort()) {
    const key = `${dir}/${f}`;
    test(key, () => {
      assert.ok(expected[key], `${key} has no expectation in expected.json`);
      // keepalived.conf.conditional_conf is written for `-i high` / `-i low`.
      const r = loadConfig(join(root, key), { configId: f.includes('conditional') ? 'high' : 'vigil-test' });
      const got = r.diagnostics.map((d) => `${d.loc.line}:${d.loc.col}: ${d.severity}: ${d.message}`).sort();
      assert.deepEqual(got, expected[key]);
    });
  }
}

test('the guides mistakes are all named', () => {
  const all = Object.entries(expected).flatMap(([k, v]) => v.map((d) => `${k} ${d}`));
  for (const needle of [
    "001-lvs-dr-wlc.conf 30:5: warning: unknown keyword 'perssisstence_timeout' in virtual_server 172.16.1.100:80; did you mean 'persistence_timeout'?",
    '001-lvs-dr-wlc.conf 36:16: error: weight -30 is out of range',
    "001-lvs-dr-wlc.conf 46:13: warning: unknown keyword 'delay_beefore_retry' in TCP_CHECK; did you mean 'delay_before_retry'?",
    "003-six-server-ha.conf 14:19: error: authentication: auth_type must be PASS or AH, not 'PASS;' (remove the ';'",
    "002-notify-mail.conf 39:1: warning: vrrp_instance VI_1: notify argument 'faild' looks like a misspelt state; did you mean 'fault'?",
    "001-nginx-master.conf 2:1: warning: notification_email 'www.localhost.com' is not an email address",
    '004-lvs-ha.conf 15:5: warning: virtual_server 192.168.31.201:80: the sorry_server 192.168.31.102 is also a real_server',
  ]) {
    assert.ok(
      all.some((d) => d.includes(needle)),
      needle,
    );
  }
});

test('the sample configurations are read into the model', () => {
  const c = loadConfig(join(root, 'keepalived-samples/keepalived.conf.sample'), { configId: 'x' }).config;
  assert.equal(c.vrrpInstances.length, 1);
  const vi = c.vrrpInstances[0]!;
  assert.deepEqual(
    [vi.name, vi.state, vi.interface, vi.virtualRouterId, vi.priority, vi.advertInt],
    ['VI_1', 'BACKUP', 'eth0', 50, 100, 1],
  );
  assert.equal(vi.nopreempt, true);
  assert.deepEqual(
    vi.virtualIpaddress.map((v) => v.address),
    ['192.168.200.11', '192.168.200.12', '192.168.200.13'],
  );
  const vs = c.virtualServers[0]!;
  assert.deepEqual(
    [vs.label, vs.lbAlgo, vs.lbKind, vs.persistenceTimeout, vs.protocol],
    ['10.10.10.2:1358', 'rr', 'NAT', 50, 'TCP'],
  );
  assert.equal(vs.sorryServer?.address, '192.168.200.200');
  const rs = vs.realServers[0]!;
  assert.equal(rs.checkers[0]?.kind, 'HTTP_GET');
  if (rs.checkers[0]?.kind === 'HTTP_GET') {
    assert.equal(rs.checkers[0].urls.length, 1);
    assert.equal(rs.checkers[0].urls[0]!.digest, '640205b7b0fc66c1ea91c463fac6334d');
    assert.deepEqual(rs.checkers[0].urls[0]!.statusCode, [{ from: 200, to: 299 }]);
    assert.equal(rs.checkers[0].retry, 3);
  }
});
