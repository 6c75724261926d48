// Checker keywords vigil does not carry out are said at their line, with what will not happen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';

// bind_if is warned by the keyword coverage work (kw's unimplemented map), not here.
test('fwmark in a checker: a warning at the keyword', () => {
  const r = loadConfigText(
    `virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n    TCP_CHECK {\n      fwmark 7\n    }\n  }\n}\n`,
    'k.conf',
  );
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.severity} ${d.loc.line}:${d.loc.col} ${d.message}`),
    [
      "warning 5:7 fwmark is not implemented for checkers: the check's packets carry no firewall mark (SO_MARK 7)",
    ],
  );
});
