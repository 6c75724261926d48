// The daemon's 15 minutes of real-server traffic behind the dashboard's charts: points every
// 10 s from cumulative counters, a bounded window, counters that go back, forgotten servers, and
// a group's services added up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HISTORY_STEP_MS, HISTORY_WINDOW_MS, ServerHistory, sumPoints } from '../../../src/lvs/history.js';

const c = (conns: number, bytes: number) => ({ conns, inBytes: bytes / 2, outBytes: bytes / 2 });

test('one point per 10 s step: connections and bytes per second over the step', () => {
  const h = new ServerHistory();
  const t0 = 1_000_000;
  h.record('k', t0, c(0, 0));
  h.record('k', t0 + 2000, c(10, 1000)); // inside the step: no point yet
  assert.deepEqual(h.points('k', t0 + 2000), []);
  h.record('k', t0 + HISTORY_STEP_MS, c(50, 20_000));
  assert.deepEqual(h.points('k', t0 + HISTORY_STEP_MS), [{ t: t0 + 10_000, cps: 5, bps: 2000 }]);
  h.record('k', t0 + 2 * HISTORY_STEP_MS, c(50, 20_000));
  assert.deepEqual(
    h.points('k', t0 + 20_000).map((p) => p.cps),
    [5, 0],
  );
});

test('the window holds 15 minutes: older points drop out, and the ring never grows', () => {
  const h = new ServerHistory();
  let t = 0;
  let conns = 0;
  h.record('k', t, c(0, 0));
  for (let i = 0; i < 200; i++) {
    t += HISTORY_STEP_MS;
    conns += 10 * (i + 1);
    h.record('k', t, c(conns, 0));
  }
  const pts = h.points('k', t);
  assert.equal(pts.length, HISTORY_WINDOW_MS / HISTORY_STEP_MS);
  assert.equal(pts.at(-1)!.t, t);
  assert.ok(t - pts[0]!.t <= HISTORY_WINDOW_MS);
  assert.equal(pts.at(-1)!.cps, 200, 'the newest step: 2,000 connections in 10 s');
  // Nothing recorded for longer than the window: nothing to show.
  assert.deepEqual(h.points('k', t + HISTORY_WINDOW_MS + 1), []);
});

test('counters that go back (a data plane restarted) are a new start, not negative traffic', () => {
  const h = new ServerHistory();
  h.record('k', 0, c(1000, 1_000_000));
  h.record('k', 10_000, c(5, 100));
  assert.deepEqual(h.points('k', 10_000), [{ t: 10_000, cps: 0, bps: 0 }]);
});

test('servers unreported for a whole window are forgotten, not before; a group adds its services up', () => {
  const h = new ServerHistory();
  for (const k of ['a', 'b']) {
    h.record(k, 0, c(0, 0));
    h.record(k, 10_000, c(k === 'a' ? 10 : 30, 0));
  }
  assert.deepEqual(sumPoints([h.points('a', 10_000), h.points('b', 10_000)]), [
    { t: 10_000, cps: 4, bps: 0 },
  ]);
  // 'b' goes on being reported; 'a' is gone from the data plane.
  h.record('b', 12_000, c(30, 0));
  h.prune(12_000);
  assert.equal(h.points('a', 12_000).length, 1, 'missing for a moment: kept');
  h.record('b', 10_000 + HISTORY_WINDOW_MS + 5000, c(30, 0));
  h.prune(10_000 + HISTORY_WINDOW_MS + 5000);
  assert.deepEqual(h.points('a', 10_000), [], 'unreported for 15 minutes: forgotten');
  assert.ok(h.points('b', 10_000 + HISTORY_WINDOW_MS).length >= 1);
});
