// What keepalived's data dump shows beyond the configuration and the instances' status: the VRRP
// sockets, each instance's timers, and the interfaces as the OS has them. Plain data: the VRRP
// runtime and the OS adapter (src/os/interface-view.ts) fill it, the dump formatters read it.

/** One VRRP socket vigil has open (keepalived's sock_t in the "VRRP Sockpool" section). */
import type { OsInterface } from '../os/interface-view.js';

export interface SocketView {
  /** Its file descriptor: vigil sends and receives on one socket, so fd_in = fd_out. */
  fd: number;
  ifname: string;
  family: 4 | 6;
  /** IP protocol 51 (auth_type AH) rather than 112. */
  ah: boolean;
  /** The unicast source address when every instance on it is unicast, else null (multicast). */
  unicastSrc: string | null;
  instances: { name: string; vrid: number }[];
}

/** An instance's timers: keepalived's "Read timeout" (sands) and "Master down timer". */
export interface InstanceTimers {
  /** When the instance's timer fires next, seconds since the epoch; null when disabled. */
  readTimeout: number | null;
  masterDownUs: number;
}

export interface DumpView {
  sockets: SocketView[];
  /** Each vrrp_track_process: processes running now, and whether that is its quorum. */
  processes?: ReadonlyMap<string, { count: number; quorum: boolean }>;
  timers: ReadonlyMap<string, InstanceTimers>;
  /** null when the OS could not be read (the section is then left out). */
  interfaces: OsInterface[] | null;
}
