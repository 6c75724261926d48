// auth_type AH: runs (src/vrrp/ipsec-ah.ts) where keepalived 2.2.7 runs it, ignored where keepalived
// ignores authentication (VRRP v3, vrrp_strict).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import { instanceConfig } from '../../../src/vrrp/config.js';

function conf(auth: string, extra = '', global = ''): string {
  return `global_defs {\n${global}}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n${extra}  authentication {\n${auth}  }\n  virtual_ipaddress {\n    192.0.2.10/24\n  }\n}\n`;
}
function load(text: string): ReturnType<typeof instanceConfig> {
  const r = loadConfigText(text, 'k.conf');
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return instanceConfig(r.config, r.config.vrrpInstances[0]!);
}

test('auth_type AH on VRRPv2 gives the instance its AH key (auth_pass), not PASS', () => {
  const c = load(conf('    auth_type AH\n    auth_pass s3cr3t\n'));
  assert.equal(c.authAh, 's3cr3t');
  assert.equal(c.authPass, undefined);
  assert.equal(load(conf('    auth_type PASS\n    auth_pass s3cr3t\n')).authAh, undefined);
});

test('auth_type AH is ignored where keepalived ignores authentication: VRRP v3 and vrrp_strict', () => {
  for (const text of [
    conf('    auth_type AH\n    auth_pass s3cr3t\n', '  version 3\n'),
    conf('    auth_type AH\n    auth_pass s3cr3t\n', '', '  vrrp_strict\n'),
  ])
    assert.equal(load(text).authAh, undefined);
});
