import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckerState, realServerAlive, type CheckTiming } from '../../../src/check/state.js';

const timing = (t: Partial<CheckTiming> = {}): CheckTiming => ({
  delayLoopMs: 6000,
  retry: 3,
  delayBeforeRetryMs: 1000,
  warmupMs: 0,
  alpha: false,
  ...t,
});
const ok = { ok: true, reason: 'connected' };
const bad = { ok: false, reason: 'connection refused' };

test('an up server goes down only after retry failures, spaced by delay_before_retry', () => {
  const c = new CheckerState(timing());
  assert.deepEqual(c.record(ok, 0), { nextInMs: 6000 });
  assert.deepEqual(c.record(bad, 6000), { nextInMs: 1000 });
  assert.deepEqual(c.record(bad, 7000), { nextInMs: 1000 });
  assert.deepEqual(c.record(bad, 8000), { nextInMs: 1000 });
  assert.equal(c.isUp, true);
  assert.deepEqual(c.record(bad, 9000), { change: 'down', nextInMs: 6000 });
  assert.equal(c.isUp, false);
  assert.equal(c.consecutiveFailures, 4);
  // Down: checked every delay_loop, one success brings it back.
  assert.deepEqual(c.record(bad, 15000), { nextInMs: 6000 });
  assert.deepEqual(c.record(ok, 21000), { change: 'up', nextInMs: 6000 });
  assert.equal(c.lastChangeAt, 21000);
});

test('a success between failures resets the retry count', () => {
  const c = new CheckerState(timing({ retry: 2 }));
  c.record(ok, 0);
  c.record(bad, 1);
  c.record(bad, 2);
  c.record(ok, 3);
  c.record(bad, 4);
  c.record(bad, 5);
  assert.equal(c.isUp, true);
  assert.equal(c.record(bad, 6).change, 'down');
});

test('retry 0 takes the server down on the first failure', () => {
  const c = new CheckerState(timing({ retry: 0 }));
  c.record(ok, 0);
  assert.equal(c.record(bad, 1).change, 'down');
});

test('alpha starts down and needs one success; without alpha a first failure is retried', () => {
  const a = new CheckerState(timing({ alpha: true }));
  assert.equal(a.isUp, false);
  assert.deepEqual(a.record(bad, 0), { nextInMs: 6000 });
  assert.equal(a.record(ok, 6000).change, 'up');
  const b = new CheckerState(timing({ retry: 1 }));
  assert.deepEqual(b.record(bad, 0), { nextInMs: 1000 });
  assert.equal(b.record(bad, 1000).change, 'down');
});

test('warmup spreads the first run; a server is up only when all its checkers are', () => {
  const c = new CheckerState(timing({ warmupMs: 10_000 }));
  assert.equal(
    c.firstDelayMs(() => 0.25),
    2500,
  );
  assert.equal(realServerAlive([]), true);
  assert.equal(realServerAlive([{ isUp: true }, { isUp: false }]), false);
});
