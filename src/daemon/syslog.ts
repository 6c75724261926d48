// Syslog as keepalived writes it: RFC 3164 datagrams to /dev/log (what glibc's syslog(3) sends,
// and what rsyslog and journald read), with keepalived's -S facility.
import { UnixDgramSender } from '../os/unix-dgram.js';
import type { Level } from '../base/logger.js';

export const DEFAULT_SYSLOG_SOCKET = '/dev/log';

const FACILITIES: Record<string, number> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

const SEVERITY: Record<Level, number> = { error: 3, warning: 4, info: 6, debug: 7 };

/**
 * keepalived's -S value: 0..7 (meaning local0..local7, as keepalived reads a bare number) or a
 * facility name. Returns the facility code, or null for anything else.
 */
export function parseFacility(s: string): number | null {
  if (/^[0-7]$/.test(s)) return 16 + Number(s);
  return FACILITIES[s.toLowerCase()] ?? null;
}

export const FACILITY_NAMES = Object.keys(FACILITIES);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `<PRI>Mmm dd hh:mm:ss ident[pid]: message` in local time, as RFC 3164 §4.1 lays it out. */
export function formatSyslog(
  facility: number,
  level: Level,
  ident: string,
  pid: number,
  message: string,
  now: Date,
): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const stamp =
    `${MONTHS[now.getMonth()]} ${String(now.getDate()).padStart(2, ' ')} ` +
    `${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`;
  // One record per datagram: a newline inside would read as a second, unprefixed record.
  return `<${facility * 8 + SEVERITY[level]}>${stamp} ${ident}[${pid}]: ${message.replace(/\n/g, ' ')}`;
}

/** A syslog writer; a missing or full log socket drops lines rather than stopping the daemon. */
export class SyslogWriter {
  private readonly sender: UnixDgramSender;

  constructor(
    readonly facility: number,
    socketPath = DEFAULT_SYSLOG_SOCKET,
  ) {
    this.sender = new UnixDgramSender(socketPath);
  }

  write(level: Level, ident: string, message: string, now: Date): void {
    this.sender.send(Buffer.from(formatSyslog(this.facility, level, ident, process.pid, message, now)));
  }
}
