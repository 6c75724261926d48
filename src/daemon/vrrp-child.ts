// The VRRP child: loads the configuration, runs the VRRP engine (src/vrrp/runtime.ts) and answers
// the supervisor (status, reload, dump, stop). Nothing else runs in this process, so the
// protocol timers are never held up by health checks.
import { formatDiagnostic } from '../config/ast.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/model.js';
import { reloadRuntime, VrrpRuntime } from '../vrrp/runtime.js';
import { childOptions, runChild } from './child.js';
import { createLogger } from './log.js';

const options = childOptions();
// SIGHUP and SIGUSR1 are the supervisor's (reload, dump): a signal sent to the whole process
// group must not end a child (their default action is to terminate).
process.on('SIGHUP', () => undefined);
process.on('SIGUSR1', () => undefined);
const log = createLogger('vigil-vrrp', {
  console: options.logConsole,
  ...(options.logFile ? { file: options.logFile } : {}),
  json: options.logJson,
  detail: options.logDetail,
});

/** The configuration, or null (errors logged) when it cannot run. */
function load(): Config | null {
  const { config, diagnostics } = loadConfig(options.configFile, { configId: options.configId });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  for (const d of errors) log.error(formatDiagnostic(d));
  return errors.length ? null : config;
}

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
