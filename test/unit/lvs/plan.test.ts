import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyChanges, plan } from '../../../src/lvs/plan.js';
import { destId, serviceId } from '../../../src/dataplane/keys.js';
import type { DestSpec, ServiceKey, ServiceState } from '../../../src/dataplane/engine.js';

const arbKey: fc.Arbitrary<ServiceKey> = fc.oneof(
  fc.record({
    kind: fc.constant('addr' as const),
    family: fc.constant(4 as const),
    address: fc.constantFrom('10.0.0.1', '10.0.0.2'),
    port: fc.constantFrom(80, 443),
    protocol: fc.constantFrom('tcp' as const, 'udp' as const),
  }),
  fc.record({
    kind: fc.constant('fwmark' as const),
    family: fc.constant(4 as const),
    fwmark: fc.integer({ min: 1, max: 3 }),
  }),
);

const arbDest: fc.Arbitrary<DestSpec> = fc.record({
  address: fc.constantFrom('192.168.1.1', '192.168.1.2', '192.168.1.3', 'fd00::1'),
  port: fc.constantFrom(80, 8080),
  forwarding: fc.constantFrom('nat' as const, 'dr' as const),
  weight: fc.integer({ min: 0, max: 3 }),
  upperThreshold: fc.constantFrom(0, 100),
  lowerThreshold: fc.constant(0),
});

const arbService: fc.Arbitrary<ServiceState> = fc.record({
  key: arbKey,
  scheduler: fc.constantFrom('rr', 'wlc', 'sh'),
  persistenceTimeout: fc.option(fc.constantFrom(60, 300), { nil: undefined }),
  flags: fc.record({ ops: fc.boolean() }),
  dests: fc.uniqueArray(arbDest, { selector: destId, maxLength: 4 }),
});

const arbState = fc.uniqueArray(arbService, { selector: (s) => serviceId(s.key), maxLength: 5 });

/** Canonical form: order-insensitive, as engines need not keep insertion order. */
function canon(states: readonly ServiceState[]): string {
  return JSON.stringify(
    [...states]
      .map((s) => ({ ...s, dests: [...s.dests].sort((a, b) => destId(a).localeCompare(destId(b))) }))
      .sort((a, b) => serviceId(a.key).localeCompare(serviceId(b.key))),
  );
}

test('applying the plan to actual yields desired, and replanning is empty (property)', () => {
  fc.assert(
    fc.property(arbState, arbState, (desired, actual) => {
      const after = applyChanges(actual, plan(desired, actual));
      assert.equal(canon(after), canon(desired));
      assert.deepEqual(plan(desired, after), []);
    }),
  );
});

test('the plan of equal states is empty (property)', () => {
  fc.assert(fc.property(arbState, (s) => assert.deepEqual(plan(s, structuredClone(s)), [])));
});

test('unowned services are never touched (property)', () => {
  fc.assert(
    fc.property(arbState, arbState, fc.integer({ min: 1, max: 3 }), (desired, actual, mark) => {
      const owned = (k: ServiceKey) => !(k.kind === 'fwmark' && k.fwmark === mark);
      for (const c of plan(desired, actual, { owned })) {
        const key = c.op === 'add-service' || c.op === 'edit-service' ? c.service.key : c.key;
        assert.ok(owned(key), `${c.op} touched ${serviceId(key)}`);
      }
    }),
  );
});

test('order: dest deletes, service deletes, service adds before their dests (property)', () => {
  const rank = {
    'del-dest': 0,
    'del-service': 1,
    'edit-service': 2,
    'add-service': 3,
    'edit-dest': 4,
    'add-dest': 5,
  };
  fc.assert(
    fc.property(arbState, arbState, (desired, actual) => {
      const ops = plan(desired, actual).map((c) => rank[c.op]);
      assert.deepEqual(
        ops,
        [...ops].sort((a, b) => a - b),
      );
    }),
  );
});

test('a weight change is one edit in place; a deleted service needs no dest deletes', () => {
  const key: ServiceKey = { kind: 'addr', family: 4, address: '10.0.0.1', port: 80, protocol: 'tcp' };
  const d = (address: string, weight: number): DestSpec => ({
    address,
    port: 80,
    forwarding: 'nat',
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
  });
  const actual: ServiceState[] = [
    { key, scheduler: 'wrr', flags: {}, dests: [d('192.168.1.1', 1), d('192.168.1.2', 1)] },
  ];
  const desired: ServiceState[] = [
    { key, scheduler: 'wrr', flags: {}, dests: [d('192.168.1.1', 3), d('192.168.1.2', 1)] },
  ];
  assert.deepEqual(plan(desired, actual), [{ op: 'edit-dest', key, dest: d('192.168.1.1', 3) }]);
  assert.deepEqual(plan([], actual), [{ op: 'del-service', key }]);
  // An unset netmask on a non-persistent service equals any netmask: nothing to do.
  assert.deepEqual(plan([{ ...desired[0]!, persistenceNetmask: '255.255.255.0' }], desired), []);
});

test('applyChanges names what IPVS would refuse', () => {
  const key: ServiceKey = { kind: 'fwmark', family: 4, fwmark: 7 };
  assert.throws(() => applyChanges([], [{ op: 'del-service', key }]), /no such service fwmark\|4\|7/);
  const s: ServiceState = { key, scheduler: 'rr', flags: {}, dests: [] };
  assert.throws(() => applyChanges([s], [{ op: 'add-service', service: s }]), /already exists/);
  assert.throws(
    () => applyChanges([s], [{ op: 'del-dest', key, address: '10.9.9.9', port: 0 }]),
    /no destination 10\.9\.9\.9:0/,
  );
});
