// `vigil -f FILE [keepalived flags]` / `vigil run …`: the daemon. It checks the configuration,
// then runs the supervisor (which forks the VRRP and checker children) in the foreground; it forks
// into the background only under a systemd Type=forking unit (src/daemon/daemonize.ts). It ends on
// SIGTERM/SIGINT after the children have resigned.
import { constants as fsConstants, openSync, writeSync } from 'node:fs';
import { formatDiagnostic } from '../config/ast.js';
import { globalData } from '../config/dump-global.js';
import { dataFileName, DUMP_FILES } from '../daemon/dump-files.js';
import { loadConfig } from '../config/load.js';
import type { ApiConfig } from '../config/model.js';
import type { Logger } from '../base/logger.js';
import { createLogger, sinkOf } from '../daemon/log.js';
import { parseDaemonArgs, type DaemonOptions } from '../daemon/options.js';
import { listenDumpSignals } from '../daemon/signals.js';
import { Supervisor, type StartStopLoad } from '../daemon/supervisor.js';
import { daemonize, KEEPALIVED_PID_FILE, wantsBackground } from '../daemon/daemonize.js';
import { isSigFunc, rtRange, sigfuncNumber } from '../os/signals.js';
import { systemScriptDeps } from '../scripts/fs.js';
import { secureScripts } from '../scripts/secure-config.js';

const USAGE = `usage: vigil [run] -f FILE [-n] [-l] [-D] [-P|-C] [-i ID] [-p PID] [-r VRRP_PID] [-c CHECKERS_PID]
             [--runtime-dir DIR] [--log-file FILE] [--log-json] [-S FACILITY] [-G] [--syslog-socket PATH]
             [--api-listen ADDR:PORT] [--api-token-file PATH] [--no-api]
  runs in the foreground (-n), except under a systemd Type=forking unit; default runtime dir /run/vigil
  logs to syslog (/dev/log, facility daemon; -S local0..local7 or 0..7, -G: none), -l to stderr
  HTTP API on 127.0.0.1:9273 unless --no-api (flags override the config's api { }; a
  non-loopback address needs a token file)
  keepalived's flags: -R (no respawn), -V / -I (leave VIPs / virtual servers on stop), -u MASK,
  -t (check), -T (genhash), --signum=STOP|RELOAD|DATA|STATS|STATS_CLEAR|JSON; the ones vigil does
  not act on (-X -a -x -A -m -M -s -L --config-fd …) are accepted with a warning; -d logs the
  configuration data at start`;

/** The configuration's errors, printable (empty: it can run). */
export function configErrors(options: DaemonOptions): string[] {
  try {
    const { diagnostics } = loadConfig(options.configFile, { configId: options.configId });
    return diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
  } catch (e) {
    return [`${options.configFile}: ${(e as Error).message}`];
  }
}

/** The configuration's warnings as FILE:LINE:COL: MESSAGE, for the daemon's log. */
export function configWarnings(options: DaemonOptions): string[] {
  try {
    const { diagnostics } = loadConfig(options.configFile, { configId: options.configId });
    return diagnostics
      .filter((d) => d.severity === 'warning')
      .map((d) => `${d.loc.file}:${d.loc.line}:${d.loc.col}: ${d.message}`);
  } catch {
    return []; // configErrors reports an unreadable file
  }
}

/** The configuration's api { } (read again on every reload). */
function apiConfig(options: DaemonOptions): ApiConfig | undefined {
  return loadConfig(options.configFile, { configId: options.configId }).config.api;
}

/** startup_script / shutdown_script, their users and security settled (warnings logged). */
function startStopScripts(options: DaemonOptions, log: Logger): ReturnType<StartStopLoad> {
  const { config, diagnostics } = loadConfig(options.configFile, { configId: options.configId });
  if (diagnostics.some((d) => d.severity === 'error')) return {};
  for (const d of secureScripts(config, 'parent', systemScriptDeps())) log.warn(formatDiagnostic(d));
  const g = config.globalDefs;
  return {
    ...(g.startupScript ? { startup: { script: g.startupScript, timeoutS: g.startupScriptTimeout } } : {}),
    ...(g.shutdownScript
      ? { shutdown: { script: g.shutdownScript, timeoutS: g.shutdownScriptTimeout } }
      : {}),
  };
}

/** keepalived_parent.data: the global definitions of the configuration on disk. */
function parentData(options: DaemonOptions): { text: string; file: string } {
  const { config } = loadConfig(options.configFile, { configId: options.configId });
  return {
    text: globalData(config)
      .map((l) => l + '\n')
      .join(''),
    file: dataFileName(DUMP_FILES.parentData, config.globalDefs),
  };
}

/** keepalived's `--signum=SIGFUNC`: the number on stdout, exit 0; an unknown name exits 1. */
function printSignum(name: string): number {
  if (!isSigFunc(name)) {
    console.error(`Unknown sigfunc ${name}`);
    return 1;
  }
  console.log(String(sigfuncNumber(name, rtRange())));
  return 0;
}

/** Where `-t[=LOG_FILE]` writes its stderr lines: LOG_FILE appended (created 0644, never through a
 * symlink, as keepalived opens it), else stderr; a string when the file cannot be opened. */
function configTestOutput(logFile: string | undefined): ((line: string) => void) | string {
  if (!logFile) return console.error;
  let fd: number;
  try {
    const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = fsConstants;
    fd = openSync(logFile, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o644);
  } catch (e) {
    return `vigil: unable to open config-test log file ${logFile}: ${(e as Error).message.replace(/, open .*$/, '')}`;
  }
  return (line) => writeSync(fd, `${line}\n`);
}

export async function runDaemon(argv: string[]): Promise<number> {
  const parsed = parseDaemonArgs(argv);
  // `vigil -t -f FILE --json` and other `vigil check` options after keepalived's -t: check reads them.
  if (!parsed.ok && argv.some((a) => /^(-t|--config-test(=|$))/.test(a)))
    return (await import('./check.js')).runCheck(argv);
  if (!parsed.ok) {
    console.error(`vigil: ${parsed.error}\n${USAGE}`);
    return 2;
  }
  switch (parsed.action?.kind) {
    case 'help':
      console.log(USAGE);
      return 0;
    case 'version':
      return (await import('./version.js')).printVersion();
    case 'signum':
      return printSignum(parsed.action.name);
    case 'genhash':
      return (await import('./genhash.js')).runGenhash(parsed.action.argv);
    case 'config-test': {
      const o = parsed.options;
      const err = configTestOutput(parsed.action.logFile);
      if (typeof err === 'string') {
        console.error(err);
        return 1;
      }
      for (const w of parsed.warnings) err(`vigil: warning: ${w}`);
      const files = parsed.action.files.flatMap((f) => ['-f', f]);
      const args = [...files, ...(o.configId ? ['-i', o.configId] : [])];
      return (await import('./check.js')).runCheck(args, err);
    }
  }
  const options = parsed.options;
  // keepalived's dump signals, before anything slow: SIGJSON's default action would end vigil.
  let supervisor: Supervisor | null = null;
  const signalProblem = listenDumpSignals((sig) => void supervisor?.onDumpSignal(sig));
  const errors = configErrors(options);
  if (errors.length) {
    for (const e of errors) console.error(e);
    console.error(`vigil: ${options.configFile} has errors; not starting`);
    return 1;
  }
  // systemd Type=forking (Red Hat's unit): fork into the background as keepalived does.
  if (wantsBackground(options.dontFork))
    return daemonize(options.pidFile ?? KEEPALIVED_PID_FILE, !options.pidFile);
  if (options.umask !== undefined) process.umask(options.umask);
  const log = createLogger('vigil', sinkOf(options));
  // Each flag vigil accepts without acting on it, said once at start (stderr and the log).
  for (const w of parsed.warnings) log.warn(w);
  if (signalProblem) log.error(signalProblem);
  supervisor = new Supervisor(options, log, configErrors, {
    apiConfig,
    configWarnings,
    startStop: (o) => startStopScripts(o, log),
    parentData,
  });
  try {
    await supervisor.start();
  } catch (e) {
    console.error(`vigil: ${(e as Error).message}`);
    return 1;
  }
  // The supervisor's signal handlers end the process; until then, keep running.
  return new Promise<number>(() => undefined);
}
