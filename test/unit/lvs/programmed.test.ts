import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceState } from '../../../src/dataplane/engine.js';
import { serviceId } from '../../../src/dataplane/keys.js';
import { MemoryEngine } from './memory-engine.js';
import { ProgrammedTable } from '../../../src/lvs/programmed.js';

function svc(n: number, weights: number[]): ServiceState {
  return {
    key: { kind: 'addr', family: 4, address: `10.0.0.${n}`, port: 80, protocol: 'tcp' },
    scheduler: 'wrr',
    flags: {},
    dests: weights.map((weight, i) => ({
      address: `10.1.${n}.${i + 1}`,
      port: 80,
      forwarding: 'nat' as const,
      weight,
      upperThreshold: 0,
      lowerThreshold: 0,
    })),
  };
}

test('reads the engine once, then plans against the table as last applied', async () => {
  const e = new MemoryEngine();
  e.state = [svc(1, [1, 1])]; // adopted from an earlier run
  const t = new ProgrammedTable(e);
  assert.equal(t.known, false);
  await t.sync([svc(1, [1, 1]), svc(2, [1])]);
  assert.equal(e.reads, 1);
  assert.deepEqual(
    e.applies[0]!.map((c) => c.op),
    ['add-service', 'add-dest'],
  );
  const changes = await t.sync([svc(1, [1, 5]), svc(2, [1])]);
  assert.equal(e.reads, 1, 'no second read');
  assert.deepEqual(
    changes.map((c) => c.op),
    ['edit-dest'],
  );
  assert.deepEqual(await t.sync([svc(1, [1, 5]), svc(2, [1])]), [], 'idempotent');
  assert.deepEqual(e.state, [svc(1, [1, 5]), svc(2, [1])]);
});

test('a partial plan changes only the services named and leaves the others alone', async () => {
  const e = new MemoryEngine();
  const t = new ProgrammedTable(e);
  await t.sync([svc(1, [1, 1]), svc(2, [1, 1]), svc(3, [2])]);
  const only = new Set([serviceId(svc(2, []).key)]);
  // desired holds only service 2: services 1 and 3 are not deleted.
  const changes = await t.sync([svc(2, [1, 4])], { only });
  assert.deepEqual(
    changes.map((c) => c.op),
    ['edit-dest'],
  );
  assert.deepEqual(e.state, [svc(1, [1, 1]), svc(2, [1, 4]), svc(3, [2])]);
  // A desired entry outside `only` is ignored too.
  assert.deepEqual(await t.sync([svc(2, [1, 4]), svc(9, [1])], { only }), []);
  // A full plan afterwards agrees with the engine: the copy stayed true.
  assert.deepEqual(await t.sync([svc(1, [1, 1]), svc(2, [1, 4]), svc(3, [2])]), []);
});

test('after a failed apply the next sync reads the engine and repairs what was half done', async () => {
  const e = new MemoryEngine();
  const t = new ProgrammedTable(e);
  await t.sync([svc(1, [1])]);
  e.failNext = true;
  await assert.rejects(t.sync([svc(1, [1]), svc(2, [1, 1])]), /engine busy/);
  assert.equal(t.known, false);
  assert.equal(e.reads, 1);
  await t.sync([svc(1, [1]), svc(2, [1, 1])]);
  assert.equal(e.reads, 2, 'read back after the failure');
  assert.deepEqual(e.state, [svc(1, [1]), svc(2, [1, 1])]);
});

test('owned: a service someone else programmed is never touched', async () => {
  const e = new MemoryEngine();
  e.state = [svc(7, [1])];
  const t = new ProgrammedTable(e);
  const mine = serviceId(svc(1, []).key);
  await t.sync([svc(1, [1])], { owned: (k) => serviceId(k) === mine });
  assert.deepEqual(e.state, [svc(7, [1]), svc(1, [1])]);
});
