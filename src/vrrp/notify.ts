// What keepalived runs and writes on a VRRP state change (vrrp_notify.c), as pure data:
// the notify_* scripts' argv, the generic `notify` script's arguments, the notify_fifo line and
// the smtp_alert subject/body, in keepalived's order. Running them is the notifier's job.
import type { RunAs } from '../scripts/run.js';

export type NotifyKind = 'INSTANCE' | 'GROUP';
export type NotifyStateName = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';
/** Extra fifo-only events (notify_master_rx_lower_pri, notify_priority_changes). */
export type NotifyEventName = 'MASTER_RX_LOWER_PRI' | 'MASTER_PRIORITY' | 'BACKUP_PRIORITY';

/** The notify settings of an instance or sync group; scripts are already split into argv. */
export interface NotifyConfig {
  notifyMaster?: string[];
  notifyBackup?: string[];
  notifyFault?: string[];
  notifyStop?: string[];
  notifyDeleted?: string[];
  /** Generic `notify`: called with TYPE NAME STATE PRIORITY appended. */
  notify?: string[];
  /** notify_master_rx_lower_pri */
  notifyMasterRxLowerPri?: string[];
  /** The uid/gid a script runs as (script_user, its own USER [GROUP]); absent: vigil's own. */
  runAs?: Partial<Record<ScriptKey, RunAs>>;
  smtpAlert?: boolean;
}

export type ScriptKey = Exclude<keyof NotifyConfig, 'runAs' | 'smtpAlert'>;

export type Notification =
  /** Run argv without a shell. STOP scripts are killed after `timeoutMs` (keepalived: 1 s). */
  | { kind: 'exec'; argv: string[]; timeoutMs?: number; runAs?: RunAs }
  /** One line for notify_fifo / vrrp_notify_fifo (newline included). */
  | { kind: 'fifo'; line: string }
  /** smtp_alert: `what` goes after `VRRP Instance NAME - ` in the subject (see src/alert). */
  | { kind: 'smtp'; of: NotifyKind; name: string; what: string; body: string };

/** `notify` arguments: `script {GROUP|INSTANCE} NAME STATE PRIORITY` (priority 0 for a group). */
export function notifyArgv(
  script: readonly string[],
  kind: NotifyKind,
  name: string,
  state: string,
  priority: number,
): string[] {
  return [...script, kind, name, state, String(priority)];
}

/** The fifo line exactly as keepalived writes it: `INSTANCE "VI_1" MASTER 100\n`. */
export function notifyFifoLine(
  kind: NotifyKind,
  name: string,
  state: NotifyStateName | NotifyEventName,
  priority: number,
): string {
  return `${kind} "${name}" ${state} ${priority}\n`;
}

const STATE_SCRIPT: Record<NotifyStateName, ScriptKey> = {
  MASTER: 'notifyMaster',
  BACKUP: 'notifyBackup',
  FAULT: 'notifyFault',
  STOP: 'notifyStop',
  DELETED: 'notifyDeleted',
};

/** An exec of a configured script, with the user it runs as when it has one. */
function exec(cfg: NotifyConfig, key: ScriptKey, argv: string[], timeoutMs?: number): Notification {
  const n: Notification = { kind: 'exec', argv };
  if (timeoutMs !== undefined) n.timeoutMs = timeoutMs;
  const runAs = cfg.runAs?.[key];
  if (runAs) n.runAs = runAs;
  return n;
}

const SMTP: Record<NotifyStateName, { instance: [string, string]; group: [string, string] | null }> = {
  MASTER: {
    instance: ['Entering MASTER state', '=> VRRP Instance is now owning VRRP VIPs <='],
    group: ['Entering MASTER state', '=> All VRRP group instances are now in MASTER state <='],
  },
  BACKUP: {
    instance: ['Entering BACKUP state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
    group: ['Entering BACKUP state', '=> All VRRP group instances are now in BACKUP state <='],
  },
  FAULT: {
    instance: ['Entering FAULT state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
    group: ['Entering FAULT state', '=> All VRRP group instances are now in FAULT state <='],
  },
  STOP: {
    instance: ['Stopping', '=> VRRP Instance stopping <='],
    group: ['Stopping', '=> All VRRP group instances are now stopping <='],
  },
  DELETED: { instance: ['Deleted', '=> VRRP Deleted at reload <='], group: null },
};

export interface NotifyOptions {
  /** Global `no_email_faults`. */
  noEmailFaults?: boolean;
  /** The state last mailed for this instance/group (a mail goes only on a change). */
  lastEmailState?: NotifyStateName | null;
}

/**
 * Everything to do for one state change, in keepalived's order: the state's own script, the
 * generic notify script, the fifo line, then the mail.
 */
export function stateNotifications(
  cfg: NotifyConfig,
  kind: NotifyKind,
  name: string,
  state: NotifyStateName,
  priority: number,
  opts: NotifyOptions = {},
): Notification[] {
  const out: Notification[] = [];
  const prio = kind === 'GROUP' ? 0 : priority;
  const own = cfg[STATE_SCRIPT[state]];
  // keepalived gives STOP scripts one second before killing them (it is shutting down).
  if (own)
    out.push(
      exec(cfg, STATE_SCRIPT[state], [...own], state === 'STOP' && kind === 'INSTANCE' ? 1000 : undefined),
    );
  if (cfg.notify) {
    const argv = notifyArgv(cfg.notify, kind, name, state, prio);
    out.push(exec(cfg, 'notify', argv, state === 'STOP' ? 1000 : undefined));
  }
  out.push({ kind: 'fifo', line: notifyFifoLine(kind, name, state, prio) });
  const mail = kind === 'GROUP' ? SMTP[state].group : SMTP[state].instance;
  if (cfg.smtpAlert && mail && !(opts.noEmailFaults && state === 'FAULT') && opts.lastEmailState !== state)
    out.push({ kind: 'smtp', of: kind, name, what: mail[0], body: mail[1] });
  return out;
}

/** An event (lower-priority advert seen as master, priority change): script and fifo line only. */
export function eventNotifications(
  cfg: NotifyConfig,
  name: string,
  event: NotifyEventName,
  priority: number,
): Notification[] {
  const out: Notification[] = [];
  if (event === 'MASTER_RX_LOWER_PRI' && cfg.notifyMasterRxLowerPri)
    out.push(exec(cfg, 'notifyMasterRxLowerPri', [...cfg.notifyMasterRxLowerPri]));
  out.push({ kind: 'fifo', line: notifyFifoLine('INSTANCE', name, event, priority) });
  return out;
}
