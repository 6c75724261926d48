// The VRRP state machine of one instance, as keepalived 2.2.7 runs it (vrrp.c, vrrp_scheduler.c),
// with no timers or I/O inside: every input is an event with the current time, every effect an
// action for the daemon to carry out (send an advert, add/remove VIPs, gratuitous ARP/NA, notify,
// (re)arm a timer). Times are milliseconds on any monotonic clock; the protocol timers are
// computed in whole microseconds, as keepalived does, so they match it to the microsecond.
import { compareAddresses } from './address.js';
import { VRRP_PRIO_OWNER, VRRP_PRIO_STOP, type VrrpVersion } from './packet.js';

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

/** The instance settings the machine uses (keepalived's names in comments). */
export interface MachineConfig {
  name: string;
  version: VrrpVersion;
  /** `priority` 1..255 (255: address owner). */
  priority: number;
  /** `advert_int` in centiseconds (v2: whole seconds, so a multiple of 100). */
  advertIntCs: number;
  /** `state MASTER`: with priority 255 the instance becomes master at once on start. */
  initialMaster?: boolean;
  /** `nopreempt` (ignored with `state MASTER`, as keepalived clears it). */
  nopreempt?: boolean;
  /** `preempt_delay` in ms (ignored with `state MASTER`). */
  preemptDelayMs?: number;
  /** `garp_master_delay` ms (default 5000; 0 = no second burst). */
  garpMasterDelayMs?: number;
  /** `garp_master_repeat` (default 5). */
  garpMasterRepeat?: number;
  /** `garp_master_refresh` ms (default 0 = none). */
  garpMasterRefreshMs?: number;
  /** `garp_master_refresh_repeat` (default 1). */
  garpMasterRefreshRepeat?: number;
  /** `garp_lower_prio_repeat` (default garp_master_repeat; 0 = none). */
  garpLowerPrioRepeat?: number;
  /** `garp_lower_prio_delay` ms (default garp_master_delay). */
  garpLowerPrioDelayMs?: number;
  /** `lower_prio_no_advert` (default false; vrrp_strict sets it). */
  lowerPrioNoAdvert?: boolean;
  /** `higher_prio_send_advert` (default false). */
  higherPrioSendAdvert?: boolean;
  /** `down_timer_adverts` (default 3). */
  downTimerAdverts?: number;
  /** Unicast instance: on leaving FAULT it announces its own source address (GARP/NA). */
  unicast?: boolean;
  /** `notify_priority_changes`: fifo lines on effective priority changes. */
  notifyPriorityChanges?: boolean;
}

export type TimerName =
  /** keepalived's "sands": the next advert when MASTER, master-down when BACKUP. */
  | 'adver'
  /** The second GARP burst garp_master_delay after becoming master. */
  | 'garp-delay'
  /** The second GARP burst garp_lower_prio_delay after a lower-priority advert. */
  | 'garp-lower-prio';

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';
export type NotifyEvent = 'MASTER_RX_LOWER_PRI' | 'MASTER_PRIORITY' | 'BACKUP_PRIORITY';

export type Action =
  /** Send an advert with this priority (0 = resigning) to the group or to every unicast peer. */
  | { type: 'send-advert'; priority: number }
  | { type: 'add-vips' }
  | { type: 'del-vips' }
  /** Gratuitous ARP / unsolicited NA for every VIP, `repeat` times (paced by vrrp_garp_interval). */
  | { type: 'send-garp'; repeat: number; why: 'master' | 'delayed' | 'refresh' | 'lower-prio' }
  /** Unicast: one gratuitous ARP/NA for our own source address so the master can reach us. */
  | { type: 'announce-source' }
  | { type: 'notify'; state: NotifyState; priority: number }
  | { type: 'notify-event'; event: NotifyEvent; priority: number }
  /** Arm (at = time in ms) or cancel (at = null) a timer; the daemon answers with a 'timer' event. */
  | { type: 'timer'; name: TimerName; at: number | null }
  | { type: 'log'; message: string };

export type MachineEvent =
  /**
   * Leave INIT (keepalived's vrrp_init_state); `faulty` when a tracker or the link holds it in
   * FAULT. `quiet`: FAULT only because weight-0 scripts have no result yet (no FAULT notify).
   */
  | { type: 'start'; faulty?: boolean; quiet?: boolean; resume?: Resume }
  | { type: 'timer'; name: TimerName }
  /** A received advert that validateAdvert() accepted. */
  | { type: 'advert'; priority: number; intervalCs: number; source: string }
  /** The effective priority from the trackers (priority.ts); ignored for the address owner. */
  | { type: 'priority'; effective: number }
  /** The fault set became non-empty (true) or empty (false). */
  | { type: 'fault'; faulty: boolean }
  /** Shutdown: a master resigns with a priority-0 advert and removes its VIPs; then STOP. */
  | { type: 'stop' }
  /**
   * Someone else deleted one of the master's tracked virtual routes or rules: keepalived's
   * set_vrrp_backup (resign to BACKUP, then back to MASTER after Skew_Time if nobody else is).
   */
  | { type: 'lost-address' };

/**
 * Reload (SIGHUP): the same instance in the old configuration was MASTER or BACKUP. It keeps that
 * state without a flap or a notify (keepalived's restore_vrrp_state / reload_master).
 */
export interface Resume {
  state: 'MASTER' | 'BACKUP';
  vipsSet: boolean;
  stats?: MachineStats;
}

/** What `vigil status` shows for the instance. */
export interface MachineStatus {
  name: string;
  state: VrrpState;
  wantState: VrrpState;
  basePriority: number;
  effectivePriority: number;
  masterAddress: string | null;
  masterPriority: number | null;
  /** The master's advert interval in use (v3 backups adopt it), centiseconds. */
  masterAdvertIntCs: number;
  vipsSet: boolean;
  /** When the 'adver' timer fires next (ms), null when disabled. */
  nextTimer: number | null;
  stats: MachineStats;
}

export interface MachineStats {
  becomeMaster: number;
  releaseMaster: number;
  advertSent: number;
  priZeroSent: number;
}

const US_PER_S = 1_000_000;
const US_PER_CS = 10_000;

export class VrrpMachine {
  readonly cfg: Required<Omit<MachineConfig, 'notifyPriorityChanges' | 'unicast'>> & {
    notifyPriorityChanges: boolean;
    unicast: boolean;
  };
  state: VrrpState = 'INIT';
  wantState: VrrpState;
  basePriority: number;
  effectivePriority: number;
  /** Master_Adver_Interval in centiseconds (v3: the master's). */
  masterAdvertIntCs: number;
  masterAddress: string | null = null;
  masterPriority: number | null = null;
  vipsSet = false;
  readonly stats: MachineStats = { becomeMaster: 0, releaseMaster: 0, advertSent: 0, priZeroSent: 0 };
  /**
   * Sync group gate (vrrp_sync_can_goto_master): false holds the instance in BACKUP wanting MASTER.
   * Set by SyncGroup; an instance alone may always become master.
   */
  syncGate: (() => boolean) | null = null;

  /** Master_Down timer value, µs (keepalived's ms_down_timer). */
  private msDownTimerUs = 0;
  /** When 'adver' fires (ms), null = disabled. */
  private sands: number | null = null;
  /** vrrp_startup_delay: until then (ms) no BACKUP times out; cleared once past. */
  private delayedStartAt: number | null = null;
  private preemptTime: number | null = null;
  private garpRefreshAt: number | null = null;
  /** False while FAULT only waits for first script results (entered without a notify). */
  private faultNotified = true;
  private out: Action[] = [];

  /**
   * @param primaryAddress our address on the instance's interface (or unicast_src_ip): the
   *   tie-break for equal priorities compares it numerically with the sender's.
   */
  constructor(
    cfg: MachineConfig,
    readonly primaryAddress: string,
  ) {
    const initialMaster = cfg.initialMaster ?? cfg.priority === VRRP_PRIO_OWNER;
    const garpMasterDelayMs = cfg.garpMasterDelayMs ?? 5000;
    const garpMasterRepeat = cfg.garpMasterRepeat ?? 5;
    this.cfg = {
      name: cfg.name,
      version: cfg.version,
      priority: cfg.priority,
      advertIntCs:
        cfg.version === 2 ? Math.max(100, Math.round(cfg.advertIntCs / 100) * 100) : cfg.advertIntCs,
      initialMaster,
      // keepalived clears nopreempt and preempt_delay with initial state MASTER.
      nopreempt: initialMaster ? false : (cfg.nopreempt ?? false),
      preemptDelayMs: initialMaster ? 0 : (cfg.preemptDelayMs ?? 0),
      garpMasterDelayMs,
      garpMasterRepeat,
      garpMasterRefreshMs: cfg.garpMasterRefreshMs ?? 0,
      garpMasterRefreshRepeat: cfg.garpMasterRefreshRepeat ?? 1,
      garpLowerPrioRepeat: cfg.garpLowerPrioRepeat ?? garpMasterRepeat,
      garpLowerPrioDelayMs: cfg.garpLowerPrioDelayMs ?? garpMasterDelayMs,
      lowerPrioNoAdvert: cfg.lowerPrioNoAdvert ?? false,
      higherPrioSendAdvert: cfg.higherPrioSendAdvert ?? false,
      downTimerAdverts: cfg.downTimerAdverts ?? 3,
      unicast: cfg.unicast ?? false,
      notifyPriorityChanges: cfg.notifyPriorityChanges ?? false,
    };
    this.wantState = initialMaster ? 'MASTER' : 'BACKUP';
    this.basePriority = cfg.priority;
    this.effectivePriority = cfg.priority;
    this.masterAdvertIntCs = this.cfg.advertIntCs;
  }

  // ---- timer arithmetic (µs, integer, as keepalived) ------------------------------------------

  private get advertIntUs(): number {
    return this.cfg.advertIntCs * US_PER_CS;
  }

  private get masterAdvertIntUs(): number {
    return this.masterAdvertIntCs * US_PER_CS;
  }

  /** Skew_Time in µs for a priority value (keepalived's VRRP_TIMER_SKEW_CALC). */
  skewUs(priorityValue = 256 - this.effectivePriority): number {
    return this.cfg.version === 3
      ? Math.floor((priorityValue * this.masterAdvertIntCs * 625) / 16)
      : Math.floor((priorityValue * US_PER_S) / 256);
  }

  /** Master_Down_Interval in µs: down_timer_adverts × Master_Adver_Interval + Skew_Time. */
  masterDownUs(): number {
    return this.cfg.downTimerAdverts * this.masterAdvertIntUs + this.skewUs();
  }

  // ---- driving --------------------------------------------------------------------------------

  /** Feeds one event; returns the actions to carry out, in order. */
  handle(ev: MachineEvent, now: number): Action[] {
    this.out = [];
    switch (ev.type) {
      case 'start':
        this.start(now, ev.faulty ?? false, ev.quiet ?? false, ev.resume);
        break;
      case 'timer':
        this.onTimer(ev.name, now);
        break;
      case 'advert':
        if (this.state === 'BACKUP') this.backupRx(ev, now);
        else if (this.state === 'MASTER') {
          if (this.masterRx(ev, now)) this.leaveMaster(false, now);
        }
        // FAULT, INIT and STOP ignore adverts (vrrp_dispatcher_read).
        if (this.state !== 'MASTER' || !this.cfg.lowerPrioNoAdvert)
          if (this.state === 'BACKUP' || this.state === 'MASTER') this.initSands(now);
        break;
      case 'priority':
        this.setEffectivePriority(ev.effective);
        break;
      case 'fault':
        if (ev.faulty) this.downInstance(now);
        else this.tryUp(now);
        break;
      case 'stop':
        this.stop();
        break;
      case 'lost-address':
        if (this.state !== 'MASTER') break;
        this.wantState = 'BACKUP';
        this.leaveMaster(true, now);
        this.msDownTimerUs = this.skewUs(); // "a quick transition back to master"
        this.initSands(now);
        break;
    }
    return this.out;
  }

  status(): MachineStatus {
    return {
      name: this.cfg.name,
      state: this.state,
      wantState: this.wantState,
      basePriority: this.basePriority,
      effectivePriority: this.effectivePriority,
      masterAddress: this.state === 'MASTER' ? this.primaryAddress : this.masterAddress,
      masterPriority: this.state === 'MASTER' ? this.effectivePriority : this.masterPriority,
      masterAdvertIntCs: this.masterAdvertIntCs,
      vipsSet: this.vipsSet,
      nextTimer: this.sands,
      stats: { ...this.stats },
    };
  }

  /** When the 'adver' timer fires next (ms), or null. */
  get nextTimer(): number | null {
    return this.sands;
  }

  /** The Master_Down timer last set, µs (keepalived's ms_down_timer, in its data dump). */
  get masterDownTimerUs(): number {
    return this.msDownTimerUs;
  }

  // ---- internals, named after keepalived's functions ------------------------------------------

  private emit(a: Action): void {
    this.out.push(a);
  }

  private notify(): void {
    if (this.state === 'INIT') return;
    this.emit({ type: 'notify', state: this.state, priority: this.effectivePriority });
  }

  private setSands(at: number | null): void {
    this.sands = at;
    this.emit({ type: 'timer', name: 'adver', at });
  }

  /** vrrp_init_instance_sands */
  private initSands(now: number): void {
    if (this.state === 'MASTER') this.setSands(now + this.advertIntUs / 1000);
    else if (this.state === 'BACKUP') {
      // vrrp_startup_delay: the master-down timer runs from the delay's end, not from now.
      if (this.delayedStartAt !== null && now < this.delayedStartAt)
        this.setSands(this.delayedStartAt + this.msDownTimerUs / 1000);
      else {
        this.delayedStartAt = null;
        this.setSands(now + this.msDownTimerUs / 1000);
      }
    } else this.setSands(null);
  }

  /**
   * vrrp_startup_delay: before `start`, holds every way to MASTER (the address owner's too) until
   * `at` (ms); adverts received meanwhile are handled as usual.
   */
  delayStart(at: number): void {
    this.delayedStartAt = at;
  }

  /** vrrp_init_state (no sync group: the group state is our own want state). */
  private start(now: number, faulty: boolean, quiet: boolean, resume?: Resume): void {
    if (this.state !== 'INIT') return;
    if (resume?.stats) Object.assign(this.stats, resume.stats);
    if (resume && !faulty) {
      this.state = resume.state;
      this.wantState = resume.state;
      if (resume.state === 'MASTER') {
        // Still master: (re-)add the VIPs (new ones may have been configured) and advertise now.
        this.vipsSet = resume.vipsSet;
        if (this.vipsSet) this.emit({ type: 'add-vips' });
        this.garpRefreshAt = this.cfg.garpMasterRefreshMs > 0 ? now + this.cfg.garpMasterRefreshMs : null;
        this.setSands(now);
      } else {
        if (resume.vipsSet) this.emit({ type: 'del-vips' });
        this.msDownTimerUs = this.masterDownUs();
        this.initSands(now);
      }
      return;
    }
    if (faulty) {
      if (resume?.vipsSet) this.emit({ type: 'del-vips' }); // a master at reload now faulty
      this.wantState = 'FAULT';
      this.state = 'FAULT';
      this.faultNotified = !quiet;
      if (!quiet) {
        this.emit({ type: 'log', message: `(${this.cfg.name}) Entering FAULT STATE (init)` });
        this.notify();
      }
      this.setSands(null);
      return;
    }
    if (this.wantState === 'MASTER' && this.basePriority === VRRP_PRIO_OWNER) {
      // The simplest way to become master: time out from BACKUP after 1 µs.
      this.state = 'BACKUP';
      this.msDownTimerUs = 1;
    } else {
      this.msDownTimerUs = this.masterDownUs();
      this.state = 'BACKUP';
      this.emit({ type: 'log', message: `(${this.cfg.name}) Entering BACKUP STATE (init)` });
      this.notify();
    }
    this.initSands(now);
  }

  /** Used by SyncGroup: a member of a group wanting MASTER starts as BACKUP for one interval. */
  holdForGroup(now: number): void {
    this.msDownTimerUs = this.masterAdvertIntUs + this.skewUs(1);
    if (this.state === 'BACKUP') this.initSands(now);
  }

  private onTimer(name: TimerName, now: number): void {
    if (name === 'garp-delay') {
      if (this.state === 'MASTER' && this.vipsSet)
        this.emit({ type: 'send-garp', repeat: this.cfg.garpMasterRepeat, why: 'delayed' });
      return;
    }
    if (name === 'garp-lower-prio') {
      if (this.state === 'MASTER' && this.vipsSet)
        this.emit({ type: 'send-garp', repeat: this.cfg.garpLowerPrioRepeat, why: 'lower-prio' });
      return;
    }
    // vrrp_dispatcher_read_timeout
    if (this.sands === null || now < this.sands) return; // stale timer
    if (this.state === 'BACKUP') {
      this.emit({ type: 'log', message: `(${this.cfg.name}) Receive advertisement timeout` });
      this.wantState = 'MASTER';
      this.gotoMaster(now);
    } else if (this.state === 'MASTER') this.masterTx(now);
    if (this.state === 'BACKUP' || this.state === 'MASTER') this.initSands(now);
  }

  /** vrrp_state_goto_master */
  gotoMaster(now: number): void {
    if (this.syncGate && !this.syncGate()) {
      this.wantState = 'MASTER';
      this.msDownTimerUs = this.masterDownUs();
      this.initSands(now);
      return;
    }
    this.state = 'MASTER';
    this.initSands(now);
    this.masterTx(now);
  }

  private sendAdvert(priority: number): void {
    this.stats.advertSent++;
    this.emit({ type: 'send-advert', priority });
  }

  /** vrrp_state_master_tx */
  private masterTx(now: number): void {
    // Advert first, so the old master drops the VIPs before our gratuitous ARPs.
    this.sendAdvert(this.effectivePriority);
    if (!this.vipsSet) {
      this.emit({ type: 'log', message: `(${this.cfg.name}) Entering MASTER STATE` });
      this.becomeMaster(now);
      if (this.cfg.garpMasterDelayMs > 0)
        this.emit({ type: 'timer', name: 'garp-delay', at: now + this.cfg.garpMasterDelayMs });
    } else if (this.garpRefreshAt !== null && now > this.garpRefreshAt) {
      this.emit({ type: 'send-garp', repeat: this.cfg.garpMasterRefreshRepeat, why: 'refresh' });
      this.garpRefreshAt = now + this.cfg.garpMasterRefreshMs;
    }
  }

  /** vrrp_state_become_master */
  private becomeMaster(now: number): void {
    this.stats.becomeMaster++;
    this.masterAdvertIntCs = this.cfg.advertIntCs;
    this.emit({ type: 'add-vips' });
    this.vipsSet = true;
    this.emit({ type: 'send-garp', repeat: this.cfg.garpMasterRepeat, why: 'master' });
    this.garpRefreshAt = this.cfg.garpMasterRefreshMs > 0 ? now + this.cfg.garpMasterRefreshMs : null;
    this.notify();
  }

  /** vrrp_restore_interface */
  private restoreInterface(advF: boolean): void {
    if (advF) {
      this.sendAdvert(VRRP_PRIO_STOP);
      this.stats.priZeroSent++;
    }
    this.emit({ type: 'timer', name: 'garp-delay', at: null });
    this.emit({ type: 'timer', name: 'garp-lower-prio', at: null });
    if (this.vipsSet) {
      this.emit({ type: 'del-vips' });
      this.vipsSet = false;
    }
    this.garpRefreshAt = null;
  }

  /** vrrp_state_leave_master */
  private leaveMaster(advF: boolean, now: number): void {
    if (this.wantState === 'BACKUP') {
      this.emit({ type: 'log', message: `(${this.cfg.name}) Entering BACKUP STATE` });
      this.preemptTime = null;
    } else if (this.wantState === 'FAULT') {
      this.emit({ type: 'log', message: `(${this.cfg.name}) Entering FAULT STATE` });
      this.sendAdvert(VRRP_PRIO_STOP);
    } else return;
    this.restoreInterface(advF);
    this.state = this.wantState;
    this.notify();
    this.msDownTimerUs = this.masterDownUs();
    this.initSands(now);
    this.stats.releaseMaster++;
  }

  /** vrrp_state_leave_fault (also used to move a member to BACKUP/FAULT from a sync group). */
  leaveFault(now: number): void {
    if (this.wantState === 'MASTER') this.gotoMaster(now);
    else {
      if (this.wantState === 'FAULT' && this.state === 'MASTER') {
        this.sendAdvert(VRRP_PRIO_STOP);
        this.restoreInterface(false);
      }
      const changed = this.state !== this.wantState;
      if (changed)
        this.emit({
          type: 'log',
          message: `(${this.cfg.name}) Entering ${this.wantState === 'BACKUP' ? 'BACKUP' : 'FAULT'} STATE`,
        });
      this.state = this.wantState;
      this.notify();
      if (this.state === 'BACKUP') this.preemptTime = null;
    }
    this.masterAdvertIntCs = this.cfg.advertIntCs;
    this.msDownTimerUs = this.masterDownUs();
    this.initSands(now);
  }

  /** Sync group: move this member to MASTER/BACKUP/FAULT because another member moved. */
  syncTo(target: 'MASTER' | 'BACKUP' | 'FAULT', now: number): Action[] {
    this.out = [];
    if (this.state === target || this.state === 'STOP') return this.out;
    this.wantState = target;
    if (target === 'MASTER') this.gotoMaster(now);
    else if (this.state === 'MASTER') this.leaveMaster(false, now);
    else {
      if (target === 'FAULT') this.state = 'FAULT';
      this.leaveFault(now);
    }
    return this.out;
  }

  /** vrrp_state_backup, after the packet passed validation. */
  private backupRx(ev: { priority: number; intervalCs: number; source: string }, now: number): void {
    if (ev.priority === VRRP_PRIO_STOP) {
      // The master resigned: take over after Skew_Time.
      this.msDownTimerUs = this.skewUs();
      return;
    }
    const preemptHeld = this.cfg.preemptDelayMs > 0 && (this.preemptTime === null || this.preemptTime > now);
    if (this.cfg.nopreempt || ev.priority >= this.effectivePriority || preemptHeld) {
      if (this.cfg.version === 3 && this.masterAdvertIntCs !== ev.intervalCs)
        this.masterAdvertIntCs = ev.intervalCs;
      this.msDownTimerUs = this.masterDownUs();
      this.masterAddress = ev.source;
      this.masterPriority = ev.priority;
      if (this.cfg.preemptDelayMs > 0) {
        if (ev.priority >= this.effectivePriority) this.preemptTime = null;
        else if (this.preemptTime === null) {
          this.preemptTime = now + this.cfg.preemptDelayMs;
          this.emit({
            type: 'log',
            message: `(${this.cfg.name}) start preempt delay (${this.cfg.preemptDelayMs} ms)`,
          });
        }
      }
      this.wantState = 'BACKUP';
      return;
    }
    // Lower priority and we may preempt: ignore it, so the down timer keeps running.
    this.emit({
      type: 'log',
      message: `(${this.cfg.name}) received lower priority (${ev.priority}) advert from ${ev.source} - discarding`,
    });
    this.masterAddress = ev.source;
    this.msDownTimerUs = this.sands === null ? 0 : Math.max(0, Math.round((this.sands - now) * 1000));
  }

  /** vrrp_state_master_rx, after validation; true = leave MASTER. */
  private masterRx(ev: { priority: number; intervalCs: number; source: string }, now: number): boolean {
    const cmp = compareAddresses(ev.source, this.primaryAddress);
    const eff = this.effectivePriority;
    if (
      ev.priority === VRRP_PRIO_STOP ||
      (this.cfg.higherPrioSendAdvert && (ev.priority > eff || (ev.priority === eff && cmp > 0)))
    ) {
      this.sendAdvert(eff);
      if (ev.priority === VRRP_PRIO_STOP) return false;
    }
    if (ev.priority === eff) {
      if (cmp === 0)
        this.emit({
          type: 'log',
          message: `(${this.cfg.name}) WARNING - equal priority advert received from remote host with our IP address.`,
        });
      else if (eff === VRRP_PRIO_OWNER) {
        this.emit({
          type: 'log',
          message: `(${this.cfg.name}) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority`,
        });
        this.effectivePriority = VRRP_PRIO_OWNER - 1;
        this.basePriority = VRRP_PRIO_OWNER - 1;
      }
    }
    const ours = this.effectivePriority;
    if (ev.priority < ours || (ev.priority === ours && cmp < 0)) {
      this.emit({
        type: 'log',
        message: `(${this.cfg.name}) Received advert from ${ev.source} with lower priority ${ev.priority}, ours ${ours}${this.cfg.lowerPrioNoAdvert ? '' : ', forcing new election'}`,
      });
      if (!this.cfg.lowerPrioNoAdvert) this.sendAdvert(ours);
      if (this.cfg.garpLowerPrioRepeat > 0) {
        this.emit({ type: 'send-garp', repeat: this.cfg.garpLowerPrioRepeat, why: 'lower-prio' });
        if (this.cfg.garpLowerPrioDelayMs > 0)
          this.emit({ type: 'timer', name: 'garp-lower-prio', at: now + this.cfg.garpLowerPrioDelayMs });
      }
      this.emit({ type: 'notify-event', event: 'MASTER_RX_LOWER_PRI', priority: ours });
      return false;
    }
    if (ev.priority > ours || (ev.priority === ours && cmp > 0)) {
      this.emit({
        type: 'log',
        message:
          ev.priority > ours
            ? `(${this.cfg.name}) Master received advert from ${ev.source} with higher priority ${ev.priority}, ours ${ours}`
            : `(${this.cfg.name}) Master received advert from ${ev.source} with same priority ${ev.priority} but higher IP address than ours`,
      });
      if (this.cfg.version === 3) this.masterAdvertIntCs = ev.intervalCs;
      this.msDownTimerUs = this.masterDownUs();
      this.masterPriority = ev.priority;
      this.masterAddress = ev.source;
      this.wantState = 'BACKUP';
      return true;
    }
    return false;
  }

  /** vrrp_set_effective_priority */
  private setEffectivePriority(effective: number): void {
    if (this.basePriority === VRRP_PRIO_OWNER) return;
    const p = Math.min(VRRP_PRIO_OWNER - 1, Math.max(1, Math.round(effective)));
    if (p === this.effectivePriority) return;
    this.emit({
      type: 'log',
      message: `(${this.cfg.name}) Changing effective priority from ${this.effectivePriority} to ${p}`,
    });
    this.effectivePriority = p;
    const old = this.msDownTimerUs;
    this.msDownTimerUs = this.masterDownUs();
    if (this.state === 'BACKUP' && this.sands !== null)
      this.setSands(this.sands + (this.msDownTimerUs - old) / 1000);
    if (this.cfg.notifyPriorityChanges)
      this.emit({
        type: 'notify-event',
        event: this.state === 'MASTER' ? 'MASTER_PRIORITY' : 'BACKUP_PRIORITY',
        priority: p,
      });
  }

  /** down_instance: a fault appeared. */
  private downInstance(now: number): void {
    if (this.state === 'STOP') return;
    if (this.state === 'FAULT') {
      this.wantState = 'FAULT';
      if (!this.faultNotified) {
        this.faultNotified = true;
        this.notify();
      }
      return;
    }
    this.wantState = 'FAULT';
    if (this.state === 'MASTER') this.leaveMaster(true, now);
    else this.leaveFault(now);
  }

  /** try_up_instance: every fault cleared. */
  private tryUp(now: number): void {
    if (this.state !== 'FAULT' && !(this.state === 'INIT')) return;
    if (this.state === 'INIT') {
      this.start(now, false, false);
      return;
    }
    const owner = this.cfg.initialMaster && this.basePriority === VRRP_PRIO_OWNER;
    const want: VrrpState = owner ? 'MASTER' : 'BACKUP';
    // A sync group that cannot go master yet sends us to BACKUP, still wanting MASTER.
    this.wantState = want === 'MASTER' && this.syncGate && !this.syncGate() ? 'BACKUP' : want;
    this.masterAdvertIntCs = this.cfg.advertIntCs;
    if (this.cfg.unicast) this.emit({ type: 'announce-source' });
    this.leaveFault(now);
    this.wantState = want;
  }

  /** Shutdown (restore_vrrp_interfaces + notify_shutdown). */
  private stop(): void {
    if (this.state === 'STOP') return;
    if (this.state === 'MASTER') this.restoreInterface(true);
    this.state = 'STOP';
    this.wantState = 'STOP';
    this.notify();
    this.setSands(null);
  }
}
