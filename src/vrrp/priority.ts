// Effective priority and FAULT from an instance's trackers, as keepalived computes them
// (vrrp_track.c: initialise_*_tracking_priorities, process_script_update_priority,
// vrrp_set_effective_priority). Pure: the tracker adapters report statuses, this sums them.
//
// For a tracker that is up or down (script, interface, process quorum) with weight w and
// multiplier m (-1 for `reverse`):
//   w = 0:  down (or, reversed, up) puts the instance in FAULT;
//   w > 0:  up adds w × m;   w < 0:  down adds w × m (so it subtracts, or adds when reversed).
// track_file: w = 0: a non-zero value (reversed: zero) is FAULT; else value × w × m is added,
// capped at 253, and -254 or below is FAULT.
// The effective priority is base + the sum, clamped to 1..254; the address owner's (255) never moves.
import type { MachineEvent } from './machine.js';
import { VRRP_PRIO_OWNER } from './packet.js';

export type TrackerKind = 'script' | 'interface' | 'process' | 'file' | 'bfd';

export interface TrackerSpec {
  kind: TrackerKind;
  /** Script, interface, process or file name (shown in the fault reasons). */
  name: string;
  /** `weight` (0 = FAULT when failing). */
  weight: number;
  /** `reverse`: the weight's sign and the failing condition are inverted. */
  reverse?: boolean;
}

/** script/interface/process/bfd: up (true), down (false), or no result yet (null, scripts only). */
export type TrackerStatus = boolean | null | { value: number };

export interface TrackingResult {
  /** base + contributions before clamping (keepalived's total_priority). */
  total: number;
  effective: number;
  /** Why the instance is in FAULT ("script chk_haproxy", "interface eth0 down", ...). Empty: not faulty. */
  faults: string[];
  /** Weight-0 scripts with no result yet: the instance waits in FAULT without a notify. */
  pending: string[];
}

function faultName(t: TrackerSpec, detail: string): string {
  return `${t.kind} ${t.name} ${detail}`;
}

/** Sums the trackers' contributions over the base priority. */
export function evaluateTracking(
  basePriority: number,
  trackers: readonly { spec: TrackerSpec; status: TrackerStatus }[],
): TrackingResult {
  let total = basePriority;
  const faults: string[] = [];
  const pending: string[] = [];
  for (const { spec, status } of trackers) {
    const m = spec.reverse ? -1 : 1;
    const w = spec.weight;
    if (typeof status === 'object' && status !== null) {
      // track_file
      const value = Math.trunc(status.value);
      const contribution = w === 0 ? ((value !== 0) === (m === 1) ? -254 : 0) : value * w * m;
      if (contribution <= -254) faults.push(faultName(spec, `has status ${value}`));
      else total += Math.min(contribution, 253);
      continue;
    }
    if (status === null) {
      if (w === 0 && spec.kind === 'script') pending.push(faultName(spec, 'has no result yet'));
      continue;
    }
    const up = status;
    if (w === 0) {
      if (up !== (m === 1)) faults.push(faultName(spec, up ? 'up (reverse)' : 'down'));
    } else if (up) {
      if (w > 0) total += w * m;
    } else if (w < 0) total += w * m;
  }
  // The owner never moves; and an owner's trackers with weight still count for FAULT.
  const effective =
    basePriority === VRRP_PRIO_OWNER ? VRRP_PRIO_OWNER : Math.min(VRRP_PRIO_OWNER - 1, Math.max(1, total));
  return { total, effective, faults, pending };
}

/**
 * The trackers of one instance with their current statuses. Each update returns the machine
 * events it causes: a 'priority' event when the effective priority moved, a 'fault' event when
 * the fault set became non-empty or empty (FAULT clears only when every reason has cleared).
 */
export class InstanceTracking {
  private readonly statuses = new Map<string, { spec: TrackerSpec; status: TrackerStatus }>();
  private last: TrackingResult;

  constructor(
    readonly basePriority: number,
    trackers: readonly { spec: TrackerSpec; status: TrackerStatus }[] = [],
  ) {
    for (const t of trackers) this.statuses.set(key(t.spec), { spec: t.spec, status: t.status });
    this.last = this.evaluate();
  }

  private evaluate(): TrackingResult {
    return evaluateTracking(this.basePriority, [...this.statuses.values()]);
  }

  /** The current result (what 'start' needs: faults, pending, effective priority). */
  get result(): TrackingResult {
    return this.last;
  }

  /** The event that starts the machine with the trackers' initial view. */
  startEvent(): MachineEvent {
    const r = this.last;
    if (r.faults.length > 0) return { type: 'start', faulty: true };
    if (r.pending.length > 0) return { type: 'start', faulty: true, quiet: true };
    return { type: 'start' };
  }

  /** Records a tracker's new status; returns the events for the machine (possibly none). */
  update(spec: TrackerSpec, status: TrackerStatus): MachineEvent[] {
    this.statuses.set(key(spec), { spec, status });
    const before = this.last;
    const now = this.evaluate();
    this.last = now;
    const events: MachineEvent[] = [];
    if (now.effective !== before.effective) events.push({ type: 'priority', effective: now.effective });
    const wasDown = before.faults.length > 0 || before.pending.length > 0;
    const isDown = now.faults.length > 0 || now.pending.length > 0;
    if (wasDown !== isDown || (now.faults.length > 0 && before.faults.length === 0))
      events.push({ type: 'fault', faulty: now.faults.length > 0 || now.pending.length > 0 });
    return events;
  }
}

function key(t: TrackerSpec): string {
  return `${t.kind}\0${t.name}`;
}
