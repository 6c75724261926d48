// Real servers and clients for the nft labs, run as `node -e` programs inside lab namespaces.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Lab } from '../../../src/lab/index.js';

/** HTTP on :80 and UDP on :53, both answering the server's name. Prints "ready" when listening. */
const SERVER = `
const [name] = process.argv.slice(1);
const http = require('node:http');
const dgram = require('node:dgram');
const h = http.createServer((req, res) => { res.setHeader('content-length', Buffer.byteLength(name)); res.end(name); });
h.keepAliveTimeout = 60000;
const u = dgram.createSocket('udp4');
u.on('message', (m, r) => u.send(name, r.port, r.address));
let n = 0; const up = () => { if (++n === 2) console.log('ready'); };
h.listen(80, '0.0.0.0', up); u.bind(53, '0.0.0.0', up);
`;

/** n requests (new connection each, or UDP datagrams from fresh sockets); prints {name: count}. */
const CLIENT = `
const [host, port, n, mode, local] = process.argv.slice(1);
const http = require('node:http');
const dgram = require('node:dgram');
const counts = {};
const add = (k) => { counts[k] = (counts[k] || 0) + 1; };
function httpOnce() {
  return new Promise((resolve) => {
    const req = http.get({ host, port: Number(port), agent: false, localAddress: local || undefined, timeout: 3000 }, (res) => {
      let b = ''; res.setEncoding('utf8'); res.on('data', (d) => (b += d)); res.on('end', () => { add(b); resolve(); });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => { add('error:' + e.message); resolve(); });
  });
}
function udpOnce() {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => { add('error:timeout'); s.close(); resolve(); }, 2000);
    s.on('message', (m) => { clearTimeout(t); add(m.toString()); s.close(); resolve(); });
    s.bind(0, local || undefined, () => s.send('hi', Number(port), host));
  });
}
(async () => {
  const one = mode === 'udp' ? udpOnce : httpOnce;
  const N = Number(n);
  for (let i = 0; i < N; i += 8) await Promise.all(Array.from({ length: Math.min(8, N - i) }, one));
  console.log(JSON.stringify(counts));
})();
`;

/** One keep-alive connection kept open: a request on each stdin line, the answer on stdout. */
const HOLDER = `
const [host, port] = process.argv.slice(1);
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const rl = require('node:readline').createInterface({ input: process.stdin });
rl.on('line', () => {
  http.get({ host, port: Number(port), agent }, (res) => {
    let b = ''; res.setEncoding('utf8'); res.on('data', (d) => (b += d)); res.on('end', () => console.log(b));
  }).on('error', (e) => console.log('error:' + e.message));
});
`;

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) {
        child.stdout?.off('data', onData);
        resolve(buf.slice(0, i));
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited ${code} before answering`)));
  });
}

export async function startServer(lab: Lab, node: string): Promise<ChildProcess> {
  const child = lab.spawn(node, [process.execPath, '-e', SERVER, node]);
  const line = await firstLine(child);
  if (line !== 'ready') throw new Error(`server on ${node}: ${line}`);
  return child;
}

export async function requests(
  lab: Lab,
  node: string,
  host: string,
  port: number,
  n: number,
  mode: 'http' | 'udp' = 'http',
  local = '',
): Promise<Record<string, number>> {
  const r = await lab.exec(
    node,
    [process.execPath, '-e', CLIENT, host, String(port), String(n), mode, local],
    {
      timeoutMs: 60_000,
    },
  );
  return JSON.parse(r.stdout) as Record<string, number>;
}

export interface Holder {
  ask(): Promise<string>;
  stop(): void;
}

export function holdConnection(lab: Lab, node: string, host: string, port: number): Holder {
  const child = lab.spawn(node, [process.execPath, '-e', HOLDER, host, String(port)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return {
    ask: () => {
      const p = firstLine(child);
      child.stdin?.write('\n');
      return p;
    },
    stop: () => {
      child.stdin?.end();
      lab.kill(child);
    },
  };
}

export async function stopAll(lab: Lab, children: ChildProcess[]): Promise<void> {
  for (const c of children) lab.kill(c);
  await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
}
