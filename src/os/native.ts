// Typed access to vigil's native addon (native/vigil_sock.c, built by `npm ci` through node-gyp)
// plus the Linux structure layouts it is called with. Node's core has no raw IP or AF_PACKET
// sockets, and npm's raw-socket has neither bind() nor recvmsg ancillary data (the IPv6 hop limit
// and destination address VRRP must check): this is the smallest bridge that reaches them.
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import { openSync, closeSync } from 'node:fs';
import { ipToBytes } from '../base/inet.js';

export interface ControlMessage {
  level: number;
  type: number;
  data: Buffer;
}

export interface Received {
  data: Buffer;
  /** The sender's sockaddr as the kernel gave it. */
  addr: Buffer;
  cmsgs: ControlMessage[];
  truncated: boolean;
}

/** An error from a system call: `code` is the errno name (ENODEV, EPERM, ...). */
export interface SyscallError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export type WatchHandle = { readonly __watch: unique symbol };

interface Addon {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: number | Buffer): void;
  bind(fd: number, sockaddr: Buffer): void;
  sendmsg(
    fd: number,
    data: Buffer,
    sockaddr: Buffer | null,
    cmsgs: [number, number, Buffer][] | null,
  ): number;
  recvmsg(fd: number, maxLen: number): Received | null;
  close(fd: number): void;
  setns(fd: number): void;
  /** if_nametoindex(3) in the calling thread's namespace; 0 when there is no such interface. */
  ifindex(name: string): number;
  watch(fd: number, onReadable: (status: number) => void): WatchHandle;
  unwatch(handle: WatchHandle): void;
  refWatch(handle: WatchHandle, keepAlive: boolean): void;
  /** sched_setscheduler(tid, SCHED_RR, priority); tid 0 is the calling thread. */
  schedRr(tid: number, priority: number): void;
  /** setrlimit(RLIMIT_RTTIME): soft limit in µs (SIGXCPU), hard unlimited. */
  rlimitRttime(us: number): void;
  /** sched_setaffinity(tid, cpus). */
  setAffinity(tid: number, cpus: number[]): void;
  /**
   * A connect-probe thread (native/tcp_probe.c); answers arrive in batches: err 0 connected, -1
   * timeout, else errno | the failed setup step << 16 (1 SO_MARK, 2 SO_BINDTODEVICE, 3 bind);
   * fds[i] is a kept connection, else -1.
   */
  tcpProber(
    onAnswers: (ids: Uint32Array, errs: Int32Array, ms: Float64Array, fds: Int32Array) => void,
  ): TcpProberHandle;
  /**
   * Starts one probe; false when an address is not an IP literal. ifname / mark: SO_BINDTODEVICE /
   * SO_MARK before bind; keep: a completed connection's fd is handed over instead of closed.
   */
  tcpProbe(
    prober: TcpProberHandle,
    id: number,
    ip: string,
    port: number,
    timeoutMs: number,
    bindIp: string | null,
    bindPort: number,
    ifname?: string | null,
    mark?: number,
    keep?: boolean,
  ): boolean;
  /**
   * A non-blocking UDP socket of dstIp's family with SO_MARK, SO_BINDTODEVICE and bind applied
   * (UDP_CHECK, DNS_CHECK); throws an errno error whose syscall names the step that failed.
   */
  checkSocket(
    dstIp: string,
    ifname: string | null,
    mark: number,
    bindIp: string | null,
    bindPort: number,
  ): number;
  /**
   * The TCP relay's threads (native/tcp_relay.c). Events arrive in batches as records of 8
   * numbers [type, id, listener, port|errno, inBytes, outBytes, inPkts, outPkts], with the
   * accepted clients' addresses in order.
   */
  tcpRelay(threads: number, onEvents: (records: Float64Array, addrs: string[]) => void): RelayHandle;
  relayListen(
    relay: RelayHandle,
    ip: string,
    port: number,
    backlog: number,
    listenerId: number,
  ): RelayListenerHandle;
  relayUnlisten(relay: RelayHandle, listener: RelayListenerHandle): void;
  /** Connects an accepted connection to its real server; false when ip is not an IP literal. */
  relayConnect(
    relay: RelayHandle,
    id: number,
    ip: string,
    port: number,
    tcpMs: number,
    finMs: number,
  ): boolean;
  /** reset: refuse a connection still waiting for its server (no event follows); else close it. */
  relayEnd(relay: RelayHandle, id: number, reset: boolean): void;
  relayRef(relay: RelayHandle, keepAlive: boolean): void;
  relayBuffered(relay: RelayHandle): number;
  /** On process exit: ends the relay threads and closes their wake-up handle. */
  relayStop(relay: RelayHandle): void;
  /** A libuv signal handle for any signal number (real-time ones included); it does not keep the loop alive. */
  signalWatch(signum: number, onSignal: (signum: number) => void): SignalHandle;
  signalUnwatch(handle: SignalHandle): void;
  /** [SIGRTMIN, SIGRTMAX] as the C library defines them. */
  signalRange(): [number, number];
}

export type SignalHandle = { readonly __signal: unique symbol };

export type RelayHandle = { readonly __relay: unique symbol };
export type RelayListenerHandle = { readonly __relayListener: unique symbol };
export type TcpProberHandle = { readonly __tcpProber: unique symbol };

let addon: Addon | undefined;

/**
 * Where the addon may be, relative to src/os (tsx) and dist/os (built) alike: a build from
 * source first (a developer's, or npm's install script where no prebuilt binary fits), then the
 * prebuilt binary the package ships for this architecture (scripts/prebuild.mjs).
 */
export const ADDON_PATHS = [
  '../../build/Release/vigil_native.node',
  `../../prebuilds/linux-${process.arch}/vigil_native.node`,
];

/** The addon, loaded on first use (so pure modules importing constants never need it). */
export function native(): Addon {
  if (!addon) {
    const require = createRequire(import.meta.url);
    const why: string[] = [];
    for (const p of ADDON_PATHS) {
      try {
        addon = require(p) as Addon;
        break;
      } catch (e) {
        why.push(`${p.slice(6)}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    if (!addon)
      throw new Error(
        `vigil's native addon cannot be loaded (${why.join('; ')}); run \`npm ci\` or \`npm run install\``,
      );
  }
  return addon;
}

export function isSyscallError(e: unknown): e is SyscallError {
  return e instanceof Error && typeof (e as Partial<SyscallError>).errno === 'number';
}

// Linux constants (the same on every architecture Node runs Linux on).
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_PACKET = 17;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
export const SO_BINDTODEVICE = 25;
export const IPPROTO_IP = 0;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_VRRP = 112;
export const IP_TOS = 1;
export const IP_TTL = 2;
export const IP_PKTINFO = 8;
export const IP_MULTICAST_IF = 32;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_ADD_MEMBERSHIP = 35;
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_MULTICAST_IF = 17;
export const IPV6_MULTICAST_HOPS = 18;
export const IPV6_MULTICAST_LOOP = 19;
export const IPV6_JOIN_GROUP = 20;
export const IPV6_RECVPKTINFO = 49;
export const IPV6_PKTINFO = 50;
export const IPV6_RECVHOPLIMIT = 51;
export const IPV6_HOPLIMIT = 52;
export const ETH_P_ALL = 0x0003;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;

const LE = endianness() === 'LE';
function u16(b: Buffer, v: number, off: number): void {
  if (LE) b.writeUInt16LE(v, off);
  else b.writeUInt16BE(v, off);
}
function i32(b: Buffer, v: number, off: number): void {
  if (LE) b.writeInt32LE(v, off);
  else b.writeInt32BE(v, off);
}
function readI32(b: Buffer, off: number): number {
  return LE ? b.readInt32LE(off) : b.readInt32BE(off);
}

/** struct sockaddr_in / sockaddr_in6 for an address (scope id for link-local IPv6). */
export function sockaddrIn(addr: string, port = 0, scopeId = 0): Buffer {
  const bytes = ipToBytes(addr);
  if (bytes.length === 4) {
    const b = Buffer.alloc(16);
    u16(b, AF_INET, 0);
    b.writeUInt16BE(port, 2);
    bytes.copy(b, 4);
    return b;
  }
  const b = Buffer.alloc(28);
  u16(b, AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  bytes.copy(b, 8);
  i32(b, scopeId, 24);
  return b;
}

/** struct sockaddr_un; a leading '@' names an abstract socket (as systemd writes NOTIFY_SOCKET). */
export function sockaddrUn(path: string): Buffer {
  const abstract = path.startsWith('@');
  const name = Buffer.from(abstract ? '\0' + path.slice(1) : path, 'utf8');
  // sun_path is 108 bytes, a path's terminating NUL included.
  if (name.length < 1 || name.length > 107)
    throw new Error(`unix socket path '${path}' must be 1..107 bytes`);
  const b = Buffer.alloc(2 + name.length + (abstract ? 0 : 1));
  u16(b, AF_UNIX, 0);
  name.copy(b, 2);
  return b;
}

/** The address bytes of a sockaddr_in/in6 the kernel returned (null for other families). */
export function sockaddrAddress(sa: Buffer): Buffer | null {
  if (sa.length < 2) return null;
  const family = LE ? sa.readUInt16LE(0) : sa.readUInt16BE(0);
  if (family === AF_INET && sa.length >= 8) return sa.subarray(4, 8);
  if (family === AF_INET6 && sa.length >= 24) return sa.subarray(8, 24);
  return null;
}

/** struct sockaddr_ll for binding/sending on an interface (destination MAC optional). */
export function sockaddrLl(ifindex: number, protocol: number, mac?: Buffer): Buffer {
  const b = Buffer.alloc(20);
  u16(b, AF_PACKET, 0);
  b.writeUInt16BE(protocol, 2);
  i32(b, ifindex, 4);
  if (mac) {
    b.writeUInt8(mac.length, 11);
    mac.copy(b, 12);
  }
  return b;
}

/** struct ip_mreqn: join `group` on interface `ifindex`. */
export function ipMreqn(group: string, ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  ipToBytes(group).copy(b, 0);
  i32(b, ifindex, 8);
  return b;
}

/** struct ipv6_mreq. */
export function ipv6Mreq(group: string, ifindex: number): Buffer {
  const b = Buffer.alloc(20);
  ipToBytes(group).copy(b, 0);
  i32(b, ifindex, 16);
  return b;
}

/** struct in_pktinfo for sendmsg: outgoing interface and source address. */
export function inPktinfo(ifindex: number, source: string): Buffer {
  const b = Buffer.alloc(12);
  i32(b, ifindex, 0);
  ipToBytes(source).copy(b, 4);
  return b;
}

/** struct in6_pktinfo: address (source on send, destination on receive) and interface. */
export function in6Pktinfo(ifindex: number, addr: string): Buffer {
  const b = Buffer.alloc(20);
  ipToBytes(addr).copy(b, 0);
  i32(b, ifindex, 16);
  return b;
}

export function parseIn6Pktinfo(b: Buffer): { addr: Buffer; ifindex: number } {
  return { addr: b.subarray(0, 16), ifindex: readI32(b, 16) };
}

/** A C int from control-message data (e.g. IPV6_HOPLIMIT). */
export function readInt(b: Buffer): number {
  return readI32(b, 0);
}

/**
 * Runs `fn` with the calling thread in the network namespace at `nsPath` (e.g. /run/netns/x),
 * then returns to the original one. Sockets opened inside stay in that namespace. `fn` must be
 * synchronous: nothing else may run while the thread is switched.
 */
export function inNetns<T>(nsPath: string, fn: () => T): T {
  const a = native();
  const home = openSync('/proc/thread-self/ns/net', 'r');
  let target: number | undefined;
  try {
    target = openSync(nsPath, 'r');
    a.setns(target);
    try {
      return fn();
    } finally {
      a.setns(home);
    }
  } finally {
    if (target !== undefined) closeSync(target);
    closeSync(home);
  }
}
