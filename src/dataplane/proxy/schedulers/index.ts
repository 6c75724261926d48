// Scheduler registry: the IPVS scheduler names vigil knows, each mapped to its module.
import { DestinationHashing, SourceHashing } from './sh.js';
import { LeastConnection, NeverQueue, ShortestExpectedDelay, WeightedLeastConnection } from './lc.js';
import { LocalityLeastConnection, LocalityLeastConnectionReplicated } from './lblc.js';
import { MaglevHashing } from './mh.js';
import { Overflow, WeightedFailover } from './fo.js';
import { RoundRobin } from './rr.js';
import { TwoChoices } from './twos.js';
import type { Scheduler, SchedulerOptions } from './types.js';
import { WeightedRoundRobin } from './wrr.js';

export type { ConnInfo, DestView, Scheduler, SchedulerFlags, SchedulerOptions } from './types.js';
export { available, connOverhead } from './types.js';

const FACTORIES: Record<string, (o: SchedulerOptions) => Scheduler> = {
  rr: () => new RoundRobin(),
  wrr: () => new WeightedRoundRobin(),
  lc: () => new LeastConnection(),
  wlc: () => new WeightedLeastConnection(),
  sed: () => new ShortestExpectedDelay(),
  nq: () => new NeverQueue(),
  sh: (o) => new SourceHashing(o.flags),
  dh: () => new DestinationHashing(),
  lblc: (o) => new LocalityLeastConnection(o.now),
  lblcr: (o) => new LocalityLeastConnectionReplicated(o.now),
  fo: () => new WeightedFailover(),
  ovf: () => new Overflow(),
  mh: (o) => new MaglevHashing(o.flags),
  twos: (o) => new TwoChoices(o.random),
};

export const SCHEDULER_NAMES: readonly string[] = Object.keys(FACTORIES);

export function isSchedulerName(name: string): boolean {
  return Object.hasOwn(FACTORIES, name);
}

/** A fresh scheduler; throws an Error naming the scheduler when IPVS has no such one. */
export function createScheduler(name: string, options: SchedulerOptions = {}): Scheduler {
  const make = FACTORIES[name];
  if (!make || !Object.hasOwn(FACTORIES, name)) {
    throw new Error(`unknown scheduler "${name}" (known: ${SCHEDULER_NAMES.join(', ')})`);
  }
  return make(options);
}
