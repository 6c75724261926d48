// Interfaces as rtnetlink reports them: index, MAC, admin/oper state, and change events (the
// RTMGRP_LINK multicast group) for track_interface. Like keepalived, an interface counts as
// usable when it is both administratively up (IFF_UP) and running (IFF_RUNNING: carrier + oper up).
import { EventEmitter } from 'node:events';
import { createRtNetlink, rt, type NetlinkMessage, type RtNetlinkSocket } from 'netlink';
import { formatMac } from './mac.js';

export type { RtNetlinkSocket };

export interface LinkInfo {
  ifname: string;
  index: number;
  /** aa:bb:cc:dd:ee:ff, or null for links without a hardware address. */
  mac: string | null;
  /** IFF_UP: administratively up. */
  up: boolean;
  /** IFF_RUNNING: operationally up (carrier present). */
  running: boolean;
  operstate: OperState;
  mtu: number;
}

export type OperState = 'unknown' | 'notpresent' | 'down' | 'lowerlayerdown' | 'testing' | 'dormant' | 'up';
const OPER_STATES: OperState[] = [
  'unknown',
  'notpresent',
  'down',
  'lowerlayerdown',
  'testing',
  'dormant',
  'up',
];

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;

/** Whether track_interface counts the link as up. */
export function linkUsable(l: LinkInfo): boolean {
  return l.up && l.running;
}

/**
 * An rtnetlink socket in the calling thread's network namespace. The caller closes it
 * (closeRtnl) or lets it be: it does not keep the process alive.
 */
export function openRtnl(): RtNetlinkSocket {
  return createRtNetlink();
}

const queues = new WeakMap<RtNetlinkSocket, Promise<unknown>>();

/**
 * Runs netlink requests on one socket one after another: the kernel allows one dump at a time per
 * socket, and npm netlink reassembles only one multipart reply at a time.
 */
export function serial<T>(rtnl: RtNetlinkSocket, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(rtnl) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  queues.set(
    rtnl,
    next.catch(() => undefined),
  );
  return next;
}

export function closeRtnl(s: RtNetlinkSocket): void {
  s.socket.close();
}

function toInfo(m: rt.LinkMessage): LinkInfo | null {
  const { data, attrs } = m;
  if (data.index === undefined || attrs.ifname === undefined) return null;
  const mac = attrs.address && attrs.address.length === 6 ? formatMac(attrs.address) : null;
  return {
    ifname: attrs.ifname,
    index: data.index,
    mac,
    up: data.flags?.up === true,
    running: data.flags?.running === true,
    operstate: OPER_STATES[attrs.operstate ?? 0] ?? 'unknown',
    mtu: attrs.mtu ?? 0,
  };
}

export async function listLinks(rtnl: RtNetlinkSocket): Promise<LinkInfo[]> {
  const msgs = await serial(rtnl, () => rtnl.getLinks());
  return msgs.map(toInfo).filter((l): l is LinkInfo => l !== null);
}

/** The named interface, or null when it does not exist. */
export async function getLink(rtnl: RtNetlinkSocket, ifname: string): Promise<LinkInfo | null> {
  return (await listLinks(rtnl)).find((l) => l.ifname === ifname) ?? null;
}

export interface LinkChange {
  ifname: string;
  index: number;
  /** up && running after the change (false when deleted). */
  usable: boolean;
  deleted: boolean;
  /** The link as now reported (the last known state when deleted). */
  link: LinkInfo;
}

type MonitorEvents = { change: [LinkChange]; error: [Error] };

/**
 * Follows link state through RTMGRP_LINK notifications. Emits 'change' only when an interface's
 * usability (up && running) changes, it appears, or it is deleted — not for every NEWLINK.
 * Its own netlink socket is made in the calling thread's namespace.
 */
export class LinkMonitor extends EventEmitter<MonitorEvents> {
  private readonly rtnl: RtNetlinkSocket;
  private readonly known = new Map<number, LinkInfo>();
  private closed = false;
  /** Resolves once the initial state is loaded. */
  readonly ready: Promise<void>;

  constructor() {
    super();
    this.rtnl = createRtNetlink();
    this.rtnl.addMembership('LINK');
    this.rtnl.socket.on('message', (msgs: NetlinkMessage[]) => this.onMessages(msgs));
    this.rtnl.socket.ref(true);
    this.ready = listLinks(this.rtnl).then(
      (links) => {
        for (const l of links) if (!this.known.has(l.index)) this.known.set(l.index, l);
      },
      (e: unknown) => {
        this.emit('error', e instanceof Error ? e : new Error(String(e)));
      },
    );
  }

  /** Last known state of an interface by name. */
  get(ifname: string): LinkInfo | undefined {
    for (const l of this.known.values()) if (l.ifname === ifname) return l;
    return undefined;
  }

  /** Whether the process should stay alive for this monitor (default yes). */
  ref(keepAlive = true): this {
    this.rtnl.socket.ref(keepAlive);
    return this;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rtnl.socket.close();
  }

  private onMessages(msgs: NetlinkMessage[]): void {
    for (const m of msgs) {
      if (m.type !== RTM_NEWLINK && m.type !== RTM_DELLINK) continue;
      let info: LinkInfo | null;
      try {
        info = toInfo(rt.parseLinkMessage(m.data));
      } catch (e) {
        this.emit('error', new Error(`unparsable link notification: ${(e as Error).message}`));
        continue;
      }
      if (!info) continue;
      const before = this.known.get(info.index);
      if (m.type === RTM_DELLINK) {
        this.known.delete(info.index);
        this.emit('change', {
          ifname: info.ifname,
          index: info.index,
          usable: false,
          deleted: true,
          link: info,
        });
        continue;
      }
      this.known.set(info.index, info);
      const usable = linkUsable(info);
      if (!before || linkUsable(before) !== usable || before.ifname !== info.ifname) {
        this.emit('change', { ifname: info.ifname, index: info.index, usable, deleted: false, link: info });
      }
    }
  }
}

const FLAGS_CREATE_EXCL = 0x400 | 0x200; // NLM_F_CREATE | NLM_F_EXCL

/** Sets a link administratively up or down (`ip link set dev NAME up|down`). */
export async function setLinkUp(rtnl: RtNetlinkSocket, ifname: string, up: boolean): Promise<void> {
  const link = await getLink(rtnl, ifname);
  if (!link) throw new Error(`no interface named '${ifname}'`);
  await serial(rtnl, () =>
    rtnl.setLink({ index: link.index, flags: up ? { up: true } : {}, change: { up: true } }),
  );
}

/** IFLA_LINKINFO's payload naming a link kind: one IFLA_INFO_KIND attribute. */
function linkKind(kind: string): Buffer {
  const name = Buffer.from(kind + '\0');
  const len = 4 + name.length;
  const attr = Buffer.alloc((len + 3) & ~3);
  attr.writeUInt16LE(len, 0); // netlink attributes are host order (little-endian where Node runs)
  attr.writeUInt16LE(1, 2); // IFLA_INFO_KIND
  name.copy(attr, 4);
  return attr;
}

/** Creates a dummy interface (`ip link add NAME type dummy`). */
export async function addDummyLink(rtnl: RtNetlinkSocket, ifname: string): Promise<void> {
  await serial(rtnl, () =>
    rtnl.newLink({}, { ifname, linkinfo: linkKind('dummy') }, { flags: FLAGS_CREATE_EXCL }),
  );
}

/** Deletes an interface; an absent one is not an error. */
export async function deleteLink(rtnl: RtNetlinkSocket, ifname: string): Promise<void> {
  const link = await getLink(rtnl, ifname);
  if (link) await serial(rtnl, () => rtnl.delLink({ index: link.index }));
}
