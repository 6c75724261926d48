// Gratuitous ARP (IPv4) and unsolicited Neighbour Advertisements (IPv6), sent as whole Ethernet
// frames on an AF_PACKET socket exactly as keepalived builds them (vrrp_arp.c, vrrp_ndisc.c):
// an ARP *request* to the broadcast address with sender = target = the VIP, and an NA to ff02::1
// from the VIP with the Override flag and the target link-layer address option. Frame builders
// are pure; GarpSender is the thin socket.
import { ipFamily, ipToBytes } from '../base/inet.js';
import { getLink, type RtNetlinkSocket } from './link.js';
import { parseMac } from './mac.js';
import { AF_PACKET, ETH_P_ARP, ETH_P_IPV6, SOCK_RAW, isSyscallError, native, sockaddrLl } from './native.js';

const BROADCAST = Buffer.alloc(6, 0xff);
const ALL_NODES_MAC = Buffer.from([0x33, 0x33, 0, 0, 0, 1]);
const ALL_NODES = ipToBytes('ff02::1');

function mac6(mac: Buffer | string): Buffer {
  const b = typeof mac === 'string' ? parseMac(mac) : mac;
  if (b.length !== 6) throw new TypeError(`an Ethernet address has 6 bytes, not ${b.length}`);
  return b;
}

/** The 42-byte Ethernet frame of a gratuitous ARP request announcing `vip` at `mac`. */
export function buildGratuitousArp(mac: Buffer | string, vip: string): Buffer {
  const hw = mac6(mac);
  const ip = ipToBytes(vip);
  if (ip.length !== 4) throw new TypeError(`gratuitous ARP is for IPv4 addresses, not '${vip}'`);
  const f = Buffer.alloc(42);
  BROADCAST.copy(f, 0);
  hw.copy(f, 6);
  f.writeUInt16BE(ETH_P_ARP, 12);
  f.writeUInt16BE(1, 14); // hardware: Ethernet
  f.writeUInt16BE(0x0800, 16); // protocol: IPv4
  f[18] = 6;
  f[19] = 4;
  f.writeUInt16BE(1, 20); // opcode: request
  hw.copy(f, 22); // sender MAC
  ip.copy(f, 28); // sender IP
  BROADCAST.copy(f, 32); // target MAC (keepalived uses the broadcast address)
  ip.copy(f, 38); // target IP
  return f;
}

/** One's-complement sum over the IPv6 pseudo-header and an ICMPv6 message (RFC 4443 §2.3). */
export function icmpv6Checksum(src: Buffer, dst: Buffer, icmp: Buffer): number {
  let sum = 0;
  const add = (b: Buffer): void => {
    for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
    if (b.length % 2) sum += b[b.length - 1]! << 8;
  };
  add(src);
  add(dst);
  sum += icmp.length; // upper-layer length (fits in 16 bits here)
  sum += 58; // next header: ICMPv6
  add(icmp);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * The 86-byte Ethernet frame of an unsolicited Neighbour Advertisement for `vip` at `mac`:
 * to ff02::1 (33:33:00:00:00:01), hop limit 255, Override set, Router set when `router`.
 */
export function buildUnsolicitedNa(mac: Buffer | string, vip: string, router = false): Buffer {
  const hw = mac6(mac);
  const target = ipToBytes(vip);
  if (target.length !== 16)
    throw new TypeError(`neighbour advertisements are for IPv6 addresses, not '${vip}'`);
  const icmp = Buffer.alloc(32);
  icmp[0] = 136; // Neighbour Advertisement
  icmp[4] = 0x20 | (router ? 0x80 : 0); // O (override), R (router)
  target.copy(icmp, 8);
  icmp[24] = 2; // option: target link-layer address
  icmp[25] = 1; // length in units of 8 bytes
  hw.copy(icmp, 26);
  icmp.writeUInt16BE(icmpv6Checksum(target, ALL_NODES, icmp), 2);

  const f = Buffer.alloc(14 + 40 + icmp.length);
  ALL_NODES_MAC.copy(f, 0);
  hw.copy(f, 6);
  f.writeUInt16BE(ETH_P_IPV6, 12);
  f.writeUInt32BE(0x60000000, 14); // version 6, no traffic class or flow label
  f.writeUInt16BE(icmp.length, 18);
  f[20] = 58; // next header: ICMPv6
  f[21] = 255; // hop limit: receivers drop ND with any other (RFC 4861 §7.1.2)
  target.copy(f, 22); // source: the VIP itself, as keepalived sends
  ALL_NODES.copy(f, 38);
  icmp.copy(f, 54);
  return f;
}

/** An OS failure sending an announcement, naming the interface and address. */
export class GarpError extends Error {
  constructor(
    message: string,
    readonly ifname: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/**
 * Sends gratuitous ARPs and unsolicited NAs on one interface. Opened once per interface; the
 * socket has protocol 0, so it receives nothing. `announce` never throws: it returns the error.
 */
export class GarpSender {
  private fd: number;
  readonly ifindex: number;

  /** Opens in the calling thread's network namespace; throws a GarpError if the interface is absent. */
  constructor(
    readonly ifname: string,
    readonly mac: Buffer,
  ) {
    const a = native();
    this.ifindex = a.ifindex(ifname);
    if (this.ifindex === 0)
      throw new GarpError(`gratuitous ARP: no interface named '${ifname}'`, ifname, 'ENODEV');
    try {
      this.fd = a.socket(AF_PACKET, SOCK_RAW, 0);
      a.bind(this.fd, sockaddrLl(this.ifindex, 0));
    } catch (e) {
      throw new GarpError(`gratuitous ARP on ${ifname}: ${(e as Error).message}`, ifname, code(e));
    }
  }

  /** Announces `vip` (gratuitous ARP for IPv4, unsolicited NA for IPv6). */
  announce(vip: string, opts: { router?: boolean } = {}): GarpError | null {
    if (this.fd < 0)
      return new GarpError(`gratuitous ARP on ${this.ifname}: sender is closed`, this.ifname, 'EBADF');
    try {
      const v4 = ipFamily(vip) === 4;
      const frame = v4 ? buildGratuitousArp(this.mac, vip) : buildUnsolicitedNa(this.mac, vip, opts.router);
      const dst = v4 ? BROADCAST : ALL_NODES_MAC;
      native().sendmsg(this.fd, frame, sockaddrLl(this.ifindex, v4 ? ETH_P_ARP : ETH_P_IPV6, dst), null);
      return null;
    } catch (e) {
      const what = e instanceof Error ? e.message : String(e);
      return new GarpError(`announcing ${vip} on ${this.ifname}: ${what}`, this.ifname, code(e));
    }
  }

  close(): void {
    if (this.fd < 0) return;
    native().close(this.fd);
    this.fd = -1;
  }
}

function code(e: unknown): string {
  return isSyscallError(e) ? e.code : 'EINVAL';
}

/** Opens a sender for an interface, reading its MAC over rtnetlink. */
export async function openGarpSender(rtnl: RtNetlinkSocket, ifname: string): Promise<GarpSender> {
  const link = await getLink(rtnl, ifname);
  if (!link) throw new GarpError(`gratuitous ARP: no interface named '${ifname}'`, ifname, 'ENODEV');
  if (!link.mac) throw new GarpError(`gratuitous ARP: ${ifname} has no Ethernet address`, ifname, 'EINVAL');
  return new GarpSender(ifname, parseMac(link.mac));
}
