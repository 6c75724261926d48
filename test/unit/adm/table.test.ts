import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAdmArgs, parseRestore, type AdmCommand } from '../../../src/adm/args.js';
import { applyAdm, applyAdmToTable } from '../../../src/adm/table.js';
import type { AdmTable } from '../../../src/adm/types.js';
import { names } from './replay.js';

function cmd(line: string): AdmCommand {
  const r = parseAdmArgs(line.split(' '), { names });
  assert.ok(r.ok, line);
  return r.command;
}

function build(lines: string[]): AdmTable {
  let t: AdmTable = [];
  for (const l of lines) {
    const r = applyAdmToTable(t, cmd(l));
    assert.ok(!('error' in r), l);
    t = r.table;
  }
  return t;
}

const base = build([
  '-A -t 10.0.0.1:80 -s rr',
  '-a -t 10.0.0.1:80 -r 10.0.0.2 -m',
  '-a -t 10.0.0.1:80 -r 10.0.0.3 -m -w 2',
  '-A -u 10.0.0.1:53 -s wrr',
]);

test('kernel errors in libipvs wording, exit 255, no changes', () => {
  const cases: [string, string][] = [
    ['-A -t 10.0.0.1:80', 'Service already exists'],
    ['-A -t 10.0.0.9:80 -s bogus', 'Scheduler or persistence engine not found'],
    ['-A -t 10.0.0.9:80 -p --pe foo', 'Scheduler or persistence engine not found'],
    ['-E -t 10.0.0.9:80', 'No such service'],
    ['-E -t 10.0.0.1:80 -s nope', 'Scheduler or persistence engine not found'],
    ['-D -t 10.0.0.9:80', 'No such service'],
    ['-a -t 10.0.0.9:80 -r 10.0.0.2', 'Service not defined'],
    ['-a -t 10.0.0.1:80 -r 10.0.0.2 -m', 'Destination already exists'],
    ['-a -t 10.0.0.1:80 -r 10.0.0.4 -y 5', 'Numerical result out of range'],
    ['-a -t 10.0.0.1:80 -r 10.0.0.4 -x 5 -y 6', 'Numerical result out of range'],
    ['-e -t 10.0.0.1:80 -r 10.0.0.9', 'No such destination'],
    ['-e -t 10.0.0.9:80 -r 10.0.0.2', 'Service not defined'],
    ['-d -t 10.0.0.1:80 -r 10.0.0.9', 'No such destination'],
    ['-d -t 10.0.0.9:80 -r 10.0.0.2', 'Service not defined'],
  ];
  for (const [line, error] of cases)
    assert.deepEqual(applyAdm(base, cmd(line)), { error, exitCode: 255 }, line);
});

test('edits replace the whole spec as ipvsadm sends it; deletes and flush', () => {
  const e = applyAdmToTable(base, cmd('-E -t 10.0.0.1:80 -p 30'));
  assert.ok(!('error' in e));
  const svc = e.table[0]!;
  assert.equal(svc.scheduler, 'wlc');
  assert.equal(svc.persistenceTimeout, 30);
  assert.equal(svc.dests.length, 2, 'servers stay');
  const d = applyAdmToTable(base, cmd('-e -t 10.0.0.1:80 -r 10.0.0.3 -m -x 9'));
  assert.ok(!('error' in d));
  assert.deepEqual(d.table[0]!.dests[1], {
    address: '10.0.0.3',
    port: 80,
    forwarding: 'nat',
    weight: 1,
    upperThreshold: 9,
    lowerThreshold: 0,
  });
  const del = applyAdm(base, cmd('-d -t 10.0.0.1:80 -r 10.0.0.2'));
  assert.deepEqual(del, {
    changes: [{ op: 'del-dest', key: base[0]!.key, address: '10.0.0.2', port: 80 }],
  });
  const flush = applyAdmToTable(base, cmd('-C'));
  assert.ok(!('error' in flush));
  assert.deepEqual(flush.table, []);
  assert.deepEqual(
    flush.changes.map((c) => c.op),
    ['del-dest', 'del-dest', 'del-service', 'del-service'],
  );
});

test('-R applies every line in order, or nothing with the failing command named', () => {
  const good = parseRestore('-C\n-A -t 10.0.0.7:80 -s lc\n-a -t 10.0.0.7:80 -r 10.0.0.8 -m\n', { names });
  assert.ok(good.ok);
  const r = applyAdmToTable(base, good.command);
  assert.ok(!('error' in r));
  assert.equal(r.table.length, 1);
  assert.equal(r.table[0]!.dests[0]!.address, '10.0.0.8');

  const failing = parseRestore('-A -t 10.0.0.7:80\n-a -t 10.0.0.9:80 -r 10.0.0.3\n', { names });
  assert.ok(failing.ok);
  assert.deepEqual(applyAdm(base, failing.command), {
    error: 'Service not defined\n(line 2 of the restore input; nothing was changed)',
    exitCode: 255,
  });
});

test('read-only commands change nothing', () => {
  for (const l of ['-L -n', '-S', '-Z', '--set 1 2 3', '--start-daemon master'])
    assert.deepEqual(applyAdm(base, cmd(l)), { changes: [] }, l);
});
