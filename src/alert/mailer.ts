// smtp_alert as the daemon runs it: global_defs' server, sender and recipients with keepalived's
// defaults (router_id and HELO name: the host name; sender: user@host), each mail sent in the
// background. A failure is logged and forgotten: mail never holds up a state machine or a check.
import { hostname, userInfo } from 'node:os';
import type { GlobalDefs } from '../config/model.js';
import { sendMail, type SmtpServer } from './smtp-client.js';

export interface MailLog {
  info(m: string): void;
  error(m: string): void;
}

export class Mailer {
  readonly routerId: string;
  private readonly from: string;
  private readonly helo: string;
  private readonly to: readonly string[];
  private readonly timeoutMs: number;
  private readonly inFlight = new Set<Promise<void>>();

  private constructor(
    g: GlobalDefs,
    private readonly server: SmtpServer,
    private readonly log: MailLog,
  ) {
    const host = hostname();
    this.routerId = g.routerId ?? host;
    this.from = g.notificationEmailFrom ?? `${userInfo().username}@${host}`;
    this.helo = g.smtpHeloName ?? host;
    this.to = [...g.notificationEmail];
    this.timeoutMs = g.smtpConnectTimeout * 1000;
  }

  /** keepalived sends nothing without both recipients and a server. */
  static fromConfig(g: GlobalDefs, log: MailLog): Mailer | null {
    if (g.notificationEmail.length === 0 || !g.smtpServer) return null;
    return new Mailer(g, g.smtpServer, log);
  }

  /** Sends in the background; the promise (for shutdown) never rejects. */
  send(subject: string, body: string): Promise<void> {
    const msg = { from: this.from, to: this.to, subject, body, date: new Date() };
    const p: Promise<void> = sendMail(this.server, this.helo, msg, this.timeoutMs)
      .then(
        () => this.log.info(`SMTP alert "${subject}" sent to ${this.to.join(', ')}`),
        (e: Error) => this.log.error(`SMTP alert "${subject}" not sent: ${e.message}`),
      )
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
    return p;
  }

  /** Waits for mails under way (each bounded by the timeout), e.g. the "Stopping" ones. */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}

/** keepalived's default for an instance or group without its own smtp_alert. */
export function vrrpAlertDefault(g: GlobalDefs): boolean {
  return g.smtpAlertVrrp ?? g.smtpAlert ?? false;
}

/** For a real server: keepalived defaults to on when no global setting says otherwise. */
export function checkerAlertDefault(g: GlobalDefs): boolean {
  return g.smtpAlertChecker ?? g.smtpAlert ?? true;
}

/** A virtual server's quorum mails: off unless a global setting turns them on (keepalived). */
export function virtualServerAlertDefault(g: GlobalDefs): boolean {
  return g.smtpAlertChecker ?? g.smtpAlert ?? false;
}
