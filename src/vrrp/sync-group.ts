// vrrp_sync_group: member instances move together, as keepalived's vrrp_sync.c and the
// transition table in vrrp_scheduler.c (VRRP_TSM) do it:
//  - a member may become MASTER only when every other member wants MASTER too (else it waits
//    in BACKUP wanting MASTER); once one goes MASTER, the others are taken to MASTER;
//  - a MASTER going to BACKUP takes the others to BACKUP;
//  - a member's FAULT takes every member to FAULT (a master among them resigns with a
//    priority-0 advert); the group leaves FAULT only when no member has a fault of its own.
// Pure: route every member's events through handle(); it returns each member's actions and the
// group's notifications.
import type { Action, MachineEvent, VrrpMachine, VrrpState } from './machine.js';

export type GroupState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

export interface GroupOutput {
  /** Actions per member, in the order they happened. */
  actions: { member: VrrpMachine; actions: Action[] }[];
  /** Group notifications (notify_master/backup/fault/stop of the group, fifo "GROUP" lines). */
  notifies: { group: string; state: 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' }[];
}

export class SyncGroup {
  state: GroupState = 'INIT';
  /** Members with a fault of their own (tracker/link), as keepalived's num_member_fault. */
  private readonly ownFault = new Set<VrrpMachine>();
  private out: GroupOutput = { actions: [], notifies: [] };

  constructor(
    readonly name: string,
    readonly members: readonly VrrpMachine[],
  ) {
    if (members.length === 0) throw new RangeError(`sync group ${name} has no members`);
    for (const m of members) m.syncGate = () => this.canGotoMaster(m);
    // Start as MASTER only if every member is an address owner wanting MASTER (vrrp_sync_set_group).
    const allOwners = members.every((m) => m.wantState === 'MASTER' && m.basePriority === 255);
    if (!allOwners) for (const m of members) if (m.wantState === 'MASTER') m.wantState = 'BACKUP';
  }

  /** vrrp_sync_can_goto_master */
  private canGotoMaster(m: VrrpMachine): boolean {
    if (this.state === 'MASTER') return true;
    return this.members.every((o) => o === m || o.wantState === 'MASTER');
  }

  private record(member: VrrpMachine, actions: Action[]): void {
    if (actions.length > 0) this.out.actions.push({ member, actions });
  }

  private setState(s: GroupState & ('MASTER' | 'BACKUP' | 'FAULT' | 'STOP')): void {
    this.state = s;
    this.out.notifies.push({ group: this.name, state: s });
  }

  /** Starts every member (vrrp_init_state): FAULT for all if any member starts faulty. */
  start(startEvents: Map<VrrpMachine, MachineEvent & { type: 'start' }>, now: number): GroupOutput {
    this.out = { actions: [], notifies: [] };
    const faulty = this.members.filter((m) => startEvents.get(m)?.faulty);
    for (const m of faulty) if (!startEvents.get(m)?.quiet) this.ownFault.add(m);
    const quietOnly = faulty.length > 0 && this.ownFault.size === 0;
    for (const m of this.members) {
      const ev = startEvents.get(m) ?? { type: 'start' as const };
      const groupFaulty = faulty.length > 0;
      this.record(
        m,
        m.handle(groupFaulty ? { type: 'start', faulty: true, quiet: quietOnly || !!ev.quiet } : ev, now),
      );
    }
    if (faulty.length > 0) {
      this.state = 'FAULT';
      if (!quietOnly) this.out.notifies.push({ group: this.name, state: 'FAULT' });
    } else {
      this.state = 'BACKUP';
      this.out.notifies.push({ group: this.name, state: 'BACKUP' });
      // Members wanting MASTER must first allow one advert interval to find another master.
      for (const m of this.members)
        if (m.wantState === 'MASTER' && m.basePriority !== 255) m.holdForGroup(now);
    }
    return this.out;
  }

  /** Feeds one member's event and applies the group's transitions. */
  handle(member: VrrpMachine, ev: MachineEvent, now: number): GroupOutput {
    this.out = { actions: [], notifies: [] };
    if (ev.type === 'start') throw new TypeError('start a sync group with SyncGroup.start()');
    if (ev.type === 'fault') return this.fault(member, ev.faulty, now);
    const prev = member.state;
    this.record(member, member.handle(ev, now));
    this.transition(member, prev, now);
    return this.out;
  }

  /** VRRP_TSM_HANDLE: BACKUP/FAULT -> MASTER syncs master; MASTER -> BACKUP syncs backup. */
  private transition(member: VrrpMachine, prev: VrrpState, now: number): void {
    const cur = member.state;
    if (cur === prev) return;
    if (cur === 'MASTER') this.syncMaster(member, now);
    else if (prev === 'MASTER' && cur === 'BACKUP') this.syncBackup(member, now);
    else if (cur === 'STOP' && this.members.every((m) => m.state === 'STOP')) this.setState('STOP');
  }

  private syncMaster(member: VrrpMachine, now: number): void {
    if (this.state === 'MASTER' || !this.canGotoMaster(member)) return;
    const others = this.members.filter((o) => o !== member && o.state !== 'MASTER');
    for (const o of others) o.wantState = 'MASTER';
    for (const o of others) this.record(o, o.syncTo('MASTER', now));
    this.setState('MASTER');
  }

  private syncBackup(member: VrrpMachine, now: number): void {
    if (this.state === 'BACKUP') return;
    for (const o of this.members) {
      if (o === member || o.state === 'BACKUP') continue;
      this.record(o, o.syncTo('BACKUP', now));
    }
    this.setState('BACKUP');
  }

  private fault(member: VrrpMachine, faulty: boolean, now: number): GroupOutput {
    if (faulty) {
      const first = this.ownFault.size === 0;
      this.ownFault.add(member);
      this.record(member, member.handle({ type: 'fault', faulty: true }, now));
      if (first && this.state !== 'FAULT') {
        // vrrp_sync_fault: every other member to FAULT.
        for (const o of this.members)
          if (o !== member && o.state !== 'FAULT') this.record(o, o.syncTo('FAULT', now));
        this.setState('FAULT');
      }
      return this.out;
    }
    this.ownFault.delete(member);
    if (this.ownFault.size > 0) return this.out; // stays FAULT while another member is faulty
    // try_up_instance on this member, then vrrp_sync_master/backup for the rest.
    this.record(member, member.handle({ type: 'fault', faulty: false }, now));
    if (member.state === 'MASTER') this.syncMaster(member, now);
    else {
      for (const o of this.members)
        if (o !== member && o.state === 'FAULT') this.record(o, o.syncTo('BACKUP', now));
      if (this.state !== 'BACKUP') this.setState('BACKUP');
    }
    return this.out;
  }
}
