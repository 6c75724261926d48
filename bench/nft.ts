// The nft engine's data plane and control plane, measured in network-namespace labs.
//
// Data plane: requests/s and CPU µs/request for direct to a real server, nft NAT and nft DR, with
// keep-alive connections and with a new connection per request. Server (node http, one process)
// and load generator (node, closed loop) run in lab namespaces; all namespaces share one kernel,
// so CPU is the machine's busy time from /proc/stat over the run divided by the requests. That
// also counts anything else the machine runs, so a second column sums only the load generator's
// and the server's own CPU (user + system: the kernel path of their syscalls, veth transmit and
// the netfilter hooks run there, but softirq work charged elsewhere is missed).
// NAT lab: client | director | real server behind it (replies routed back through the director).
// DR lab: client, director and real server on one segment (replies bypass the director).
// Control plane: programming 1,000 services × 10 real servers from scratch, then one change.
// Run (root): npx tsx bench/nft.ts [seconds=5 (max 10)] [conns=64]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { createLab, type Lab } from '../src/lab/index.js';
import type { Change, DestSpec, ServiceKey } from '../src/dataplane/engine.js';
import { NftEngine } from '../src/dataplane/nft/engine.js';

// ---- child roles (run inside namespaces) ---------------------------------------------------

function server(): void {
  const s = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': 2 });
    res.end('ok');
  });
  s.keepAliveTimeout = 60_000;
  s.listen(80, '0.0.0.0', () => console.log('ready'));
}

/** Closed loop: each connection sends a request and waits for the whole response. */
function loop(host: string, keepAlive: boolean, until: number, size: number): Promise<number> {
  const request = Buffer.from(`GET / HTTP/1.1\r\nHost: b\r\n${keepAlive ? '' : 'Connection: close\r\n'}\r\n`);
  return new Promise((resolve) => {
    let done = 0;
    const open = (): void => {
      const s = net.connect({ host, port: 80, noDelay: true });
      let got = 0;
      s.on('connect', () => s.write(request));
      s.on('data', (b: Buffer) => {
        got += b.length;
        while (got >= size) {
          got -= size;
          done++;
          if (Date.now() >= until) {
            s.destroy();
            resolve(done);
            return;
          }
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

async function load(host: string, mode: string, seconds: number, conns: number): Promise<void> {
  const keepAlive = mode === 'keep-alive';
  const probe = net.connect({ host, port: 80 });
  probe.write('GET / HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n');
  let size = 0;
  for await (const b of probe) size += (b as Buffer).length;
  const t0 = Date.now();
  const counts = await Promise.all(
    Array.from({ length: conns }, () => loop(host, keepAlive, t0 + seconds * 1000, size)),
  );
  const cpu = process.cpuUsage();
  const reqs = counts.reduce((a, b) => a + b, 0);
  console.log(JSON.stringify({ reqs, elapsed: (Date.now() - t0) / 1000, cpuUs: cpu.user + cpu.system }));
}

// ---- driver ----------------------------------------------------------------------------------

function busyJiffies(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return f.reduce((a, b) => a + b, 0) - f[3]! - (f[4] ?? 0);
}

const self = (): string[] => [process.execPath, ...process.execArgv, process.argv[1]!];

/** utime+stime of a process in µs (the kernel work of its syscalls, veth transmit included). */
function procCpuUs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / 100;
}

let serverPid = 0;

async function startServer(lab: Lab, node: string): Promise<void> {
  const child = lab.spawn(node, [...self(), 'server']);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  if (line !== 'ready') throw new Error(`server: ${line}`);
  serverPid = child.pid ?? 0;
}

interface Row {
  path: string;
  mode: string;
  reqs: number;
  rate: number;
  cpuUs: number;
  /** CPU of the load generator and the server processes only (not other tenants). */
  procUs: number;
}

async function measure(
  lab: Lab,
  path: string,
  host: string,
  mode: string,
  seconds: number,
  conns: number,
): Promise<Row> {
  // Clear TIME_WAIT left by earlier runs so no run pays for another's (FACTS: PAWS stalls).
  for (const n of lab.nodes.keys())
    await lab.exec(n, ['ss', '-K', 'state', 'time-wait'], { allowFailure: true });
  const cpu0 = busyJiffies();
  const srv0 = procCpuUs(serverPid);
  const r = await lab.exec('client', [...self(), 'load', host, mode, String(seconds), String(conns)], {
    timeoutMs: (seconds + 30) * 1000,
  });
  const cpu1 = busyJiffies();
  const srv = procCpuUs(serverPid) - srv0;
  const { reqs, elapsed, cpuUs } = JSON.parse(r.stdout) as { reqs: number; elapsed: number; cpuUs: number };
  return {
    path,
    mode,
    reqs,
    rate: reqs / elapsed,
    cpuUs: (((cpu1 - cpu0) / 100) * 1e6) / reqs,
    procUs: (cpuUs + srv) / reqs,
  };
}

const dest = (address: string, forwarding: 'nat' | 'dr'): DestSpec => ({
  address,
  port: 80,
  forwarding,
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
});

async function dataPlane(seconds: number, conns: number): Promise<Row[]> {
  const rows: Row[] = [];
  const vip = '10.81.0.100';
  const key: ServiceKey = { kind: 'addr', family: 4, address: vip, port: 80, protocol: 'tcp' };
  const modes = ['keep-alive', 'new-conn'];

  const drLab = await createLab({
    nodes: [
      { name: 'client', addresses: ['10.81.0.10/24'] },
      { name: 'director', addresses: ['10.81.0.1/24', `${vip}/32`] },
      {
        name: 'rs1',
        addresses: ['10.81.0.21/24'],
        sysctls: { 'net.ipv4.conf.all.arp_ignore': '1', 'net.ipv4.conf.all.arp_announce': '2' },
      },
    ],
  });
  try {
    await drLab.exec('rs1', ['ip', 'addr', 'add', `${vip}/32`, 'dev', 'lo']);
    await startServer(drLab, 'rs1');
    const engine = new NftEngine({ netns: drLab.node('director').ns, dr: { ifname: 'eth0' } });
    await engine.apply([
      { op: 'add-service', service: { key, scheduler: 'wrr', flags: {} } },
      { op: 'add-dest', key, dest: dest('10.81.0.21', 'dr') },
    ]);
    for (const mode of modes) {
      rows.push(await measure(drLab, 'direct to the real server', '10.81.0.21', mode, seconds, conns));
      rows.push(await measure(drLab, 'vigil-nft DR', vip, mode, seconds, conns));
    }
  } finally {
    await drLab.destroy();
  }

  const natLab = await createLab({
    segments: ['front', 'back'],
    nodes: [
      {
        name: 'client',
        interfaces: [{ segment: 'front', addresses: ['10.81.0.10/24'] }],
        routes: ['default via 10.81.0.1'],
      },
      {
        name: 'director',
        interfaces: [
          { segment: 'front', addresses: ['10.81.0.1/24', `${vip}/32`] },
          { segment: 'back', addresses: ['10.82.0.1/24'] },
        ],
        sysctls: { 'net.ipv4.ip_forward': '1' },
      },
      {
        name: 'rs1',
        interfaces: [{ segment: 'back', addresses: ['10.82.0.21/24'] }],
        routes: ['default via 10.82.0.1'],
      },
    ],
  });
  try {
    await startServer(natLab, 'rs1');
    const engine = new NftEngine({ netns: natLab.node('director').ns });
    await engine.apply([
      { op: 'add-service', service: { key, scheduler: 'wrr', flags: {} } },
      { op: 'add-dest', key, dest: dest('10.82.0.21', 'nat') },
    ]);
    for (const mode of modes) {
      rows.push(
        await measure(natLab, 'routed through the director, no nft', '10.82.0.21', mode, seconds, conns),
      );
      rows.push(await measure(natLab, 'vigil-nft NAT', vip, mode, seconds, conns));
    }
  } finally {
    await natLab.destroy();
  }
  return rows;
}

/** CPU time (ms) of this process's finished children (nft), from /proc/self/stat cutime+cstime. */
function childCpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100;
}

/** Runs inside the namespace, so nft runs as it would on a director (no `ip netns exec`). */
async function control(): Promise<void> {
  const engine = new NftEngine();
  const changes: Change[] = [];
  const keys: ServiceKey[] = [];
  for (let s = 0; s < 1000; s++) {
    const key: ServiceKey = {
      kind: 'addr',
      family: 4,
      address: `10.${100 + (s >> 8)}.${s & 255}.1`,
      port: 80,
      protocol: 'tcp',
    };
    keys.push(key);
    changes.push({ op: 'add-service', service: { key, scheduler: 'wrr', flags: {} } });
    for (let d = 0; d < 10; d++) {
      // Weights 1..10: the interleaved wrr table has 55 slots per service.
      const address = `10.200.${s & 255}.${d + 1 + 10 * (s >> 8)}`;
      changes.push({ op: 'add-dest', key, dest: { ...dest(address, 'nat'), weight: d + 1 } });
    }
  }
  const timed = async (f: () => Promise<unknown>): Promise<[number, number]> => {
    const c = childCpuMs();
    const t = performance.now();
    await f();
    return [performance.now() - t, childCpuMs() - c];
  };
  const full = await timed(() => engine.apply(changes));
  let state: Awaited<ReturnType<NftEngine['read']>> = [];
  const read = await timed(async () => (state = await new NftEngine().read()));
  if (state.length !== 1000 || state.some((s) => s.dests.length !== 10))
    throw new Error('read-back mismatch');
  const one: [number, number][] = [];
  for (let i = 0; i < 5; i++) {
    const key = keys[i * 199]!;
    const svc = state.find(
      (s) => s.key.kind === 'addr' && key.kind === 'addr' && s.key.address === key.address,
    );
    const d = svc!.dests[3]!;
    one.push(
      await timed(() => engine.apply([{ op: 'edit-dest', key, dest: { ...d, weight: d.weight + 7 } }])),
    );
  }
  one.sort((a, b) => a[0] - b[0]);
  const row = (what: string, [wall, cpu]: [number, number]): string =>
    `| ${what} | ${wall.toFixed(1)} ms | ${cpu.toFixed(0)} ms |`;
  console.log(row('program 1,000 services × 10 real servers from scratch (one transaction)', full));
  console.log(row('read back and parse (nft -j list table)', read));
  console.log(row('one real-server weight change with that table present (median of 5)', one[2]!));
}

async function controlPlane(): Promise<string> {
  const ns = `vg${randomBytes(3).toString('hex')}-bench`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    return execFileSync('ip', ['netns', 'exec', ns, ...self(), 'control'], { timeout: 120_000 }).toString();
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

async function main(): Promise<void> {
  const seconds = Math.min(10, Number(process.argv[2] ?? 5));
  const conns = Number(process.argv[3] ?? 64);
  const rows = await dataPlane(seconds, conns);
  const cp = await controlPlane();
  const cores = readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? 0;
  console.log(
    `netns labs, ${seconds} s per row, ${conns} connections, ${cores} cores, ${process.version}, nft ${execFileSync('nft', ['--version']).toString().trim()}`,
  );
  console.log(
    `CPU: whole machine (/proc/stat busy, all namespaces) and client+server processes; one real server (node http); load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  console.log('| path | mode | requests | req/s | CPU µs/req (machine) | µs/req client+server processes |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.path} | ${r.mode} | ${r.reqs} | ${r.rate.toFixed(0)} | ${r.cpuUs.toFixed(1)} | ${r.procUs.toFixed(1)} |`,
    );
  console.log('\n| control plane (nft run directly, as on a director) | wall | nft CPU (user+sys) |');
  console.log('|---|---:|---:|');
  console.log(cp.trimEnd());
}

const role = process.argv[2];
if (role === 'server') server();
else if (role === 'control') await control();
else if (role === 'load')
  await load(process.argv[3]!, process.argv[4]!, Number(process.argv[5]), Number(process.argv[6]));
else {
  if (process.getuid?.() !== 0) {
    console.error('bench/nft.ts needs root (network namespaces, nft)');
    process.exit(1);
  }
  await main();
}
