// smtp_alert mail as keepalived writes it (core/smtp.c), as pure functions: the subjects of each
// kind of alert, the message text sent after DATA, and the SMTP reply parsing. Sending is
// smtp-client.ts; deciding when to send is the VRRP runtime's and the checker's.
import type { Protocol, RealServer, VirtualServer } from '../config/model.js';

export interface MailMessage {
  from: string;
  to: readonly string[];
  subject: string;
  body: string;
  date: Date;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/** RFC 822 date in local time, as strftime("%a, %d %b %Y %H:%M:%S %z"). */
export function rfc822Date(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return (
    `${DAYS[d.getDay()]}, ${two(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${sign}${two(Math.floor(a / 60))}${two(a % 60)}`
  );
}

/**
 * An address as the SMTP envelope carries it: `Name <a@b>` gives `<a@b>`, a bare `a@b` is
 * bracketed (keepalived's MAIL FROM / RCPT TO).
 */
export function envelopeAddress(addr: string): string {
  const lt = addr.lastIndexOf('<');
  return addr.endsWith('>') && lt >= 0 ? addr.slice(lt) : `<${addr}>`;
}

/**
 * An address as a header carries it: a display name holding RFC 5322 specials is quoted, its
 * quotes and backslashes escaped (keepalived's format_email_addr); anything else as written.
 */
export function headerAddress(addr: string): string {
  const lt = addr.lastIndexOf('<');
  if (!addr.endsWith('>') || lt < 0) return addr;
  const name = addr.slice(0, lt).trimEnd();
  if (!/[()<>[\]:;@\\,.]/.test(name)) return addr;
  return `"${name.replace(/["\\]/g, '\\$&')}"${addr.slice(name.length)}`;
}

/**
 * What goes after DATA, terminating dot included: keepalived's headers (Date, From, Subject,
 * X-Mailer, and To folded as keepalived folds it, one recipient a line), a blank line, the body,
 * then "\r\n.\r\n". Lines of the body starting with a dot are doubled (RFC 5321 §4.5.2) so no
 * body can end the message early.
 */
export function messageData(m: MailMessage): string {
  const clean = (s: string): string => s.replace(/[\r\n]+/g, ' ');
  const to = m.to.map((t) => ` ${headerAddress(clean(t))}`).join(',\r\n');
  const headers =
    `Date: ${rfc822Date(m.date)}\r\nFrom: ${headerAddress(clean(m.from))}\r\nSubject: ${clean(m.subject)}\r\n` +
    `X-Mailer: Keepalived\r\nTo:${to}\r\n\r\n`;
  const body = m.body
    .split(/\r?\n/)
    .map((l) => (l.startsWith('.') ? '.' + l : l))
    .join('\r\n');
  return `${headers}${body}\r\n\r\n.\r\n`;
}

/** keepalived's `[router_id] VRRP Instance VI_1 - Entering MASTER state`. */
export function vrrpSubject(
  routerId: string,
  kind: 'INSTANCE' | 'GROUP',
  name: string,
  what: string,
): string {
  return `[${routerId}] VRRP ${kind === 'GROUP' ? 'Group' : 'Instance'} ${name} - ${what}`;
}

/** An address, protocol and port as keepalived prints them: `[10.0.0.1]:tcp:80`. */
export function trio(address: string, protocol: Protocol | string, port: number): string {
  return `[${address}]:${protocol.toLowerCase()}:${port}`;
}

export function formatVs(vs: VirtualServer): string {
  const k = vs.key;
  if (k.kind === 'fwmark') return `FWM ${k.fwmark}`;
  if (k.kind === 'group') return `[${k.group}]:0`;
  return trio(k.address, vs.protocol, k.port);
}

export function formatRs(rs: RealServer, vs: VirtualServer): string {
  return trio(rs.address, vs.protocol, rs.port ?? 0);
}

/** `[router_id] Realserver [ip]:tcp:80 of virtual server [vip]:tcp:80 - DOWN`. */
export function realServerSubject(routerId: string, vs: VirtualServer, rs: RealServer, up: boolean): string {
  return `[${routerId}] Realserver ${formatRs(rs, vs)} of virtual server ${formatVs(vs)} - ${up ? 'UP' : 'DOWN'}`;
}

/** `[router_id] Virtualserver [vip]:tcp:80 - UP`: a virtual server's quorum gained or lost. */
export function virtualServerSubject(routerId: string, vs: VirtualServer, up: boolean): string {
  return `[${routerId}] Virtualserver ${formatVs(vs)} - ${up ? 'UP' : 'DOWN'}`;
}

/** keepalived's quorum body: `=> Lost quorum 3+1=2 <= 1 <=` (quorum+hysteresis=threshold, live weight). */
export function quorumBody(
  vs: Pick<VirtualServer, 'quorum' | 'hysteresis'>,
  q: { up: boolean; threshold: number; aliveWeight: number },
  init = false,
): string {
  const what = q.up
    ? init
      ? 'Starting with quorum up'
      : 'Gained quorum'
    : init
      ? 'Starting with quorum down'
      : 'Lost quorum';
  return `=> ${what} ${vs.quorum}+${vs.hysteresis}=${q.threshold} <= ${q.aliveWeight} <=`;
}

/** The body keepalived's checker of each kind writes on success or failure. */
export function checkerBody(kind: string, up: boolean, reason = ''): string {
  switch (kind) {
    case 'TCP_CHECK':
      return `=> TCP CHECK ${up ? 'succeed' : 'failed'} on service <=`;
    case 'HTTP_GET':
    case 'SSL_GET':
      return up
        ? '=> CHECK succeed on service <='
        : '=> CHECK failed on service : HTTP/SSL request failed <=';
    case 'SMTP_CHECK':
      return up ? '=> CHECK succeed on service <=' : `=> CHECK failed on service : ${reason} <=`;
    case 'DNS_CHECK':
      return `=> DNS_CHECK: ${up ? 'succeed' : 'failed'} on service <=`;
    case 'UDP_CHECK':
      return `=> UDP CHECK ${up ? 'succeed' : 'failed'} on service <=`;
    case 'PING_CHECK':
      return `=> ICMP CHECK ${up ? 'succeed' : 'failed'} on service <=`;
    case 'MISC_CHECK':
      return `=> MISC CHECK ${up ? 'succeeded' : /timed out/.test(reason) ? 'timed out' : 'failed'} on service <=`;
    default:
      return `=> ${kind} ${up ? 'succeed' : 'failed'} on service <=`;
  }
}

/**
 * The code of a complete SMTP reply in `buf` (the last line of a multi-line reply, `250-…` lines
 * before it), and what follows it; null while the reply is incomplete. A line that does not start
 * with three digits is an error, not something to wait on.
 */
export function parseReply(buf: string): { code: number; text: string; rest: string } | null {
  let pos = 0;
  for (;;) {
    const end = buf.indexOf('\n', pos);
    if (end < 0) return null;
    const line = buf.slice(pos, end).replace(/\r$/, '');
    if (!/^\d{3}([ -]|$)/.test(line)) throw new Error(`not an SMTP reply: '${line.slice(0, 80)}'`);
    pos = end + 1;
    if (line[3] !== '-') return { code: Number(line.slice(0, 3)), text: line.slice(4), rest: buf.slice(pos) };
  }
}

/** One step of the exchange: what to send (null: only wait for the greeting) and the code wanted. */
export interface SmtpStep {
  name: string;
  send: string | null;
  expect: number;
}

/** The whole exchange, in keepalived's order: greeting, HELO, MAIL FROM, RCPT TO each, DATA, body. */
export function smtpDialogue(helo: string, m: MailMessage): SmtpStep[] {
  return [
    { name: 'greeting', send: null, expect: 220 },
    { name: 'HELO', send: `HELO ${helo}\r\n`, expect: 250 },
    { name: 'MAIL FROM', send: `MAIL FROM:${envelopeAddress(m.from)}\r\n`, expect: 250 },
    ...m.to.map((t) => ({
      name: `RCPT TO ${envelopeAddress(t)}`,
      send: `RCPT TO:${envelopeAddress(t)}\r\n`,
      expect: 250,
    })),
    { name: 'DATA', send: 'DATA\r\n', expect: 354 },
    { name: 'message', send: messageData(m), expect: 250 },
  ];
}
