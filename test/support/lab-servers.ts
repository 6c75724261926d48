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

/**
 * A TCP server that accepts, notes the peer and closes: what a TCP_CHECK talks to. Python, because
 * accept() itself returns the peer: a check that resets at once (TCP_CHECK closes with RST) has no
 * peer left for getpeername(), which is all Node's socket.remoteAddress has.
 */
export async function startTcpServer(lab: Lab, node: string, host: string, port: number): Promise<TcpServer> {
  const code = [
    'import socket',
    'l = socket.socket(socket.AF_INET6 if ":" in HOST else socket.AF_INET)',
    'l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
    'l.bind((HOST, PORT)); l.listen(128); print("listening", flush=True)',
    'while True:',
    '    c, a = l.accept(); print("peer " + a[0], flush=True); c.close()',
  ]
    .join('\n')
    .replace('HOST', JSON.stringify(host))
    .replace('HOST', JSON.stringify(host))
    .replace('PORT', String(port));
  const child = lab.spawn(node, ['/usr/bin/python3', '-c', code]);
  const out = lines(child);
  await waitFor('the real server', async () => out.includes('listening'), 10_000);
  return { child, peers: () => out.filter((l) => l.startsWith('peer ')).map((l) => l.slice(5)) };
}
