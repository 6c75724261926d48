// The IPVS generic-netlink codec (include/uapi/linux/ip_vs.h): commands, attribute numbers and
// the encoding of services, real servers, statistics and timeouts. Pure: bytes in, bytes out.
// Attributes are host-order TLVs padded to 4 bytes; addresses and ports are network order.
import { bytesToIp, ipToBytes } from '../../base/inet.js';
import type { SyncDaemonSpec } from '../engine.js';
import type { Counters, DestSpec, Family, Forwarding, Protocol, ServiceKey, ServiceSpec } from '../engine.js';

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

export const Cmd = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  NEW_DAEMON: 9,
  DEL_DAEMON: 10,
  GET_DAEMON: 11,
  SET_CONFIG: 12,
  GET_CONFIG: 13,
  GET_INFO: 15,
  ZERO: 16,
  FLUSH: 17,
} as const;

/** Top-level attributes of a command (IPVS_CMD_ATTR_*). */
export const CmdAttr = {
  SERVICE: 1,
  DEST: 2,
  DAEMON: 3,
  TIMEOUT_TCP: 4,
  TIMEOUT_TCP_FIN: 5,
  TIMEOUT_UDP: 6,
} as const;

export const SvcAttr = {
  AF: 1,
  PROTOCOL: 2,
  ADDR: 3,
  PORT: 4,
  FWMARK: 5,
  SCHED_NAME: 6,
  FLAGS: 7,
  TIMEOUT: 8,
  NETMASK: 9,
  STATS: 10,
  PE_NAME: 11,
  STATS64: 12,
} as const;

export const DestAttr = {
  ADDR: 1,
  PORT: 2,
  FWD_METHOD: 3,
  WEIGHT: 4,
  U_THRESH: 5,
  L_THRESH: 6,
  ACTIVE_CONNS: 7,
  INACT_CONNS: 8,
  PERSIST_CONNS: 9,
  STATS: 10,
  ADDR_FAMILY: 11,
  STATS64: 12,
  TUN_TYPE: 13,
  TUN_PORT: 14,
  TUN_FLAGS: 15,
} as const;

/** Attributes nested in CmdAttr.DAEMON (IPVS_DAEMON_ATTR_*). */
export const DaemonAttr = {
  STATE: 1,
  MCAST_IFN: 2,
  SYNC_ID: 3,
  SYNC_MAXLEN: 4,
  MCAST_GROUP: 5,
  MCAST_GROUP6: 6,
  MCAST_PORT: 7,
  MCAST_TTL: 8,
} as const;

/** IP_VS_STATE_MASTER / IP_VS_STATE_BACKUP. */
export const DaemonState = { master: 1, backup: 2 } as const;

export const StatsAttr = { CONNS: 1, INPKTS: 2, OUTPKTS: 3, INBYTES: 4, OUTBYTES: 5 } as const;
export const InfoAttr = { VERSION: 1, CONN_TAB_SIZE: 2 } as const;

/** struct ip_vs_service flags. SCHED1/SCHED2 are sh-fallback/sh-port (and mh-*). */
export const SvcFlag = { PERSISTENT: 0x1, HASHED: 0x2, ONEPACKET: 0x4, SCHED1: 0x8, SCHED2: 0x10 } as const;

const NLA_F_NESTED = 0x8000;
const AF_INET = 2;
const AF_INET6 = 10;
const PROTO: Record<Protocol, number> = { tcp: 6, udp: 17, sctp: 132 };
const FWD: Record<Exclude<Forwarding, 'fullnat'>, number> = { nat: 0, tun: 2, dr: 3 };
const TUN: Record<NonNullable<DestSpec['tunnelType']>, number> = { ipip: 0, gue: 1, gre: 2 };

// ---- TLV primitives ---------------------------------------------------------------------------

/** One attribute: 4-byte header, payload, zero padding to a multiple of 4 (length excludes it). */
export function attr(type: number, payload: Uint8Array): Buffer {
  const len = 4 + payload.length;
  if (len > 0xffff) throw new RangeError(`netlink attribute ${type} too long (${len} bytes)`);
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  out.set(payload, 4);
  return out;
}

export function nest(type: number, children: readonly Uint8Array[]): Buffer {
  return attr(type | NLA_F_NESTED, Buffer.concat(children));
}

const u8 = (type: number, v: number): Buffer => attr(type, Buffer.of(v));
function u16(type: number, v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return attr(type, b);
}
function be16(type: number, v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return attr(type, b);
}
function u32(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return attr(type, b);
}
const str = (type: number, s: string): Buffer => attr(type, Buffer.from(`${s}\0`, 'latin1'));

/** union nf_inet_addr: always 16 bytes, an IPv4 address in the first four. */
function inetAddr(type: number, address: string): Buffer {
  const b = Buffer.alloc(16);
  b.set(ipToBytes(address));
  return attr(type, b);
}

/** Splits a run of attributes by type (nested flag stripped); the last of a repeated type wins. */
export function parseAttrs(buf: Uint8Array): Map<number, Buffer> {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= b.length) {
    const len = b.readUInt16LE(off);
    if (len < 4 || off + len > b.length)
      throw new RangeError(`bad netlink attribute length ${len} at ${off}`);
    out.set(b.readUInt16LE(off + 2) & 0x3fff, b.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

// ---- services and destinations ------------------------------------------------------------------

const afOf = (family: Family): number => (family === 6 ? AF_INET6 : AF_INET);

/** The attributes that name a service (enough for DEL_SERVICE and GET_DEST). */
function serviceIdentity(key: ServiceKey): Buffer[] {
  const af = u16(SvcAttr.AF, afOf(key.family));
  if (key.kind === 'fwmark') return [af, u32(SvcAttr.FWMARK, key.fwmark)];
  return [
    af,
    u16(SvcAttr.PROTOCOL, PROTO[key.protocol]),
    inetAddr(SvcAttr.ADDR, key.address),
    be16(SvcAttr.PORT, key.port),
  ];
}

export function encodeServiceKey(key: ServiceKey): Buffer {
  return nest(CmdAttr.SERVICE, serviceIdentity(key));
}

/** IPv4 netmask as the kernel keeps it (a __be32), IPv6 as a prefix length; full by default. */
function netmaskValue(family: Family, mask: string | undefined): number {
  if (family === 6) {
    const plen = mask === undefined || mask === '' ? 128 : Number(mask);
    if (!Number.isInteger(plen) || plen < 1 || plen > 128)
      throw new RangeError(`bad IPv6 persistence prefix '${mask}'`);
    return plen;
  }
  const bytes = ipToBytes(mask ?? '255.255.255.255');
  return bytes.readUInt32LE(0); // host-order u32 whose memory is the network-order mask
}

/** A full service (NEW_SERVICE / SET_SERVICE): the kernel wants every one of these. */
export function encodeService(s: ServiceSpec): Buffer {
  const persistent = (s.persistenceTimeout ?? 0) > 0;
  let flags = 0;
  if (persistent) flags |= SvcFlag.PERSISTENT;
  if (s.flags.ops) flags |= SvcFlag.ONEPACKET;
  if (s.flags.fallback) flags |= SvcFlag.SCHED1;
  if (s.flags.port) flags |= SvcFlag.SCHED2;
  const fl = Buffer.alloc(8);
  fl.writeUInt32LE(flags, 0);
  fl.writeUInt32LE(0xffffffff, 4); // mask: every bit is ours to set
  return nest(CmdAttr.SERVICE, [
    ...serviceIdentity(s.key),
    str(SvcAttr.SCHED_NAME, s.scheduler),
    attr(SvcAttr.FLAGS, fl),
    u32(SvcAttr.TIMEOUT, persistent ? s.persistenceTimeout! : 0),
    u32(SvcAttr.NETMASK, netmaskValue(s.key.family, s.persistenceNetmask)),
  ]);
}

/** A full destination (NEW_DEST / SET_DEST) or, with `full` false, just its identity (DEL_DEST). */
export function encodeDest(d: DestSpec | { address: string; port: number }, full = true): Buffer {
  const family = d.address.includes(':') ? AF_INET6 : AF_INET;
  const out = [
    inetAddr(DestAttr.ADDR, d.address),
    be16(DestAttr.PORT, d.port),
    u16(DestAttr.ADDR_FAMILY, family),
  ];
  if (full && 'forwarding' in d) {
    if (d.forwarding === 'fullnat') throw new RangeError('IPVS has no full-NAT forwarding');
    out.push(
      u32(DestAttr.FWD_METHOD, FWD[d.forwarding]),
      u32(DestAttr.WEIGHT, d.weight),
      u32(DestAttr.U_THRESH, d.upperThreshold),
      u32(DestAttr.L_THRESH, d.lowerThreshold),
    );
    if (d.forwarding === 'tun' && d.tunnelType !== undefined) {
      out.push(u8(DestAttr.TUN_TYPE, TUN[d.tunnelType]));
      if (d.tunnelPort !== undefined) out.push(be16(DestAttr.TUN_PORT, d.tunnelPort));
      // IP_VS_TUNNEL_ENCAP_FLAG_CSUM / _REMCSUM (NOCSUM is 0, the kernel's default)
      if (d.tunnelCsum) out.push(u16(DestAttr.TUN_FLAGS, d.tunnelCsum === 'csum' ? 1 : 2));
    }
  }
  return nest(CmdAttr.DEST, out);
}

export function encodeTimeouts(t: { tcp?: number; tcpFin?: number; udp?: number }): Buffer[] {
  const out: Buffer[] = [];
  if (t.tcp !== undefined) out.push(u32(CmdAttr.TIMEOUT_TCP, t.tcp));
  if (t.tcpFin !== undefined) out.push(u32(CmdAttr.TIMEOUT_TCP_FIN, t.tcpFin));
  if (t.udp !== undefined) out.push(u32(CmdAttr.TIMEOUT_UDP, t.udp));
  return out;
}

export function decodeTimeouts(payload: Uint8Array): { tcp: number; tcpFin: number; udp: number } {
  const a = parseAttrs(payload);
  const get = (t: number) => a.get(t)?.readUInt32LE(0) ?? 0;
  return {
    tcp: get(CmdAttr.TIMEOUT_TCP),
    tcpFin: get(CmdAttr.TIMEOUT_TCP_FIN),
    udp: get(CmdAttr.TIMEOUT_UDP),
  };
}

export function decodeInfo(payload: Uint8Array): { version: string; connTabSize: number } {
  const a = parseAttrs(payload);
  const v = a.get(InfoAttr.VERSION)?.readUInt32LE(0) ?? 0;
  return {
    version: `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`,
    connTabSize: a.get(InfoAttr.CONN_TAB_SIZE)?.readUInt32LE(0) ?? 0,
  };
}

function familyOf(af: number): Family {
  if (af === AF_INET) return 4;
  if (af === AF_INET6) return 6;
  throw new RangeError(`unknown address family ${af}`);
}

function addrText(b: Buffer | undefined, family: Family): string {
  if (!b) throw new RangeError('address attribute missing');
  return bytesToIp(b.subarray(0, family === 4 ? 4 : 16));
}

/** STATS64 when the kernel sends it (all u64), else STATS (u32 counts, u64 bytes). */
function decodeCounters(a: Map<number, Buffer>, stats: number, stats64: number): Counters {
  const s64 = a.get(stats64);
  const s = s64 ?? a.get(stats);
  if (!s) return { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
  const st = parseAttrs(s);
  const num = (t: number): number => {
    const v = st.get(t);
    if (!v) return 0;
    return v.length >= 8 ? Number(v.readBigUInt64LE(0)) : v.readUInt32LE(0);
  };
  return {
    conns: num(StatsAttr.CONNS),
    inPkts: num(StatsAttr.INPKTS),
    outPkts: num(StatsAttr.OUTPKTS),
    inBytes: num(StatsAttr.INBYTES),
    outBytes: num(StatsAttr.OUTBYTES),
  };
}

export interface DecodedService {
  spec: ServiceSpec;
  counters: Counters;
}

/** One GET_SERVICE reply (its payload after the genl header). */
export function decodeService(payload: Uint8Array): DecodedService {
  const svc = parseAttrs(payload).get(CmdAttr.SERVICE);
  if (!svc) throw new RangeError('IPVS reply without a service');
  const a = parseAttrs(svc);
  const family = familyOf(a.get(SvcAttr.AF)?.readUInt16LE(0) ?? 0);
  let key: ServiceKey;
  const fwmark = a.get(SvcAttr.FWMARK)?.readUInt32LE(0) ?? 0;
  if (fwmark !== 0) key = { kind: 'fwmark', family, fwmark };
  else {
    const p = a.get(SvcAttr.PROTOCOL)?.readUInt16LE(0);
    const protocol = (Object.keys(PROTO) as Protocol[]).find((k) => PROTO[k] === p);
    if (!protocol) throw new RangeError(`unknown IPVS service protocol ${p}`);
    key = {
      kind: 'addr',
      family,
      address: addrText(a.get(SvcAttr.ADDR), family),
      port: a.get(SvcAttr.PORT)?.readUInt16BE(0) ?? 0,
      protocol,
    };
  }
  const flags = a.get(SvcAttr.FLAGS)?.readUInt32LE(0) ?? 0;
  const spec: ServiceSpec = {
    key,
    scheduler: (a.get(SvcAttr.SCHED_NAME)?.toString('latin1') ?? '').replace(/\0.*$/s, ''),
    flags: {},
  };
  if (flags & SvcFlag.PERSISTENT) {
    spec.persistenceTimeout = a.get(SvcAttr.TIMEOUT)?.readUInt32LE(0) ?? 0;
    // The full mask is the kernel's default: report it as absent, as a config would leave it.
    const m = a.get(SvcAttr.NETMASK)?.readUInt32LE(0) ?? 0;
    if (family === 6) {
      if (m !== 0 && m !== 128) spec.persistenceNetmask = String(m);
    } else if (m !== 0 && m !== 0xffffffff) {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(m);
      spec.persistenceNetmask = bytesToIp(b);
    }
  }
  if (flags & SvcFlag.ONEPACKET) spec.flags.ops = true;
  if (flags & SvcFlag.SCHED1) spec.flags.fallback = true;
  if (flags & SvcFlag.SCHED2) spec.flags.port = true;
  return { spec, counters: decodeCounters(a, SvcAttr.STATS, SvcAttr.STATS64) };
}

export interface DecodedDest {
  dest: DestSpec;
  activeConns: number;
  inactiveConns: number;
  persistConns: number;
  counters: Counters;
}

/** One GET_DEST reply. `family` is the service's, used when the kernel omits ADDR_FAMILY. */
export function decodeDest(payload: Uint8Array, family: Family): DecodedDest {
  const d = parseAttrs(payload).get(CmdAttr.DEST);
  if (!d) throw new RangeError('IPVS reply without a destination');
  const a = parseAttrs(d);
  const af = a.get(DestAttr.ADDR_FAMILY);
  const fam = af ? familyOf(af.readUInt16LE(0)) : family;
  const u = (t: number) => a.get(t)?.readUInt32LE(0) ?? 0;
  const method = u(DestAttr.FWD_METHOD) & 7;
  const forwarding = (Object.keys(FWD) as (keyof typeof FWD)[]).find((k) => FWD[k] === method);
  if (!forwarding) throw new RangeError(`unsupported IPVS forwarding method ${method}`);
  const dest: DestSpec = {
    address: addrText(a.get(DestAttr.ADDR), fam),
    port: a.get(DestAttr.PORT)?.readUInt16BE(0) ?? 0,
    forwarding,
    weight: u(DestAttr.WEIGHT),
    upperThreshold: u(DestAttr.U_THRESH),
    lowerThreshold: u(DestAttr.L_THRESH),
  };
  if (forwarding === 'tun') {
    const tt = a.get(DestAttr.TUN_TYPE)?.readUInt8(0) ?? 0;
    dest.tunnelType = (Object.keys(TUN) as (keyof typeof TUN)[]).find((k) => TUN[k] === tt) ?? 'ipip';
    const tp = a.get(DestAttr.TUN_PORT)?.readUInt16BE(0) ?? 0;
    if (tp !== 0) dest.tunnelPort = tp;
    const tf = a.get(DestAttr.TUN_FLAGS)?.readUInt16LE(0) ?? 0;
    if (tf) dest.tunnelCsum = tf & 1 ? 'csum' : 'remcsum';
  }
  return {
    dest,
    activeConns: u(DestAttr.ACTIVE_CONNS),
    inactiveConns: u(DestAttr.INACT_CONNS),
    persistConns: u(DestAttr.PERSIST_CONNS),
    counters: decodeCounters(a, DestAttr.STATS, DestAttr.STATS64),
  };
}

// ---- connection synchronisation daemons ---------------------------------------------------------

/** IFNAMSIZ less the NUL: the kernel refuses longer names. */
const IFNAME_MAX = 15;

/**
 * NEW_DAEMON's attribute. Optional fields left out take the kernel's defaults (port 8848,
 * group 224.0.0.81, ttl 1, maxlen from the MTU), as ipvsadm and keepalived leave them.
 * The port is host order (the kernel keeps an int and converts it itself).
 */
export function encodeDaemon(d: SyncDaemonSpec): Buffer {
  if (d.mcastInterface === '' || d.mcastInterface.length > IFNAME_MAX)
    throw new RangeError(`sync daemon interface '${d.mcastInterface}' must be 1 to ${IFNAME_MAX} characters`);
  const out = [
    u32(DaemonAttr.STATE, DaemonState[d.state]),
    str(DaemonAttr.MCAST_IFN, d.mcastInterface),
    u32(DaemonAttr.SYNC_ID, d.syncid),
  ];
  if (d.syncMaxlen) out.push(u16(DaemonAttr.SYNC_MAXLEN, d.syncMaxlen));
  if (d.mcastPort) out.push(u16(DaemonAttr.MCAST_PORT, d.mcastPort));
  if (d.mcastTtl) out.push(u8(DaemonAttr.MCAST_TTL, d.mcastTtl));
  if (d.mcastGroup) {
    const b = ipToBytes(d.mcastGroup);
    out.push(attr(b.length === 4 ? DaemonAttr.MCAST_GROUP : DaemonAttr.MCAST_GROUP6, b));
  }
  return nest(CmdAttr.DAEMON, out);
}

/** DEL_DAEMON names only the state (the kernel runs at most one daemon of each). */
export function encodeDaemonState(state: SyncDaemonSpec['state']): Buffer {
  return nest(CmdAttr.DAEMON, [u32(DaemonAttr.STATE, DaemonState[state])]);
}

/** One GET_DAEMON reply. Kernels before 4.3 send only state, interface and sync id. */
export function decodeDaemon(payload: Uint8Array): SyncDaemonSpec {
  const n = parseAttrs(payload).get(CmdAttr.DAEMON);
  if (!n) throw new RangeError('IPVS reply without a daemon');
  const a = parseAttrs(n);
  const st = a.get(DaemonAttr.STATE)?.readUInt32LE(0);
  const state = st === DaemonState.master ? 'master' : st === DaemonState.backup ? 'backup' : undefined;
  if (!state) throw new RangeError(`unknown IPVS sync daemon state ${st}`);
  const d: SyncDaemonSpec = {
    state,
    mcastInterface: (a.get(DaemonAttr.MCAST_IFN)?.toString('latin1') ?? '').replace(/\0.*$/s, ''),
    syncid: a.get(DaemonAttr.SYNC_ID)?.readUInt32LE(0) ?? 0,
  };
  const maxlen = a.get(DaemonAttr.SYNC_MAXLEN)?.readUInt16LE(0);
  if (maxlen) d.syncMaxlen = maxlen;
  const port = a.get(DaemonAttr.MCAST_PORT)?.readUInt16LE(0);
  if (port) d.mcastPort = port;
  const ttl = a.get(DaemonAttr.MCAST_TTL)?.readUInt8(0);
  if (ttl) d.mcastTtl = ttl;
  const g6 = a.get(DaemonAttr.MCAST_GROUP6);
  const g4 = a.get(DaemonAttr.MCAST_GROUP);
  if (g6 && g6.length >= 16) d.mcastGroup = bytesToIp(g6.subarray(0, 16));
  else if (g4 && g4.length >= 4) d.mcastGroup = bytesToIp(g4.subarray(0, 4));
  return d;
}
