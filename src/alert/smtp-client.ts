// A small SMTP client for smtp_alert: one connection per mail, the exchange of message.ts, every
// connect, read and write bounded by smtp_connect_timeout as in keepalived. Errors reject with a
// message naming the server and the step; nothing here throws past the returned promise.
import net from 'node:net';
import { parseReply, smtpDialogue, type MailMessage } from './message.js';

export interface SmtpServer {
  host: string;
  port: number;
}

/** A server's reply beyond this is not a mail server talking (keepalived: 1 KiB per read). */
const MAX_REPLY = 64 * 1024;

const where = (s: SmtpServer): string =>
  s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;

/** Sends one mail. Resolves when the server accepted the message (QUIT is sent, not awaited). */
export function sendMail(server: SmtpServer, helo: string, m: MailMessage, timeoutMs: number): Promise<void> {
  const steps = smtpDialogue(helo, m);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: server.host, port: server.port });
    let step = 0;
    let buf = '';
    let connected = false;
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      if (err) sock.destroy();
      else sock.end('QUIT\r\n');
      if (err) reject(new Error(`SMTP server ${where(server)}: ${err.message}`));
      else resolve();
    };
    sock.setTimeout(timeoutMs, () =>
      finish(
        new Error(
          connected
            ? `no answer to ${steps[step]!.name} within ${timeoutMs} ms`
            : `cannot connect within ${timeoutMs} ms`,
        ),
      ),
    );
    sock.on('connect', () => (connected = true));
    sock.on('error', (e: NodeJS.ErrnoException) =>
      finish(new Error(connected ? `${steps[step]!.name}: ${e.message}` : `cannot connect: ${e.message}`)),
    );
    sock.on('close', () => finish(new Error(`closed the connection during ${steps[step]?.name ?? 'QUIT'}`)));
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      if (done) return; // the answer to QUIT: the mail is already accepted
      buf += chunk;
      if (buf.length > MAX_REPLY) return finish(new Error(`reply to ${steps[step]!.name} is too long`));
      for (;;) {
        let r;
        try {
          r = parseReply(buf);
        } catch (e) {
          return finish(new Error(`${steps[step]!.name}: ${(e as Error).message}`));
        }
        if (!r) return;
        buf = r.rest;
        const s = steps[step]!;
        if (r.code !== s.expect)
          return finish(new Error(`${s.name} answered ${r.code} ${r.text} (wanted ${s.expect})`));
        step++;
        if (step === steps.length) return finish();
        sock.write(steps[step]!.send!);
      }
    });
  });
}
