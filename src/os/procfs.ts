// Reading processes from /proc for vrrp_track_process: comm, parent and state from
// /proc/PID/stat, and /proc/PID/cmdline only when asked (reading it touches the process's memory,
// which keepalived avoids too). Zombies are left out: they no longer run.
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';

export interface ProcEntry {
  comm: string;
  ppid: number;
  cmdline?: Buffer;
}

/** /proc/PID/stat's comm (inside the outermost parentheses), state and ppid. */
export function parseStat(stat: string): { comm: string; state: string; ppid: number } | null {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const rest = stat.slice(close + 2).split(' ');
  const ppid = Number(rest[1]);
  if (!rest[0] || !Number.isInteger(ppid)) return null;
  return { comm: stat.slice(open + 1, close), state: rest[0], ppid };
}

// One read into a shared buffer: readFileSync's fstat and growing reads made a scan 3x slower.
let scratch = Buffer.allocUnsafe(1024);

/** At most `max` bytes of a /proc file (valid until the next read); null when the process is gone. */
function readHead(path: string, max: number): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    if (scratch.length < max) scratch = Buffer.allocUnsafe(max);
    const n = readSync(fd, scratch, 0, max, null);
    return scratch.subarray(0, n);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * One process, or null when it is gone or a zombie. `cmdlineMax`: how much of the command line
 * to read (0: none); a longer one is cut, which still tells every pattern apart as long as the
 * limit exceeds the longest configured command (with its parameters) by one byte.
 */
export function readProcess(pid: number, cmdlineMax: number, root = '/proc'): ProcEntry | null {
  // comm is at most 15 bytes: the fields up to ppid fit well within 512 bytes.
  const stat = readHead(`${root}/${pid}/stat`, 512);
  if (stat === null) return null;
  const s = parseStat(stat.toString('latin1'));
  if (!s || s.state === 'Z' || s.state === 'X') return null;
  const out: ProcEntry = { comm: Buffer.from(s.comm, 'latin1').toString('utf8'), ppid: s.ppid };
  if (cmdlineMax > 0) {
    const c = readHead(`${root}/${pid}/cmdline`, cmdlineMax);
    if (c === null) return null;
    out.cmdline = Buffer.from(c);
  }
  return out;
}

/** Every process (thread group) running now. */
export function scanProcesses(cmdlineMax: number, root = '/proc'): Map<number, ProcEntry> {
  const out = new Map<number, ProcEntry>();
  for (const name of readdirSync(root)) {
    if (!/^[1-9]\d*$/.test(name)) continue;
    const pid = Number(name);
    const p = readProcess(pid, cmdlineMax, root);
    if (p) out.set(pid, p);
  }
  return out;
}
