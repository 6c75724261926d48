// `vigil demo`: the seed guides' failover test, end to end on this machine in network namespaces.
// Two real `vigil run` directors in front of two real servers; a client probes the VIP every
// 10 ms; the master is killed (SIGKILL, cable pulled, as a machine that dies), the backup takes
// over, the client's outage is measured; the old master comes back and takes over again
// (preemption). Everything is torn down on exit, Ctrl-C or SIGTERM, and checked to be gone.
import { parseArgs } from 'node:util';
import { existsSync, mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../daemon/pidfile.js';
import { namespacesOf } from '../lab/lab.js';
import {
  DIRECTOR_API_PORT,
  loopbackPort,
  relayDashboard,
  type DashboardRelay,
} from '../lab/dashboard-forward.js';
import { formatTally, outageAround, tally } from '../lab/outage.js';
import { missingPrerequisites } from '../lab/preflight.js';
import {
  DIRECTORS,
  ENGINES,
  scenario,
  ScenarioError,
  type DirectorNode,
  type Engine,
} from '../lab/scenarios.js';
import {
  engineOf,
  masterOf,
  settled,
  stageScenario,
  startDirector,
  startProbe,
  type Probe,
  type Stage,
} from '../lab/stage.js';
import { until } from '../lab/until.js';

const USAGE = `usage: vigil demo [--mode dr|nat] [--advert-int SECONDS] [--engine auto|ipvs|nft|userspace] [--keep]
  Builds the seed guides' LVS cluster in network namespaces (a client, two directors running
  vigil, two real servers with a web service, one L2 segment), sends client traffic through the
  VIP, kills the master, shows the takeover and the outage the client saw, brings the old master
  back (failback), then removes everything. Needs root and iproute2 (nftables for --engine nft).
  --mode dr|nat        LVS-DR (default) or LVS-NAT (a second, private segment)
  --advert-int S       VRRP advert interval (default 1; fractions use VRRPv3)
  --engine E           lvs_engine of the directors (default auto: IPVS if the kernel has it, else nftables, else the user-space engine)
  --keep               after the failover, leave the lab running until Ctrl-C`;

interface DemoArgs {
  mode: 'dr' | 'nat';
  advertInt: number;
  engine: Engine;
  keep: boolean;
}

function parseDemoArgs(argv: string[]): DemoArgs | string {
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        mode: { type: 'string', default: 'dr' },
        'advert-int': { type: 'string', default: '1' },
        engine: { type: 'string', default: 'auto' },
        keep: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    return (e as Error).message;
  }
  if (v.mode !== 'dr' && v.mode !== 'nat') return `--mode '${v.mode}': want dr or nat`;
  const advertInt = Number(v['advert-int']);
  if (!/^\d+(\.\d+)?$/.test(v['advert-int']) || !(advertInt >= 0.01 && advertInt <= 255))
    return `--advert-int '${v['advert-int']}': want seconds from 0.01 to 255 (e.g. 1 or 0.2)`;
  if (!ENGINES.includes(v.engine as Engine)) return `--engine '${v.engine}': want ${ENGINES.join(', ')}`;
  return { mode: v.mode, advertInt, engine: v.engine as Engine, keep: v.keep };
}

const stamp = (t = Date.now()): string => new Date(t).toISOString().slice(11, 23);
const say = (msg: string, t?: number): void => console.log(`${stamp(t)}  ${msg}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function traffic(probe: Probe, from: number, to: number): string {
  return `client: ${formatTally(tally(probe.samples, from, to))} in ${secs(to - from)}`;
}

/** Reports the longest silence the client saw from t0 to now (the new master is in place). */
async function reportOutage(probe: Probe, t0: number, what: string, stop: AbortSignal): Promise<number> {
  // Let answers through the new master arrive first, so the silence has an end.
  await sleep(300);
  const o = await until('a client answer', async () => outageAround(probe.samples, t0, Date.now()), 30_000, {
    signal: stop,
  });
  say(
    `client-visible outage (${what}): ${o.ms.toFixed(0)} ms, ${o.failed} requests unanswered ` +
      `(last answer ${stamp(o.lastBefore)}, next ${stamp(o.firstAfter)})`,
  );
  return o.ms;
}

export async function runDemo(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  const args = parseDemoArgs(argv);
  if (typeof args === 'string') {
    console.error(`vigil demo: ${args}\n${USAGE}`);
    return 2;
  }
  const missing = missingPrerequisites(args.engine);
  if (missing.length) {
    console.error(`vigil demo needs:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
    return 2;
  }
  let sc;
  try {
    sc = scenario(args.mode, { advertInt: args.advertInt, engine: args.engine });
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    console.error(`vigil demo: ${e.message}`);
    return 2;
  }

  mkdirSync('/run/vigil', { recursive: true });
  const dir = mkdtempSync('/run/vigil/demo-');
  let stage: Stage | undefined;
  const relays: DashboardRelay[] = [];
  let interrupted: NodeJS.Signals | undefined;
  let wake: (() => void) | undefined;
  const abort = new AbortController();
  const stop = abort.signal;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = sig;
    say(`${sig}: stopping`);
    abort.abort();
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const check = (): void => {
    if (interrupted) throw new Interrupted();
  };
  /** A sleep Ctrl-C cuts short. */
  const pause = async (ms: number): Promise<void> => {
    await Promise.race([sleep(ms), new Promise<void>((r) => (wake = r))]);
    check();
  };

  const web = sc.services[0]!;
  const t = sc.topology;
  let code = 0;
  try {
    say(`vigil demo: ${sc.summary}`);
    stage = await stageScenario(sc, { dir });
    check();
    const lab = stage.lab;
    const addr = (n: string): string => (lab.node(n).interfaces[0]?.addresses[0] ?? '?').split('/')[0]!;
    say(
      `lab ${lab.id}: namespaces ${lab.id}-{client,director1,director2,rs1,rs2}; ` +
        `client ${addr('client')}, directors ${addr('director1')} ${addr('director2')}, ` +
        `real servers ${sc.realServers.map((r) => r.address).join(' ')}`,
    );
    say(
      `vigil run on director1 (priority 150) and director2 (priority 100); VIP ${web.vip}:${web.port}, ` +
        `advert_int ${args.advertInt}, lvs_engine ${args.engine}; configs in ${dir}`,
    );
    const first = sc.masters[web.instance]!;
    await settled(stage, web.instance, first, 30_000, stop);
    check();
    say(`${first} is MASTER of ${web.instance}, ${other(first)} BACKUP`);
    for (const [i, d] of DIRECTORS.entries()) {
      const port = await loopbackPort(DIRECTOR_API_PORT + i);
      const relay = await relayDashboard(lab, d, stage.directors[d].dir, port);
      relays.push(relay);
      say(`dashboard of ${d}: ${relay.url} (its API, relayed from the namespace)`);
    }
    const engine = await engineOf(stage.directors[first]);
    if (engine) say(`data plane: ${engine}`);

    const probe = startProbe(lab, web);
    say(`client ${t.ipv4.client} -> http://${web.vip}:${web.port}/ every 10 ms`);
    await until(
      'client answers',
      async () => (probe.samples.some((s) => s.who !== '-') ? true : null),
      15_000,
      { signal: stop },
    );
    const t1 = Date.now();
    await pause(2000);
    say(traffic(probe, t1, Date.now()));

    // The master dies: its vigil is SIGKILLed and its cable pulled, so nothing of it (VIP,
    // kernel forwarding rules) keeps answering, as with a machine that crashed.
    const victim = stage.directors[first];
    const t0 = Date.now();
    lab.kill(victim.child!, 'SIGKILL');
    for (const i of lab.node(first).interfaces) await lab.setLink(first, i.ifname, false);
    say(`${first} crashes: SIGKILL to its vigil (pid ${victim.pid}), its links down`, t0);
    const backup = other(first);
    await until(
      `${backup} MASTER`,
      async () => ((await masterOf(stage!, web.instance)) === backup ? true : null),
      30_000,
      { signal: stop },
    );
    const tm = Date.now();
    check();
    say(`${backup} is MASTER now (takeover ${secs(tm - t0)} after the crash)`, tm);
    await reportOutage(probe, t0, 'master crash', stop);
    const t2 = Date.now();
    await pause(2000);
    say(traffic(probe, t2, Date.now()));

    // The old master comes back as after a reboot: fresh network state, vigil started again.
    await rebootState(stage, first);
    const t3 = Date.now();
    startDirector(lab, victim);
    say(`${first} is back: links up, vigil started again (pid ${victim.pid})`, t3);
    await settled(stage, web.instance, first, 30_000, stop);
    const tf = Date.now();
    check();
    say(
      `${first} is MASTER again (failback by preemption, priority 150 > 100) after ${secs(tf - t3)}; ${backup} BACKUP`,
      tf,
    );
    await reportOutage(probe, t3, 'failback', stop);
    const t4 = Date.now();
    await pause(2000);
    say(traffic(probe, t4, Date.now()));
    lab.kill(probe.child, 'SIGTERM');

    if (args.keep) {
      say('--keep: the lab stays up until Ctrl-C. Try:');
      console.log(`    ip netns exec ${lab.id}-client curl -s http://${web.vip}:${web.port}/`);
      console.log(`    vigil status --runtime-dir ${join(victim.dir, 'run')}`);
      await new Promise<void>((r) => (wake = r));
    }
  } catch (e) {
    if (interrupted) {
      code = interrupted === 'SIGINT' ? 130 : 143;
    } else {
      console.error(`vigil demo: ${(e as Error).message}`);
      if (stage) for (const d of DIRECTORS) console.error(`  ${d} log: ${stage.directors[d].log}`);
      code = 1;
    }
  } finally {
    for (const r of relays) r.close();
    code = (await teardown(stage, dir, code !== 0 && !interrupted)) ? code : code || 1;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return code;
}

class Interrupted extends Error {}

const other = (d: DirectorNode): DirectorNode => (d === 'director1' ? 'director2' : 'director1');

/** A rebooted director has neither the VIPs nor the forwarding rules it held when it died. */
async function rebootState(stage: Stage, node: DirectorNode): Promise<void> {
  const lab = stage.lab;
  const own = new Set(lab.node(node).interfaces.flatMap((i) => i.addresses));
  const links = JSON.parse((await lab.exec(node, ['ip', '-j', 'addr', 'show'])).stdout) as {
    ifname: string;
    addr_info?: { local: string; prefixlen: number; scope: string }[];
  }[];
  for (const l of links) {
    if (l.ifname === 'lo') continue;
    for (const a of l.addr_info ?? []) {
      const cidr = `${a.local}/${a.prefixlen}`;
      if (a.scope !== 'link' && !own.has(cidr))
        await lab.exec(node, ['ip', 'addr', 'del', cidr, 'dev', l.ifname]);
    }
  }
  await lab.exec(node, ['nft', 'flush', 'ruleset'], { allowFailure: true });
  for (const i of lab.node(node).interfaces) await lab.setLink(node, i.ifname, true);
}

/** Removes the lab and checks nothing of it is left. Returns false (and says what) otherwise. */
async function teardown(stage: Stage | undefined, dir: string, keepLogs: boolean): Promise<boolean> {
  if (!stage) {
    rmSync(dir, { recursive: true, force: true });
    return true;
  }
  const id = stage.lab.id;
  const pids = DIRECTORS.map((d) => stage.directors[d].pid).filter((p): p is number => p !== undefined);
  await stage.lab.destroy();
  const leftNs = namespacesOf(id).length > 0;
  // A signal's teardown (lab.ts) SIGKILLs without waiting: give the kernel a moment to reap.
  const end = Date.now() + 5000;
  while (pids.some(processAlive) && Date.now() < end) await sleep(50);
  const leftPids = pids.filter(processAlive);
  if (!keepLogs) rmSync(dir, { recursive: true, force: true });
  if (leftNs || leftPids.length) {
    say(
      `teardown incomplete: ${leftNs ? `namespaces ${id}-* remain; ` : ''}${leftPids.length ? `processes ${leftPids.join(' ')} alive` : ''}`,
    );
    return false;
  }
  say(
    `torn down: no ${id}-* namespaces, links or processes left${keepLogs && existsSync(dir) ? ` (logs kept in ${dir})` : ''}`,
  );
  return true;
}
