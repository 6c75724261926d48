// One raw VRRP (IP protocol 112) socket per interface and address family, as keepalived keeps:
// bound to the interface, joined to the VRRP group there, sending with TTL / hop limit 255, and
// handing every received datagram up with what the validator must check (source, destination,
// TTL / hop limit). It never validates: that is the pure codec's job (src/vrrp/).
import { EventEmitter } from 'node:events';
import { bytesToIp, isMulticast, ipFamily, type Family } from '../base/inet.js';
import {
  AF_INET,
  AF_INET6,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_VRRP,
  IP_ADD_MEMBERSHIP,
  IP_MULTICAST_IF,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IP_PKTINFO,
  IP_TOS,
  IP_TTL,
  IPV6_HOPLIMIT,
  IPV6_JOIN_GROUP,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP,
  IPV6_PKTINFO,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVPKTINFO,
  IPV6_UNICAST_HOPS,
  SOCK_RAW,
  SOL_SOCKET,
  SO_BINDTODEVICE,
  in6Pktinfo,
  inPktinfo,
  ipMreqn,
  ipv6Mreq,
  isSyscallError,
  native,
  parseIn6Pktinfo,
  readInt,
  sockaddrAddress,
  sockaddrIn,
  type Received,
  type WatchHandle,
} from './native.js';

/** RFC 3768 / RFC 5798 groups (keepalived's vrrp_mcast_group4/6 defaults). */
export const VRRP_GROUP4 = '224.0.0.18';
export const VRRP_GROUP6 = 'ff02::12';
const IPPROTO_AH = 51;
const IP_HDRINCL = 3;
/** Precedence "internetwork control", as keepalived sets on IPv4 adverts. */
const TOS_INTERNETCONTROL = 0xc0;
const MAX_DATAGRAM = 9216;

export interface VrrpSocketOptions {
  family: Family;
  /** Interface the instance runs on (keepalived's `interface`). */
  ifname: string;
  /** Multicast group to join and send to (default 224.0.0.18 / ff02::12). */
  group?: string;
  /** Join the group (false for unicast-only instances). Default true. */
  multicast?: boolean;
  /** Source address for sent adverts (keepalived's unicast_src_ip, else the interface's primary
   * address; IPv6: its link-local). When absent the kernel picks it. */
  source?: string;
  /** TTL / hop limit of unicast adverts (keepalived's unicast_ttl; default 255). Multicast: always 255. */
  unicastTtl?: number;
  /** IPv4 only: IPsec AH (IP protocol 51, keepalived's auth_type AH). send() then takes the whole
   * IP packet (IP_HDRINCL: the AH ICV covers the IP id, which the sender must choose). */
  ah?: boolean;
}

/** A datagram as received, before any VRRP validation. */
export interface VrrpDatagram {
  family: Family;
  /** The VRRP packet (IPv4: after the IP header). */
  payload: Buffer;
  /** IPv4 only: the IP header as received (for length/option checks). */
  ipHeader?: Buffer;
  source: string;
  destination: string;
  /** IPv4 TTL or IPv6 hop limit as received (must be 255). */
  ttl: number;
  /** Whether the destination was a multicast address (else unicast to us). */
  multicast: boolean;
  ifname: string;
  /** Receive time, ms since the epoch. */
  at: number;
}

type Events = { packet: [VrrpDatagram]; error: [Error] };

/** An OS-level failure on a VRRP socket, naming the interface (e.g. code ENODEV when it went away). */
export class VrrpSocketError extends Error {
  constructor(
    message: string,
    readonly ifname: string,
    readonly code: string,
  ) {
    super(message);
  }
}

function wrap(e: unknown, ifname: string, what: string): VrrpSocketError {
  const code = isSyscallError(e) ? e.code : 'EUNKNOWN';
  const msg = e instanceof Error ? e.message : String(e);
  return new VrrpSocketError(`VRRP socket on ${ifname}: ${what}: ${msg}`, ifname, code);
}

/**
 * The VRRP socket for one interface and family. Emits 'packet' for each datagram and 'error' for
 * OS failures (the socket stays usable when the failure is transient, e.g. a link flap). As with
 * any EventEmitter, attach an 'error' listener: an unheard 'error' throws. If the interface is
 * deleted and re-created (a new ifindex), close the socket and open a new one.
 */
export class VrrpSocket extends EventEmitter<Events> {
  readonly family: Family;
  readonly ifname: string;
  readonly ifindex: number;
  readonly group: string;
  readonly source: string | undefined;
  readonly ah: boolean;
  private fd: number;
  private watch: WatchHandle | undefined;

  /** Opens the socket in the calling thread's network namespace; throws a VrrpSocketError. */
  constructor(opts: VrrpSocketOptions) {
    super();
    this.family = opts.family;
    this.ifname = opts.ifname;
    this.group = opts.group ?? (opts.family === 4 ? VRRP_GROUP4 : VRRP_GROUP6);
    this.source = opts.source;
    this.ah = opts.family === 4 && opts.ah === true;
    if (ipFamily(this.group) !== opts.family || !isMulticast(this.group)) {
      throw new VrrpSocketError(
        `VRRP socket on ${opts.ifname}: bad multicast group '${this.group}'`,
        opts.ifname,
        'EINVAL',
      );
    }
    if (opts.source !== undefined && ipFamily(opts.source) !== opts.family) {
      throw new VrrpSocketError(
        `VRRP socket on ${opts.ifname}: source '${opts.source}' is not IPv${opts.family}`,
        opts.ifname,
        'EINVAL',
      );
    }
    const a = native();
    this.ifindex = a.ifindex(opts.ifname);
    if (this.ifindex === 0) {
      throw new VrrpSocketError(`VRRP socket: no interface named '${opts.ifname}'`, opts.ifname, 'ENODEV');
    }
    let fd: number;
    try {
      fd = a.socket(opts.family === 4 ? AF_INET : AF_INET6, SOCK_RAW, this.ah ? IPPROTO_AH : IPPROTO_VRRP);
    } catch (e) {
      throw wrap(e, opts.ifname, 'socket');
    }
    this.fd = fd;
    try {
      a.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(`${opts.ifname}\0`));
      if (opts.family === 4) {
        if (this.ah) a.setsockopt(fd, IPPROTO_IP, IP_HDRINCL, 1);
        a.setsockopt(fd, IPPROTO_IP, IP_TOS, TOS_INTERNETCONTROL);
        a.setsockopt(fd, IPPROTO_IP, IP_TTL, opts.unicastTtl ?? 255);
        a.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, 255);
        a.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
        a.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, ipMreqn('0.0.0.0', this.ifindex));
        if (opts.multicast !== false)
          a.setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(this.group, this.ifindex));
      } else {
        a.setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, opts.unicastTtl ?? 255);
        a.setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255);
        a.setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
        a.setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, this.ifindex);
        // The IPv6 header is not delivered on raw sockets: ask for hop limit and destination.
        a.setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
        a.setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
        if (opts.multicast !== false)
          a.setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, ipv6Mreq(this.group, this.ifindex));
      }
      this.watch = a.watch(fd, (status) => this.onReadable(status));
    } catch (e) {
      a.close(fd);
      throw wrap(e, opts.ifname, 'setup');
    }
  }

  get closed(): boolean {
    return this.fd < 0;
  }

  /** The socket's file descriptor (keepalived's data dump prints it), -1 once closed. */
  get fileDescriptor(): number {
    return this.fd;
  }

  /**
   * Sends one VRRP packet (built and checksummed by the codec; with `ah`, the whole IP packet) to
   * `destination` (default: the group). Returns false and emits 'error' when the OS refuses it.
   */
  send(payload: Buffer, destination: string = this.group): boolean {
    if (this.fd < 0) {
      this.emit(
        'error',
        new VrrpSocketError(`VRRP socket on ${this.ifname}: send after close`, this.ifname, 'EBADF'),
      );
      return false;
    }
    try {
      if (ipFamily(destination) !== this.family)
        throw new TypeError(`destination '${destination}' is not IPv${this.family}`);
      const cmsgs: [number, number, Buffer][] = [];
      if (this.source !== undefined && !this.ah) {
        cmsgs.push(
          this.family === 4
            ? [IPPROTO_IP, IP_PKTINFO, inPktinfo(this.ifindex, this.source)]
            : [IPPROTO_IPV6, IPV6_PKTINFO, in6Pktinfo(this.ifindex, this.source)],
        );
      }
      native().sendmsg(
        this.fd,
        payload,
        sockaddrIn(destination, 0, this.ifindex),
        cmsgs.length ? cmsgs : null,
      );
      return true;
    } catch (e) {
      this.emit('error', wrap(e, this.ifname, `send to ${destination}`));
      return false;
    }
  }

  /** Keep (default) or stop keeping the process alive while the socket is open. */
  ref(keepAlive = true): this {
    if (this.watch) native().refWatch(this.watch, keepAlive);
    return this;
  }

  close(): void {
    if (this.fd < 0) return;
    const a = native();
    if (this.watch) a.unwatch(this.watch);
    this.watch = undefined;
    a.close(this.fd);
    this.fd = -1;
  }

  private onReadable(status: number): void {
    // Drain everything queued: one wake-up may cover several adverts. On a poll error, recvmsg
    // reports (and so clears) the socket's pending error, so the poll cannot spin.
    for (let i = 0; i < 64 && this.fd >= 0; i++) {
      let r: Received | null;
      try {
        r = native().recvmsg(this.fd, MAX_DATAGRAM);
      } catch (e) {
        this.emit('error', wrap(e, this.ifname, 'receive'));
        return;
      }
      if (r === null) {
        if (status < 0 && i === 0) {
          const msg = `VRRP socket on ${this.ifname}: poll failed (${status})`;
          this.emit('error', new VrrpSocketError(msg, this.ifname, 'EIO'));
        }
        return;
      }
      const d = this.family === 4 ? this.parse4(r) : this.parse6(r);
      if (d) this.emit('packet', d);
    }
  }

  private parse4(r: Received): VrrpDatagram | null {
    const b = r.data;
    const ihl = (b[0]! & 0x0f) * 4;
    // The kernel only delivers well-formed IP headers; guard anyway rather than throw.
    if (b.length < 20 || ihl < 20 || b.length < ihl) return null;
    const destination = bytesToIp(b.subarray(16, 20));
    return {
      family: 4,
      payload: b.subarray(ihl),
      ipHeader: b.subarray(0, ihl),
      source: bytesToIp(b.subarray(12, 16)),
      destination,
      ttl: b[8]!,
      multicast: isMulticast(destination),
      ifname: this.ifname,
      at: Date.now(),
    };
  }

  private parse6(r: Received): VrrpDatagram | null {
    const src = sockaddrAddress(r.addr);
    let ttl = -1;
    let dst: Buffer | undefined;
    for (const c of r.cmsgs) {
      if (c.level !== IPPROTO_IPV6) continue;
      if (c.type === IPV6_HOPLIMIT) ttl = readInt(c.data);
      else if (c.type === IPV6_PKTINFO) dst = parseIn6Pktinfo(c.data).addr;
    }
    if (!src || !dst || ttl < 0) return null;
    const destination = bytesToIp(dst);
    return {
      family: 6,
      payload: r.data,
      source: bytesToIp(src),
      destination,
      ttl,
      multicast: isMulticast(destination),
      ifname: this.ifname,
      at: Date.now(),
    };
  }
}

/** Opens the VRRP socket for an interface (see VrrpSocket). */
export function openVrrpSocket(opts: VrrpSocketOptions): VrrpSocket {
  return new VrrpSocket(opts);
}
