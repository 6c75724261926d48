// sh and dh: static hashing into 256 buckets (ip_vs_sh.c, ip_vs_dh.c). sh fills the buckets
// cyclically giving each server `weight` consecutive buckets and hashes the client (and its port
// with the port flag); dh gives each server one bucket in turn and hashes the destination.
import { hash32 } from './hash.js';
import type { ConnInfo, DestView, Scheduler, SchedulerFlags } from './types.js';
import { available } from './types.js';

const TAB_SIZE = 256;

function buildTable<D extends DestView>(dests: readonly D[], weighted: boolean): D[] {
  const table: D[] = [];
  if (dests.length === 0) return table;
  let i = 0;
  let count = 0;
  for (let b = 0; b < TAB_SIZE; b++) {
    const d = dests[i]!;
    table.push(d);
    // Weight 0 still takes one bucket, which is then unavailable (no fallback: no server).
    if (!weighted || ++count >= d.weight) {
      i = (i + 1) % dests.length;
      count = 0;
    }
  }
  return table;
}

abstract class HashTable implements Scheduler {
  abstract readonly name: string;
  private seen: readonly DestView[] | null = null;
  private table: DestView[] = [];

  constructor(
    private readonly weighted: boolean,
    protected readonly flags: SchedulerFlags,
  ) {}

  protected abstract key(conn: ConnInfo): string;

  pick<D extends DestView>(conn: ConnInfo, dests: readonly D[]): D | null {
    if (dests !== this.seen) {
      this.seen = dests;
      this.table = buildTable(dests, this.weighted);
    }
    if (this.table.length === 0) return null;
    const home = hash32(this.key(conn)) % TAB_SIZE;
    // With fallback the kernel walks the following buckets until one holds an available server.
    const tries = this.flags.fallback ? TAB_SIZE : 1;
    for (let offset = 0; offset < tries; offset++) {
      const d = this.table[(home + offset) % TAB_SIZE] as D;
      if (available(d)) return d;
    }
    return null;
  }
}

export class SourceHashing extends HashTable {
  readonly name = 'sh';
  constructor(flags: SchedulerFlags = {}) {
    super(true, flags);
  }
  protected key(conn: ConnInfo): string {
    return `${conn.client}|${this.flags.port ? conn.clientPort : 0}`;
  }
}

export class DestinationHashing extends HashTable {
  readonly name = 'dh';
  constructor() {
    super(false, {});
  }
  protected key(conn: ConnInfo): string {
    return conn.destination;
  }
}
