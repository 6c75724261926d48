// lvs_flush and lvs_flush_on_stop as keepalived 2.2.7's global parser reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';

const load = (line: string) => loadConfigText(`global_defs {\n  ${line}\n}\n`, 'k.conf');

test('lvs_flush_on_stop: alone the whole table, VS the virtual servers; anything else warned and ignored', () => {
  assert.equal(load('lvs_flush').config.globalDefs.lvsFlush, true);
  assert.equal(load('lvs_flush').config.globalDefs.lvsFlushOnStop, false);
  assert.equal(load('lvs_flush_on_stop').config.globalDefs.lvsFlushOnStop, 'full');
  assert.equal(load('lvs_flush_onstop').config.globalDefs.lvsFlushOnStop, 'full');
  const vs = load('lvs_flush_on_stop VS');
  assert.equal(vs.config.globalDefs.lvsFlushOnStop, 'VS');
  assert.deepEqual(vs.diagnostics, []);
  const bad = load('lvs_flush_on_stop ALL');
  assert.equal(bad.config.globalDefs.lvsFlushOnStop, false);
  assert.deepEqual(
    bad.diagnostics.map((d) => [d.severity, d.loc.line, d.loc.col, d.message]),
    [['warning', 2, 21, "lvs_flush_on_stop: unknown type 'ALL' (nothing, or VS); ignored"]],
  );
});
