// A fake engine for unit tests of the planning logic: a table in memory, reads counted, and a
// failure on demand (the real engines are exercised in test/netns).
import type { Change, Engine, ServiceState } from '../../../src/dataplane/engine.js';
import { applyChanges } from '../../../src/lvs/plan.js';

/** An in-memory engine that counts reads and can be told to fail its next apply. */
export class MemoryEngine implements Engine {
  readonly name = 'userspace' as const;
  state: ServiceState[] = [];
  reads = 0;
  applies: Change[][] = [];
  failNext = false;
  async read(): Promise<ServiceState[]> {
    this.reads++;
    return structuredClone(this.state);
  }
  async apply(changes: Change[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      // All but the last applied: an engine without transactions (IPVS) can fail half way.
      this.state = applyChanges(this.state, changes.slice(0, -1));
      throw new Error('engine busy');
    }
    this.applies.push(changes);
    this.state = applyChanges(this.state, changes);
  }
  async close(): Promise<void> {}
}
