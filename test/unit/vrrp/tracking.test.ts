import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  initialScriptState,
  scriptExited,
  scriptStatus,
  type ScriptParams,
} from '../../../src/vrrp/track/script-state.js';
import { evaluateTracking, InstanceTracking, type TrackerSpec } from '../../../src/vrrp/priority.js';
import { VrrpMachine } from '../../../src/vrrp/machine.js';

function run(
  p: ScriptParams,
  results: boolean[],
): { status: (boolean | null)[]; changes: (boolean | null)[] } {
  let s = initialScriptState(p);
  const status: (boolean | null)[] = [];
  const changes: (boolean | null)[] = [];
  for (const ok of results) {
    const r = scriptExited(p, s, ok);
    s = r.state;
    status.push(scriptStatus(p, s));
    changes.push(r.changed);
  }
  return { status, changes };
}

test('script: the first result decides the initial state', () => {
  const p = { rise: 3, fall: 2 };
  assert.equal(scriptStatus(p, initialScriptState(p)), null);
  assert.deepEqual(run(p, [true]).changes, [true], 'one success is enough from init, whatever rise');
  assert.deepEqual(run(p, [false]).changes, [false], 'one failure from init is down');
});

test('script: fall failures in a row to go down, rise successes to come back', () => {
  const p = { rise: 2, fall: 3 };
  const r = run(p, [true, false, false, true, false, false, false, true, true]);
  assert.deepEqual(r.status, [true, true, true, true, true, true, false, false, true]);
  assert.deepEqual(r.changes, [true, null, null, null, null, null, false, null, true]);
});

test('script: init_fail starts down and needs rise successes', () => {
  const p = { rise: 2, fall: 1, initFail: true };
  assert.equal(scriptStatus(p, initialScriptState(p)), false);
  const r = run(p, [false, true, true, false]);
  assert.deepEqual(r.changes, [null, null, true, false]);
  assert.deepEqual(r.status, [false, false, true, false]);
});

test('property: a script reports alternating changes and its status always matches the last change', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 5 }),
      fc.boolean(),
      fc.array(fc.boolean(), { maxLength: 60 }),
      (rise, fall, initFail, results) => {
        const p = { rise, fall, initFail };
        let s = initialScriptState(p);
        let last: boolean | null = initFail ? false : null;
        let run = 0;
        let prevOk: boolean | null = null;
        for (const ok of results) {
          const r = scriptExited(p, s, ok);
          s = r.state;
          run = ok === prevOk ? run + 1 : 1;
          prevOk = ok;
          if (r.changed !== null) {
            assert.notEqual(r.changed, last, 'changes alternate');
            last = r.changed;
          }
          assert.equal(scriptStatus(p, s), last);
          // A long enough run always settles the state.
          if (ok && run >= rise) assert.equal(last, true);
          if (!ok && run >= fall) assert.equal(last, false);
        }
      },
    ),
    { numRuns: 1000 },
  );
});

const script = (name: string, weight: number, reverse = false): TrackerSpec => ({
  kind: 'script',
  name,
  weight,
  reverse,
});

test('weights: positive adds when up, negative subtracts when down, reverse inverts', () => {
  const t = (weight: number, up: boolean, reverse = false): number =>
    evaluateTracking(100, [{ spec: script('s', weight, reverse), status: up }]).effective;
  assert.equal(t(20, true), 120);
  assert.equal(t(20, false), 100);
  assert.equal(t(-30, true), 100);
  assert.equal(t(-30, false), 70);
  assert.equal(t(20, true, true), 80, 'reverse positive weight subtracts when up');
  assert.equal(t(-30, false, true), 130, 'reverse negative weight adds when down');
  // Several trackers sum; the result is clamped to 1..254 and the owner never moves.
  const many = [
    { spec: script('a', 100), status: true },
    { spec: script('b', 100), status: true },
  ];
  assert.equal(evaluateTracking(100, many).effective, 254);
  assert.equal(evaluateTracking(100, many).total, 300);
  assert.equal(evaluateTracking(50, [{ spec: script('c', -200), status: false }]).effective, 1);
  assert.equal(evaluateTracking(255, [{ spec: script('c', -200), status: false }]).effective, 255);
  // No result yet: no contribution.
  assert.equal(evaluateTracking(100, [{ spec: script('d', 20), status: null }]).effective, 100);
});

test('weight 0 means FAULT while failing; interfaces and processes alike', () => {
  const r = evaluateTracking(100, [
    { spec: script('chk', 0), status: false },
    { spec: { kind: 'interface', name: 'eth1', weight: 0 }, status: false },
    { spec: { kind: 'process', name: 'haproxy', weight: 0 }, status: true },
  ]);
  assert.deepEqual(r.faults, ['script chk down', 'interface eth1 down']);
  const pending = evaluateTracking(100, [{ spec: script('chk', 0), status: null }]);
  assert.deepEqual(pending.faults, []);
  assert.deepEqual(pending.pending, ['script chk has no result yet']);
  const rev = evaluateTracking(100, [
    { spec: { kind: 'interface', name: 'eth2', weight: 0, reverse: true }, status: true },
  ]);
  assert.deepEqual(rev.faults, ['interface eth2 up (reverse)']);
});

test('track_file: value × weight, capped at 253, -254 or below is FAULT; weight 0: non-zero is FAULT', () => {
  const file = (weight: number, value: number, reverse = false) =>
    evaluateTracking(100, [
      { spec: { kind: 'file', name: '/run/prio', weight, reverse }, status: { value } },
    ]);
  assert.equal(file(1, 50).effective, 150);
  assert.equal(file(2, -10).effective, 80);
  assert.equal(file(10, 100).total, 353, 'contribution capped at 253');
  assert.deepEqual(file(1, -254).faults, ['file /run/prio has status -254']);
  assert.deepEqual(file(0, 3).faults, ['file /run/prio has status 3']);
  assert.deepEqual(file(0, 0).faults, []);
  assert.deepEqual(file(0, 0, true).faults, ['file /run/prio has status 0']);
  assert.equal(file(-1, 20).effective, 80, 'negative weight: value × weight');
  assert.equal(file(1, 20, true).effective, 80, 'reverse');
});

test('InstanceTracking: FAULT clears only when every reason has cleared', () => {
  const chk = script('chk', 0);
  const eth = { kind: 'interface' as const, name: 'eth0', weight: 0 };
  const t = new InstanceTracking(100, [
    { spec: chk, status: true },
    { spec: eth, status: true },
  ]);
  assert.deepEqual(t.startEvent(), { type: 'start' });
  assert.deepEqual(t.update(chk, false), [{ type: 'fault', faulty: true }]);
  assert.deepEqual(t.update(eth, false), [], 'already faulty');
  assert.deepEqual(t.update(chk, true), [], 'eth0 still down');
  assert.deepEqual(t.update(eth, true), [{ type: 'fault', faulty: false }]);
  const w = script('w', -30);
  assert.deepEqual(t.update(w, false), [{ type: 'priority', effective: 70 }]);
  assert.deepEqual(t.update(w, false), []);
});

test('InstanceTracking: weight-0 script without a result holds the instance quietly in FAULT', () => {
  const chk = script('chk', 0);
  const t = new InstanceTracking(100, [{ spec: chk, status: null }]);
  assert.deepEqual(t.startEvent(), { type: 'start', faulty: true, quiet: true });
  const m = new VrrpMachine({ name: 'VI_1', version: 2, priority: 100, advertIntCs: 100 }, '10.0.0.1');
  const a0 = m.handle(t.startEvent(), 0);
  assert.equal(m.state, 'FAULT');
  assert.ok(!a0.some((a) => a.type === 'notify'), 'no FAULT notify while waiting for the first result');
  // First result: success brings it up to BACKUP.
  const up = t.update(chk, true);
  assert.deepEqual(up, [{ type: 'fault', faulty: false }]);
  const a1 = m.handle(up[0]!, 10);
  assert.equal(m.state, 'BACKUP');
  assert.ok(a1.some((a) => a.type === 'notify' && a.state === 'BACKUP'));
  // And a first failure would have notified FAULT.
  const t2 = new InstanceTracking(100, [{ spec: chk, status: null }]);
  const m2 = new VrrpMachine({ name: 'VI_2', version: 2, priority: 100, advertIntCs: 100 }, '10.0.0.1');
  m2.handle(t2.startEvent(), 0);
  const down = t2.update(chk, false);
  assert.deepEqual(down, [{ type: 'fault', faulty: true }]);
  assert.ok(m2.handle(down[0]!, 10).some((a) => a.type === 'notify' && a.state === 'FAULT'));
});

test('tracking drives the machine: a script lowering priority hands mastership to the backup', () => {
  const chk = script('chk_haproxy', -60);
  const t = new InstanceTracking(150, [{ spec: chk, status: true }]);
  const m = new VrrpMachine({ name: 'VI_1', version: 2, priority: 150, advertIntCs: 100 }, '10.0.0.1');
  m.handle(t.startEvent(), 0);
  m.handle({ type: 'timer', name: 'adver' }, 4000);
  assert.equal(m.state, 'MASTER');
  for (const ev of t.update(chk, false)) m.handle(ev, 5000);
  assert.equal(m.effectivePriority, 90);
  // The backup (100) now outranks us: its advert takes us to BACKUP.
  m.handle({ type: 'advert', priority: 100, intervalCs: 100, source: '10.0.0.2' }, 5500);
  assert.equal(m.state, 'BACKUP');
});
