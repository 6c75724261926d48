import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextOverloaded } from '../../../src/dataplane/proxy/threshold.js';
import { PersistenceTable, persistenceKey, prefixLength } from '../../../src/dataplane/proxy/persistence.js';
import { evaluateQuorum } from '../../../src/lvs/quorum.js';
import { effectiveDests } from '../../../src/lvs/sorry.js';
import type { DestSpec } from '../../../src/dataplane/engine.js';

test('thresholds: overload at the upper one, clear below the lower one or 3/4 of the upper', () => {
  const t = { upperThreshold: 10, lowerThreshold: 5 };
  assert.equal(nextOverloaded(t, 9, false), false);
  assert.equal(nextOverloaded(t, 10, false), true);
  assert.equal(nextOverloaded(t, 6, true), true);
  assert.equal(nextOverloaded(t, 4, true), false);
  const u = { upperThreshold: 8, lowerThreshold: 0 };
  assert.equal(nextOverloaded(u, 6, true), true);
  assert.equal(nextOverloaded(u, 5, true), false);
  assert.equal(nextOverloaded({ upperThreshold: 0, lowerThreshold: 0 }, 1e6, true), false);
});

test('persistence keys mask the client by granularity', () => {
  assert.equal(persistenceKey('192.0.2.77', undefined), '192.0.2.77');
  assert.equal(persistenceKey('192.0.2.77', '255.255.255.0'), '192.0.2.0');
  assert.equal(persistenceKey('2001:db8::1', '64'), persistenceKey('2001:db8::ffff', '64'));
  assert.notEqual(persistenceKey('2001:db8:0:1::1', '64'), persistenceKey('2001:db8::1', '64'));
  assert.equal(prefixLength('255.255.0.0', 4), 16);
  assert.equal(prefixLength('255.0.255.0', 4), null);
});

test('persistence template holds while connections live and for the timeout after', () => {
  const p = new PersistenceTable(60, '255.255.255.0');
  p.open('192.0.2.5', 'A', 0);
  assert.equal(p.lookup('192.0.2.99', 1_000_000), 'A'); // same /24, connection still open
  p.close('192.0.2.5', 'A', 1_000_000);
  assert.equal(p.lookup('192.0.2.5', 1_059_000), 'A');
  assert.equal(p.lookup('192.0.2.5', 1_060_000), null);
  assert.equal(p.lookup('192.0.3.5', 0), null);
  p.open('192.0.2.5', 'B', 0);
  p.dropDest('B');
  assert.equal(p.lookup('192.0.2.5', 1), null);
});

test('quorum flips with hysteresis', () => {
  const q = (w: number[], wasUp: boolean) =>
    evaluateQuorum({ aliveWeights: w, quorum: 5, hysteresis: 1, wasUp });
  assert.deepEqual(q([2, 2], true), { up: true, aliveWeight: 4, changed: false, threshold: 4 });
  assert.deepEqual(q([2, 1], true), { up: false, aliveWeight: 3, changed: true, threshold: 4 });
  assert.equal(q([2, 3], false).up, false);
  assert.equal(q([2, 3], false).threshold, 6);
  assert.equal(q([3, 3], false).up, true);
});

test('sorry server replaces the real servers only while quorum is down', () => {
  const d = (address: string, weight: number): DestSpec => ({
    address,
    port: 80,
    forwarding: 'nat',
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
  });
  const real = [d('10.0.0.1', 1)];
  assert.deepEqual(effectiveDests({ real, sorry: d('10.0.0.9', 0), quorumUp: true }), real);
  assert.deepEqual(effectiveDests({ real, sorry: d('10.0.0.9', 0), quorumUp: false }), [d('10.0.0.9', 1)]);
  assert.deepEqual(effectiveDests({ real: [], quorumUp: false }), []);
  // sorry_server_inhibit: kept at weight 0 while quorum is up (not when a real server is the same
  // address and port), weight 1 alone when quorum is lost.
  const inhibit = true;
  assert.deepEqual(effectiveDests({ real, sorry: d('10.0.0.9', 1), quorumUp: true, inhibit }), [
    ...real,
    d('10.0.0.9', 0),
  ]);
  assert.deepEqual(effectiveDests({ real, sorry: d('10.0.0.1', 1), quorumUp: true, inhibit }), real);
  assert.deepEqual(effectiveDests({ real, sorry: d('10.0.0.9', 1), quorumUp: false, inhibit }), [
    d('10.0.0.9', 1),
  ]);
});
