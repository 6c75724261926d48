// The daemon's command line: keepalived's flags where they apply, plus vigil's own.
import { parseListen } from '../config/listen.js';
import { FACILITY_NAMES, parseFacility } from './syslog.js';

export interface DaemonOptions {
  configFile: string;
  dontFork: boolean;
  logConsole: boolean;
  logDetail: boolean;
  logFile?: string;
  logJson: boolean;
  /** Syslog is on unless -G/--no-syslog, with facility -S (default daemon, as keepalived). */
  syslog: boolean;
  logFacility: number;
  syslogSocket?: string;
  /** -P: run only the VRRP child; -C: only the checker child; neither: both. */
  vrrp: boolean;
  check: boolean;
  configId?: string;
  runtimeDir: string;
  pidFile?: string;
  vrrpPidFile?: string;
  checkersPidFile?: string;
  lvsEngine?: string;
  /** --api-listen ADDR:PORT and --api-token-file PATH override the config's api { }. */
  apiListen?: string;
  apiTokenFile?: string;
  /** --no-api: no HTTP API at all, whatever the configuration says. */
  noApi: boolean;
}

export type ParsedDaemonArgs = { ok: true; options: DaemonOptions } | { ok: false; error: string };

const DEFAULT_CONFIG = '/etc/keepalived/keepalived.conf';
export const DEFAULT_RUNTIME_DIR = '/run/vigil';

/** Flags that take a value, by every spelling keepalived accepts. */
const VALUE_FLAGS: Record<string, keyof DaemonOptions> = {
  '-f': 'configFile',
  '--use-file': 'configFile',
  '-i': 'configId',
  '--config-id': 'configId',
  '-p': 'pidFile',
  '--pid': 'pidFile',
  '-r': 'vrrpPidFile',
  '--vrrp_pid': 'vrrpPidFile',
  '--vrrp-pid': 'vrrpPidFile',
  '-c': 'checkersPidFile',
  '--checkers_pid': 'checkersPidFile',
  '--checkers-pid': 'checkersPidFile',
  '--runtime-dir': 'runtimeDir',
  '--log-file': 'logFile',
  '-g': 'logFile',
  '--lvs-engine': 'lvsEngine',
  '--syslog-socket': 'syslogSocket',
  '--api-listen': 'apiListen',
  '--api-token-file': 'apiTokenFile',
};

const BOOL_FLAGS: Record<string, keyof DaemonOptions> = {
  '-n': 'dontFork',
  '--dont-fork': 'dontFork',
  '-l': 'logConsole',
  '--log-console': 'logConsole',
  '-D': 'logDetail',
  '--log-detail': 'logDetail',
  '-P': 'vrrp',
  '--vrrp': 'vrrp',
  '-C': 'check',
  '--check': 'check',
  '--log-json': 'logJson',
  '--no-api': 'noApi',
};

const FACILITY_FLAGS = new Set(['-S', '--log-facility']);
const NO_SYSLOG_FLAGS = new Set(['-G', '--no-syslog']);

export function parseDaemonArgs(argv: readonly string[]): ParsedDaemonArgs {
  const o: DaemonOptions = {
    configFile: DEFAULT_CONFIG,
    dontFork: false,
    logConsole: false,
    logDetail: false,
    logJson: false,
    syslog: true,
    logFacility: parseFacility('daemon')!,
    vrrp: false,
    check: false,
    noApi: false,
    runtimeDir: DEFAULT_RUNTIME_DIR,
  };
  const rec = o as unknown as Record<string, unknown>;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    if (FACILITY_FLAGS.has(flag)) {
      const value = eq > 0 ? raw.slice(eq + 1) : argv[++i];
      const facility = value === undefined ? null : parseFacility(value);
      if (facility === null)
        return {
          ok: false,
          error: `option ${flag} needs a syslog facility: 0..7 (local0..local7) or one of ${FACILITY_NAMES.join(', ')}${value === undefined ? '' : `; got '${value}'`}`,
        };
      o.logFacility = facility;
      continue;
    }
    if (NO_SYSLOG_FLAGS.has(flag) && eq < 0) {
      o.syslog = false;
      continue;
    }
    const valueKey = VALUE_FLAGS[flag];
    if (valueKey) {
      const value = eq > 0 ? raw.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') return { ok: false, error: `option ${flag} needs a value` };
      rec[valueKey] = value;
      continue;
    }
    const boolKey = BOOL_FLAGS[flag];
    if (boolKey && eq < 0) {
      rec[boolKey] = true;
      continue;
    }
    return { ok: false, error: `unknown option '${raw}'` };
  }
  if (o.apiListen !== undefined && !parseListen(o.apiListen))
    return {
      ok: false,
      error: `option --api-listen must be ADDRESS:PORT (e.g. 127.0.0.1:9273 or [::1]:9273), not '${o.apiListen}'`,
    };
  // keepalived runs both children unless told to run only one.
  if (!o.vrrp && !o.check) {
    o.vrrp = true;
    o.check = true;
  }
  return { ok: true, options: o };
}
