// Requests/s and MiB/s through the user-space engine and HAProxy against the same backend direct, on
// loopback: the quick loop for profiling src/dataplane/proxy (bench/lb.ts is the side-by-side run
// in network namespaces). Backend, proxy and load generator run as separate processes; "CPU
// µs/req" sums their user + system time and the machine's irq + softirq time (not the whole
// machine's busy time, which other work on a shared host would skew).
// Run: npx tsx bench/proxy.ts [seconds=5] [conns=64] [runs=3]   (MODES=keep-alive,new-conn,1MiB;
// PROXY_ARGS='--cpu-prof' passes node flags to the proxy process only)
//
// Measured 2026-12-04 on the shared 2-core machine (load 1.5–13), proxy process's own µs/request,
// vigil-userspace vs HAProxy 2.6: 1 MiB, before recycled read buffers (tcp.ts onread) 645–1068 vs
// 466–534, after 414 vs 484; new connection 205–297 vs 96–104 (a bare Node pipe proxy: 159–163);
// keep-alive 3.5–5.2 vs 3.5–4.0.
// 2026-12-07, native TCP relay, quiet machine (load 0.1), MODES=new-conn, medians of 3: bench
// processes + softirq 390.7 µs/req vs HAProxy 445.5 (direct 292.5); proxy process 101.5 vs 120.2.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { createInterface } from 'node:readline';
import {
  BIG,
  MODES,
  haproxyBinary,
  httpHandler,
  httpServer,
  loadAverage,
  median,
  procCpuUs,
  runLoad,
  startHaproxy,
  userspaceProxy,
  type Mode,
} from './http-load.js';

const HOST = '127.0.0.1';
const UPSTREAM = '127.0.0.2';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, HOST, r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

// ---- child roles ---------------------------------------------------------------------------

function backend(): void {
  const handler = httpHandler();
  const server = httpServer(handler);
  // A second listener on another loopback address serves the proxy, so the TIME_WAIT tuples the
  // direct rows leave behind never collide with the proxy's upstream connections.
  const second = httpServer(handler);
  server.listen(0, HOST, () => {
    const port = (server.address() as net.AddressInfo).port;
    second.listen(port, UPSTREAM, () => console.log(`ready ${port}`));
  });
}

async function proxy(target: number): Promise<void> {
  const port = await freePort();
  await userspaceProxy({ host: HOST, port }, { host: UPSTREAM, port: target });
  console.log(`ready ${port}`);
  // --cpu-prof writes its profile on a normal exit only.
  process.on('SIGTERM', () => process.exit(0));
}

// ---- driver ----------------------------------------------------------------------------------

const childPids: number[] = [];

interface Row {
  path: string;
  mode: string;
  reqs: number;
  rate: number;
  mibs: number;
  cpuUs: number;
  /** The proxy process's own user + system µs per request (NaN for direct). */
  proxyUs: number;
}

interface Target {
  name: string;
  port: number;
  /** The proxy in the path, if any. */
  pid?: number;
}

async function measure(t: Target, mode: Mode, seconds: number, conns: number): Promise<Row> {
  const p0 = t.pid ? procCpuUs(t.pid) : NaN;
  const { reqs, benchUs } = await runLoad(HOST, t.port, mode, seconds, conns, childPids);
  const p1 = t.pid ? procCpuUs(t.pid) : NaN;
  const size = mode === '1MiB' ? BIG : 0;
  return {
    path: t.name,
    mode,
    reqs,
    rate: reqs / seconds,
    mibs: (reqs * size) / seconds / BIG,
    cpuUs: benchUs / reqs,
    proxyUs: (p1 - p0) / reqs,
  };
}

function child(args: string[], nodeArgs: string[] = []): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [...process.execArgv, ...nodeArgs, process.argv[1]!, ...args], {
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

async function main(): Promise<void> {
  const seconds = Math.min(10, Number(process.argv[2] ?? 5));
  const conns = Math.min(256, Number(process.argv[3] ?? 64));
  const runs = Math.min(5, Number(process.argv[4] ?? 3));
  const modes = (process.env.MODES?.split(',') ?? MODES) as Mode[];
  const back = await child(['backend']);
  const prox = await child(['proxy', String(back.port)], process.env.PROXY_ARGS?.split(' ') ?? []);
  childPids.push(back.proc.pid!, prox.proc.pid!);
  const targets: Target[] = [
    { name: 'direct', port: back.port },
    { name: 'vigil-userspace', port: prox.port, pid: prox.proc.pid! },
  ];
  const bin = haproxyBinary();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  let haproxy: ChildProcess | undefined;
  if (bin) {
    const port = await freePort();
    haproxy = await startHaproxy(
      bin,
      dir,
      { host: HOST, port },
      { host: UPSTREAM, port: back.port },
      (argv) => spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] }),
      async (argv) => execFileSync(argv[0]!, argv.slice(1)).toString(),
    );
    childPids.push(haproxy.pid!);
    targets.splice(1, 0, { name: 'HAProxy mode tcp', port, pid: haproxy.pid! });
  } else console.log('HAProxy skipped: haproxy not found (install it with `apt-get install haproxy`).');
  const rows: Row[] = [];
  try {
    for (const mode of modes) {
      // Warm both paths (JIT, connection pools) before measuring; then interleave the runs.
      for (const t of targets) await measure(t, mode, 1, conns);
      const samples = new Map<string, Row[]>(targets.map((t) => [t.name, []]));
      for (let i = 0; i < runs; i++) {
        for (const t of targets) samples.get(t.name)!.push(await measure(t, mode, seconds, conns));
      }
      for (const [name, rs] of samples) {
        rows.push({
          path: name,
          mode,
          reqs: median(rs.map((r) => r.reqs)),
          rate: median(rs.map((r) => r.rate)),
          mibs: median(rs.map((r) => r.mibs)),
          cpuUs: median(rs.map((r) => r.cpuUs)),
          proxyUs: median(rs.map((r) => r.proxyUs)),
        });
      }
    }
  } finally {
    haproxy?.kill();
    prox.proc.kill();
    back.proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `loopback, medians of ${runs} interleaved runs of ${seconds} s, ${conns} connections (8 for 1 MiB), ${process.version}, load ${loadAverage()}`,
  );
  console.log(
    '| path | mode | requests | req/s | MiB/s | CPU µs/req (bench processes + softirq) | proxy process µs/req |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.path} | ${r.mode} | ${r.reqs} | ${r.rate.toFixed(0)} | ${r.mibs.toFixed(1)} | ${r.cpuUs.toFixed(1)} | ${Number.isNaN(r.proxyUs) ? '–' : r.proxyUs.toFixed(1)} |`,
    );
  }
}

const role = process.argv[2];
if (role === 'backend') backend();
else if (role === 'proxy') await proxy(Number(process.argv[3]));
else await main();
