// Checker keywords vigil does not carry out are said at their line, with what will not happen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';

test('bind_if and fwmark in a checker: a warning each, at the keyword', () => {
  const r = loadConfigText(
    `virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n    TCP_CHECK {\n      bind_if eth1\n      fwmark 7\n    }\n  }\n}\n`,
    'k.conf',
  );
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.severity} ${d.loc.line}:${d.loc.col} ${d.message}`),
    [
      "warning 5:7 bind_if is not implemented: the check's socket is not bound to eth1 (its packets leave by the route's interface)",
      "warning 6:7 fwmark is not implemented for checkers: the check's packets carry no firewall mark (SO_MARK 7)",
    ],
  );
});
