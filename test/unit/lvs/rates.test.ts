import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateEstimator } from '../../../src/lvs/rates.js';

test('rates converge to a steady load and decay when it stops', () => {
  const est = new RateEstimator();
  const c = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
  let t = 0;
  est.tick(c, t);
  for (let i = 0; i < 80; i++) {
    t += 2000;
    c.conns += 200; // 100 conn/s
    c.inBytes += 2_000_000; // 1 MB/s
    est.tick(c, t);
  }
  const steady = est.rates();
  assert.equal(steady.cps, 100);
  assert.equal(steady.inBps, 1_000_000);
  assert.equal(steady.outPps, 0);
  t += 2000;
  const after = est.tick(c, t);
  assert.equal(after.cps, 75); // one idle period removes a quarter, as IPVS's EWMA
  for (let i = 0; i < 40; i++) est.tick(c, (t += 2000));
  assert.equal(est.rates().cps, 0);
});

test('a counter reset (zeroed stats) never gives negative rates', () => {
  const est = new RateEstimator();
  est.tick({ conns: 100, inPkts: 100, outPkts: 100, inBytes: 100, outBytes: 100 }, 0);
  const r = est.tick({ conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 }, 2000);
  assert.ok(Object.values(r).every((v) => v === 0));
});
