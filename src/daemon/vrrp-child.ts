// The VRRP child: loads the configuration, runs the VRRP engine (src/vrrp/runtime.ts) and answers
// the supervisor (status, reload, dump, stop). Nothing else runs in this process, so the
// protocol timers are never held up by health checks.
import type { Config } from '../config/model.js';
import { reloadRuntime, VrrpRuntime } from '../vrrp/runtime.js';
import { childContext, runChild } from './child.js';

const { log, load } = childContext('vigil-vrrp');

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
      runtime = runtime ? await reloadRuntime(runtime, config, log) : await start(config);
      log.info('configuration reloaded');
      return { instances: config.vrrpInstances.length };
    });
    busy = next.catch(() => undefined);
    return next;
  },
  stop: async () => {
    await busy;
    await runtime?.stop(true);
    log.info('VRRP child stopped');
  },
});

async function start(config: Config): Promise<VrrpRuntime> {
  const r = new VrrpRuntime(config, log);
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
  runtime = await start(config);
})().catch((e: unknown) => log.error(`VRRP engine failed to start: ${(e as Error).message}`));
