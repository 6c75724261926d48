// The VRRP child: loads the configuration, runs the VRRP engine (src/vrrp/runtime.ts) and answers
// the supervisor (status, reload, dump, stop). Nothing else runs in this process, so the
// protocol timers are never held up by health checks.
import type { Config } from '../config/model.js';
import { chooseEngine, probeMachine } from '../dataplane/choose.js';
import { IpvsEngine } from '../dataplane/ipvs/engine.js';
import { SyncDaemonDriver } from '../lvs/sync-daemon.js';
import { reloadRuntime, VrrpRuntime } from '../vrrp/runtime.js';
import { childContext, emitEvent, runChild } from './child.js';

const { options, log, load } = childContext('vigil-vrrp');

// lvs_sync_daemon: this process knows the VRRP state first, so it drives the kernel's sync
// daemons itself (keepalived's VRRP process does the same), over its own IPVS netlink socket.
let sync: { driver: SyncDaemonDriver; ipvs: IpvsEngine } | null = null;

async function configureSync(config: Config): Promise<void> {
  const want = config.globalDefs.lvsSyncDaemon;
  if (!want) {
    if (sync) {
      await sync.driver.stop();
      await sync.ipvs.close();
      sync = null;
    }
    return;
  }
  const vrid = config.vrrpInstances.find((v) => v.name === want.instance)?.virtualRouterId ?? 0;
  if (sync) return sync.driver.reconfigure(want, vrid);
  const requested = (options.lvsEngine ?? config.globalDefs.lvsEngine) as Parameters<typeof chooseEngine>[0];
  const choice = chooseEngine(requested, probeMachine());
  if (choice.engine !== 'ipvs') {
    log.warn(
      `lvs_sync_daemon: ignored, it synchronises the kernel's IPVS and the data plane is ${choice.engine}`,
    );
    return;
  }
  try {
    const ipvs = await IpvsEngine.open();
    sync = { driver: new SyncDaemonDriver(want, vrid, ipvs.syncDaemons, log), ipvs };
  } catch (e) {
    log.error(`lvs_sync_daemon: ${(e as Error).message}; connections will not be synchronised`);
  }
}

/** Follows the named instance; the initial state too (the runtime reports INIT -> BACKUP/MASTER). */
function onTransition(instance: string, from: string, to: string, priority: number): void {
  if (sync && sync.driver.instance === instance) void sync.driver.follow(to);
  // An instance a reload resumes passes INIT again without changing state: no event for that.
  if (from === 'INIT' && resuming.has(instance)) return;
  emitEvent({ kind: 'vrrp-state', instance, state: to, previous: from, priority });
}

/** During a reload: the instances that keep their MASTER/BACKUP state. */
let resuming = new Set<string>();

let runtime: VrrpRuntime | null = null;
/** Reloads and stops wait for the start (or the previous reload) to finish. */
let busy: Promise<unknown> = Promise.resolve();

const { lateness } = runChild(log, {
  status: () => ({
    ...(runtime ? runtime.status() : { starting: true }),
    loopLatenessMs: lateness(),
  }),
  dump: () => (runtime ? runtime.status() : null),
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
      const kept = sync && runtime.status().instances.find((i) => i.name === sync!.driver.instance);
      if (sync && kept) void sync.driver.follow(kept.state);
      log.info('configuration reloaded');
      return { instances: config.vrrpInstances.length };
    });
    busy = next.catch(() => undefined);
    return next;
  },
  stop: async () => {
    await busy;
    await runtime?.stop(true);
    if (sync) {
      await sync.driver.stop();
      await sync.ipvs.close();
    }
    log.info('VRRP child stopped');
  },
});

async function start(config: Config): Promise<VrrpRuntime> {
  const r = new VrrpRuntime(config, log, onTransition);
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
})().catch((e: unknown) => log.error(`VRRP engine failed to start: ${(e as Error).message}`));
