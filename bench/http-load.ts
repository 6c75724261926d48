// The parts the load-balancer benches share: the HTTP real server, the closed-loop load
// generator, the user-space engine as a one-service proxy, and the CPU counters.
import http from 'node:http';
import net from 'node:net';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProxyEngine } from '../src/dataplane/proxy/engine.js';

export const BIG = 1024 * 1024;

/** The request cases: small responses on keep-alive, a new connection per request, 1 MiB bodies. */
export const MODES = ['keep-alive', 'new-conn', '1MiB'] as const;
export type Mode = (typeof MODES)[number];

export const pathOf = (mode: Mode): string => (mode === '1MiB' ? '/big' : '/');
/** 1 MiB responses need fewer connections to fill the pipe; more would only queue. */
export const connsOf = (mode: Mode, conns: number): number => (mode === '1MiB' ? Math.min(conns, 8) : conns);

/** `/` answers "ok", `/big` 1 MiB; keep-alive held long enough for any run. */
export function httpHandler(): http.RequestListener {
  const big = Buffer.alloc(BIG, 120);
  return (req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': BIG });
      res.end(big);
    } else {
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    }
  };
}

export function httpServer(handler = httpHandler()): http.Server {
  const s = http.createServer(handler);
  s.keepAliveTimeout = 60_000;
  return s;
}

/** The user-space engine with one wlc service (listen → target), as the daemon would program it. */
export async function userspaceProxy(
  listen: { host: string; port: number },
  target: { host: string; port: number },
): Promise<ProxyEngine> {
  const engine = new ProxyEngine();
  const key = { kind: 'addr' as const, family: 4 as const, address: listen.host, protocol: 'tcp' as const };
  const k = { ...key, port: listen.port };
  await engine.apply([
    { op: 'add-service', service: { key: k, scheduler: 'wlc', flags: {} } },
    {
      op: 'add-dest',
      key: k,
      dest: {
        address: target.host,
        port: target.port,
        forwarding: 'nat',
        weight: 1,
        upperThreshold: 0,
        lowerThreshold: 0,
      },
    },
  ]);
  return engine;
}

/** Debian's haproxy (apt-get install haproxy), or null when it is not installed. */
export function haproxyBinary(): string | null {
  for (const bin of ['haproxy', '/usr/sbin/haproxy']) {
    try {
      execFileSync(bin, ['-v'], { stdio: 'ignore' });
      return bin;
    } catch {
      // try the next
    }
  }
  return null;
}

/**
 * HAProxy `mode tcp` as an operator would start it for one TCP service: Debian's defaults (a
 * thread per core). `spawn` starts argv where it should run; `run` runs argv there for its output.
 */
export async function startHaproxy(
  bin: string,
  dir: string,
  listen: { host: string; port: number },
  target: { host: string; port: number },
  spawn: (argv: string[]) => ChildProcess,
  run: (argv: string[]) => Promise<string>,
): Promise<ChildProcess> {
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    [
      'global',
      '  maxconn 4096',
      'defaults',
      '  mode tcp',
      '  timeout connect 5s',
      '  timeout client 60s',
      '  timeout server 60s',
      'listen vip',
      `  bind ${listen.host}:${listen.port}`,
      `  server rs1 ${target.host}:${target.port}`,
      '',
    ].join('\n'),
  );
  const child = spawn([bin, '-db', '-f', cfg]);
  for (let i = 0; i < 50 && child.exitCode === null; i++) {
    if ((await run(['ss', '-Hltn', `src ${listen.host}:${listen.port}`])).trim()) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`haproxy did not start listening on ${listen.host}:${listen.port}`);
}

/**
 * Closed loop: one connection sends a request and waits for the whole response, again and again
 * (a new connection each time unless keep-alive). Only responses completed before `until` count.
 */
export function closedLoop(
  host: string,
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
    const open = (): void => {
      const s = net.connect({ host, port, noDelay: true });
      let got = 0;
      s.on('connect', () => s.write(request));
      s.on('data', (b: Buffer) => {
        got += b.length;
        while (got >= responseBytes) {
          got -= responseBytes;
          if (Date.now() >= until) {
            s.destroy();
            resolve(done);
            return;
          }
          done++;
          if (keepAlive) s.write(request);
        }
      });
      s.on('error', () => undefined);
      s.on('close', () => {
        if (Date.now() >= until) resolve(done);
        else if (!keepAlive) open();
      });
    };
    open();
  });
}

/** Bytes of one whole response (headers and body), which the loop counts to know it is complete. */
export async function responseSize(host: string, port: number, path: string): Promise<number> {
  const s = net.connect({ host, port });
  s.write(`GET ${path} HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n`);
  let n = 0;
  for await (const b of s) n += (b as Buffer).length;
  return n;
}

export interface LoadResult {
  reqs: number;
  /** The whole machine's busy CPU µs over the window (every namespace and tenant). */
  machineUs: number;
  /** CPU µs of this process and `pids` over the window, plus the machine's irq and softirq time. */
  benchUs: number;
}

/**
 * `conns` closed loops for `seconds`. CPU is sampled at the window's edges from here, so process
 * start-up and the probe stay out of it; `pids` are the other bench processes (servers, proxy).
 */
export async function runLoad(
  host: string,
  port: number,
  mode: Mode,
  seconds: number,
  conns: number,
  pids: number[] = [],
): Promise<LoadResult> {
  const path = pathOf(mode);
  const size = await responseSize(host, port, path);
  const sample = (): { machine: number; bench: number } => {
    const m = machineCpuUs();
    const own = process.cpuUsage();
    return {
      machine: m.busy,
      bench: m.irq + own.user + own.system + pids.reduce((n, p) => n + procCpuUs(p), 0),
    };
  };
  const c0 = sample();
  const until = Date.now() + seconds * 1000;
  let c1 = c0;
  const edge = setTimeout(() => (c1 = sample()), seconds * 1000);
  const counts = await Promise.all(
    Array.from({ length: connsOf(mode, conns) }, () =>
      closedLoop(host, port, path, mode !== 'new-conn', until, size),
    ),
  );
  clearTimeout(edge);
  if (c1 === c0) c1 = sample();
  return {
    reqs: counts.reduce((a, b) => a + b, 0),
    machineUs: c1.machine - c0.machine,
    benchUs: c1.bench - c0.bench,
  };
}

/** utime + stime of a process in µs, all its threads (the kernel work of its syscalls included). */
export function procCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields 14 and 15, counted after the parenthesised name, in clock ticks (100 Hz).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) / 100) * 1e6;
}

/** The machine's CPU µs (all cores, all namespaces): busy (all but idle and iowait), and irq + softirq. */
export function machineCpuUs(): { busy: number; irq: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const us = (ticks: number): number => (ticks / 100) * 1e6;
  return {
    busy: us(f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3]! - (f[4] ?? 0)),
    irq: us((f[5] ?? 0) + (f[6] ?? 0)),
  };
}

export const loadAverage = (): string =>
  readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}
