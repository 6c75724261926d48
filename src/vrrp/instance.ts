// One vrrp_instance: the glue the daemon drives. It validates and counts received packets and
// turns them into machine events, builds the adverts a 'send-advert' action asks for (one per
// unicast peer, each with its own checksum), and keeps the trackers. Pure like the rest of
// src/vrrp: sockets, timers and VIP changes stay in the daemon and src/os.
//
// How the daemon drives one (route machine events through SyncGroup.handle for group members):
//   inst = new VrrpInstance(cfg, sourceAddress, initialTrackerStatuses)
//   run(inst.handle(inst.startEvent(), now))                       // SyncGroup.start for groups
//   socket 'packet' (VRID matched):  const { event } = inst.receive(datagram); if (event) run(inst.handle(event, now))
//   tracker change:                  for (const ev of inst.trackerChanged(spec, status)) run(inst.handle(ev, now))
//   timer fired:                     run(inst.handle({ type: 'timer', name }, now))
//   SIGTERM:                         run(inst.handle({ type: 'stop' }, now))
// where run() carries out the actions: 'send-advert' -> socket.send(p.payload, p.destination) for
// each p of inst.adverts(priority); 'add-vips'/'del-vips' -> rtnetlink; 'send-garp' -> ARP/NA per
// VIP through GarpPacer; 'notify' -> stateNotifications(); 'timer' -> (re)arm or cancel.
import { addressFamily, type Family } from './address.js';
import { AH_HEADER_LEN, AhSession } from './ipsec-ah.js';
import {
  VrrpMachine,
  type Action,
  type MachineConfig,
  type MachineEvent,
  type MachineStatus,
} from './machine.js';
import {
  AUTH_AH,
  AUTH_NONE,
  AUTH_PASS,
  countValidation,
  encodeAdvert,
  newAdvertCounters,
  passwordBytes,
  validateAdvert,
  type AdvertCheck,
  type AdvertCounters,
  type ReceivedAdvert,
  type Validation,
} from './packet.js';
import { InstanceTracking, type TrackerSpec, type TrackerStatus, type TrackingResult } from './priority.js';

export const VRRP_GROUP4 = '224.0.0.18';
export const VRRP_GROUP6 = 'ff02::12';

export interface VipSpec {
  address: string;
  /** `dev`: the VIP's interface when it is not the instance's. */
  interface?: string;
  /** `no_track` / dont_track on the VIP: its interface going down does not mean FAULT. */
  dontTrack?: boolean;
}

export interface InstanceConfig extends MachineConfig {
  /** `interface` */
  interface: string;
  /** Address family of the VIPs (IPv6 instances are always v3 in keepalived). */
  family: Family;
  /** `virtual_router_id` */
  vrid: number;
  /** `authentication { auth_type PASS; auth_pass ... }` (v2 only). */
  authPass?: string;
  /** `authentication { auth_type AH; auth_pass ... }` (v2, IPv4): the HMAC key. */
  authAh?: string;
  vips: VipSpec[];
  /** `unicast_src_ip` */
  unicastSrcIp?: string;
  /** `unicast_peer` (with optional min_ttl/max_ttl). */
  unicastPeers?: { address: string; minTtl?: number; maxTtl?: number }[];
  /** `unicast_ttl`: TTL / hop limit of unicast adverts (default 255). */
  unicastTtl?: number;
  /**
   * `accept` / `no_accept` in force. Without accept a master drops traffic to its VIPs
   * (keepalived's no_accept firewall), unless it is the address owner (priority 255).
   */
  accept?: boolean;
  /** `vrrp_mcast_group4` / `vrrp_mcast_group6`. */
  mcastGroup?: string;
  /** `vrrp_skip_check_adv_addr`: skip the VIP list check for adverts from the known master. */
  skipCheckAdvAddr?: boolean;
  /** `check_unicast_src` / `vrrp_check_unicast_src`. */
  checkUnicastSrc?: boolean;
  /** `dont_track_primary`: the instance's own interface going down is not a FAULT. */
  dontTrackPrimary?: boolean;
  /** `track_interface` entries. */
  trackInterfaces?: { name: string; weight: number; reverse?: boolean }[];
  /** track_script / track_file / track_process / track_bfd entries (and the sync group's). */
  trackers?: TrackerSpec[];
}

/** The interface trackers keepalived adds on its own, then the configured ones. */
export function defaultTrackers(cfg: InstanceConfig): TrackerSpec[] {
  const out: TrackerSpec[] = [];
  const seen = new Set<string>();
  const add = (t: TrackerSpec): void => {
    if (seen.has(t.name)) return;
    seen.add(t.name);
    out.push(t);
  };
  for (const t of cfg.trackInterfaces ?? [])
    add({ kind: 'interface', name: t.name, weight: t.weight, reverse: t.reverse ?? false });
  if (!cfg.dontTrackPrimary) add({ kind: 'interface', name: cfg.interface, weight: 0 });
  for (const v of cfg.vips)
    if (v.interface && v.interface !== cfg.interface && !v.dontTrack)
      add({ kind: 'interface', name: v.interface, weight: 0 });
  return [...out, ...(cfg.trackers ?? [])];
}

export interface InstanceStatus extends MachineStatus {
  vrid: number;
  interface: string;
  vips: string[];
  counters: AdvertCounters;
  tracking: TrackingResult;
  /** The last valid advert from another router: who sent it, its priority, when (ISO time). */
  lastAdvert: { address: string; priority: number; at: string } | null;
}

export class VrrpInstance {
  readonly machine: VrrpMachine;
  readonly tracking: InstanceTracking;
  readonly counters: AdvertCounters = newAdvertCounters();
  readonly group: string;
  private lastAdvert: InstanceStatus['lastAdvert'] = null;
  /** Set once a peer's v3 unicast checksum turned out to use the multicast group (keepalived auto-compat). */
  private oldUnicastChecksum = false;
  /** IPsec AH state (auth_type AH). */
  readonly ah: AhSession | undefined;

  /**
   * @param source our address for adverts: unicast_src_ip, else the interface's primary address
   *   (IPv6: its link-local). Also the equal-priority tie-break.
   * @param initial initial tracker statuses (null for scripts with no result yet).
   */
  constructor(
    readonly cfg: InstanceConfig,
    readonly source: string,
    initial: ReadonlyMap<string, TrackerStatus> = new Map(),
  ) {
    if (addressFamily(source) !== cfg.family)
      throw new TypeError(`(${cfg.name}) source address ${source} is not IPv${cfg.family}`);
    this.group = cfg.mcastGroup ?? (cfg.family === 4 ? VRRP_GROUP4 : VRRP_GROUP6);
    this.ah =
      cfg.authAh !== undefined && cfg.version === 2 && cfg.family === 4
        ? new AhSession(cfg.authAh)
        : undefined;
    const unicast = (cfg.unicastPeers?.length ?? 0) > 0;
    this.machine = new VrrpMachine({ ...cfg, unicast: cfg.unicast ?? unicast }, source);
    this.tracking = new InstanceTracking(
      cfg.priority,
      defaultTrackers(cfg).map((spec) => ({
        spec,
        status:
          initial.get(spec.name) ??
          (spec.kind === 'script' ? null : spec.kind === 'file' ? { value: 0 } : true),
      })),
    );
  }

  /** VIPs carried in adverts: every virtual_ipaddress of the instance's family (excluded ones are not listed here). */
  advertised(): string[] {
    return this.cfg.vips.map((v) => v.address).filter((a) => addressFamily(a) === this.cfg.family);
  }

  get unicast(): boolean {
    return (this.cfg.unicastPeers?.length ?? 0) > 0;
  }

  /** What validateAdvert checks a packet from `source` against, in the current state. */
  advertCheck(source: string): AdvertCheck {
    const m = this.machine;
    // keepalived checks the VIP list always as master; as backup unless skip_check_adv_addr
    // and the packet comes from the master we already know.
    const checkAddresses = m.state === 'MASTER' || !this.cfg.skipCheckAdvAddr || m.masterAddress !== source;
    return {
      version: this.cfg.version,
      family: this.cfg.family,
      intervalCs: m.cfg.advertIntCs,
      authType: this.authType(),
      ...(this.cfg.authPass ? { authData: passwordBytes(this.cfg.authPass) } : {}),
      addresses: this.advertised(),
      unicastPeers: this.cfg.unicastPeers ?? [],
      checkUnicastSource: this.cfg.checkUnicastSrc ?? false,
      checkAddresses,
      mcastGroup4: this.cfg.family === 4 ? this.group : VRRP_GROUP4,
      group: this.group,
    };
  }

  /**
   * A packet for this VRID arrived: validate (counting the outcome) and, when it is good and the
   * instance listens (BACKUP or MASTER), return the machine event to feed.
   */
  receive(received: ReceivedAdvert): { validation: Validation; event: MachineEvent | null } {
    let rx = received;
    let ahSeq = 0;
    if (this.ah) {
      // AH first (keepalived: nothing in the packet counts before its ICV is checked).
      const r = this.ah.unwrap(rx.ipHeader ?? new Uint8Array(), rx.payload, this.unicast);
      if (!r.ok) {
        const validation: Validation = { verdict: 'ko', reason: 'auth-failure', detail: r.detail };
        countValidation(this.counters, validation);
        return { validation, event: null };
      }
      // The AH header is validated as part of the IP header (the IP total length counts it).
      const ipHeader = Buffer.concat([
        rx.ipHeader ?? new Uint8Array(),
        rx.payload.subarray(0, AH_HEADER_LEN),
      ]);
      rx = { ...rx, ipHeader, payload: r.vrrp };
      ahSeq = r.seq;
    }
    const validation = validateAdvert(rx, this.advertCheck(rx.source));
    countValidation(this.counters, validation);
    if (validation.verdict !== 'ok') return { validation, event: null };
    if (validation.notes.includes('old-unicast-checksum')) this.oldUnicastChecksum = true;
    const a = validation.advert;
    // The peer as this node last heard it (the dashboard and status show it).
    this.lastAdvert = { address: rx.source, priority: a.priority, at: new Date().toISOString() };
    // keepalived's master answers a lower-priority AH advert numbering above it.
    if (this.ah && this.machine.state === 'MASTER' && a.priority < this.tracking.result.effective)
      this.ah.syncAbove(ahSeq);
    return {
      validation,
      event: { type: 'advert', priority: a.priority, intervalCs: a.intervalCs, source: rx.source },
    };
  }

  /** The packets for a 'send-advert' action: one to the group, or one per unicast peer. */
  adverts(priority: number): { destination: string; payload: Buffer }[] {
    const fields = {
      version: this.cfg.version,
      vrid: this.cfg.vrid,
      priority,
      intervalCs: this.machine.cfg.advertIntCs,
      authType: this.authType(),
      ...(this.cfg.version === 2 && this.cfg.authPass ? { authData: passwordBytes(this.cfg.authPass) } : {}),
      addresses: this.advertised(),
    };
    const family = this.cfg.family;
    const dests = this.unicast ? this.cfg.unicastPeers!.map((p) => p.address) : [this.group];
    if (this.ah) {
      // Whole IP packets (the ICV covers the IP header); the VRRP checksum needs no pseudo-header.
      const packets = this.ah.wrap(encodeAdvert(fields, { family }), this.source, dests, this.unicast);
      return packets.map((payload, i) => ({ destination: dests[i]!, payload }));
    }
    return dests.map((destination) => ({
      destination,
      payload: encodeAdvert(fields, {
        family,
        source: this.source,
        // Old keepalived computed unicast v3/IPv4 checksums with the multicast group.
        destination: this.oldUnicastChecksum && family === 4 ? this.group : destination,
      }),
    }));
  }

  private authType(): number {
    if (this.cfg.version !== 2) return AUTH_NONE;
    return this.ah ? AUTH_AH : this.cfg.authPass ? AUTH_PASS : AUTH_NONE;
  }

  /** The event that starts the machine (FAULT when a tracker already fails). */
  startEvent(): MachineEvent {
    return this.tracking.startEvent();
  }

  /** A tracker changed: the machine events it causes (priority, fault). */
  trackerChanged(spec: TrackerSpec, status: TrackerStatus): MachineEvent[] {
    return this.tracking.update(spec, status);
  }

  /** Convenience for an instance outside a sync group. */
  handle(ev: MachineEvent, now: number): Action[] {
    return this.machine.handle(ev, now);
  }

  status(): InstanceStatus {
    return {
      ...this.machine.status(),
      vrid: this.cfg.vrid,
      interface: this.cfg.interface,
      vips: this.cfg.vips.map((v) => v.address),
      counters: structuredClone(this.counters),
      tracking: this.tracking.result,
      lastAdvert: this.lastAdvert,
    };
  }
}
