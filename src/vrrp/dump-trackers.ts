// The tracker sections of keepalived 2.2.7's keepalived.data (vrrp_data.c dump_sync_group,
// dump_vprocess; trackers/track_file.c dump_track_file) and the tracked lists each instance and
// group shows. Pure: configuration, status and the process counts come in.
import type { Config, Notify, SyncGroup, TrackRef } from '../config/model.js';
import type { RuntimeStatus } from './runtime.js';
import { cmdStr } from '../config/dump-global.js';

/** How many processes of a vrrp_track_process run now, and whether that is its quorum. */
export interface ProcessCount {
  count: number;
  quorum: boolean;
}

/** A tracked list's entries; keepalived puts a comma after file and process names only. */
export function trackedList(
  title: string,
  refs: TrackRef[],
  weightOf: (r: TrackRef) => { weight: number; reverse: boolean },
  comma: boolean,
): string[] {
  if (!refs.length) return [];
  return [
    `   ${title} :`,
    ...refs.map((r) => {
      const w = weightOf(r);
      return `     ${r.name}${comma ? ',' : ''} weight ${w.weight}${w.reverse ? ' reverse' : ''}`;
    }),
  ];
}

/** The weight a track_file / vrrp_track_process reference uses: its own, else the tracker's. */
function refWeight(
  r: TrackRef,
  def: { weight: number; weightReverse: boolean } | undefined,
): { weight: number; reverse: boolean } {
  return {
    weight: r.weight ?? def?.weight ?? 0,
    reverse: r.reverseSet || r.weight !== undefined ? r.reverse : (def?.weightReverse ?? r.reverse),
  };
}

export function trackFileWeight(config: Config, r: TrackRef): { weight: number; reverse: boolean } {
  return refWeight(
    r,
    config.trackFiles.find((f) => f.name === r.name),
  );
}

export function trackProcessWeight(config: Config, r: TrackRef): { weight: number; reverse: boolean } {
  return refWeight(
    r,
    config.trackProcesses.find((p) => p.name === r.name),
  );
}

const plain = (r: TrackRef): { weight: number; reverse: boolean } => ({
  weight: r.weight ?? 0,
  reverse: r.reverse,
});

/** "VRRP Sync groups" (dump_sync_group), one entry per group with its state and members. */
export function syncGroupsData(config: Config, status: RuntimeStatus): string[] {
  const out: string[] = [];
  const state = new Map(status.instances.map((i) => [i.name, i.state]));
  for (const g of config.syncGroups) {
    const st = status.syncGroups.find((s) => s.name === g.name);
    const members = g.group.map((m) => m.name);
    const count = (s: string): number => members.filter((m) => state.get(m) === s).length;
    out.push(
      ` VRRP Sync Group = ${g.name}, ${st?.state ?? 'INIT'}`,
      `   Num member fault ${count('FAULT')}, num member init ${count('INIT')}`,
    );
    if (members.length) out.push('   VRRP member instances :', ...members.map((m) => `     ${m}`));
    if (g.trackingWeight) out.push('   sync group tracking weight set');
    out.push(
      `   Using smtp notification = ${(g.smtpAlert ?? config.globalDefs.smtpAlertVrrp ?? config.globalDefs.smtpAlert ?? false) ? 'yes' : 'no'}`,
    );
    out.push(
      ...trackedList('Tracked interfaces', g.trackInterface, plain, false),
      ...trackedList('Tracked scripts', g.trackScript, plain, false),
      ...trackedList('Tracked files', g.trackFile, (r) => trackFileWeight(config, r), true),
      ...trackedList('Tracked process', g.trackProcess, (r) => trackProcessWeight(config, r), true),
    );
    // The group's notify scripts, as dump_notify_script writes them.
    const scripts: [keyof SyncGroup, string][] = [
      ['notifyBackup', 'Backup'],
      ['notifyMaster', 'Master'],
      ['notifyFault', 'Fault'],
      ['notifyStop', 'Stop'],
      ['notify', 'Generic'],
    ];
    for (const [key, label] of scripts) {
      const n = g[key] as Notify | undefined;
      if (n) out.push(`   ${label} state transition script = ${cmdStr(n)}, uid:gid 0:0`);
    }
  }
  return out;
}

/** The instances tracking a file or process, as dump_tracking_vrrp writes them. */
function trackingInstances(
  config: Config,
  name: string,
  pick: 'trackFile' | 'trackProcess',
  weight: (r: TrackRef) => { weight: number; reverse: boolean },
): string[] {
  const users = config.vrrpInstances.flatMap((vi) =>
    vi[pick].filter((r) => r.name === name).map((r) => ({ vi: vi.name, w: weight(r) })),
  );
  if (!users.length) return [];
  return [
    '   Tracking instances :',
    ...users.map((u) => `     ${u.vi}, weight ${u.w.weight}${u.w.reverse ? ' reverse' : ''}`),
  ];
}

/** "VRRP Track files" (dump_track_file): each file, its value now, its weight and users. */
export function trackFilesData(config: Config, status: RuntimeStatus): string[] {
  const out: string[] = [];
  for (const f of config.trackFiles) {
    const t = status.instances.flatMap((i) => i.trackers).find((x) => x.kind === 'file' && x.name === f.name);
    const value = /^value (-?\d+)$/.exec(t?.status ?? '')?.[1] ?? String(f.initFile?.value ?? 0);
    out.push(
      ` Track file = ${f.name}`,
      `   File = ${f.file ?? ''}`,
      `   Status = ${value}`,
      `   Weight = ${f.weight}${f.weightReverse ? ' reverse' : ''}`,
      ...trackingInstances(config, f.name, 'trackFile', (r) => trackFileWeight(config, r)),
    );
  }
  return out;
}

/**
 * "VRRP Track processes" (dump_vprocess). vigil does not show whether a fork or terminate delay
 * is running, so keepalived's two "delay timer … running" lines are left out.
 */
export function trackProcessesData(config: Config, counts: ReadonlyMap<string, ProcessCount>): string[] {
  const out: string[] = [];
  for (const p of config.trackProcesses) {
    const now = counts.get(p.name);
    out.push(` VRRP Track process = ${p.name}`, `   Process = ${p.process ?? ''}`);
    if (p.params?.length) out.push(`   Parameters = ${p.params.join(' ')}`);
    if (p.paramMatch !== 'none')
      out.push(`   Param match${p.paramMatch === 'exact' ? '' : ` = ${p.paramMatch}`}`);
    out.push(`   Min processes = ${p.quorum}`);
    if (p.quorumMax !== undefined) out.push(`   Max processes = ${p.quorumMax}`);
    out.push(
      `   Current processes = ${now?.count ?? 0}`,
      `   Have quorum = ${now?.quorum ?? false}`,
      `   Weight = ${p.weight}${p.weightReverse ? ' reverse' : ''}`,
      `   Terminate delay = ${(p.terminateDelay ?? 0).toFixed(6)}s`,
      `   Fork delay = ${(p.forkDelay ?? 0).toFixed(6)}s`,
      `   Full command = ${p.fullCommand}`,
      ...trackingInstances(config, p.name, 'trackProcess', (r) => trackProcessWeight(config, r)),
    );
  }
  return out;
}
