// The checker child. Health checking is not wired into the daemon yet: this child loads the
// configuration and reports how many virtual servers it holds, and checks nothing (it never
// pretends a real server is up or down).
import { formatDiagnostic } from '../config/ast.js';
import { loadConfig } from '../config/load.js';
import { childOptions, runChild } from './child.js';
import { createLogger } from './log.js';

const options = childOptions();
// SIGHUP and SIGUSR1 are the supervisor's (reload, dump): a signal sent to the whole process
// group must not end a child (their default action is to terminate).
process.on('SIGHUP', () => undefined);
process.on('SIGUSR1', () => undefined);
const log = createLogger('vigil-checker', {
  console: options.logConsole,
  ...(options.logFile ? { file: options.logFile } : {}),
  json: options.logJson,
  detail: options.logDetail,
});

function count(): number {
  const { config, diagnostics } = loadConfig(options.configFile, { configId: options.configId });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  for (const d of errors) log.error(formatDiagnostic(d));
  if (errors.length) throw new Error('the configuration has errors; keeping the running one');
  return config.virtualServers.length;
}

let virtualServers = 0;
try {
  virtualServers = count();
} catch (e) {
  log.error((e as Error).message);
}

const status = (): unknown => ({ virtualServers, note: 'health checking not wired yet' });
runChild(log, {
  status,
  dump: status,
  reload: () =>
    Promise.resolve().then(() => {
      virtualServers = count();
      return status();
    }),
  stop: () => Promise.resolve(),
});
