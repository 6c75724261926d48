// The checker child: health checks every real server and keeps the chosen data plane (IPVS,
// nftables or the user-space proxy) equal to the configuration and the checks. It runs apart
// from the VRRP child so a slow check can never delay an advert.
import type { Config } from '../config/model.js';
import { chooseEngine, probeMachine, type EngineName } from '../dataplane/choose.js';
import { createEngine } from '../dataplane/create.js';
import type { Engine } from '../dataplane/engine.js';
import { LvsController } from '../lvs/controller.js';
import { CounterBaseline } from '../adm/baseline.js';
import type { AdmBackend } from '../adm/handle.js';
import { handleAdm } from '../adm/handle.js';
import { checkAdmRequest } from '../adm/request.js';
import { childContext, runChild } from './child.js';
import { isVrrpStateEvent } from './ipc.js';

const { options, log, load } = childContext('vigil-checker');

let controller: LvsController | null = null;
let engine: Engine | null = null;
let engineName: EngineName | null = null;
let why = '';
let busy: Promise<unknown> = Promise.resolve();

async function start(config: Config): Promise<void> {
  const requested = (options.lvsEngine ?? config.globalDefs.lvsEngine) as 'auto' | EngineName;
  const choice = chooseEngine(requested, probeMachine());
  why = choice.why;
  if (!engine || engineName !== choice.engine) {
    await engine?.close();
    engine = await createEngine(choice.engine, config, { log: (m) => log.info(m) });
    engineName = choice.engine;
    log.info(`data plane: ${choice.engine} (${choice.why})`);
  }
  const previous = controller;
  await previous?.stop({ keep: true, closeEngine: false });
  controller = new LvsController(
    config,
    engine,
    {
      log: (level, m) => (level === 'error' ? log.error(m) : level === 'warning' ? log.warn(m) : log.info(m)),
    },
    previous?.owns() ?? [],
  );
  applyHaSuspend(config);
  await controller.start();
  log.info(
    `health checking ${config.virtualServers.reduce((n, v) => n + v.realServers.length, 0)} real servers`,
  );
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

const initial = load();
if (initial && initial.virtualServers.length > 0) {
  busy = start(initial).catch((e: Error) => log.error(`cannot start the data plane: ${e.message}`));
}

let baseline: CounterBaseline | null = null;

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

runChild(log, {
  event: (e) => {
    if (!isVrrpStateEvent(e)) return;
    vrrpStates.set(e.instance, e.state);
    if (options.vrrp) controller?.vrrpStates(vrrpStates);
  },
  adm: async (args) => {
    const r = checkAdmRequest(args);
    if ('error' in r) throw new Error(r.error);
    await busy;
    if (!controller) throw new Error('no data plane is running (the configuration has no virtual_server)');
    return handleAdm(r.command, admBackend(controller));
  },
  status: () => (controller ? { ...controller.status(), why } : { virtualServers: 0 }),
  dump: () => controller?.status() ?? null,
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
    await controller?.stop();
    log.info('checker child stopped');
  },
});
