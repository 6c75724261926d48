// 200 VRRP instances on one interface at advert_int 1 in one running `vigil run` daemon, while the
// same daemon's checker child runs 50 TCP_CHECKs (delay_loop 1) against a server in its own
// namespace (issue #3 §6). Two cases, each against a keepalived 2.2.7 peer with the same 200
// instances: vigil MASTER of all 200 (keepalived backup), and vigil BACKUP of all 200 (keepalived
// master). Over a window of W seconds, after every instance settled and the delayed GARP bursts
// are over:
// - CPU of the VRRP child (and of the checker child, the supervisor and keepalived's VRRP child,
//   for comparison): utime + stime from /proc/PID/stat, as a share of one core;
// - advert lateness, measured outside the daemon: tcpdump in a listener namespace timestamps every
//   advert (kernel time); for each VRID, each gap between two adverts of the master minus 1 s is
//   how late that advert was; p50 / p99 / max over all gaps;
// - that nothing flapped: every advert in the window came from the expected master and each VRID
//   was heard every second; the checks ran (connections the server accepted per second).
// Targets: VRRP child CPU < 5 % of one core, no advert later than 20 ms.
// Run (root, needs tcpdump and keepalived): npx tsx bench/vrrp-scale.ts [window_s=30] [instances=200] [checks=50]
//   RT=N adds `vrrp_rt_priority N` to vigil's global_defs (keepalived stays at its default).
//
// Measured 2026-12-06 12:23 UTC, Debian 12 VM, 2 cores (load average 1.57 at the start, 0.5-0.7
// during), window 30 s, 200 instances, 50 TCP_CHECKs (49.9-50.0 checks/s answered):
//   vigil MASTER x200: VRRP child 2.67 % of one core (RSS 83 MB), checker child 4.60 %;
//     vigil advert lateness over 5800 gaps: p50 0.70, p99 4.23, max 10.05 ms; no missed advert.
//   vigil BACKUP x200: VRRP child 3.43 % (RSS 96 MB), checker child 5.23 %; keepalived's
//     lateness as master: p50 0.14, p99 1.55, max 4.29 ms.
// Both targets met. (2026-12-04 on a loaded machine, load average 3-3.7: VRRP child 1.47 / 1.97 %,
// max lateness 21.7 ms, keepalived's own max 28 ms there.) RT=10 (SCHED_RR VRRP child), one
// MASTER run on 2026-12-05: VRRP child 2.03 %, lateness p50 0.59, p99 1.69, max 2.26 ms.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { createLab, type Lab } from '../src/lab/index.js';
import {
  instanceConf,
  startKeepalived,
  startVigil,
  stopDaemon,
  vigilStatus,
  waitFor,
  type Daemon,
} from '../test/netns/vrrpd/harness.js';
import { captureAdverts, sleep, type SeenAdvert } from './vrrp-pair.js';

const windowS = Number(process.argv[2] ?? 30);
/** RT=N: vigil runs its VRRP child at `vrrp_rt_priority N` (SCHED_RR); keepalived is left at its default. */
const RT = process.env.RT ? Number(process.env.RT) : undefined;
const rtDefs = RT ? `  vrrp_rt_priority ${RT}\n` : '';
const INSTANCES = Number(process.argv[3] ?? 200);
const CHECKS = Number(process.argv[4] ?? 50);
const A = '192.168.75.11';
const K = '192.168.75.12';
const S = '192.168.75.14';
const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64 / arm64

const now = (): number => performance.timeOrigin + performance.now();
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** VIP of instance i (VRID i): one /32 each, off the lab's subnet. */
const vip = (i: number): string => `10.75.${i >> 8}.${i & 255}`;

function vrrpConf(priority: number): string {
  let s = '';
  for (let i = 1; i <= INSTANCES; i++)
    s += instanceConf({ name: `VI_${i}`, vrid: i, priority, vip: `${vip(i)}/32`, advertInt: 1 });
  return s;
}

/** 50 real servers (ports 9001..) behind one userspace virtual service on a's own address. */
function checkConf(): string {
  let s = `global_defs {\n  lvs_engine userspace\n${rtDefs}}\nvirtual_server ${A} 9000 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n`;
  for (let i = 1; i <= CHECKS; i++)
    s += `  real_server ${S} ${9000 + i} {\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n`;
  return s + '}\n';
}

// Listens on the checked ports and prints, once a second, the connections accepted so far.
const SERVER = `const net=require('node:net');let n=0;
for(let p=9001;p<=${9000 + CHECKS};p++)net.createServer((s)=>{n++;s.on('error',()=>{});s.end()}).listen(p,'${S}');
setInterval(()=>process.stdout.write(n+'\\n'),1000)`;

/** utime + stime of a process in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const pidIn = (file: string): number => Number(readFileSync(file, 'utf8').trim());

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Lateness {
  gaps: number;
  p50: number;
  p99: number;
  max: number;
  /** VRIDs with a gap over 1.5 s, or never heard, in the window. */
  missed: number;
  /** Adverts in the window from anyone but the expected master. */
  foreign: number;
}

/** Per VRID, the master's inter-advert gaps minus 1 s, within [t0, t1]. */
function lateness(seen: SeenAdvert[], master: string, t0: number, t1: number): Lateness {
  const byVrid = new Map<number, number[]>();
  let foreign = 0;
  for (const p of seen) {
    if (p.t < t0 || p.t > t1) continue;
    if (p.source !== master) {
      foreign++;
      continue;
    }
    const ts = byVrid.get(p.vrid) ?? [];
    ts.push(p.t);
    byVrid.set(p.vrid, ts);
  }
  const late: number[] = [];
  let missed = INSTANCES - byVrid.size;
  for (const ts of byVrid.values()) {
    let bad = false;
    for (let i = 1; i < ts.length; i++) {
      const gap = ts[i]! - ts[i - 1]!;
      late.push(gap - 1000);
      if (gap > 1500) bad = true;
    }
    if (bad) missed++;
  }
  late.sort((x, y) => x - y);
  return {
    gaps: late.length,
    p50: quantile(late, 0.5),
    p99: quantile(late, 0.99),
    max: late.at(-1)!,
    missed,
    foreign,
  };
}

interface Result {
  title: string;
  vrrpCpu: number;
  checkerCpu: number;
  supervisorCpu: number;
  keepalivedCpu: number;
  vrrpRss: number;
  checksPerS: number;
  late: Lateness;
  states: string;
}

async function runCase(lab: Lab, dir: string, vigilMaster: boolean): Promise<Result> {
  const title = vigilMaster
    ? `vigil MASTER x${INSTANCES}, keepalived backup`
    : `vigil BACKUP x${INSTANCES}, keepalived master`;
  const server = lab.spawn('s', [process.execPath, '-e', SERVER]);
  const accepted: { t: number; n: number }[] = [];
  createInterface({ input: server.stdout! }).on('line', (l) => accepted.push({ t: now(), n: Number(l) }));
  const capture = await captureAdverts(lab, 'l');
  const tag = vigilMaster ? 'm' : 'b';
  let v: Daemon | undefined;
  let k: Daemon | undefined;
  try {
    // The intended master starts first and settles, so the other joins as backup without a flap.
    const startK = async () =>
      (k = await startKeepalived(lab, 'k', join(dir, `k-${tag}`), vrrpConf(vigilMaster ? 100 : 150)));
    const startV = async () =>
      (v = await startVigil(
        lab,
        'a',
        join(dir, `v-${tag}`),
        checkConf() + vrrpConf(vigilMaster ? 150 : 100),
      ));
    if (vigilMaster) await startV();
    else await startK();
    const master = vigilMaster ? A : K;
    // Every VRID heard from the master.
    await waitFor(
      `all ${INSTANCES} instances advertised by ${master}`,
      async () =>
        new Set(capture.seen.filter((p) => p.source === master).map((p) => p.vrid)).size === INSTANCES,
      60_000,
      200,
    );
    if (vigilMaster) await startK();
    else await startV();
    await waitFor(
      'the vigil VRRP child',
      async () => {
        const s = await vigilStatus(v!).catch(() => null);
        const is = s?.children.vrrp?.status.instances ?? [];
        return is.length === INSTANCES && is.every((i) => i.state === (vigilMaster ? 'MASTER' : 'BACKUP'));
      },
      60_000,
      200,
    );
    // garp_master_delay (5 s) after the last takeover, plus margin.
    await sleep(7_000);
    const pids = {
      vrrp: pidIn(join(v!.dir, 'vrrp.pid')),
      checker: pidIn(join(v!.dir, 'checker.pid')),
      supervisor: v!.child.pid!,
      keepalived: pidIn(join(k!.dir, 'vrrp.pid')),
    };
    const before = Object.fromEntries(Object.entries(pids).map(([n, p]) => [n, cpuTicks(p)]));
    const t0 = now();
    const a0 = accepted.at(-1)?.n ?? 0;
    await sleep(windowS * 1000);
    const t1 = now();
    const a1 = accepted.at(-1)?.n ?? 0;
    const share = (n: keyof typeof pids): number =>
      ((cpuTicks(pids[n]) - before[n]!) / CLK_TCK / ((t1 - t0) / 1000)) * 100;
    const cpu = {
      vrrp: share('vrrp'),
      checker: share('checker'),
      supervisor: share('supervisor'),
      keepalived: share('keepalived'),
    };
    const st = (await vigilStatus(v!)).children.vrrp?.status.instances ?? [];
    const counts = new Map<string, number>();
    for (const i of st) counts.set(i.state, (counts.get(i.state) ?? 0) + 1);
    // Skip the first second: an advert just before t0 starts each VRID's gaps.
    return {
      title,
      vrrpCpu: cpu.vrrp,
      checkerCpu: cpu.checker,
      supervisorCpu: cpu.supervisor,
      keepalivedCpu: cpu.keepalived,
      vrrpRss: rssMb(pids.vrrp),
      checksPerS: (a1 - a0) / ((t1 - t0) / 1000),
      late: lateness(capture.seen, master, t0, t1),
      states: [...counts].map(([s, n]) => `${n} ${s}`).join(', '),
    };
  } finally {
    capture.stop();
    if (v) await stopDaemon(lab, v, 'SIGTERM');
    if (k) await stopDaemon(lab, k, 'SIGTERM');
    lab.kill(server, 'SIGKILL');
  }
}

const lab = await createLab({
  nodes: [
    { name: 'a', addresses: [`${A}/24`] },
    { name: 'k', addresses: [`${K}/24`] },
    { name: 'l', addresses: ['192.168.75.13/24'] },
    { name: 's', addresses: [`${S}/24`] },
  ],
});
const dir = mkdtempSync(join(tmpdir(), 'vigil-scale-'));
try {
  console.log(
    `${INSTANCES} VRRP instances (advert_int 1, one interface) + ${CHECKS} TCP_CHECKs (delay_loop 1), window ${windowS} s`,
  );
  for (const vigilMaster of [true, false]) {
    const la = load();
    const r = await runCase(lab, dir, vigilMaster);
    const l = r.late;
    console.log(`\n${r.title}   (load average before: ${la}, after: ${load()})`);
    console.log(
      `  CPU % of one core: vigil VRRP child ${r.vrrpCpu.toFixed(2)}, checker child ${r.checkerCpu.toFixed(2)}, supervisor ${r.supervisorCpu.toFixed(2)}; keepalived VRRP ${r.keepalivedCpu.toFixed(2)}`,
    );
    console.log(
      `  vigil VRRP child RSS ${r.vrrpRss.toFixed(0)} MB; checks answered ${r.checksPerS.toFixed(1)}/s`,
    );
    console.log(
      `  ${vigilMaster ? 'vigil' : 'keepalived'} advert lateness over ${l.gaps} gaps (ms): p50 ${l.p50.toFixed(2)}  p99 ${l.p99.toFixed(2)}  max ${l.max.toFixed(2)}`,
    );
    console.log(
      `  VRIDs with a missed advert: ${l.missed}; adverts from the backup: ${l.foreign}; vigil states: ${r.states}`,
    );
  }
} finally {
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
