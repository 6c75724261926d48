// The VRRP child: loads the configuration, runs the VRRP engine (src/vrrp/runtime.ts) and answers
// the supervisor (status, reload, dump, stop). Nothing else runs in this process, so the
// protocol timers are never held up by health checks.
import type { Config } from '../config/model.js';
import { join } from 'node:path';
import { chooseEngine, probeMachine, type EngineName } from '../dataplane/choose.js';
import { IpvsEngine } from '../dataplane/ipvs/engine.js';
import {
  CONNTRACKD_GROUP,
  ConntrackSyncDriver,
  conntrackdConf,
  conntrackdPathProblem,
} from '../lvs/conntrack-sync.js';
import { SyncDaemonDriver } from '../lvs/sync-daemon.js';
import { syncMismatches } from '../lvs/sync-engine.js';
import { primaryAddress } from '../os/addresses.js';
import { ConntrackdProcess } from '../lvs/conntrackd.js';
import { closeRtnl, openRtnl } from '../os/link.js';
import { readInterfaces } from '../os/interface-view.js';
import { applyTuning } from '../os/process-tuning.js';
import { reloadRuntime, VrrpRuntime } from '../vrrp/runtime.js';
import { vrrpDataText, vrrpJson, vrrpStatsText } from '../vrrp/dump.js';
import { childContext, emitEvent, runChild, type ChildLoop } from './child.js';
import { dataFileName, DUMP_FILES, dumpPath, writeDumpFile } from './dump-files.js';
import type { DumpSignal } from './signals.js';

const { options, log, load } = childContext('vigil-vrrp', 'vrrp');

// lvs_sync_daemon: this process knows the VRRP state first, so it drives the kernel's sync
// daemons itself (keepalived's VRRP process does the same), over its own IPVS netlink socket.
let sync: { driver: SyncDaemonDriver; ipvs: IpvsEngine } | null = null;
// conntrack_sync: conntrackd for the nft engine, a child of this process for the same reason.
let ctSync: { driver: ConntrackSyncDriver; key: string } | null = null;

function engineInForce(config: Config): EngineName {
  const requested = (options.lvsEngine ?? config.globalDefs.lvsEngine) as Parameters<typeof chooseEngine>[0];
  return chooseEngine(requested, probeMachine()).engine;
}

async function configureSync(config: Config): Promise<void> {
  const engine = engineInForce(config);
  for (const m of syncMismatches(config.globalDefs, engine)) log.warn(m.message);
  await configureConntrackSync(config, engine);
  const want = config.globalDefs.lvsSyncDaemon;
  if (!want || engine !== 'ipvs') {
    if (sync) {
      await sync.driver.stop();
      await sync.ipvs.close();
      sync = null;
    }
    return;
  }
  const vrid = config.vrrpInstances.find((v) => v.name === want.instance)?.virtualRouterId ?? 0;
  if (sync) return sync.driver.reconfigure(want, vrid);
  try {
    const ipvs = await IpvsEngine.open();
    sync = { driver: new SyncDaemonDriver(want, vrid, ipvs.syncDaemons, log), ipvs };
  } catch (e) {
    log.error(`lvs_sync_daemon: ${(e as Error).message}; connections will not be synchronised`);
  }
}

/** Starts, keeps (same settings) or replaces conntrackd; null settings stop it. */
async function configureConntrackSync(config: Config, engine: EngineName): Promise<void> {
  const want = engine === 'nft' ? config.globalDefs.conntrackSync : undefined;
  const key = want ? JSON.stringify({ ...want, loc: undefined }) : '';
  if (ctSync && ctSync.key === key) return;
  if (ctSync) {
    await ctSync.driver.stop();
    ctSync = null;
  }
  if (!want) return;
  const files = {
    socket: join(options.runtimeDir, 'conntrackd.ctl'),
    lockFile: join(options.runtimeDir, 'conntrackd.lock'),
  };
  const confPath = join(options.runtimeDir, 'conntrackd.conf');
  const problem = [files.socket, files.lockFile, confPath].map(conntrackdPathProblem).find(Boolean);
  if (problem) {
    log.error(`conntrack_sync: ${problem}; conntrackd not started (choose another --runtime-dir)`);
    return;
  }
  let local = want.address ?? null;
  if (!local) {
    const rtnl = openRtnl();
    try {
      local = await primaryAddress(rtnl, want.interface, 4);
    } catch (e) {
      log.error(`conntrack_sync: cannot read the addresses of ${want.interface}: ${(e as Error).message}`);
    } finally {
      closeRtnl(rtnl);
    }
  }
  if (!local) {
    log.error(
      `conntrack_sync: ${want.interface} has no IPv4 address to send from; conntrackd not started (set 'address ADDR')`,
    );
    return;
  }
  const daemon = new ConntrackdProcess({ confPath, conf: conntrackdConf(want, local, files), files, log });
  const driver = new ConntrackSyncDriver(want.instance, daemon, log);
  daemon.onRestarted = () => void driver.resume();
  ctSync = { driver, key };
  log.info(
    `conntrack_sync: conntrackd (FTFW) on ${want.interface} from ${local} ${want.peer ? `to ${want.peer}` : `group ${want.group ?? CONNTRACKD_GROUP}`}, following ${want.instance}`,
  );
}

/**
 * Every state change, the first (INIT -> BACKUP/MASTER) included: lvs_sync_daemon and
 * conntrack_sync follow their instance, and the supervisor relays each state to the checker child
 * (ha_suspend) and the API.
 */
function onTransition(instance: string, from: string, to: string, priority: number): void {
  if (sync && sync.driver.instance === instance) void sync.driver.follow(to);
  if (ctSync && ctSync.driver.instance === instance) void ctSync.driver.follow(to);
  // An instance a reload resumes passes INIT again without changing state: not a transition (the
  // loop after a reload re-sends every state for ha_suspend's relay).
  if (from === 'INIT' && resuming.has(instance)) return;
  emitEvent({ kind: 'vrrp-state', instance, state: to, previous: from, priority });
}

/** During a reload: the instances that keep their MASTER/BACKUP state. */
let resuming = new Set<string>();

let runtime: VrrpRuntime | null = null;
/** When the engine started: keepalived's "last transition" of an instance that has had none. */
let startedAt = Date.now();

/**
 * keepalived's VRRP process on a dump signal: SIGUSR1 keepalived.data, SIGUSR2 keepalived.stats,
 * SIGSTATS_CLEAR the same then zeroes the counters, SIGJSON keepalived.json (none without
 * instances, as keepalived). Before the engine runs there is nothing to write.
 */
async function dumpOnSignal(sig: DumpSignal): Promise<string[]> {
  if (!runtime) return [];
  const status = runtime.status();
  const write = (name: string, text: string): string[] => {
    const path = dumpPath(name);
    writeDumpFile(path, text);
    return [path];
  };
  switch (sig) {
    case 'DATA': {
      log.info(`Printing VRRP data for process(${process.pid}) on signal`);
      const { config } = runtime;
      const { sockets, timers, processes } = runtime.dumpView();
      // Without the interfaces (netlink refused) the rest is still worth writing.
      const interfaces = await readInterfaces().catch((e: unknown) => {
        log.warn(`keepalived.data: cannot read the interfaces: ${(e as Error).message}`);
        return null;
      });
      return write(
        dataFileName(DUMP_FILES.data, config.globalDefs),
        vrrpDataText(config, status, startedAt, { sockets, timers, processes, interfaces }),
      );
    }
    case 'STATS':
    case 'STATS_CLEAR': {
      log.info(
        `Printing ${sig === 'STATS_CLEAR' ? 'and clearing ' : ''}VRRP stats for process(${process.pid}) on signal`,
      );
      const paths = write(DUMP_FILES.stats, vrrpStatsText(status));
      if (sig === 'STATS_CLEAR') runtime.clearStats();
      return paths;
    }
    case 'JSON': {
      log.info(`Printing VRRP as json for process(${process.pid}) on signal`);
      if (!status.instances.length) return [];
      // keepalived's JSON writer escapes '/' ('\/'): the same bytes, for anything that compares.
      const text = JSON.stringify(vrrpJson(runtime.config, status, startedAt)).replaceAll('/', '\\/');
      return write(DUMP_FILES.json, text);
    }
  }
}
/** Reloads and stops wait for the start (or the previous reload) to finish. */
let busy: Promise<unknown> = Promise.resolve();

const child: ChildLoop = runChild<'vrrp'>(log, {
  status: () => ({
    ...(runtime ? runtime.status() : { starting: true }),
    loopLatenessMs: child.lateness(),
  }),
  dump: () => (runtime ? runtime.status() : null),
  signal: dumpOnSignal,
  reload: () => {
    const next = busy.then(async () => {
      const config = load();
      if (!config) throw new Error('the configuration has errors; keeping the running one');
      await configureSync(config);
      resuming = new Set(
        (runtime?.status().instances ?? [])
          .filter((i) => i.state === 'MASTER' || i.state === 'BACKUP')
          .map((i) => i.name),
      );
      try {
        runtime = runtime ? await reloadRuntime(runtime, config, log) : await start(config);
      } finally {
        resuming = new Set();
      }
      // A resumed instance reports no transition: follow the state it kept.
      for (const i of runtime.status().instances) onTransition(i.name, i.state, i.state, i.effectivePriority);
      log.info('configuration reloaded');
      return { instances: config.vrrpInstances.length };
    });
    busy = next.catch(() => undefined);
    return next;
  },
  stop: async () => {
    await busy;
    // -V (--dont-release-vrrp): the VIPs stay and no priority-0 advert goes out, as keepalived.
    await runtime?.stop(!options.dontReleaseVrrp);
    if (sync) {
      await sync.driver.stop();
      await sync.ipvs.close();
    }
    await ctSync?.driver.stop();
    log.info('VRRP child stopped');
  },
});

async function start(config: Config): Promise<VrrpRuntime> {
  const r = new VrrpRuntime(config, log, onTransition);
  startedAt = Date.now();
  await r.start();
  log.info(`VRRP engine started (${config.vrrpInstances.length} instances)`);
  return r;
}

busy = (async () => {
  const config = load();
  if (!config) {
    log.error('VRRP child: the configuration has errors; not starting any instance');
    return;
  }
  await configureSync(config);
  runtime = await start(config);
  // -d: the configuration as keepalived.data lays it out, in the log.
  if (options.dumpConf)
    for (const line of vrrpDataText(config, runtime.status(), startedAt).trimEnd().split('\n'))
      log.info(line);
  // vrrp_priority, vrrp_rt_priority …: once, at start (keepalived applies them at start too);
  // after the start-up's module loading, which would overrun RLIMIT_RTTIME at realtime priority.
  const done = applyTuning(config.globalDefs.tuning.vrrp, 'VRRP child', (m) => log.warn(m));
  if (done.length) log.info(`VRRP child scheduling: ${done.join(', ')}`);
})().catch((e: unknown) => log.error(`VRRP engine failed to start: ${(e as Error).message}`));
