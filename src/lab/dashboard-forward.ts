// A director's dashboard, reachable from the host: its API listens on 127.0.0.1:9273 inside the
// director's namespace, which the host cannot reach. A relay inside the namespace listens on a
// unix socket (the file system is shared between namespaces) and one on the host's loopback
// connects to it. The host gets no address on the lab's segment, so a lab using the guides'
// 192.168.1.0/24 cannot shadow the operator's own LAN.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import type { Lab } from './lab.js';

export const DIRECTOR_API_PORT = 9273;

/** `node -e` code that accepts on `listen` and pipes each connection to `connect`. */
function relayCode(listen: unknown[], connect: unknown[]): string {
  const [l, c] = [JSON.stringify(listen), JSON.stringify(connect)];
  return (
    `const net = require('node:net'); const fs = require('node:fs');` +
    `const l = ${l}; if (typeof l[0] === 'string') try { fs.unlinkSync(l[0]); } catch {}` +
    `net.createServer((a) => { const b = net.connect(...${c});` +
    `a.on('error', () => b.destroy()); b.on('error', () => a.destroy()); a.pipe(b).pipe(a); })` +
    `.on('error', (e) => { console.error('dashboard relay: ' + e.message); process.exit(1); })` +
    `.listen(...l, () => console.log('relaying'));`
  );
}

/** `preferred` if nothing listens on it on the host's loopback, else one the kernel picks. */
export async function loopbackPort(preferred: number): Promise<number> {
  const tryPort = (port: number): Promise<number | null> =>
    new Promise((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(null));
      srv.listen(port, '127.0.0.1', () => {
        const got = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(got));
      });
    });
  return (await tryPort(preferred)) ?? (await tryPort(0))!;
}

/** Resolves once the relay says it listens (so a URL printed next works at once). */
async function ready(child: ChildProcess, detached: boolean): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the dashboard relay did not start within 5 s')), 5000);
    child.stdout!.on('data', (d: Buffer) => {
      if (!d.toString().includes('relaying')) return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the dashboard relay exited (${code})`));
    });
  });
  child.stdout!.destroy();
  child.removeAllListeners('exit');
  if (detached) child.unref();
}

export interface DashboardRelay {
  url: string;
  /** The detached host-side relay's pid (`vigil lab up` keeps it to stop it on `down`). */
  pid?: number;
  /** Stops the host side (the namespace side dies with the lab). */
  close(): void;
}

/**
 * Relays host 127.0.0.1:`hostPort` to the director's API. In this process unless `detached`
 * (`vigil lab up`), when the host side is its own process that outlives this one.
 */
export async function relayDashboard(
  lab: Lab,
  node: string,
  dir: string,
  hostPort: number,
  detached = false,
): Promise<DashboardRelay> {
  const sock = join(dir, 'api-relay.sock');
  await ready(
    lab.spawn(node, [process.execPath, '-e', relayCode([sock], [DIRECTOR_API_PORT, '127.0.0.1'])], {
      stdio: ['ignore', 'pipe', 'ignore'],
      detached,
    }),
    detached,
  );
  const url = `http://127.0.0.1:${hostPort}/`;
  if (detached) {
    const host = spawn(process.execPath, ['-e', relayCode([hostPort, '127.0.0.1'], [sock])], {
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
    });
    await ready(host, true);
    return { url, ...(host.pid ? { pid: host.pid } : {}), close: () => host.kill() };
  }
  const server = net.createServer((a) => {
    const b = net.connect(sock);
    a.on('error', () => b.destroy());
    b.on('error', () => a.destroy());
    a.pipe(b).pipe(a);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(hostPort, '127.0.0.1', resolve);
  });
  server.unref();
  return { url, close: () => server.close() };
}
