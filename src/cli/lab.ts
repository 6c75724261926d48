// `vigil lab up|down|status NAME`: a seed-guide cluster in network namespaces that stays up to
// play with (two vigil directors, two real servers, a client), recorded under /run/vigil/lab/NAME
// so another shell can look at it or remove it.
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../daemon/pidfile.js';
import { namespacesOf, removeLab } from '../lab/lab.js';
import { DIRECTOR_API_PORT, loopbackPort, relayDashboard } from '../lab/dashboard-forward.js';
import { missingPrerequisites } from '../lab/preflight.js';
import {
  DIRECTORS,
  ENGINES,
  PRESET_NAMES,
  presetList,
  scenario,
  ScenarioError,
  type Engine,
  type Scenario,
} from '../lab/scenarios.js';
import { askOnce, engineOf, settled, stageScenario, vrrpStates } from '../lab/stage.js';
import { until } from '../lab/until.js';
import { LAB_ROOT, labDir, readLabState, writeLabState, type LabState } from '../lab/state.js';

const USAGE = `usage: vigil lab up NAME [--advert-int SECONDS] [--engine auto|ipvs|nft|userspace]
       vigil lab status [NAME]
       vigil lab down NAME
  Keeps a seed-guide cluster running in network namespaces to play with: a client, two vigil
  directors, two real servers with a web service. up builds and starts it and says how to get
  in; status shows its namespaces, directors and VRRP states; down removes all of it.
  State in ${LAB_ROOT}/NAME. Needs root and iproute2 (nftables for --engine nft).
presets (NAME):
${presetList()}`;

class UsageError extends Error {}
/** The machine lacks what a lab needs (root, ip, nft): exit 2, as for bad usage. */
class NeedsError extends Error {}

const presetError = (name: string): UsageError =>
  new UsageError(`no lab preset named '${name}'; presets: ${PRESET_NAMES.join(', ')}`);

export async function runLab(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  try {
    const [verb, ...rest] = argv;
    switch (verb) {
      case 'up':
        return await up(rest);
      case 'down':
        return await down(rest);
      case 'status':
        return await status(rest);
      case undefined:
        console.error(USAGE);
        return 2;
      default:
        throw new UsageError(`unknown lab command '${verb}' (want up, down or status)`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`vigil lab: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof NeedsError) {
      console.error(`vigil lab ${argv[0]} ${e.message}`);
      return 2;
    }
    console.error(`vigil lab: ${(e as Error).message}`);
    return 1;
  }
}

function parse(
  argv: string[],
  withOptions: boolean,
): { name: string | undefined; advertInt: number; engine: Engine } {
  let r;
  try {
    r = parseArgs({
      args: argv,
      options: withOptions
        ? { 'advert-int': { type: 'string', default: '1' }, engine: { type: 'string', default: 'auto' } }
        : {},
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (r.positionals.length > 1)
    throw new UsageError(`one lab NAME at a time (got ${r.positionals.join(' ')})`);
  const name = r.positionals[0];
  if (name !== undefined && !PRESET_NAMES.includes(name)) throw presetError(name);
  const v = r.values as { 'advert-int'?: string; engine?: string };
  const advertInt = Number(v['advert-int'] ?? '1');
  if (!/^\d+(\.\d+)?$/.test(v['advert-int'] ?? '1'))
    throw new UsageError(`--advert-int '${v['advert-int']}': want seconds (e.g. 1 or 0.2)`);
  const engine = (v.engine ?? 'auto') as Engine;
  if (!ENGINES.includes(engine)) throw new UsageError(`--engine '${engine}': want ${ENGINES.join(', ')}`);
  return { name, advertInt, engine };
}

function needName(name: string | undefined, verb: string): string {
  if (name === undefined) throw new UsageError(`lab ${verb} needs a NAME`);
  return name;
}

function preflight(engine: Engine): void {
  const missing = missingPrerequisites(engine);
  if (missing.length) throw new NeedsError(`needs:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
}

/** The recorded lab NAME if it is still there (its namespaces exist). */
function running(name: string): LabState | null {
  const s = readLabState(name);
  return s && namespacesOf(s.id).length > 0 ? s : null;
}

async function up(argv: string[]): Promise<number> {
  const a = parse(argv, true);
  const name = needName(a.name, 'up');
  let sc: Scenario;
  try {
    sc = scenario(name, { advertInt: a.advertInt, engine: a.engine });
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(e.message);
    throw e;
  }
  preflight(name === 'proxy' ? 'userspace' : a.engine);
  const dir = labDir(name);
  mkdirSync(LAB_ROOT, { recursive: true });
  try {
    mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const s = running(name);
    if (s)
      throw new Error(
        `lab ${name} is already up (namespaces ${s.id}-*, since ${s.startedAt}); 'vigil lab down ${name}' first`,
      );
    // Left over from a lab that is gone (its namespaces were removed by hand): start afresh.
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
  }
  let id: string | undefined;
  try {
    const stage = await stageScenario(sc, { dir, keep: true });
    id = stage.lab.id;
    for (const [instance, node] of Object.entries(sc.masters)) await settled(stage, instance, node, 30_000);
    // Up means a client gets answers: the masters hold the VIPs and the data plane is in place.
    for (const svc of sc.services)
      await until(`${svc.name} answering on ${svc.vip}:${svc.port}`, () => askOnce(stage.lab, svc), 20_000);
    const dataPlane = (await engineOf(stage.directors[Object.values(sc.masters)[0]!])) ?? undefined;
    const dashboards: LabState['dashboards'] = {};
    const relayPids: number[] = [];
    for (const [i, d] of DIRECTORS.entries()) {
      const port = await loopbackPort(DIRECTOR_API_PORT + i);
      const relay = await relayDashboard(stage.lab, d, stage.directors[d].dir, port, true);
      dashboards[d] = relay.url;
      if (relay.pid) relayPids.push(relay.pid);
    }
    const state: LabState = {
      name,
      id,
      summary: sc.summary,
      startedAt: new Date().toISOString(),
      advertInt: a.advertInt,
      engine: name === 'proxy' ? 'userspace' : a.engine,
      dataPlane,
      nodes: Object.fromEntries(
        [...stage.lab.nodes.values()].map((n) => [n.name, n.interfaces.flatMap((i) => i.addresses)]),
      ),
      directors: Object.fromEntries(
        DIRECTORS.map((d) => {
          const x = stage.directors[d];
          return [d, { pid: x.pid ?? 0, dir: x.dir, conf: x.conf, log: x.log }];
        }),
      ) as LabState['directors'],
      masters: sc.masters,
      services: sc.services,
      dashboards,
      relayPids,
    };
    writeLabState(state);
    printUp(state);
    return 0;
  } catch (e) {
    if (id) await removeLab(id);
    const tails = DIRECTORS.map((d) => logTail(d, join(dir, d, 'vigil.log'))).join('');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`lab ${name} did not come up (${(e as Error).message}); removed it again${tails}`);
  }
}

/** The last lines a director logged, indented, for a failure message. */
function logTail(node: string, file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return '';
  }
  const last = text.trimEnd().split('\n').slice(-5);
  return last.length && last[0] ? `\n  ${node}:\n${last.map((l) => `    ${l}`).join('\n')}` : '';
}

function printUp(s: LabState): void {
  const addr = (n: string): string =>
    (s.nodes[n] ?? [])
      .filter((a) => a.includes('.'))
      .map((a) => a.split('/')[0])
      .join(' ');
  const lines = [
    `lab ${s.name} is up: ${s.summary}`,
    `  namespaces  ${Object.keys(s.nodes)
      .map((n) => `${s.id}-${n}`)
      .join(' ')}`,
    `  addresses   ${Object.keys(s.nodes)
      .map((n) => `${n} ${addr(n)}`)
      .join(', ')}`,
    ...(s.dataPlane ? [`  data plane  ${s.dataPlane}`] : []),
    ...s.services.map(
      (v) => `  service     ${v.name} ${v.vip}:${v.port} (${v.instance}, master ${s.masters[v.instance]})`,
    ),
    `  enter       ip netns exec ${s.id}-client bash      (any node: ${s.id}-NODE)`,
    ...s.services.map((v) =>
      v.kind === 'http'
        ? `  try         ip netns exec ${s.id}-client curl -s http://${v.vip}:${v.port}/`
        : `  try         ip netns exec ${s.id}-client bash -c 'cat < /dev/tcp/${v.vip}/${v.port}'`,
    ),
  ];
  for (const d of DIRECTORS) {
    const x = s.directors[d];
    lines.push(`  ${d}   pid ${x.pid}, config ${x.conf}, log ${x.log}`);
    lines.push(`              vigil status --runtime-dir ${join(x.dir, 'run')}`);
    const url = s.dashboards[d];
    if (url) lines.push(`              dashboard ${url}`);
  }
  lines.push(
    `  failover    ${(s.name === 'nat' ? ['eth0', 'eth1'] : ['eth0']).map((i) => `ip -n ${s.id}-director1 link set ${i} down`).join('; ')}`,
    `              (pulls director1's cable; 'up' plugs it back)`,
    `              vigil lab status ${s.name}   (who is master now)`,
  );
  lines.push(`  remove      vigil lab down ${s.name}`);
  console.log(lines.join('\n'));
}

async function down(argv: string[]): Promise<number> {
  const name = needName(parse(argv, false).name, 'down');
  const s = readLabState(name);
  if (!s) {
    console.error(`vigil lab: lab ${name} is not up${upList()}`);
    return 1;
  }
  preflight('userspace');
  for (const pid of s.relayPids ?? []) if (processAlive(pid)) process.kill(pid);
  const removed = await removeLab(s.id);
  // removeLab's signals are sent; wait for the directors to be gone before saying so.
  const end = Date.now() + 5000;
  const pids = DIRECTORS.map((d) => s.directors[d].pid);
  while (pids.some(processAlive) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  const still = pids.filter(processAlive);
  if (still.length) throw new Error(`directors ${still.join(' ')} are still running`);
  const left = namespacesOf(s.id);
  if (left.length) throw new Error(`could not remove namespaces ${left.join(' ')}`);
  rmSync(labDir(name), { recursive: true, force: true });
  console.log(
    `lab ${name} is down${removed ? `: namespaces ${s.id}-* and their processes removed` : ' (its namespaces were already gone)'}`,
  );
  return 0;
}

function upNames(): string[] {
  let names: string[];
  try {
    names = readdirSync(LAB_ROOT);
  } catch {
    return [];
  }
  return names.filter((n) => PRESET_NAMES.includes(n) && existsSync(join(LAB_ROOT, n, 'state.json'))).sort();
}

function upList(): string {
  const names = upNames();
  return names.length ? ` (up: ${names.join(', ')})` : ' (no lab is up)';
}

async function status(argv: string[]): Promise<number> {
  const name = parse(argv, false).name;
  const names = name === undefined ? upNames() : [name];
  if (names.length === 0) {
    console.log('no lab is up');
    return 0;
  }
  let bad = 0;
  for (const n of names) {
    const s = readLabState(n);
    if (!s) {
      console.error(`vigil lab: lab ${n} is not up${upList()}`);
      bad++;
      continue;
    }
    const ns = namespacesOf(s.id);
    console.log(`lab ${n}: ${s.summary} (up since ${s.startedAt})`);
    console.log(`  namespaces  ${ns.length ? ns.join(' ') : 'none left (vigil lab down to clean up)'}`);
    if (!ns.length) bad++;
    for (const d of DIRECTORS) {
      const x = s.directors[d];
      const up = processAlive(x.pid);
      const states = up ? await vrrpStates(x) : null;
      const vrrp = states
        ? states.map((i) => `${i.name} ${i.state} (priority ${i.priority})`).join(', ')
        : up
          ? 'not answering on its control socket'
          : '';
      console.log(
        `  ${d}   ${up ? `pid ${x.pid} running` : `pid ${x.pid} not running`}${vrrp ? `; ${vrrp}` : ''}`,
      );
      if (!up) bad++;
    }
    for (const v of s.services) {
      console.log(`  service     ${v.name} ${v.vip}:${v.port} (${v.instance})`);
    }
  }
  return bad ? 1 : 0;
}
