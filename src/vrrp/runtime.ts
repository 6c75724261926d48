// The VRRP engine at run time: the pure cores (VrrpInstance, SyncGroup, GarpPacer, notify,
// script rise/fall) wired to real timers, sockets and rtnetlink. It owns one VRRP socket per
// interface/family/source, the instances' timers, VIP changes (serialised on one queue so a
// GARP never precedes its VIP), the vrrp_script runners, track_file polling and the link monitor.
// Construction does no I/O; start() opens everything, stop() resigns (priority-0 adverts, VIPs
// removed, notify_stop) and closes everything.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Config, IpRoute, IpRule, VipSpec as ConfigVip, VrrpScript } from '../config/model.js';
import type { Logger } from '../base/logger.js';
import {
  LinkMonitor,
  addAddress,
  closeRtnl,
  deleteAddress,
  linkUsable,
  openGarpSender,
  openRtnl,
  openVrrpSocket,
  primaryAddress,
  removeLeftoverVips,
  type GarpSender,
  type RtNetlinkSocket,
  type VipSpec as OsVip,
  type VrrpDatagram,
  type VrrpSocket,
} from '../os/index.js';
import { vipFirewall, vmacFirewall } from './firewalls.js';
import type { VmacLink } from './vmac-firewall.js';
import { addressFamily } from './address.js';
import { droppedAddresses, needsFirewall } from './firewall.js';
import { instanceConfig, notifyConfig, scriptParams } from './config.js';
import { GarpPacer } from './garp.js';
import { VrrpInstance, defaultTrackers, type InstanceStatus } from './instance.js';
import type { Action, MachineEvent, Resume, TimerName, VrrpState } from './machine.js';
import {
  eventNotifications,
  stateNotifications,
  type NotifyConfig,
  type NotifyStateName,
  type Notification,
} from './notify.js';
import type { TrackerStatus } from './priority.js';
import { runScript } from '../scripts/run.js';
import {
  StaticNet,
  isOurRoute,
  isOurRule,
  osAddress,
  osRoute,
  osRule,
  setVirtualRoutes,
} from './routes-effect.js';
import { DeletionMonitor, type Deletion } from '../os/deletion-monitor.js';
import { ensureVmac, removeVmac, type VmacHandle } from '../os/vmac.js';
import { clearRpFilter, restoreRpFilter, type RpFilterSaved } from '../os/rp-filter.js';
import type { VrrpInstance as ConfigInstance } from '../config/model.js';
import { vipDevice, vmacNames } from './vmac-name.js';

import { SyncGroup } from './sync-group.js';
import { leftoverVips } from './leftover-vips.js';
import { AH_HEADER_LEN } from './ipsec-ah.js';
import { Mailer } from '../alert/mailer.js';
import { vrrpSubject } from '../alert/message.js';
import { initialScriptState, scriptExited, scriptStatus, type ScriptState } from './track/script-state.js';
import { ProcessMonitor, trackedProcessDef } from './track/process-monitor.js';
import { newAdvertCounters } from './packet.js';
import type { InstanceTimers, SocketView } from './dump-view.js';

/** What a reload carries from the old runtime to the new one, by name. */
export interface RuntimeCarry {
  instances: Map<string, Resume>;
  scripts: Map<string, ScriptState>;
  /** Each instance's transition history (a resumed instance did not really leave INIT). */
  transitions: Map<string, Transition[]>;
  transitionsTotal?: Map<string, number>;
  /** auth_type AH counters: a peer drops adverts numbered below what it has seen. */
  ah?: Map<string, { seq: number; ipId: number }>;
}

export interface Transition {
  at: string;
  from: VrrpState;
  to: VrrpState;
}

export interface InstanceRuntimeStatus extends InstanceStatus {
  family: 4 | 6;
  version: 2 | 3;
  source: string;
  syncGroup: string | null;
  advertsSent: number;
  advertsReceived: number;
  /** Rejected packets by reason (only reasons with a count). */
  rejected: Record<string, number>;
  trackers: { kind: string; name: string; weight: number; status: string }[];
  transitions: Transition[];
  transitionsTotal: number;
  /** use_vmac: the macvlan the instance runs on (keepalived's vmac_ifname). */
  vmac?: string;
}

export interface RuntimeStatus {
  instances: InstanceRuntimeStatus[];
  syncGroups: { name: string; state: string; members: string[] }[];
  /** Instances that could not start (no address on the interface, no such interface, ...). */
  failed: { name: string; error: string }[];
  /** Datagrams for a VRID no instance here runs. */
  unknownVrid: number;
}

const MAX_TRANSITIONS = 10;
const NOTIFY_TIMEOUT_MS = 30_000;

interface Running {
  inst: VrrpInstance;
  cfgVips: ConfigVip[];
  routes: IpRoute[];
  rules: IpRule[];
  /** The instance's vmac (use_vmac): where its VIPs go (see vipDevice). */
  vmac: string | undefined;
  notify: NotifyConfig;
  group: SyncGroup | null;
  socket: VrrpSocket;
  timers: Map<TimerName, NodeJS.Timeout>;
  transitions: Transition[];
  /** Every transition since the daemon started (transitions keeps the last few). */
  transitionsTotal: number;
  lastMail: NotifyStateName | null;
}

function now(): number {
  return performance.now();
}

function statusText(s: TrackerStatus): string {
  if (s === null) return 'no result yet';
  if (typeof s === 'object') return `value ${s.value}`;
  return s ? 'up' : 'down';
}

export class VrrpRuntime {
  private rtnl: RtNetlinkSocket | null = null;
  private links: LinkMonitor | null = null;
  private readonly running = new Map<string, Running>();
  private readonly byMachine = new Map<unknown, Running>();
  private readonly groups = new Map<string, SyncGroup>();
  private readonly sockets = new Map<string, VrrpSocket>();
  private readonly garpSenders = new Map<string, Promise<GarpSender | null>>();
  private readonly failed: { name: string; error: string }[] = [];
  private readonly scripts = new Map<
    string,
    { def: VrrpScript; state: ScriptState; timer?: NodeJS.Timeout }
  >();
  private readonly fileTimers: NodeJS.Timeout[] = [];
  private processes: ProcessMonitor | null = null;
  private readonly trackerStatus = new Map<string, TrackerStatus>();
  private readonly pacer: GarpPacer;
  private pacerTimer: NodeJS.Timeout | undefined;
  /** VIP changes and GARPs in order. */
  private queue: Promise<void> = Promise.resolve();
  private fifos: { path: string; fd: number }[] = [];
  private unknownVrid = 0;
  private stopped = false;
  /** keepalived's no_accept firewall (vrrp_strict's default): created when first needed. */
  private readonly firewall = vipFirewall();
  private firewallUsed = false;
  private readonly mailer: Mailer | null;
  private statics: StaticNet | null = null;
  private readonly vmacs: VmacHandle[] = [];
  private deletions: DeletionMonitor | null = null;
  private rpFilter: RpFilterSaved | null | undefined;
  private readonly vmacNames: Map<string, string>;
  /** keepalived's MLD rules for IPv6 vmacs (see ./vmac-firewall.ts). */
  private readonly vmacFirewall = vmacFirewall();
  private readonly vmacLinks: VmacLink[] = [];

  constructor(
    readonly config: Config,
    private readonly log: Logger,
    /** Told of every state change, the first one (from INIT) included: lvs_sync_daemon follows it. */
    readonly onTransition?: (instance: string, from: VrrpState, to: VrrpState, priority: number) => void,
  ) {
    const g = config.globalDefs;
    this.vmacNames = vmacNames(config.vrrpInstances);
    this.mailer = Mailer.fromConfig(g, { info: (m) => log.info(m), error: (m) => log.error(m) });
    this.pacer = new GarpPacer((ifname, ipv6) => {
      const gg = config.garpGroups.find((x) => x.interfaces.includes(ifname));
      const s = ipv6 ? (gg?.gnaInterval ?? g.vrrpGnaInterval) : (gg?.garpInterval ?? g.vrrpGarpInterval);
      return Math.round(s * 1000);
    });
  }

  // ---- start ----------------------------------------------------------------------------------

  /**
   * Opens sockets and monitors, and starts every instance. `carry` (reload) resumes instances
   * that existed before in their state. VIPs a crashed run left are removed first: those of every
   * instance without `carry`, of the instances not resumed with it.
   */
  async start(carry?: RuntimeCarry): Promise<void> {
    const rtnl = openRtnl();
    this.rtnl = rtnl;
    this.links = new LinkMonitor();
    this.links.on('error', (e) => this.log.error(`link monitor: ${e.message}`));
    this.links.on('change', (c) => this.trackerUpdate('interface', c.ifname, c.usable));
    await this.links.ready;
    this.openFifos();

    // keepalived installs the static addresses, routes and rules before any instance starts.
    this.statics = new StaticNet(
      rtnl,
      this.config.staticAddresses,
      { info: (m) => this.log.info(m), error: (m) => this.log.error(m) },
      this.config.globalDefs.defaultInterface,
    );
    await this.statics.start();

    if (!carry) {
      // A table a crashed run left would drop traffic to VIPs we do not hold.
      await this.firewall.clear().catch(() => undefined);
      if (this.config.vrrpInstances.some((vi) => vi.useVmac && vi.family === 6))
        await this.vmacFirewall.clear().catch(() => undefined);
      // As keepalived at start ("removing Virtual Rules", "removing Virtual Routes"): what a run
      // that did not stop cleanly left behind goes before any instance starts.
      for (const vi of this.config.vrrpInstances)
        await setVirtualRoutes(rtnl, `(${vi.name}) leftover:`, vi.virtualRoutes, vi.virtualRules, false, {
          info: (m) => this.log.info(m),
          error: (m) => this.log.error(m),
        });
    }
    // Leftover VIPs go first: all of them at start, on reload those of instances not resumed.
    const stale = leftoverVips(this.configuredVips(), carry?.instances);
    if (stale.length > 0) {
      try {
        const removed = await removeLeftoverVips(rtnl, stale);
        for (const v of removed) this.log.info(`removed leftover VIP ${v.address} from ${v.dev}`);
      } catch (e) {
        this.log.error(`removing leftover VIPs: ${(e as Error).message}`);
      }
    }

    // vrrp_script state: carried over a reload, else initial (init_fail or "no result yet").
    for (const s of this.config.vrrpScripts) {
      const state = carry?.scripts.get(s.name) ?? initialScriptState(scriptParams(s));
      this.scripts.set(s.name, { def: s, state });
      this.trackerStatus.set(`script\0${s.name}`, scriptStatus(scriptParams(s), state));
    }
    for (const f of this.config.trackFiles)
      this.trackerStatus.set(`file\0${f.name}`, { value: this.readTrackFile(f.file, f.initFile?.value) });
    this.startProcessMonitor();

    for (const vi of this.config.vrrpInstances) {
      try {
        await this.createInstance(vi.name);
        const ah = carry?.ah?.get(vi.name);
        if (ah) this.running.get(vi.name)?.inst.ah?.resume(ah);
      } catch (e) {
        const error = (e as Error).message;
        this.failed.push({ name: vi.name, error });
        this.log.error(`(${vi.name}) cannot start: ${error}`);
      }
    }

    // A tracked virtual route or rule deleted under a master sends it to BACKUP, as keepalived.
    if ([...this.running.values()].some((r) => [...r.routes, ...r.rules].some((x) => !x.noTrack))) {
      this.deletions = new DeletionMonitor();
      this.deletions.on('error', (e) => this.log.error(`route monitor: ${e.message}`));
      this.deletions.on('deleted', (d) => this.onDeleted(d));
    }

    // Sync groups whose members all started; the others run their members alone.
    for (const sg of this.config.syncGroups) {
      const members = sg.group.map((m) => this.running.get(m.name));
      if (members.some((m) => !m)) {
        this.log.error(`sync group ${sg.name}: not every member started; members run alone`);
        continue;
      }
      const group = new SyncGroup(
        sg.name,
        members.map((m) => m!.inst.machine),
      );
      this.groups.set(sg.name, group);
      for (const m of members) m!.group = group;
    }

    const t = now();
    // vrrp_startup_delay: at the daemon's start only, not on a reload (as keepalived).
    const delay = this.config.globalDefs.vrrpStartupDelay;
    if (!carry && delay > 0) {
      this.log.info(`Delaying startup for ${delay} seconds`);
      for (const r of this.running.values()) r.inst.machine.delayStart(t + delay * 1000);
    }
    for (const [name, group] of this.groups) {
      const sg = this.config.syncGroups.find((g) => g.name === name)!;
      const members = sg.group.map((m) => this.running.get(m.name)!);
      const events = new Map(
        members.map((r) => [r.inst.machine, this.startEvent(r, carry) as MachineEvent & { type: 'start' }]),
      );
      const before = new Map(members.map((r) => [r, r.inst.machine.state]));
      const out = group.start(events, t);
      this.applyGroup(out, notifyConfig(sg, this.config.globalDefs), before);
    }
    for (const r of this.running.values()) {
      if (r.group) continue;
      this.drive(r, this.startEvent(r, carry));
    }

    if (carry)
      for (const [name, r] of this.running)
        if (carry.instances.has(name)) {
          const fresh = r.transitions.filter((t) => t.from !== 'INIT');
          r.transitions = [...(carry.transitions.get(name) ?? []), ...fresh].slice(-MAX_TRANSITIONS);
          r.transitionsTotal = (carry.transitionsTotal?.get(name) ?? 0) + fresh.length;
        }

    // After a reload the table must match this configuration even if no state changes.
    if (carry) {
      this.firewallUsed = true; // the old runtime's table may need removing
      void this.enqueue(() => this.syncFirewall());
    }
    for (const s of this.scripts.values()) this.scheduleScript(s.def.name, 0);
    for (const f of this.config.trackFiles) {
      const timer = setInterval(() => {
        this.trackerUpdate('file', f.name, { value: this.readTrackFile(f.file, f.initFile?.value) });
      }, 1000);
      this.fileTimers.push(timer);
    }
  }

  private async addVmacRules(link: VmacLink): Promise<void> {
    this.vmacLinks.push(link);
    try {
      await this.vmacFirewall.apply(this.vmacLinks);
    } catch (e) {
      // As keepalived: the vmac works without them; a switch may learn its MAC on a backup.
      this.log.error(
        `vmac MLD rules (nftables table ip6 ${this.vmacFirewall.table}): ${(e as Error).message}`,
      );
    }
  }

  /** The name of an instance's vmac (use_vmac). */
  private vipInterface(vi: ConfigInstance): string {
    return this.vmacNames.get(vi.name) ?? vi.interface ?? '';
  }

  private placeOf(r: Running): { interface: string; family: 4 | 6; vmac: string | undefined } {
    return { interface: r.inst.cfg.interface ?? '', family: r.inst.cfg.family, vmac: r.vmac };
  }

  private startEvent(r: Running, carry?: RuntimeCarry): MachineEvent {
    const ev = r.inst.startEvent();
    const resume = carry?.instances.get(r.inst.cfg.name);
    return resume && ev.type === 'start' ? { ...ev, resume } : ev;
  }

  private osVip(v: ConfigVip, at: { interface: string; family: 4 | 6; vmac: string | undefined }): OsVip {
    const out: OsVip = {
      address: v.address,
      dev: vipDevice(v, at, at.vmac),
      ...(v.prefix !== undefined ? { prefix: v.prefix } : {}),
    };
    if (v.label !== undefined) out.label = v.label;
    if (v.scope !== undefined) out.scope = v.scope;
    if (v.brd !== undefined) out.brd = v.brd;
    return out;
  }

  private async createInstance(name: string): Promise<void> {
    const vi = this.config.vrrpInstances.find((v) => v.name === name)!;
    const cfg = instanceConfig(this.config, vi);
    if (!cfg.interface) throw new Error('no interface');
    const vipAddrs = vi.virtualIpaddress.map((v) => v.address);
    const source =
      cfg.unicastSrcIp ?? (await primaryAddress(this.rtnl!, cfg.interface, cfg.family, vipAddrs));
    if (!source) throw new Error(`${cfg.interface} has no IPv${cfg.family} address to send adverts from`);
    const initial = new Map<string, TrackerStatus>();
    for (const t of cfg.trackers ?? []) {
      const s = this.trackerStatus.get(`${t.kind}\0${t.name}`);
      if (s !== undefined) initial.set(t.name, s);
    }
    for (const t of [
      ...(cfg.trackInterfaces ?? []),
      { name: cfg.interface },
      ...cfg.vips.map((v) => ({ name: v.interface })),
    ]) {
      if (!t.name) continue;
      const l = this.links!.get(t.name);
      initial.set(t.name, l ? linkUsable(l) : false);
    }
    const inst = new VrrpInstance(cfg, source, initial);
    let vmac: string | undefined;
    let sendIf = cfg.interface;
    if (vi.useVmac) {
      const vipIf = this.vipInterface(vi);
      vmac = vipIf;
      if (cfg.family === 4 && this.rpFilter === undefined) {
        this.rpFilter = clearRpFilter();
        if (this.rpFilter)
          this.log.info(`NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from ${this.rpFilter.all} to 0`);
      }
      // The MLD rules go in before the vmac exists, so not one report leaves it with its MAC.
      if (cfg.family === 6) await this.addVmacRules({ name: vipIf, base: cfg.interface });
      const h = await ensureVmac(this.rtnl!, {
        name: vipIf,
        base: cfg.interface,
        vrid: cfg.vrid,
        family: cfg.family,
        // IPv6 adverts leave the vmac from the instance's source address, which it gets as keepalived
        // gives it (with vmac_xmit_base they leave the interface, and the vmac has no address).
        ...(cfg.family === 6 && !vi.vmacXmitBase ? { linkLocal: source } : {}),
      });
      this.vmacs.push(h);
      for (const n of h.notes) this.log.warn(`(${name}) ${n}`);
      this.log.info(`(${name}) VMAC ${vipIf} (${h.mac}) on ${cfg.interface}`);
      // Adverts leave from the vmac (its MAC is the virtual one) unless vmac_xmit_base.
      if (!vi.vmacXmitBase) sendIf = vipIf;
    }
    const socket = this.socketFor(sendIf, cfg.family, source, inst.group, {
      unicastTtl: cfg.unicastTtl,
      ah: inst.ah !== undefined,
    });
    const r: Running = {
      inst,
      cfgVips: [...vi.virtualIpaddress, ...vi.virtualIpaddressExcluded],
      routes: vi.virtualRoutes,
      rules: vi.virtualRules,
      vmac,
      notify: notifyConfig(vi, this.config.globalDefs),
      group: null,
      socket,
      timers: new Map(),
      transitions: [],
      transitionsTotal: 0,
      lastMail: null,
    };
    this.running.set(name, r);
    this.byMachine.set(inst.machine, r);
  }

  /**
   * One socket per interface, family, source and group: every raw socket gets every datagram, so
   * each instance listens on exactly one. Unicast instances join the group too (harmless: the
   * validator rejects multicast adverts for them, counted as keepalived counts them).
   */
  private socketFor(
    ifname: string,
    family: 4 | 6,
    source: string,
    group: string,
    o: { unicastTtl?: number | undefined; ah: boolean },
  ): VrrpSocket {
    const key = `${ifname}\0${family}\0${source}\0${group}\0${o.unicastTtl ?? ''}${o.ah ? '\0ah' : ''}`;
    const have = this.sockets.get(key);
    if (have) return have;
    const s = openVrrpSocket({
      family,
      ifname,
      group,
      source,
      ah: o.ah,
      ...(o.unicastTtl !== undefined ? { unicastTtl: o.unicastTtl } : {}),
    });
    s.on('packet', (d) => this.onPacket(s, d));
    s.on('error', (e) => this.log.warn(e.message));
    this.sockets.set(key, s);
    return s;
  }

  // ---- events ---------------------------------------------------------------------------------

  private onPacket(socket: VrrpSocket, d: VrrpDatagram): void {
    if (this.stopped) return;
    // AH (protocol 51): the VRRP packet follows the 24-byte AH header.
    const at = socket.ah ? AH_HEADER_LEN : 0;
    const vrid = d.payload.length >= at + 2 ? d.payload[at + 1]! : -1;
    let matched = false;
    for (const r of this.running.values()) {
      if (r.socket !== socket || r.inst.cfg.vrid !== vrid) continue;
      matched = true;
      const { event } = r.inst.receive(d);
      if (event) this.drive(r, event);
    }
    if (!matched) this.unknownVrid++;
  }

  private onDeleted(d: Deletion): void {
    if (this.stopped || d.kind === 'address') return;
    const ifindex = (name: string): number | undefined => this.links?.get(name)?.index;
    for (const r of this.running.values()) {
      if (r.inst.machine.state !== 'MASTER') continue;
      const what =
        d.kind === 'route'
          ? r.routes.find((x) => isOurRoute(d.route, x, ifindex))?.text
          : r.rules.find((x) => isOurRule(d.rule, x))?.text;
      if (what === undefined) continue;
      this.log.info(
        `(${r.inst.cfg.name}) virtual ${d.kind} '${what}' was deleted: leaving MASTER (as keepalived)`,
      );
      this.drive(r, { type: 'lost-address' });
      return;
    }
  }

  /** Feeds one event to an instance (through its sync group) and carries out the actions. */
  private drive(r: Running, ev: MachineEvent): void {
    if (r.group) {
      const members = [...this.running.values()].filter((x) => x.group === r.group);
      const before = new Map(members.map((m) => [m, m.inst.machine.state]));
      const sg = this.config.syncGroups.find((g) => g.name === r.group!.name)!;
      this.applyGroup(
        r.group.handle(r.inst.machine, ev, now()),
        notifyConfig(sg, this.config.globalDefs),
        before,
      );
      return;
    }
    const from = r.inst.machine.state;
    this.carryOut(r, r.inst.handle(ev, now()));
    this.noteTransition(r, from);
  }

  private applyGroup(
    out: ReturnType<SyncGroup['handle']>,
    groupNotify: NotifyConfig,
    before: Map<Running, VrrpState>,
  ): void {
    for (const { member, actions } of out.actions) {
      const r = this.byMachine.get(member);
      if (r) this.carryOut(r, actions);
    }
    for (const [r, from] of before) this.noteTransition(r, from);
    for (const n of out.notifies) {
      this.log.info(`VRRP_Group(${n.group}) Syncing instances to ${n.state} state`);
      this.notify(stateNotifications(groupNotify, 'GROUP', n.group, n.state, 0));
    }
  }

  private noteTransition(r: Running, from: VrrpState): void {
    const to = r.inst.machine.state;
    if (to === from) return;
    r.transitions.push({ at: new Date().toISOString(), from, to });
    if (r.transitions.length > MAX_TRANSITIONS) r.transitions.shift();
    r.transitionsTotal++;
    this.onTransition?.(r.inst.cfg.name, from, to, r.inst.machine.effectivePriority);
  }

  private trackerUpdate(
    kind: 'script' | 'interface' | 'file' | 'process',
    name: string,
    status: TrackerStatus,
  ): void {
    const key = `${kind}\0${name}`;
    const prev = this.trackerStatus.get(key);
    this.trackerStatus.set(key, status);
    if (
      kind === 'file' &&
      typeof prev === 'object' &&
      prev !== null &&
      typeof status === 'object' &&
      status !== null &&
      prev.value === status.value
    )
      return;
    if (this.stopped) return;
    for (const r of this.running.values()) {
      const spec = defaultTrackers(r.inst.cfg).find((t) => t.kind === kind && t.name === name);
      if (!spec) continue;
      for (const ev of r.inst.trackerChanged(spec, status)) this.drive(r, ev);
    }
  }

  // ---- actions --------------------------------------------------------------------------------

  private carryOut(r: Running, actions: Action[]): void {
    const name = r.inst.cfg.name;
    for (const a of actions) {
      switch (a.type) {
        case 'send-advert':
          for (const p of r.inst.adverts(a.priority)) r.socket.send(p.payload, p.destination);
          break;
        case 'add-vips':
          // The drop rule goes in before the addresses, and comes out after them.
          this.enqueue(() => this.syncFirewall());
          this.enqueue(() => this.setVips(r, true));
          break;
        case 'del-vips':
          this.pacer.cancel(name);
          this.enqueue(() => this.setVips(r, false));
          this.enqueue(() => this.syncFirewall());
          break;
        case 'send-garp':
          this.enqueue(() => this.garp(r, a.repeat));
          break;
        case 'announce-source':
          this.enqueue(() => this.garpAddresses(r, [r.inst.source], 1));
          break;
        case 'notify': {
          const n = stateNotifications(r.notify, 'INSTANCE', name, a.state, a.priority, {
            noEmailFaults: this.config.globalDefs.noEmailFaults ?? false,
            lastEmailState: r.lastMail,
          });
          if (n.some((x) => x.kind === 'smtp')) r.lastMail = a.state;
          this.notify(n);
          break;
        }
        case 'notify-event':
          this.notify(eventNotifications(r.notify, name, a.event, a.priority));
          break;
        case 'timer':
          this.log.debug(
            `(${name}) timer ${a.name} ${a.at === null ? 'off' : `in ${(a.at - now()).toFixed(1)} ms`}`,
          );
          this.setTimer(r, a.name, a.at);
          break;
        case 'log':
          this.log.info(a.message);
          break;
      }
    }
  }

  private setTimer(r: Running, name: TimerName, at: number | null): void {
    clearTimeout(r.timers.get(name));
    r.timers.delete(name);
    if (at === null || this.stopped) return;
    // Node's timers run off the event loop's cached clock and may fire a fraction of a
    // millisecond before `at` on our clock; the machine ignores early (stale) timers, so wait
    // out the remainder instead of delivering it early.
    const arm = (): void => {
      const timer = setTimeout(
        () => {
          if (now() < at) {
            arm();
            return;
          }
          r.timers.delete(name);
          this.drive(r, { type: 'timer', name });
        },
        Math.max(0, at - now()),
      );
      r.timers.set(name, timer);
    };
    arm();
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(fn).catch((e: unknown) => this.log.error((e as Error).message));
    return this.queue;
  }

  /** Brings the no_accept firewall in line with the instances' states (see ./firewall.ts). */
  private async syncFirewall(): Promise<void> {
    const list = [...this.running.values()].map((r) => ({
      accept: r.inst.cfg.accept ?? true,
      owner: r.inst.cfg.priority === 255,
      vipsSet: r.inst.machine.vipsSet,
      addresses: r.cfgVips.map((v) => v.address),
    }));
    if (!this.firewallUsed && !list.some(needsFirewall)) return;
    this.firewallUsed = true;
    try {
      await this.firewall.apply(droppedAddresses(list));
    } catch (e) {
      this.log.error(
        `no_accept firewall (nftables table inet ${this.firewall.table}): ${(e as Error).message}`,
      );
    }
  }

  private async setVips(r: Running, add: boolean): Promise<void> {
    const rtnl = this.rtnl;
    if (!rtnl) return;
    const routes = (): Promise<void> =>
      setVirtualRoutes(rtnl, `(${r.inst.cfg.name})`, r.routes, r.rules, add, {
        info: (m) => this.log.info(m),
        error: (m) => this.log.error(m),
      });
    // As keepalived: routes and rules go in after the VIPs and out before them.
    if (!add) await routes();
    for (const v of r.cfgVips) {
      const spec = this.osVip(v, this.placeOf(r));
      try {
        if (add) await addAddress(rtnl, spec);
        else await deleteAddress(rtnl, spec);
      } catch (e) {
        this.log.error(`(${r.inst.cfg.name}) ${(e as Error).message}`);
      }
    }
    if (add) await routes();
  }

  private async garp(r: Running, repeat: number): Promise<void> {
    await this.garpAddresses(
      r,
      r.cfgVips.map((v) => v.address),
      repeat,
    );
  }

  private async garpAddresses(r: Running, addresses: string[], repeat: number): Promise<void> {
    if (repeat <= 0) return;
    const name = r.inst.cfg.name;
    for (let i = 0; i < repeat; i++) {
      for (const address of addresses) {
        const vip = r.cfgVips.find((v) => v.address === address);
        const dev = vip ? vipDevice(vip, r.inst.cfg, r.vmac) : r.inst.cfg.interface;
        const req = { instance: name, ifname: dev, address, ipv6: addressFamily(address) === 6 };
        if (this.pacer.request(req, now())) await this.announce(dev, address);
      }
    }
    this.armPacer();
  }

  private armPacer(): void {
    clearTimeout(this.pacerTimer);
    const wake = this.pacer.nextWake();
    if (wake === null || this.stopped) return;
    this.pacerTimer = setTimeout(
      () => {
        for (const req of this.pacer.due(now())) void this.announce(req.ifname, req.address);
        this.armPacer();
      },
      Math.max(0, wake - now()),
    );
  }

  private async announce(ifname: string, address: string): Promise<void> {
    let sender = this.garpSenders.get(ifname);
    if (!sender) {
      sender = openGarpSender(this.rtnl!, ifname).catch((e: unknown) => {
        this.log.error((e as Error).message);
        this.garpSenders.delete(ifname);
        return null;
      });
      this.garpSenders.set(ifname, sender);
    }
    const s = await sender;
    const err = s?.announce(address);
    if (err) this.log.warn(err.message);
  }

  // ---- notifications --------------------------------------------------------------------------

  private openFifos(): void {
    const g = this.config.globalDefs;
    for (const f of [g.notifyFifo, g.vrrpNotifyFifo]) {
      if (!f) continue;
      try {
        if (!existsSync(f.path)) execFileSync('mkfifo', ['-m', '0600', f.path]);
        // Read-write: opening a FIFO for writing alone fails (ENXIO) while nobody reads it.
        const fd = openSync(f.path, constants.O_RDWR | constants.O_NONBLOCK);
        this.fifos.push({ path: f.path, fd });
        if (f.script) void runScript([...f.script.argv, f.path], 0, f.script.runAs);
      } catch (e) {
        this.log.error(`notify fifo ${f.path}: ${(e as Error).message}`);
      }
    }
  }

  private notify(list: Notification[]): void {
    for (const n of list) {
      if (n.kind === 'exec') {
        void runScript(n.argv, n.timeoutMs ?? NOTIFY_TIMEOUT_MS, n.runAs).then((x) => {
          if (x.error) this.log.error(`notify ${n.argv.join(' ')}: ${x.error}`);
          else if (x.timedOut) this.log.warn(`notify ${n.argv.join(' ')} timed out and was killed`);
        });
      } else if (n.kind === 'fifo') {
        for (const f of this.fifos) {
          try {
            writeSync(f.fd, n.line);
          } catch (e) {
            this.log.warn(`notify fifo ${f.path}: ${(e as Error).message}`);
          }
        }
      } else {
        void this.mailer?.send(vrrpSubject(this.mailer.routerId, n.of, n.name, n.what), n.body);
      }
    }
  }

  // ---- trackers -------------------------------------------------------------------------------

  private scheduleScript(name: string, delayMs: number): void {
    const s = this.scripts.get(name);
    if (!s || this.stopped) return;
    const used = [...this.running.values()].some((r) =>
      (r.inst.cfg.trackers ?? []).some((t) => t.kind === 'script' && t.name === name),
    );
    if (!used) return;
    s.timer = setTimeout(() => void this.runTrackScript(name), delayMs);
  }

  private async runTrackScript(name: string): Promise<void> {
    const s = this.scripts.get(name);
    if (!s || this.stopped) return;
    const def = s.def;
    const started = now();
    let success = false;
    if (!def.script) this.log.error(`vrrp_script ${name} has no script`);
    else {
      const timeoutMs = Math.round((def.timeout ?? def.interval) * 1000);
      const x = await runScript(def.script.argv, timeoutMs, def.script.runAs);
      if (x.error) this.log.warn(`vrrp_script ${name}: ${x.error}`);
      if (x.timedOut) this.log.warn(`vrrp_script ${name} timed out`);
      success = x.code === 0;
    }
    if (this.stopped) return;
    const p = scriptParams(def);
    const { state, changed } = scriptExited(p, s.state, success);
    s.state = state;
    if (changed !== null) {
      this.log.info(`VRRP_Script(${name}) ${changed ? 'succeeded' : 'failed'}`);
      this.trackerUpdate('script', name, changed);
    }
    const intervalMs = def.interval * 1000;
    this.scheduleScript(name, Math.max(0, intervalMs - (now() - started)));
  }

  /** vrrp_track_process: counts what runs now (the instances start from it), then follows it. */
  private startProcessMonitor(): void {
    if (this.config.trackProcesses.length === 0) return;
    const defs = this.config.trackProcesses.filter((t) => t.process).map(trackedProcessDef);
    const monitor = new ProcessMonitor(defs, (name, up) => this.trackerUpdate('process', name, up), this.log);
    const g = this.config.globalDefs;
    try {
      monitor.start(
        g.processMonitorRcvBufs
          ? { bytes: g.processMonitorRcvBufs, force: g.processMonitorRcvBufsForce ?? false }
          : undefined,
      );
    } catch (e) {
      monitor.stop();
      this.log.error(`vrrp_track_process: cannot read processes: ${(e as Error).message}`);
      return;
    }
    this.processes = monitor;
    for (const d of defs) this.trackerStatus.set(`process\0${d.name}`, monitor.status(d.name));
  }

  private readTrackFile(path: string | undefined, init: number | undefined): number {
    if (!path) return 0;
    try {
      const v = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
      return Number.isFinite(v) ? v : 0;
    } catch {
      return init ?? 0;
    }
  }

  // ---- status, reload, stop -------------------------------------------------------------------

  status(): RuntimeStatus {
    const instances = [...this.running.values()].map((r): InstanceRuntimeStatus => {
      const st = r.inst.status();
      const rejected: Record<string, number> = {};
      for (const [k, v] of Object.entries(st.counters.rejected)) if (v > 0) rejected[k] = v;
      return {
        ...st,
        family: r.inst.cfg.family,
        version: r.inst.cfg.version,
        source: r.inst.source,
        syncGroup: r.group?.name ?? null,
        vips: r.cfgVips.map((v) => (v.prefix !== undefined ? `${v.address}/${v.prefix}` : v.address)),
        advertsSent: st.stats.advertSent,
        advertsReceived: st.counters.advertRcvd,
        rejected,
        trackers: defaultTrackers(r.inst.cfg).map((t) => ({
          kind: t.kind,
          name: t.name,
          weight: t.weight,
          status: statusText(
            this.trackerStatus.get(`${t.kind}\0${t.name}`) ??
              (t.kind === 'interface' ? this.linkStatus(t.name) : null),
          ),
        })),
        transitions: [...r.transitions],
        transitionsTotal: r.transitionsTotal,
        ...(r.vmac ? { vmac: r.vmac } : {}),
      };
    });
    return {
      instances,
      syncGroups: [...this.groups.values()].map((g) => ({
        name: g.name,
        state: g.state,
        members: g.members.map((m) => m.cfg.name),
      })),
      failed: [...this.failed],
      unknownVrid: this.unknownVrid,
    };
  }

  /** The sockets and timers keepalived's data dump shows (keepalived.data, SIGUSR1). */
  dumpView(): {
    sockets: SocketView[];
    timers: Map<string, InstanceTimers>;
    processes: Map<string, { count: number; quorum: boolean }>;
  } {
    // The machines' clock is performance.now(); the dump prints wall-clock times.
    const epochMs = Date.now() - now();
    const timers = new Map<string, InstanceTimers>();
    const users = new Map<VrrpSocket, Running[]>();
    for (const [name, r] of this.running) {
      const m = r.inst.machine;
      const next = m.nextTimer;
      timers.set(name, {
        readTimeout: next === null ? null : (epochMs + next) / 1000,
        masterDownUs: m.masterDownTimerUs,
      });
      users.set(r.socket, [...(users.get(r.socket) ?? []), r]);
    }
    const sockets = [...this.sockets.values()]
      .filter((s) => !s.closed)
      .map((s): SocketView => {
        const rs = users.get(s) ?? [];
        const unicast = rs.length > 0 && rs.every((r) => (r.inst.cfg.unicastPeers?.length ?? 0) > 0);
        return {
          fd: s.fileDescriptor,
          ifname: s.ifname,
          family: s.family,
          ah: s.ah,
          unicastSrc: unicast ? (s.source ?? null) : null,
          // keepalived walks each socket's instances by VRID.
          instances: rs
            .map((r) => ({ name: r.inst.cfg.name, vrid: r.inst.cfg.vrid }))
            .sort((a, b) => a.vrid - b.vrid),
        };
      });
    const processes = new Map(
      this.config.trackProcesses.map((p) => [
        p.name,
        { count: this.processes?.count(p.name) ?? 0, quorum: this.processes?.status(p.name) ?? false },
      ]),
    );
    return { sockets, timers, processes };
  }

  private linkStatus(ifname: string): TrackerStatus {
    const l = this.links?.get(ifname);
    return l ? linkUsable(l) : false;
  }

  /** keepalived's SIGSTATS_CLEAR: every instance's counters back to zero (after they were written). */
  clearStats(): void {
    for (const r of this.running.values()) {
      Object.assign(r.inst.machine.stats, {
        becomeMaster: 0,
        releaseMaster: 0,
        advertSent: 0,
        priZeroSent: 0,
      });
      Object.assign(r.inst.counters, newAdvertCounters());
    }
  }

  /** What a reload hands to the next runtime: instance states and script results. */
  carry(): RuntimeCarry {
    const instances = new Map<string, Resume>();
    for (const [name, r] of this.running) {
      const m = r.inst.machine;
      if (m.state === 'MASTER' || m.state === 'BACKUP')
        instances.set(name, { state: m.state, vipsSet: m.vipsSet, stats: { ...m.stats } });
    }
    const scripts = new Map<string, ScriptState>();
    for (const [name, s] of this.scripts) scripts.set(name, { ...s.state });
    const transitions = new Map<string, Transition[]>();
    const transitionsTotal = new Map<string, number>();
    for (const [name, r] of this.running) {
      transitions.set(name, [...r.transitions]);
      transitionsTotal.set(name, r.transitionsTotal);
    }
    const ah = new Map<string, { seq: number; ipId: number }>();
    for (const [name, r] of this.running) if (r.inst.ah) ah.set(name, r.inst.ah.counters());
    return { instances, scripts, transitions, transitionsTotal, ah };
  }

  /** VIPs this runtime holds as master (for a reload to remove the ones no longer configured). */
  heldVips(): OsVip[] {
    const out: OsVip[] = [];
    for (const r of this.running.values())
      if (r.inst.machine.vipsSet) for (const v of r.cfgVips) out.push(this.osVip(v, this.placeOf(r)));
    return out;
  }

  /** The VIPs this runtime's configuration gives each instance, by instance name. */
  configuredVips(): Map<string, OsVip[]> {
    const out = new Map<string, OsVip[]>();
    for (const vi of this.config.vrrpInstances)
      out.set(
        vi.name,
        [...vi.virtualIpaddress, ...vi.virtualIpaddressExcluded].map((v) =>
          this.osVip(v, {
            interface: vi.interface ?? '',
            family: vi.family,
            vmac: this.vmacNames.get(vi.name),
          }),
        ),
      );
    return out;
  }

  /** Virtual routes and rules this runtime holds as master, and its static entries. */
  heldNet(): { routes: IpRoute[]; rules: IpRule[]; addresses: ConfigVip[] } {
    const st = this.config.staticAddresses;
    const routes = [...st.routes];
    const rules = [...st.rules];
    for (const r of this.running.values())
      if (r.inst.machine.vipsSet) {
        routes.push(...r.routes);
        rules.push(...r.rules);
      }
    return { routes, rules, addresses: [...st.addresses] };
  }

  /** Removes routes, rules and static addresses a reload dropped; used between two runtimes. */
  async removeNet(
    gone: { routes: IpRoute[]; rules: IpRule[]; addresses: ConfigVip[] },
    kept: { routes: IpRoute[]; rules: IpRule[]; addresses: ConfigVip[] },
  ): Promise<void> {
    const rtnl = this.rtnl;
    if (!rtnl) return;
    const key = (x: unknown): string => JSON.stringify(x);
    const keptRoutes = new Set(kept.routes.map((r) => key(osRoute(r))));
    const keptRules = new Set(kept.rules.map((r) => key(osRule(r))));
    const defIf = this.config.globalDefs.defaultInterface ?? 'eth0';
    const keptAddrs = new Set(kept.addresses.map((a) => `${a.address} ${a.dev ?? defIf}`));
    const log = { info: (m: string) => this.log.info(m), error: (m: string) => this.log.error(m) };
    await setVirtualRoutes(
      rtnl,
      'reload:',
      gone.routes.filter((r) => !keptRoutes.has(key(osRoute(r)))),
      gone.rules.filter((r) => !keptRules.has(key(osRule(r)))),
      false,
      log,
    );
    for (const a of gone.addresses) {
      if (keptAddrs.has(`${a.address} ${a.dev ?? defIf}`)) continue;
      try {
        await deleteAddress(rtnl, osAddress(a, defIf));
      } catch (e) {
        this.log.error((e as Error).message);
      }
    }
  }

  /** Removes VIPs (a reload dropping them); used between two runtimes. */
  async removeVips(vips: OsVip[]): Promise<void> {
    const rtnl = this.rtnl;
    if (!rtnl) return;
    for (const v of vips) {
      try {
        if ((await deleteAddress(rtnl, v)) === 'deleted')
          this.log.info(`removed VIP ${v.address} from ${v.dev}`);
      } catch (e) {
        this.log.error((e as Error).message);
      }
    }
  }

  /**
   * Stops. `resign` (shutdown): masters send priority-0 adverts and remove their VIPs, notify_stop
   * runs. Without it (reload): everything closes silently and the VIPs stay for the successor.
   */
  async stop(resign = true): Promise<void> {
    if (this.stopped) return;
    if (resign) {
      for (const r of this.running.values()) this.drive(r, { type: 'stop' });
    }
    this.stopped = true;
    this.deletions?.close();
    await this.queue;
    if (resign && this.firewallUsed)
      await this.firewall
        .clear()
        .catch((e: unknown) => this.log.error(`removing the no_accept firewall: ${(e as Error).message}`));
    // Static entries go at shutdown (after the instances' VIPs), and stay over a reload.
    if (resign) await this.statics?.stop();
    else this.statics?.detach();
    // The vmacs go at shutdown, as keepalived's do; a reload keeps them for the next runtime.
    if (resign && this.rtnl)
      for (const h of this.vmacs) {
        try {
          await removeVmac(this.rtnl, h);
        } catch (e) {
          this.log.error(`removing VMAC ${h.spec.name}: ${(e as Error).message}`);
        }
      }
    // After the vmacs: their last MLD reports, as they go, still leave from the base interface.
    if (resign && this.vmacLinks.length > 0)
      await this.vmacFirewall
        .clear()
        .catch((e: unknown) => this.log.error(`removing the vmac MLD rules: ${(e as Error).message}`));
    if (resign && this.rpFilter) {
      try {
        restoreRpFilter(this.rpFilter);
      } catch (e) {
        this.log.error(`restoring rp_filter: ${(e as Error).message}`);
      }
    }
    // The "Stopping" mails go out before the process ends (each bounded by smtp_connect_timeout).
    await this.mailer?.drain();
    for (const r of this.running.values()) for (const t of r.timers.values()) clearTimeout(t);
    for (const s of this.scripts.values()) clearTimeout(s.timer);
    for (const t of this.fileTimers) clearInterval(t);
    this.processes?.stop();
    clearTimeout(this.pacerTimer);
    for (const s of this.sockets.values()) s.close();
    for (const p of this.garpSenders.values()) (await p)?.close();
    for (const f of this.fifos) closeSync(f.fd);
    this.fifos = [];
    this.links?.close();
    if (this.rtnl) closeRtnl(this.rtnl);
    this.rtnl = null;
  }
}

function sameVip(a: OsVip, b: OsVip): boolean {
  return a.address === b.address && a.dev === b.dev;
}

/**
 * SIGHUP: stops `old` silently and starts a runtime for `config` that resumes every instance
 * still configured in the state it had (MASTER keeps its VIPs and advertises at once, BACKUP
 * keeps waiting: no flap, no notify), with vrrp_script results carried over. VIPs the old one
 * held that the new configuration no longer gives a resumed master are removed.
 */
export async function reloadRuntime(old: VrrpRuntime, config: Config, log: Logger): Promise<VrrpRuntime> {
  const carry = old.carry();
  const held = old.heldVips();
  const heldNet = old.heldNet();
  for (const name of [...carry.instances.keys()])
    if (!config.vrrpInstances.some((v) => v.name === name)) carry.instances.delete(name);
  await old.stop(false);
  const next = new VrrpRuntime(config, log, old.onTransition);
  await next.start(carry);
  const kept = new Map(next.configuredVips());
  const keep: OsVip[] = [];
  for (const [name, resume] of carry.instances)
    if (resume.state === 'MASTER' && resume.vipsSet) keep.push(...(kept.get(name) ?? []));
  await next.removeVips(held.filter((v) => !keep.some((k) => sameVip(k, v))));
  // Routes, rules and static addresses the new configuration no longer has (keepalived's
  // clear_diff_* at reload).
  await next.removeNet(heldNet, next.heldNet());
  return next;
}
