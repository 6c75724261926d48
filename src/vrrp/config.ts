// From the typed configuration (src/config/model.ts) to what the VRRP cores take, applying
// keepalived's defaults and precedence: instance setting, else global_defs, else the default;
// vrrp_strict forces lower_prio_no_advert and no lower-priority GARPs and defaults to no_accept,
// as keepalived does (its config-time resets are in config/validate.ts).
import { vrrpAlertDefault } from '../alert/mailer.js';
import type {
  Config,
  GlobalDefs,
  Notify,
  SyncGroup,
  TrackRef,
  VrrpInstance,
  VrrpScript,
} from '../config/model.js';
import type { InstanceConfig } from './instance.js';
import type { NotifyConfig, ScriptKey } from './notify.js';
import type { TrackerSpec } from './priority.js';
import type { ScriptParams } from './track/script-state.js';
import { syncGroupOf, weightedTracking } from '../config/tracking-weights.js';

export { syncGroupOf };

function refTrackers(refs: readonly TrackRef[], kind: 'script' | 'file' | 'process'): TrackerSpec[] {
  // weightedTracking resolved each reference's weight (its own, else the tracked object's).
  return refs.map((r) => ({ kind, name: r.name, weight: r.weight ?? 0, reverse: r.reverse }));
}

/**
 * track_script / track_file / track_process of the instance and of its sync group, after
 * keepalived's rule for weights in sync groups and on the address owner.
 */
export function instanceTrackers(cfg: Config, vi: VrrpInstance): TrackerSpec[] {
  const { own, group } = weightedTracking(cfg, vi);
  const out = [
    ...refTrackers(own.scripts, 'script'),
    ...refTrackers(own.files, 'file'),
    ...refTrackers(own.processes, 'process'),
    ...refTrackers(group.scripts, 'script'),
    ...refTrackers(group.files, 'file'),
    ...refTrackers(group.processes, 'process'),
  ];
  // One entry per tracked object (the instance's own reference wins).
  const seen = new Set<string>();
  return out.filter((t) => {
    const k = `${t.kind}\0${t.name}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The VrrpInstance settings for one vrrp_instance of a loaded configuration. */
export function instanceConfig(cfg: Config, vi: VrrpInstance): InstanceConfig {
  const g: GlobalDefs = cfg.globalDefs;
  const strict = vi.strictMode ?? g.vrrpStrict;
  const garpMasterDelayMs = (vi.garpMasterDelay ?? g.vrrpGarpMasterDelay) * 1000;
  const garpMasterRepeat = vi.garpMasterRepeat ?? g.vrrpGarpMasterRepeat;
  const lowerRepeat = vi.garpLowerPrioRepeat ?? g.vrrpGarpLowerPrioRepeat;
  const lowerDelay = vi.garpLowerPrioDelay ?? g.vrrpGarpLowerPrioDelay;
  const tracking = weightedTracking(cfg, vi);
  const trackInterfaces = [...tracking.own.interfaces, ...tracking.group.interfaces].map((r) => ({
    name: r.name,
    weight: r.weight ?? 0,
    reverse: r.reverse,
  }));
  return {
    name: vi.name,
    interface: vi.interface ?? '',
    family: vi.family,
    version: vi.effectiveVersion,
    vrid: vi.virtualRouterId ?? 0,
    priority: vi.priority,
    advertIntCs: Math.round(vi.advertInt * 100),
    ...(vi.stateSet ? { initialMaster: vi.state === 'MASTER' } : {}),
    nopreempt: vi.nopreempt,
    preemptDelayMs: vi.preemptDelay * 1000,
    garpMasterDelayMs,
    garpMasterRepeat,
    garpMasterRefreshMs: (vi.garpMasterRefresh ?? g.vrrpGarpMasterRefresh) * 1000,
    garpMasterRefreshRepeat: vi.garpMasterRefreshRepeat ?? g.vrrpGarpMasterRefreshRepeat,
    garpLowerPrioRepeat: strict ? 0 : (lowerRepeat ?? garpMasterRepeat),
    garpLowerPrioDelayMs: strict ? 0 : lowerDelay !== undefined ? lowerDelay * 1000 : garpMasterDelayMs,
    lowerPrioNoAdvert: strict || (vi.lowerPrioNoAdvert ?? g.vrrpLowerPrioNoAdvert ?? false),
    higherPrioSendAdvert: !strict && (vi.higherPrioSendAdvert ?? g.vrrpHigherPrioSendAdvert ?? false),
    notifyPriorityChanges: vi.notifyPriorityChanges ?? g.vrrpNotifyPriorityChanges ?? false,
    ...(vi.effectiveVersion === 2 && vi.authentication?.authType === 'PASS' && vi.authentication.authPass
      ? { authPass: vi.authentication.authPass }
      : {}),
    ...(vi.effectiveVersion === 2 && vi.family === 4 && !strict && vi.authentication?.authType === 'AH'
      ? { authAh: vi.authentication.authPass ?? '' }
      : {}),
    vips: vi.virtualIpaddress.map((v) => ({
      address: v.address,
      ...(v.dev ? { interface: v.dev } : {}),
      dontTrack: v.options.includes('no_track') || v.options.includes('dont_track'),
    })),
    ...(vi.unicastSrcIp ? { unicastSrcIp: vi.unicastSrcIp } : {}),
    unicastPeers: vi.unicastPeer.map((p) => ({
      address: p.address,
      ...(p.minTtl !== undefined ? { minTtl: p.minTtl } : {}),
      ...(p.maxTtl !== undefined ? { maxTtl: p.maxTtl } : {}),
    })),
    ...(vi.unicastTtl !== undefined && vi.unicastPeer.length > 0 ? { unicastTtl: vi.unicastTtl } : {}),
    // keepalived: accept unless strict, always for the address owner.
    accept: vi.accept ?? (vi.priority === 255 || !strict),
    mcastGroup: vi.family === 4 ? g.vrrpMcastGroup4 : g.vrrpMcastGroup6,
    skipCheckAdvAddr: vi.skipCheckAdvAddr ?? g.vrrpSkipCheckAdvAddr,
    // A peer's min_ttl / max_ttl turns the source check on, as in keepalived.
    checkUnicastSrc:
      (vi.checkUnicastSrc ?? g.vrrpCheckUnicastSrc) ||
      vi.unicastPeer.some((p) => p.minTtl !== undefined || p.maxTtl !== undefined),
    dontTrackPrimary: vi.dontTrackPrimary,
    trackInterfaces,
    trackers: instanceTrackers(cfg, vi),
  };
}

/** rise/fall/init_fail of a vrrp_script. */
export function scriptParams(s: VrrpScript): ScriptParams {
  return { rise: s.rise, fall: s.fall, initFail: s.initFail };
}

/** The notify settings of an instance or a sync group. */
export function notifyConfig(n: VrrpInstance | SyncGroup, g?: GlobalDefs): NotifyConfig {
  const out: NotifyConfig = {};
  const set = (k: ScriptKey, x: Notify | undefined): void => {
    if (!x) return;
    out[k] = [...x.argv];
    if (x.runAs) (out.runAs ??= {})[k] = x.runAs;
  };
  set('notifyMaster', n.notifyMaster);
  set('notifyBackup', n.notifyBackup);
  set('notifyFault', n.notifyFault);
  set('notifyStop', n.notifyStop);
  set('notify', n.notify);
  if ('notifyMasterRxLowerPri' in n) set('notifyMasterRxLowerPri', n.notifyMasterRxLowerPri);
  // Without its own smtp_alert, an instance or group takes global_defs' smtp_alert_vrrp / smtp_alert.
  if (n.smtpAlert ?? (g ? vrrpAlertDefault(g) : false)) out.smtpAlert = true;
  return out;
}
