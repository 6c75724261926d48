// keepalived 2.2.7's rule for weighted trackers where weights cannot apply (vrrp.c:
// vrrp_complete_instance, sync_group_tracking_init). A sync group moves its members together, so
// a member's own weighted tracker would let one member's priority drift from the others':
// unless the group sets sync_group_tracking_weight, the instance's own track_interface weights
// become 0 (FAULT when down), its weighted track_scripts are dropped, a track_file with the default
// weight 1 gets weight 0 and one with another weight is dropped (track_process is left alone).
// The address owner (priority 255) never moves: the same, except that weighted interfaces are
// dropped; and a sync group with an owner member clears its own trackers' weights.
// Pure: the config layer reports the warnings, the runtime tracks what is left.
import type { Loc } from './ast.js';
import type { Config, SyncGroup, TrackRef, VrrpInstance } from './model.js';

/** The address owner's priority (RFC 5798 §5.1). */
const VRRP_PRIO_OWNER = 255;

export interface TrackRefs {
  interfaces: TrackRef[];
  scripts: TrackRef[];
  files: TrackRef[];
  processes: TrackRef[];
}

export interface WeightedTracking {
  /** The instance's own references, after the rule. */
  own: TrackRefs;
  /** Its sync group's references, after the owner rule (empty without a group). */
  group: TrackRefs;
  warnings: { message: string; loc: Loc }[];
}

/** The sync group an instance belongs to, if any. */
export function syncGroupOf(cfg: Config, instance: string): SyncGroup | undefined {
  return cfg.syncGroups.find((g) => g.group.some((m) => m.name === instance));
}

/** A reference's weight and reverse: its own `weight` overrides the tracked object's. */
function effective(r: TrackRef, def?: { weight: number; weightReverse: boolean }): TrackRef {
  if (r.weight !== undefined) return r;
  return { ...r, weight: def?.weight ?? 0, reverse: (def?.weightReverse ?? false) || r.reverse };
}

function refsOf(cfg: Config, x: VrrpInstance | SyncGroup): TrackRefs {
  return {
    interfaces: x.trackInterface.map((r) => effective(r)),
    scripts: x.trackScript.map((r) =>
      effective(
        r,
        cfg.vrrpScripts.find((s) => s.name === r.name),
      ),
    ),
    files: x.trackFile.map((r) =>
      effective(
        r,
        cfg.trackFiles.find((f) => f.name === r.name),
      ),
    ),
    processes: x.trackProcess.map((r) => {
      const def = cfg.trackProcesses.find((p) => p.name === r.name);
      // keepalived's alloc_track_process: the process's own direction unless the reference
      // says `reverse` or `noreverse`, with or without its own weight.
      const reverse = r.reverseSet ? r.reverse : (def?.weightReverse ?? false);
      return { ...r, weight: r.weight ?? def?.weight ?? 0, reverse };
    }),
  };
}

export function weightedTracking(cfg: Config, vi: VrrpInstance): WeightedTracking {
  const sg = syncGroupOf(cfg, vi.name);
  const own = refsOf(cfg, vi);
  const group: TrackRefs = sg ? refsOf(cfg, sg) : { interfaces: [], scripts: [], files: [], processes: [] };
  const warnings: WeightedTracking['warnings'] = [];
  const warn = (message: string, loc: Loc): void => {
    warnings.push({ message, loc });
  };
  const where = `vrrp_instance ${vi.name}`;
  const owner = vi.priority === VRRP_PRIO_OWNER;
  const sync = sg !== undefined && !sg.trackingWeight;
  if (sync || owner) {
    const why = sync
      ? `it is in vrrp_sync_group ${sg.name} (set sync_group_tracking_weight there to use weights)`
      : `it is the address owner (priority ${VRRP_PRIO_OWNER})`;
    own.interfaces = own.interfaces.flatMap((r) => {
      if (!r.weight) return [r];
      if (owner && !sync) {
        warn(`${where}: ignoring tracked interface ${r.name}: ${why}`, r.loc);
        return [];
      }
      warn(
        `${where}: ignoring the weight of tracked interface ${r.name} (it puts the instance in FAULT when down): ${why}`,
        r.loc,
      );
      return [{ ...r, weight: 0 }];
    });
    own.scripts = own.scripts.filter((r) => {
      if (r.weight)
        warn(`${where}: ignoring tracked script ${r.name} with weight ${r.weight}: ${why}`, r.loc);
      return !r.weight;
    });
    own.files = own.files.flatMap((r) => {
      if (r.weight === 1) {
        warn(
          `${where}: ignoring the weight of tracked file ${r.name} (a non-zero value puts the instance in FAULT; specify weight 0): ${why}`,
          r.loc,
        );
        return [{ ...r, weight: 0 }];
      }
      if (r.weight) {
        warn(`${where}: ignoring tracked file ${r.name} with weight ${r.weight}: ${why}`, r.loc);
        return [];
      }
      return [r];
    });
  }
  const ownerMember = sg?.group.find(
    (g) => cfg.vrrpInstances.find((m) => m.name === g.name)?.priority === VRRP_PRIO_OWNER,
  );
  if (sg && ownerMember) {
    // Reported once, with the first owner member.
    const clear = (kind: string, refs: TrackRef[]): TrackRef[] =>
      refs.map((r) => {
        if (!r.weight) return r;
        if (ownerMember.name === vi.name)
          warn(
            `vrrp_sync_group ${sg.name}: clearing the weight of tracked ${kind} ${r.name}: a member is the address owner (priority ${VRRP_PRIO_OWNER})`,
            r.loc,
          );
        return { ...r, weight: 0 };
      });
    group.interfaces = clear('interface', group.interfaces);
    group.scripts = clear('script', group.scripts);
    group.files = clear('file', group.files);
    group.processes = clear('process', group.processes);
  }
  return { own, group, warnings };
}
