// A small real SMTP server for the smtp_alert tests: speaks the server side of RFC 5321 on a TCP
// socket and records every exchange (commands and message), so tests assert what went on the wire.
import net from 'node:net';

export interface ReceivedMail {
  helo: string;
  from: string;
  to: string[];
  /** The DATA section, dot-unstuffed, without the terminating dot line. */
  data: string;
  headers: Record<string, string>;
  body: string;
  commands: string[];
}

export interface SmtpServerOptions {
  /** Reply to a command (uppercase verb) with this line instead of the usual one. */
  replies?: Record<string, string>;
  /** Say nothing at all (for the timeout test). */
  silent?: boolean;
}

export class TestSmtpServer {
  readonly mails: ReceivedMail[] = [];
  private readonly server: net.Server;
  private waiters: (() => void)[] = [];

  constructor(private readonly opts: SmtpServerOptions = {}) {
    this.server = net.createServer((s) => this.session(s));
  }

  listen(host: string, port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as net.AddressInfo).port));
    });
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  /** Resolves when at least n mails have arrived. */
  async waitFor(n: number, ms: number): Promise<ReceivedMail[]> {
    const t0 = Date.now();
    while (this.mails.length < n) {
      if (Date.now() - t0 > ms) throw new Error(`${this.mails.length} mail(s) of ${n} within ${ms} ms`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
    return this.mails;
  }

  private session(s: net.Socket): void {
    s.setEncoding('utf8');
    if (this.opts.silent) return;
    const say = (verb: string, line: string): void =>
      void s.write(`${this.opts.replies?.[verb] ?? line}\r\n`);
    const cur: ReceivedMail = { helo: '', from: '', to: [], data: '', headers: {}, body: '', commands: [] };
    let buf = '';
    let inData = false;
    say('GREETING', '220-test.local ESMTP\r\n220 ready');
    s.on('data', (chunk: string) => {
      buf += chunk;
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          const atStart = buf.startsWith('.\r\n');
          if (end < 0 && !atStart) return;
          const raw = atStart ? '' : buf.slice(0, end);
          buf = atStart ? buf.slice(3) : buf.slice(end + 5);
          inData = false;
          cur.data = raw.replace(/^\.\./gm, '.');
          const split = cur.data.indexOf('\r\n\r\n');
          // Folded lines (keepalived folds To: one recipient a line) are unfolded (RFC 5322 §2.2.3).
          const unfolded = cur.data.slice(0, split).replace(/\r\n(?=[ \t])/g, '');
          for (const h of unfolded.split('\r\n')) {
            const i = h.indexOf(': ');
            cur.headers[h.slice(0, i)] = h.slice(i + 2);
          }
          cur.body = cur.data.slice(split + 4);
          this.mails.push({ ...cur, to: [...cur.to], commands: [...cur.commands] });
          for (const w of this.waiters.splice(0)) w();
          say('.', '250 2.0.0 queued');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        cur.commands.push(line);
        const verb = line.split(/[ :]/)[0]!.toUpperCase();
        if (verb === 'HELO' || verb === 'EHLO') {
          cur.helo = line.slice(5);
          say(verb, '250 test.local');
        } else if (verb === 'MAIL') {
          cur.from = /<(.*)>/.exec(line)?.[1] ?? '';
          say(verb, '250 2.1.0 ok');
        } else if (verb === 'RCPT') {
          cur.to.push(/<(.*)>/.exec(line)?.[1] ?? '');
          say(verb, '250 2.1.5 ok');
        } else if (verb === 'DATA') {
          inData = true;
          say(verb, '354 end with .');
        } else if (verb === 'QUIT') {
          say(verb, '221 bye');
          s.end();
        } else say(verb, '500 unknown command');
      }
    });
    s.on('error', () => undefined);
  }
}
