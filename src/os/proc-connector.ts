// The kernel's process events connector (netlink NETLINK_CONNECTOR, group CN_IDX_PROC): fork,
// exec, comm change and exit of every process, as keepalived's track_process listens to them.
// The kernel only serves it in the initial network namespace: elsewhere subscribing fails with
// ECONNREFUSED, and open() throws so the caller can fall back to scanning /proc.
import { endianness } from 'node:os';
import { isSyscallError, native, SOCK_DGRAM, SOL_SOCKET, SO_RCVBUF, type WatchHandle } from './native.js';

const SO_RCVBUFFORCE = 33;

const AF_NETLINK = 16;
const NETLINK_CONNECTOR = 11;
const CN_IDX_PROC = 1;
const CN_VAL_PROC = 1;
const NLMSG_DONE = 3;
const PROC_CN_MCAST_LISTEN = 1;
const PROC_CN_MCAST_IGNORE = 2;

const PROC_EVENT_NONE = 0;
const PROC_EVENT_FORK = 0x1;
const PROC_EVENT_EXEC = 0x2;
const PROC_EVENT_COMM = 0x200;
const PROC_EVENT_EXIT = 0x80000000;

export type ProcEvent =
  | { type: 'ack' }
  | { type: 'fork'; parent: number; child: number }
  | { type: 'exec'; pid: number }
  | { type: 'comm'; pid: number; comm: string }
  | { type: 'exit'; pid: number };

const LE = endianness() === 'LE';
const u32 = (b: Buffer, off: number): number => (LE ? b.readUInt32LE(off) : b.readUInt32BE(off));
function put32(b: Buffer, v: number, off: number): void {
  if (LE) b.writeUInt32LE(v, off);
  else b.writeUInt32BE(v, off);
}
function put16(b: Buffer, v: number, off: number): void {
  if (LE) b.writeUInt16LE(v, off);
  else b.writeUInt16BE(v, off);
}

// nlmsghdr (16) + cn_msg (20) + proc_event: what, cpu, timestamp (16), then the event data.
const CN = 16;
const EV = CN + 20;
const DATA = EV + 16;

/** The subscribe/unsubscribe request: nlmsghdr + cn_msg + enum proc_cn_mcast_op. */
export function listenRequest(pid: number, enable: boolean): Buffer {
  const b = Buffer.alloc(CN + 20 + 4);
  put32(b, b.length, 0);
  put16(b, NLMSG_DONE, 4);
  put32(b, pid, 12);
  put32(b, CN_IDX_PROC, CN);
  put32(b, CN_VAL_PROC, CN + 4);
  put16(b, 4, CN + 16);
  put32(b, enable ? PROC_CN_MCAST_LISTEN : PROC_CN_MCAST_IGNORE, CN + 20);
  return b;
}

/**
 * One datagram from the connector; null for anything else. Threads are left out, as keepalived
 * leaves them out: only events whose thread id is the process id (a process, not a thread) count.
 */
export function parseProcEvent(b: Buffer): ProcEvent | null {
  if (b.length < DATA || u32(b, CN) !== CN_IDX_PROC || u32(b, CN + 4) !== CN_VAL_PROC) return null;
  const what = u32(b, EV);
  const at = (i: number): number => u32(b, DATA + 4 * i);
  switch (what) {
    case PROC_EVENT_NONE:
      return { type: 'ack' };
    case PROC_EVENT_FORK:
      if (b.length < DATA + 16 || at(2) !== at(3)) return null;
      return { type: 'fork', parent: at(1), child: at(3) };
    case PROC_EVENT_EXEC:
      if (b.length < DATA + 8 || at(0) !== at(1)) return null;
      return { type: 'exec', pid: at(1) };
    case PROC_EVENT_COMM: {
      if (b.length < DATA + 8 + 16 || at(0) !== at(1)) return null;
      const raw = b.subarray(DATA + 8, DATA + 24);
      const nul = raw.indexOf(0);
      return { type: 'comm', pid: at(1), comm: raw.subarray(0, nul < 0 ? 16 : nul).toString('utf8') };
    }
    case PROC_EVENT_EXIT:
      if (b.length < DATA + 8 || at(0) !== at(1)) return null;
      return { type: 'exit', pid: at(1) };
    default:
      return null;
  }
}

export class ProcConnector {
  private fd: number | null = null;
  private watch: WatchHandle | null = null;

  /**
   * Subscribes; `onEvent` gets each event, `onLost` is told when the socket's buffer overflowed
   * (events were lost: the caller re-reads /proc). Throws when the kernel refuses.
   */
  open(
    onEvent: (e: ProcEvent) => void,
    onLost: () => void,
    onError: (e: Error) => void,
    rcvbuf?: { bytes: number; force: boolean },
  ): void {
    const a = native();
    const fd = a.socket(AF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR);
    try {
      if (rcvbuf)
        try {
          setRcvbuf(fd, rcvbuf.bytes, rcvbuf.force);
        } catch (e) {
          // Events still flow with the default buffer.
          onError(e as Error);
        }
      const sa = Buffer.alloc(12);
      put16(sa, AF_NETLINK, 0);
      // Port 0: the kernel picks a free one (two monitors in one process never clash).
      put32(sa, CN_IDX_PROC, 8);
      a.bind(fd, sa);
      a.sendmsg(fd, listenRequest(0, true), null, null);
    } catch (e) {
      a.close(fd);
      throw e;
    }
    this.fd = fd;
    this.watch = a.watch(fd, () => {
      for (let i = 0; i < 10_000 && this.fd !== null; i++) {
        let r;
        try {
          r = a.recvmsg(fd, 256);
        } catch (e) {
          // ENOBUFS: the receive buffer overflowed and events were lost.
          if (isSyscallError(e) && e.code === 'ENOBUFS') {
            onLost();
            continue;
          }
          onError(e as Error);
          return;
        }
        if (!r) return;
        // Only the kernel (netlink port 0) speaks for processes.
        if (r.addr.length >= 8 && u32(r.addr, 4) !== 0) continue;
        const ev = parseProcEvent(r.data);
        if (ev) onEvent(ev);
      }
    });
  }

  /** process_monitor_rcv_bufs (and _force: past net.core.rmem_max). */
  setRcvbuf(bytes: number, force: boolean): void {
    if (this.fd !== null) setRcvbuf(this.fd, bytes, force);
  }

  close(): void {
    if (this.fd === null) return;
    const a = native();
    try {
      a.sendmsg(this.fd, listenRequest(0, false), null, null);
    } catch {
      // closing anyway
    }
    if (this.watch) a.unwatch(this.watch);
    a.close(this.fd);
    this.fd = null;
    this.watch = null;
  }
}

function setRcvbuf(fd: number, bytes: number, force: boolean): void {
  const v = Buffer.alloc(4);
  put32(v, Math.min(bytes, 0x7fffffff), 0);
  native().setsockopt(fd, SOL_SOCKET, force ? SO_RCVBUFFORCE : SO_RCVBUF, v);
}
