// The client-visible outage and traffic tallies `vigil demo` prints, from probe samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTally, outageAround, tally, type Sample } from '../../../src/lab/outage.js';

/** Answers every 10 ms from `from` to `to` (exclusive), by `who`. */
const every10 = (from: number, to: number, who: string): Sample[] =>
  Array.from({ length: Math.ceil((to - from) / 10) }, (_, i) => ({ at: from + i * 10, who }));

test('the outage is the longest silence after the event, not the first answer after it', () => {
  // Requests in flight at the kill (t0 = 1000) still land at 1005 and 1010; then nothing until
  // the new master answers at 4300; failures are counted in between.
  const samples = [...every10(0, 1011, 'rs1'), ...every10(1100, 4300, '-'), ...every10(4300, 5000, 'rs2')];
  const o = outageAround(samples, 1000, 5000);
  assert.deepEqual(o, { lastBefore: 1010, firstAfter: 4300, ms: 3290, failed: 320 });
});

test('no outage figure while the client has had no answer since the event', () => {
  const samples = [...every10(0, 1000, 'rs1'), ...every10(1000, 3000, '-')];
  assert.equal(outageAround(samples, 1000, 3000), null);
  assert.equal(outageAround(every10(2000, 3000, 'rs1'), 1000, 3000), null, 'no answer before the event');
});

test('answers after `until` are not looked at; steady traffic gives a gap of one interval', () => {
  const samples = [...every10(0, 2000, 'rs1')];
  assert.equal(outageAround(samples, 1000, 1500)?.ms, 10);
  assert.equal(outageAround([...every10(0, 1000, 'rs1'), { at: 9000, who: 'rs1' }], 1000, 5000), null);
});

test('tally counts answers per server in [from, to) and formats failures last', () => {
  const samples = [...every10(0, 100, 'rs2'), ...every10(100, 200, 'rs1'), { at: 150, who: '-' }];
  const t = tally(samples, 50, 150);
  assert.deepEqual(t, { rs2: 5, rs1: 5 });
  assert.equal(formatTally(tally(samples, 0, 200)), 'rs1 10, rs2 10, no answer 1');
  assert.equal(formatTally({}), 'nothing');
});
