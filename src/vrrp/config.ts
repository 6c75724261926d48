// From the typed configuration (src/config/model.ts) to what the VRRP cores take, applying
// keepalived's defaults and precedence: instance setting, else global_defs, else the default;
// vrrp_strict forces lower_prio_no_advert and no lower-priority GARPs, as keepalived does.
import { vrrpAlertDefault } from '../alert/mailer.js';
import type { Config, GlobalDefs, SyncGroup, TrackRef, VrrpInstance, VrrpScript } from '../config/model.js';
import type { InstanceConfig } from './instance.js';
import type { NotifyConfig } from './notify.js';
import type { TrackerSpec } from './priority.js';
import type { ScriptParams } from './track/script-state.js';
import { syncGroupOf, weightedTracking } from './tracking-weights.js';

function flagIn(other: Record<string, string[]>, key: string): boolean {
  const v = other[key];
  if (!v) return false;
  return v.length === 0 || !/^(false|no|off|0)$/i.test(v[0]!);
}

function intIn(other: Record<string, string[]>, key: string): number | undefined {
  const v = other[key]?.[0];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

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
  const lowerRepeat =
    intIn(vi.other, 'garp_lower_prio_repeat') ?? intIn(g.other, 'vrrp_garp_lower_prio_repeat');
  const lowerDelay = intIn(vi.other, 'garp_lower_prio_delay') ?? intIn(g.other, 'vrrp_garp_lower_prio_delay');
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
    lowerPrioNoAdvert:
      strict || flagIn(vi.other, 'lower_prio_no_advert') || flagIn(g.other, 'vrrp_lower_prio_no_advert'),
    higherPrioSendAdvert:
      !strict &&
      (flagIn(vi.other, 'higher_prio_send_advert') || flagIn(g.other, 'vrrp_higher_prio_send_advert')),
    notifyPriorityChanges:
      flagIn(vi.other, 'notify_priority_changes') || flagIn(g.other, 'vrrp_notify_priority_changes'),
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
    unicastPeers: vi.unicastPeer.map((p) => ({ address: p.address })),
    mcastGroup: vi.family === 4 ? g.vrrpMcastGroup4 : g.vrrpMcastGroup6,
    skipCheckAdvAddr: vi.skipCheckAdvAddr ?? g.vrrpSkipCheckAdvAddr,
    checkUnicastSrc: flagIn(vi.other, 'check_unicast_src') || g.vrrpCheckUnicastSrc,
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
  const argv = (x: { argv: string[] } | undefined): string[] | undefined => (x ? [...x.argv] : undefined);
  const out: NotifyConfig = {};
  const set = (k: keyof NotifyConfig, v: string[] | undefined): void => {
    if (v) (out as Record<string, unknown>)[k] = v;
  };
  set('notifyMaster', argv(n.notifyMaster));
  set('notifyBackup', argv(n.notifyBackup));
  set('notifyFault', argv(n.notifyFault));
  set('notifyStop', argv(n.notifyStop));
  set('notify', argv(n.notify));
  // Without its own smtp_alert, an instance or group takes global_defs' smtp_alert_vrrp / smtp_alert.
  if (n.smtpAlert ?? (g ? vrrpAlertDefault(g) : false)) out.smtpAlert = true;
  return out;
}
