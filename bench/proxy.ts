// Requests/s and MiB/s through the user-space engine against the same backend direct, on
// loopback. Backend, proxy and load generator run as separate processes; "CPU µs/req" sums their
// user + system time (not the whole machine's, which other work on a shared host would skew;
// loopback softirq work mostly lands on the sending process).
// Run: npx tsx bench/proxy.ts [seconds=5] [conns=64] [runs=3]
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { ProxyEngine } from '../src/dataplane/proxy/engine.js';

const HOST = '127.0.0.1';
const UPSTREAM = '127.0.0.2';
const BIG = 1024 * 1024;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, HOST, r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

// ---- child roles ---------------------------------------------------------------------------

function backend(): void {
  const big = Buffer.alloc(BIG, 120);
  const server = http.createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': BIG });
      res.end(big);
    } else {
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    }
  });
  server.keepAliveTimeout = 60_000;
  // A second listener on another loopback address serves the proxy, so the TIME_WAIT tuples the
  // direct rows leave behind never collide with the proxy's upstream connections.
  const second = http.createServer(server.listeners('request')[0] as http.RequestListener);
  second.keepAliveTimeout = 60_000;
  server.listen(0, HOST, () => {
    const port = (server.address() as net.AddressInfo).port;
    second.listen(port, UPSTREAM, () => console.log(`ready ${port}`));
  });
}

async function proxy(target: number): Promise<void> {
  const port = await freePort();
  const engine = new ProxyEngine();
  const key = { kind: 'addr' as const, family: 4 as const, address: HOST, port, protocol: 'tcp' as const };
  await engine.apply([
    { op: 'add-service', service: { key, scheduler: 'wlc', flags: {} } },
    {
      op: 'add-dest',
      key,
      dest: {
        address: HOST,
        port: target,
        forwarding: 'nat',
        weight: 1,
        upperThreshold: 0,
        lowerThreshold: 0,
      },
    },
  ]);
  console.log(`ready ${port}`);
}

// ---- load generator ------------------------------------------------------------------------

const childPids: number[] = [];

/** CPU µs used so far by this process and the backend and proxy children (user + system). */
function benchCpuUs(): number {
  const self = process.cpuUsage();
  let us = self.user + self.system;
  for (const pid of childPids) {
    // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised name) are utime and stime in ticks.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    us += ((Number(f[11]) + Number(f[12])) / 100) * 1e6;
  }
  return us;
}

/** Closed loop: each connection sends a request and waits for the whole response. */
function loop(
  port: number,
  path: string,
  keepAlive: boolean,
  until: number,
  responseBytes: number,
): Promise<number> {
  const request = Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: b\r\n${keepAlive ? '' : 'Connection: close\r\n'}\r\n`,
  );
  return new Promise((resolve) => {
    let done = 0;
    const open = () => {
      const s = net.connect({ host: HOST, port, noDelay: true });
      let got = 0;
      s.on('connect', () => s.write(request));
      s.on('data', (b: Buffer) => {
        got += b.length;
        while (got >= responseBytes) {
          got -= responseBytes;
          // Only responses completed inside the window count; the rate divides by the window.
          if (Date.now() >= until) {
            s.destroy();
            return resolve(done);
          }
          done++;
          if (keepAlive) s.write(request);
        }
      });
      s.on('error', () => {});
      s.on('close', () => {
        if (!keepAlive && Date.now() < until) open();
        else if (Date.now() >= until) resolve(done);
      });
    };
    open();
  });
}

async function responseSize(port: number, path: string): Promise<number> {
  const s = net.connect({ host: HOST, port });
  s.write(`GET ${path} HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n`);
  let n = 0;
  for await (const b of s) n += (b as Buffer).length;
  return n;
}

interface Row {
  path: string;
  mode: string;
  reqs: number;
  rate: number;
  mibs: number;
  cpuUs: number;
}

async function measure(
  target: string,
  port: number,
  mode: string,
  seconds: number,
  conns: number,
): Promise<Row> {
  const path = mode === '1MiB' ? '/big' : '/';
  const keepAlive = mode !== 'new-conn';
  const size = await responseSize(port, path);
  const cpu0 = benchCpuUs();
  const t0 = Date.now();
  const until = t0 + seconds * 1000;
  const n = mode === '1MiB' ? Math.min(conns, 8) : conns;
  const counts = await Promise.all(Array.from({ length: n }, () => loop(port, path, keepAlive, until, size)));
  const elapsed = seconds;
  const cpu1 = benchCpuUs();
  const reqs = counts.reduce((a, b) => a + b, 0);
  return {
    path: target,
    mode,
    reqs,
    rate: reqs / elapsed,
    mibs: (reqs * size) / elapsed / BIG,
    cpuUs: (cpu1 - cpu0) / reqs,
  };
}

function child(args: string[]): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.once('line', (line) => {
      const m = /^ready (\d+)$/.exec(line);
      if (m) resolve({ proc, port: Number(m[1]) });
      else reject(new Error(`child said: ${line}`));
    });
    proc.once('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const conns = Number(process.argv[3] ?? 64);
  const runs = Number(process.argv[4] ?? 3);
  const back = await child(['backend']);
  const prox = await child(['proxy', String(back.port)]);
  childPids.push(back.proc.pid!, prox.proc.pid!);
  const targets = [
    ['direct', back.port],
    ['vigil-userspace', prox.port],
  ] as const;
  const rows: Row[] = [];
  try {
    for (const mode of (process.env.MODES ?? 'keep-alive,new-conn,1MiB').split(',')) {
      // Warm both paths (JIT, connection pools) before measuring; then interleave the runs.
      for (const [, port] of targets) await measure('warm-up', port, mode, 1, conns);
      const samples = new Map<string, Row[]>(targets.map(([name]) => [name, []]));
      for (let i = 0; i < runs; i++) {
        for (const [name, port] of targets)
          samples.get(name)!.push(await measure(name, port, mode, seconds, conns));
      }
      for (const [name, rs] of samples) {
        rows.push({
          path: name,
          mode,
          reqs: median(rs.map((r) => r.reqs)),
          rate: median(rs.map((r) => r.rate)),
          mibs: median(rs.map((r) => r.mibs)),
          cpuUs: median(rs.map((r) => r.cpuUs)),
        });
      }
    }
  } finally {
    prox.proc.kill();
    back.proc.kill();
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `loopback, medians of ${runs} interleaved runs of ${seconds} s, ${conns} connections (8 for 1 MiB), ${process.version}, load ${load}`,
  );
  console.log('| path | mode | requests | req/s | MiB/s | CPU µs/req (bench processes) |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.path} | ${r.mode} | ${r.reqs} | ${r.rate.toFixed(0)} | ${r.mibs.toFixed(1)} | ${r.cpuUs.toFixed(1)} |`,
    );
  }
}

const role = process.argv[2];
if (role === 'backend') backend();
else if (role === 'proxy') await proxy(Number(process.argv[3]));
else await main();
