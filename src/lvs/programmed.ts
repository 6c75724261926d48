// What the engine holds, as vigil last programmed it. Reading an nft table back costs ~0.7 s at
// 10,000 real servers (nft -j list), so a health change plans against the table as last applied
// and the engine is read only when that copy is unknown: at start (adoption after a restart or a
// reload) and after a failed apply, when what the engine kept is uncertain.
import type { Change, Engine, ServiceKey, ServiceState } from '../dataplane/engine.js';
import { applyChanges, plan } from './plan.js';
import { serviceId } from '../dataplane/keys.js';

export interface SyncOptions {
  owned?: (key: ServiceKey) => boolean;
  /** Plan only these services (by serviceId): `desired` holds just them, the rest stay as they are. */
  only?: ReadonlySet<string>;
}

export class ProgrammedTable {
  private table?: ServiceState[];

  constructor(private readonly engine: Engine) {}

  /** Whether the last-applied table is known (else the next sync reads the engine). */
  get known(): boolean {
    return this.table !== undefined;
  }

  /** Forget the copy: the next sync reads the engine (someone else may have changed it). */
  forget(): void {
    this.table = undefined;
  }

  /**
   * Plans `desired` against the table and applies the difference; returns the changes applied.
   * On an apply error the copy is forgotten and the error rethrown.
   */
  async sync(desired: readonly ServiceState[], opts: SyncOptions = {}): Promise<Change[]> {
    this.table ??= await this.engine.read();
    const only = opts.only;
    const actual = only ? this.table.filter((s) => only.has(serviceId(s.key))) : this.table;
    const want = only ? desired.filter((s) => only.has(serviceId(s.key))) : desired;
    const changes = plan(want, actual, opts.owned ? { owned: opts.owned } : {});
    if (changes.length === 0) return changes;
    try {
      await this.engine.apply(changes);
    } catch (e) {
      this.table = undefined;
      throw e;
    }
    try {
      this.table = applyChanges(this.table, changes);
    } catch {
      this.table = undefined; // cannot happen for a plan made against it; read back if it does
    }
    return changes;
  }
}
