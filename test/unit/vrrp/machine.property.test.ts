import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VrrpMachine, type MachineEvent } from '../../../src/vrrp/machine.js';
import { Sim } from './sim.js';

const eventArb: fc.Arbitrary<MachineEvent> = fc.oneof(
  fc.constant<MachineEvent>({ type: 'timer', name: 'adver' }),
  fc.constantFrom<MachineEvent>(
    { type: 'timer', name: 'garp-delay' },
    { type: 'timer', name: 'garp-lower-prio' },
  ),
  fc.record({
    type: fc.constant('advert' as const),
    priority: fc.integer({ min: 0, max: 255 }),
    intervalCs: fc.integer({ min: 1, max: 4095 }),
    source: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'),
  }),
  fc.record({ type: fc.constant('priority' as const), effective: fc.integer({ min: -300, max: 600 }) }),
  fc.record({ type: fc.constant('fault' as const), faulty: fc.boolean() }),
  fc.constant<MachineEvent>({ type: 'stop' }),
  fc.record({ type: fc.constant('start' as const), faulty: fc.boolean() }),
);

test('property: any event sequence keeps the machine consistent', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 255 }),
      fc.constantFrom<2 | 3>(2, 3),
      fc.boolean(),
      fc.array(fc.tuple(eventArb, fc.integer({ min: 0, max: 5000 })), { maxLength: 60 }),
      (priority, version, nopreempt, steps) => {
        const m = new VrrpMachine({ name: 'p', version, priority, advertIntCs: 100, nopreempt }, '10.0.0.2');
        let now = 0;
        let vips = false;
        for (const [ev, dt] of steps) {
          now += dt;
          // The 'adver' timer fires no earlier than it is due, as the daemon delivers it.
          if (ev.type === 'timer' && ev.name === 'adver' && m.nextTimer !== null)
            now = Math.max(now, m.nextTimer);
          for (const a of m.handle(ev, now)) {
            if (a.type === 'add-vips') {
              assert.equal(vips, false, 'VIPs added twice');
              vips = true;
            }
            if (a.type === 'del-vips') vips = false;
            if (a.type === 'send-advert') assert.ok(a.priority >= 0 && a.priority <= 255);
            // A priority rise shortens a running down timer, possibly into the past (due at once).
            if (a.type === 'timer' && a.at !== null && ev.type !== 'priority')
              assert.ok(a.at >= now, 'timer in the past');
          }
          assert.equal(vips, m.state === 'MASTER', `VIPs set iff MASTER (state ${m.state})`);
          assert.equal(m.vipsSet, vips);
          if (m.state === 'FAULT' || m.state === 'STOP' || m.state === 'INIT')
            assert.equal(m.nextTimer, null);
          else assert.notEqual(m.nextTimer, null);
          assert.ok(m.effectivePriority >= 1 && m.effectivePriority <= 255);
          if (priority !== 255) assert.ok(m.effectivePriority <= 254);
        }
      },
    ),
    { numRuns: 1500 },
  );
});

test('property: on a segment with distinct priorities the highest becomes the only master, whatever the start order', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.integer({ min: 1, max: 254 }), { minLength: 2, maxLength: 5 }),
      fc.array(fc.integer({ min: 0, max: 8000 }), { minLength: 5, maxLength: 5 }),
      fc.constantFrom<2 | 3>(2, 3),
      (prios, delays, version) => {
        const sim = new Sim();
        const nodes = prios.map((p, i) =>
          sim.add(`10.0.0.${i + 1}`, { priority: p, version, advertIntCs: version === 2 ? 100 : 50 }),
        );
        const order = nodes.map((n, i) => ({ n, at: delays[i]! })).sort((a, b) => a.at - b.at);
        for (const { n, at } of order) {
          sim.run(at);
          sim.event(n, { type: 'start' });
        }
        sim.run(60_000);
        const masters = nodes.filter((n) => n.m.state === 'MASTER');
        assert.equal(masters.length, 1);
        assert.equal(masters[0]!.m.effectivePriority, Math.max(...prios));
        for (const n of nodes) if (n !== masters[0]) assert.equal(n.m.state, 'BACKUP');
        // Kill the master: the next highest takes over.
        sim.kill(masters[0]!);
        sim.run(120_000);
        const rest = nodes.filter((n) => n.alive);
        const next = rest.filter((n) => n.m.state === 'MASTER');
        assert.equal(next.length, 1);
        assert.equal(next[0]!.m.effectivePriority, Math.max(...rest.map((n) => n.m.effectivePriority)));
      },
    ),
    { numRuns: 150 },
  );
});
