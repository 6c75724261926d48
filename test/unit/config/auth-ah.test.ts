import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic } from '../../../src/config/ast.js';
import { loadConfigText } from '../../../src/config/load.js';

function conf(auth: string, extra = '', global = ''): string {
  return `global_defs {\n${global}}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n${extra}  authentication {\n${auth}  }\n  virtual_ipaddress {\n    192.0.2.10/24\n  }\n}\n`;
}
const diags = (text: string): string[] =>
  loadConfigText(text, 'k.conf').diagnostics.map((d) => formatDiagnostic(d));

test('auth_type AH on VRRPv2 is an error at the auth_type line, not a silent difference', () => {
  const out = diags(conf('    auth_type AH\n    auth_pass secret\n'));
  assert.deepEqual(
    out.filter((d) => d.includes('AH')),
    [
      'k.conf:8:5: error: vrrp_instance VI_1: auth_type AH is not implemented in vigil; use PASS or no authentication',
    ],
  );
});

test('auth_type PASS stays accepted; AH is not refused where keepalived ignores authentication', () => {
  assert.deepEqual(
    diags(conf('    auth_type PASS\n    auth_pass secret\n')).filter((d) => d.includes('error')),
    [],
  );
  // VRRPv3 and vrrp_strict drop authentication altogether (keepalived: "... Ignoring.").
  for (const text of [
    conf('    auth_type AH\n', '  version 3\n'),
    conf('    auth_type AH\n', '', '  vrrp_strict\n'),
  ]) {
    assert.deepEqual(
      diags(text).filter((d) => d.includes('auth_type AH')),
      [],
    );
  }
});
