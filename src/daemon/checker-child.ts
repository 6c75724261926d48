// The checker child: health checks every real server and keeps the chosen data plane (IPVS,
// nftables or the user-space proxy) equal to the configuration and the checks. It runs apart
// from the VRRP child so a slow check can never delay an advert.
import type { Config } from '../config/model.js';
import { chooseEngine, probeMachine, type EngineName } from '../dataplane/choose.js';
import { createEngine } from '../dataplane/create.js';
import type { Engine } from '../dataplane/engine.js';
import type { ServiceStats } from '../dataplane/engine.js';
import { directorKernelIssues, unprogrammable } from '../lvs/kernel-needs.js';
import { drInterfaceIssues } from '../lvs/dr-needs.js';
import { LvsController } from '../lvs/controller.js';
import { CheckerFifos } from '../lvs/notify-fifo.js';
import { destId, serviceId } from '../dataplane/keys.js';
import { HISTORY_STEP_MS, historyKey, ServerHistory, sumPoints } from '../lvs/history.js';
import { ESTIMATOR_INTERVAL_MS, RateEstimator, type Rates } from '../lvs/rates.js';
import { CounterBaseline } from '../adm/baseline.js';
import { handleAdm, type AdmBackend } from '../adm/handle.js';
import { readKernelView } from '../lvs/kernel-view.js';
import { applyTuning } from '../os/process-tuning.js';
import { globalData } from '../config/dump-global.js';
import { checkDataText } from '../lvs/dump.js';
import { childContext, emitEvent, runChild, type ChildLoop } from './child.js';
import { dataFileName, DUMP_FILES, dumpPath, writeDumpFile } from './dump-files.js';
import { isVrrpStateEvent } from './ipc.js';
import { rsLabel } from '../config/listen.js';

const { options, log, load } = childContext('vigil-checker', 'checker');

let controller: LvsController | null = null;
let engine: Engine | null = null;
let engineName: EngineName | null = null;
let why = '';
/** The configuration in force, for keepalived_check.data. */
let running: Config | null = null;
let busy: Promise<unknown> = Promise.resolve();

/** `first`: the daemon's start, not a reload (lvs_flush applies then only, as in keepalived). */
async function start(config: Config, first = false): Promise<void> {
  running = config;
  const requested = (options.lvsEngine ?? config.globalDefs.lvsEngine) as 'auto' | EngineName;
  const choice = chooseEngine(requested, probeMachine());
  why = choice.why;
  if (!engine || engineName !== choice.engine) {
    // Another data plane on reload: the old one is emptied and released as at stop, or its
    // services (and the nft engine's tables) would outlive it.
    if (controller) {
      await controller.stop();
      controller = null;
    } else await engine?.close();
    engine = await createEngine(choice.engine, config, { log: (m) => log.info(m) });
    engineName = choice.engine;
    log.info(`data plane: ${choice.engine} (${choice.why})`);
  }
  if (first && config.globalDefs.lvsFlush && engine.flush) {
    await engine.flush();
    log.info(`lvs_flush: emptied the ${choice.engine} data plane before programming it`);
  }
  // One virtual server the engine cannot program must not keep the others out of the table.
  const refused = unprogrammable(config, choice.engine);
  for (const m of refused) log.error(`${m.loc.file}:${m.loc.line}: ${m.message}`);
  // Said once at its line; the engine keeps retrying, so a route added later still takes.
  for (const m of await drInterfaceIssues(config, choice.engine))
    log.error(`${m.loc.file}:${m.loc.line}: ${m.message}`);
  const programmable = refused.length
    ? { ...config, virtualServers: config.virtualServers.filter((vs) => !refused.some((r) => r.vs === vs)) }
    : config;
  const previous = controller;
  await previous?.stop({ keep: true, closeEngine: false });
  const fifo = fifos(config); // opened (and its script started) now, not at the first line
  controller = new LvsController(
    programmable,
    engine,
    {
      log: (level, m) => (level === 'error' ? log.error(m) : level === 'warning' ? log.warn(m) : log.info(m)),
      onChange: (c) =>
        emitEvent({
          kind: 'rs-state',
          vs: `${c.vs.label}/${c.vs.protocol}`,
          rs: rsLabel(c.rs),
          state: c.up ? 'UP' : 'DOWN',
          reason: c.reason,
        }),
      onRuntime: (e) => emitEvent({ kind: 'runtime', ...e }),
      fifo: (line) => fifo.write(line),
    },
    previous?.owns() ?? [],
    previous?.overrides,
    previous?.added.values(),
  );
  applyHaSuspend(config);
  await controller.start();
  // After the engine is up (ip_vs loaded, so net.ipv4.vs.* exist), at every start and reload.
  for (const m of directorKernelIssues(
    config,
    choice.engine,
    await readKernelView({ ruleset: choice.engine === 'ipvs' }),
  ))
    log.warn(`${m.loc.file}:${m.loc.line}: ${m.message}`);
  log.info(
    `health checking ${config.virtualServers.reduce((n, v) => n + v.realServers.length, 0)} real servers`,
  );
}

let openFifos: { key: string; fifos: CheckerFifos } | undefined;

/** notify_fifo / lvs_notify_fifo, opened once and again only when their settings change. */
function fifos(config: Config): CheckerFifos {
  const g = config.globalDefs;
  const key = JSON.stringify([g.notifyFifo, g.lvsNotifyFifo]);
  if (openFifos?.key !== key) {
    openFifos?.fifos.close();
    openFifos = { key, fifos: new CheckerFifos(g, !options.vrrp, (m) => log.warn(m)) };
  }
  return openFifos.fifos;
}

/** The VRRP instances' states as the supervisor relays them (ha_suspend). */
const vrrpStates = new Map<string, string>();

function applyHaSuspend(config: Config): void {
  if (!config.virtualServers.some((v) => v.haSuspend)) return;
  // Without the VRRP process nothing would ever resume them: ha_suspend has no effect then.
  if (!options.vrrp) {
    log.warn('ha_suspend: vigil runs without its VRRP process (-C); checks are never suspended');
    return;
  }
  controller?.vrrpStates(vrrpStates);
}

/** checker_priority, checker_rt_priority …: once, at start (keepalived applies them at start too). */
function tune(config: Config): void {
  const done = applyTuning(config.globalDefs.tuning.checker, 'checker child', (m) => log.warn(m));
  if (done.length) log.info(`checker child scheduling: ${done.join(', ')}`);
}

const initial = load();
if (initial) tune(initial);
// -d: the configuration as keepalived_check.data lays it out, in the log.
if (initial && options.dumpConf)
  for (const line of checkDataText(initial, globalData(initial, 'checker'), []).trimEnd().split('\n'))
    log.info(line);
if (initial && initial.virtualServers.length > 0) {
  busy = start(initial, true).catch((e: Error) => log.error(`cannot start the data plane: ${e.message}`));
}

let baseline: CounterBaseline | null = null;

// Live figures for status and /metrics: the engine's counters every estimator period, with
// IPVS-style rates per service.
let lastStats: ServiceStats[] | undefined;
const estimators = new Map<string, RateEstimator>();
// 15 minutes of each real server's traffic for the dashboard (GET …/real-servers/{rs}/history).
const history = new ServerHistory();
const rates = new Map<string, Rates>();
const statsTimer = setInterval(() => {
  const e = controller?.engine;
  if (!e?.stats) return;
  e.stats().then(
    (stats) => {
      const now = Date.now();
      const seen = new Set<string>();
      for (const s of stats) {
        const id = serviceId(s.key);
        seen.add(id);
        for (const d of s.dests) {
          history.record(historyKey(id, destId(d)), now, d.counters);
        }
        let est = estimators.get(id);
        if (!est) estimators.set(id, (est = new RateEstimator()));
        rates.set(id, est.tick(s.counters, now));
      }
      for (const id of [...estimators.keys()])
        if (!seen.has(id)) {
          estimators.delete(id);
          rates.delete(id);
        }
      history.prune(now);
      lastStats = stats;
    },
    (err: Error) => log.warn(`data plane statistics: ${err.message}`),
  );
}, ESTIMATOR_INTERVAL_MS);
statsTimer.unref();

const NO_DATA_PLANE = {
  ok: false,
  status: 404,
  error: 'no data plane is running (the configuration has no virtual_server)',
} as const;

function admBackend(c: LvsController): AdmBackend {
  const e = c.engine;
  const stats = e.stats?.bind(e);
  if (stats && !baseline) baseline = new CounterBaseline(() => stats());
  const proxy = e as Partial<{
    connections: () => Promise<unknown>;
    getTimeouts: () => unknown;
    setTimeouts: (t: unknown) => void;
    syncDaemons: AdmBackend['syncDaemons'];
  }>;
  return {
    read: () => e.read(),
    apply: (changes) => c.applyRuntime(changes),
    ...(baseline ? { stats: () => baseline!.stats(), zero: (key) => baseline!.zero(key) } : {}),
    ...(proxy.getTimeouts ? { getTimeouts: () => proxy.getTimeouts!() as never } : {}),
    ...(proxy.setTimeouts ? { setTimeouts: (t) => proxy.setTimeouts!(t) } : {}),
    // the kernel's sync daemons (IPVS): vigil adm --start-daemon / --stop-daemon / -L --daemon
    ...(proxy.syncDaemons ? { syncDaemons: proxy.syncDaemons } : {}),
  } as AdmBackend;
}

const child: ChildLoop = runChild<'checker'>(log, {
  event: (e) => {
    if (!isVrrpStateEvent(e)) return;
    vrrpStates.set(e.instance, e.state);
    if (options.vrrp) controller?.vrrpStates(vrrpStates);
  },
  adm: async (command) => {
    await busy;
    if (!controller) throw new Error('no data plane is running (the configuration has no virtual_server)');
    return handleAdm(command, admBackend(controller));
  },
  runtime: async (r) => {
    await busy;
    if (!controller) return NO_DATA_PLANE;
    return controller.runtimeChange(r);
  },
  history: async ({ vs, rs }) => {
    await busy;
    if (!controller) return NO_DATA_PLANE;
    const found = controller.historyKeys(vs, rs);
    if ('error' in found) return { ok: false, ...found };
    const now = Date.now();
    const points = sumPoints(found.keys.map((k) => history.points(k, now)));
    return { ok: true, vs: found.vs, rs: found.rs, stepS: HISTORY_STEP_MS / 1000, points };
  },
  status: () => ({
    ...(controller
      ? { ...controller.status(lastStats, lastStats ? rates : undefined), why }
      : { virtualServers: [] }),
    loopLatenessMs: child.lateness(),
  }),
  dump: () => controller?.status() ?? null,
  // keepalived's checker process answers SIGUSR1 only (keepalived_check.data).
  signal: (sig) => {
    if (sig !== 'DATA' || !running) return [];
    log.info(`Printing checker data for process(${process.pid}) on signal`);
    const path = dumpPath(dataFileName(DUMP_FILES.checkData, running.globalDefs));
    writeDumpFile(
      path,
      checkDataText(running, globalData(running, 'checker'), controller?.status().realServers ?? []),
    );
    return [path];
  },
  reload: () => {
    const next = busy.then(async () => {
      const config = load();
      if (!config) throw new Error('the configuration has errors; keeping the running one');
      await start(config);
      log.info('configuration reloaded');
      return { virtualServers: config.virtualServers.length };
    });
    busy = next.catch(() => undefined);
    return next;
  },
  stop: async () => {
    await busy;
    // -I (--dont-release-ipvs): the virtual servers stay in the data plane, as keepalived.
    await controller?.stop({ keep: options.dontReleaseIpvs });
    log.info('checker child stopped');
  },
});
