// keepalived's data_use_instance (global_defs): the .data dump files carry the network namespace
// and instance names (core/global_data.c open_dump_file), so that several daemons on one machine
// do not overwrite each other's keepalived.data. `instance` and `net_namespace` stay warned (vigil
// neither names its pid files after the instance nor enters the namespace) but give the names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import { globalData } from '../../../src/config/dump-global.js';
import { dataFileName, DUMP_FILES } from '../../../src/daemon/dump-files.js';

function load(text: string): ReturnType<typeof loadConfigText> {
  return loadConfigText(text, 'k.conf');
}

const names = (text: string): string[] => {
  const g = load(text).config.globalDefs;
  return [DUMP_FILES.data, DUMP_FILES.checkData, DUMP_FILES.parentData].map((n) => dataFileName(n, g));
};

test('data_use_instance: keepalived.NS_INSTANCE.data, either part alone, nothing without them', () => {
  assert.deepEqual(names('global_defs {\n  data_use_instance\n  instance web\n}\n'), [
    'keepalived.web.data',
    'keepalived_check.web.data',
    'keepalived_parent.web.data',
  ]);
  assert.deepEqual(
    names('net_namespace blue\nglobal_defs {\n  instance web\n  data_use_instance true\n}\n'),
    ['keepalived.blue_web.data', 'keepalived_check.blue_web.data', 'keepalived_parent.blue_web.data'],
  );
  assert.deepEqual(
    names('global_defs {\n  net_namespace blue\n  data_use_instance\n}\n')[0],
    'keepalived.blue.data',
  );
  // No names: the plain files. Names without data_use_instance (or with it off): the plain files.
  assert.deepEqual(names('global_defs {\n  data_use_instance\n}\n')[0], 'keepalived.data');
  assert.deepEqual(names('global_defs {\n  instance web\n}\n')[0], 'keepalived.data');
  assert.deepEqual(names('global_defs {\n  instance web\n  data_use_instance no\n}\n')[0], 'keepalived.data');
  // The first instance name holds, as keepalived ignores a duplicate.
  assert.equal(
    names('global_defs {\n  data_use_instance\n  instance a\n  instance b\n}\n')[0],
    'keepalived.a.data',
  );
});

test('data_use_instance is implemented (no warning); a bad value is warned and skipped, as keepalived', () => {
  const ok = load('global_defs {\n  data_use_instance\n  instance web\n}\n');
  assert.deepEqual(
    ok.diagnostics.map((d) => `${d.loc.line}:${d.loc.col} ${d.message}`),
    [
      "3:3 'instance' is not implemented in vigil: pid files and log names do not get the instance name; only data_use_instance uses it",
    ],
  );
  const bad = load('global_defs {\n  data_use_instance maybe\n  instance web\n}\n');
  const w = bad.diagnostics.find((d) => d.loc.line === 2);
  assert.equal(w?.severity, 'warning');
  assert.equal(w?.message, "Invalid value 'maybe' for global data_use_instance specified - ignoring");
  assert.equal(w?.loc.col, 21);
  assert.equal(bad.config.globalDefs.dataUseInstance, false);
});

test("the dumps' global definitions name the namespace and instance, and say data_use_instance", () => {
  const lines = globalData(
    load('global_defs {\n  data_use_instance\n  instance web\n  net_namespace blue\n}\n').config,
  );
  assert.deepEqual(lines.slice(0, 4), [
    '------< Global definitions >------',
    ' Network namespace = blue',
    ' Network namespace ipvs = (main namespace)',
    ' Instance name = web',
  ]);
  assert.ok(lines.includes(' Use instance name in data dumps'));
  const plain = globalData(load('global_defs {\n  router_id a\n}\n').config);
  assert.equal(plain[1], ' Network namespace = (default)');
  assert.ok(!plain.some((l) => l.startsWith(' Instance name') || l.includes('Use instance name')));
});
