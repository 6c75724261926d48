import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialBackoff, restartDelay } from '../../../src/base/backoff.js';

test('a crash loop backs off by doubling up to 30 s', () => {
  let state = initialBackoff();
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    const r = restartDelay(state, 500);
    delays.push(r.delayMs);
    state = r.next;
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
});

test('a child that stayed up a minute restarts at once again', () => {
  let state = initialBackoff();
  for (let i = 0; i < 5; i++) state = restartDelay(state, 10).next;
  assert.equal(restartDelay(state, 61_000).delayMs, 1000);
});
