// Parts the smtp_alert and ha_suspend lab tests share: the SMTP server and a TCP real server as
// processes inside lab nodes, each reporting on stdout what it saw.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Lab } from '../../src/lab/index.js';
import type { ReceivedMail } from './smtp-server.js';
import { waitFor } from '../netns/vrrpd/harness.js';

function lines(child: ChildProcess): string[] {
  const out: string[] = [];
  let buf = '';
  child.stdout?.on('data', (b: Buffer) => {
    buf += b.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    out.push(...parts);
  });
  child.stderr?.on('data', (b: Buffer) => process.stderr.write(b));
  return out;
}

export interface MailServer {
  child: ChildProcess;
  mails(): ReceivedMail[];
  /** The first mail whose subject matches, waiting for it. */
  subject(re: RegExp, ms: number): Promise<ReceivedMail>;
}

export async function startMailServer(
  lab: Lab,
  node: string,
  host: string,
  port: number,
): Promise<MailServer> {
  const main = join(import.meta.dirname, './smtp-server-main.ts');
  const child = lab.spawn(node, [process.execPath, '--import', 'tsx', main, host, String(port)]);
  const out = lines(child);
  await waitFor('the SMTP server', async () => out.includes('listening'), 20_000);
  const mails = (): ReceivedMail[] =>
    out.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ReceivedMail);
  return {
    child,
    mails,
    subject: (re, ms) =>
      waitFor(
        `a mail "${re.source}"`,
        async () => mails().find((m) => re.test(m.headers['Subject'] ?? '')),
        ms,
      ),
  };
}

export interface TcpServer {
  child: ChildProcess;
  /** Remote addresses of the connections accepted so far, in order. */
  peers(): string[];
}

/** A TCP server that accepts, notes the peer and closes: what a TCP_CHECK talks to. */
export async function startTcpServer(lab: Lab, node: string, host: string, port: number): Promise<TcpServer> {
  const code =
    `require('net').createServer((s) => { console.log('peer ' + s.remoteAddress); s.end(); })` +
    `.listen(${port}, '${host}', () => console.log('listening'));`;
  const child = lab.spawn(node, [process.execPath, '-e', code]);
  const out = lines(child);
  await waitFor('the real server', async () => out.includes('listening'), 10_000);
  return { child, peers: () => out.filter((l) => l.startsWith('peer ')).map((l) => l.slice(5)) };
}
