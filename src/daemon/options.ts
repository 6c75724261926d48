// The daemon's command line: every flag keepalived 2.2.7 accepts (core/main.c parse_cmdline, read
// the way getopt_long reads it: grouped short flags `-lnD`, attached values `-fFILE`, `--opt=V`,
// unambiguous long prefixes), plus vigil's own. A keepalived flag vigil does not act on is
// accepted with a warning that says so; nothing is dropped in silence.
import { join } from 'node:path';
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
  /** -R: a child that dies ends the daemon instead of being restarted. */
  dontRespawn: boolean;
  /** -V: leave the VIPs in place and send no priority-0 advert on stop. */
  dontReleaseVrrp: boolean;
  /** -I: leave the virtual servers in the data plane on stop. */
  dontReleaseIpvs: boolean;
  /** -d: log the configuration data at start, in keepalived's dump format. */
  dumpConf: boolean;
  /** -u: the file-creation mask (keepalived's default for its own files is 0177 on dumps). */
  umask?: number;
}

/** What the command line asks for besides running the daemon. */
export type DaemonAction =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'signum'; name: string }
  /** -t[LOG_FILE]: `vigil check` of every -f given (vigil's check compares a peer's file too);
   * with LOG_FILE, what would go to stderr is appended to it, as keepalived does. */
  | { kind: 'config-test'; files: string[]; logFile?: string }
  /** -T: keepalived's genhash mode; every argument after -T is genhash's. */
  | { kind: 'genhash'; argv: string[] };

export type ParsedDaemonArgs =
  | { ok: true; options: DaemonOptions; warnings: string[]; action?: DaemonAction }
  | { ok: false; error: string };

const DEFAULT_CONFIG = '/etc/keepalived/keepalived.conf';
export const DEFAULT_RUNTIME_DIR = '/run/vigil';

type Arg = 'none' | 'required' | 'optional';

interface Ctx {
  o: DaemonOptions;
  /** Every -f, in order. */
  files: string[];
  warn: (m: string) => void;
  action?: DaemonAction;
}

interface Spec {
  short?: string;
  long: string[];
  arg: Arg;
  /** What a missing value is called in the error (default 'a value'). */
  need?: string;
  /** Returns an error message, or nothing. */
  apply(ctx: Ctx, value: string | undefined, name: string): string | void;
}

function set<K extends keyof DaemonOptions>(key: K, v: DaemonOptions[K]): Spec['apply'] {
  return ({ o }) => {
    o[key] = v;
  };
}

function setValue(
  key: 'configFile' | 'configId' | 'pidFile' | 'vrrpPidFile' | 'checkersPidFile',
): Spec['apply'] {
  return ({ o }, v) => {
    o[key] = v!;
  };
}

/** Accepted, with the one line that says what vigil does not do. */
function warned(what: string): Spec['apply'] {
  return ({ warn }, _v, name) => warn(`option ${name}: ${what}`);
}

const FACILITY_NEED = `a syslog facility: 0..7 (local0..local7) or one of ${FACILITY_NAMES.join(', ')}`;

const SPECS: Spec[] = [
  {
    short: 'f',
    long: ['use-file'],
    arg: 'required',
    apply: (ctx, v) => {
      ctx.o.configFile = v!;
      ctx.files.push(v!);
    },
  },
  { short: 'P', long: ['vrrp'], arg: 'none', apply: set('vrrp', true) },
  { short: 'C', long: ['check'], arg: 'none', apply: set('check', true) },
  // vigil has no BFD process: -B and --all ask for nothing it would otherwise do.
  { short: 'B', long: ['no_bfd'], arg: 'none', apply: () => undefined },
  { long: ['all'], arg: 'none', apply: () => undefined },
  { short: 'l', long: ['log-console'], arg: 'none', apply: set('logConsole', true) },
  { short: 'D', long: ['log-detail'], arg: 'none', apply: set('logDetail', true) },
  {
    short: 'S',
    long: ['log-facility'],
    arg: 'required',
    need: FACILITY_NEED,
    apply: ({ o }, v, name) => {
      const facility = parseFacility(v!);
      if (facility === null) return `option ${name} needs ${FACILITY_NEED}; got '${v}'`;
      o.logFacility = facility;
    },
  },
  {
    // keepalived: -g[FILE], default $TMPDIR/keepalived.log; vigil also takes `-g FILE`.
    short: 'g',
    long: ['log-file'],
    arg: 'optional',
    apply: ({ o }, v) => {
      o.logFile =
        v ?? join(process.env.TMPDIR?.startsWith('/') ? process.env.TMPDIR : '/tmp', 'keepalived.log');
    },
  },
  { long: ['flush-log-file'], arg: 'none', apply: () => undefined },
  // vigil already refuses a configuration whose include names a missing file.
  { short: 'e', long: ['all-config'], arg: 'none', apply: () => undefined },
  { short: 'G', long: ['no-syslog'], arg: 'none', apply: set('syslog', false) },
  {
    short: 'u',
    long: ['umask'],
    arg: 'required',
    apply: ({ o }, v, name) => {
      const n = parseCNumber(v!);
      if (n === null || n < 0 || n > 0o777)
        return `option ${name} needs a file mode mask from 0 to 0777 (e.g. 0077), not '${v}'`;
      o.umask = n;
    },
  },
  {
    short: 'X',
    long: ['release-vips'],
    arg: 'none',
    apply: warned('not implemented: VIPs are not dropped on a transition caused by a signal'),
  },
  { short: 'V', long: ['dont-release-vrrp'], arg: 'none', apply: set('dontReleaseVrrp', true) },
  { short: 'I', long: ['dont-release-ipvs'], arg: 'none', apply: set('dontReleaseIpvs', true) },
  { short: 'R', long: ['dont-respawn'], arg: 'none', apply: set('dontRespawn', true) },
  { short: 'n', long: ['dont-fork'], arg: 'none', apply: set('dontFork', true) },
  { short: 'd', long: ['dump-conf'], arg: 'none', apply: set('dumpConf', true) },
  { short: 'p', long: ['pid'], arg: 'required', apply: setValue('pidFile') },
  { short: 'r', long: ['vrrp_pid', 'vrrp-pid'], arg: 'required', apply: setValue('vrrpPidFile') },
  { short: 'T', long: ['genhash'], arg: 'none', apply: () => undefined },
  { short: 'c', long: ['checkers_pid', 'checkers-pid'], arg: 'required', apply: setValue('checkersPidFile') },
  {
    short: 'a',
    long: ['address-monitoring'],
    arg: 'none',
    apply: warned('not implemented: address additions and deletions are not logged'),
  },
  // No BFD process, so no BFD pid file to write.
  { short: 'b', long: ['bfd_pid'], arg: 'required', apply: () => undefined },
  { short: 'x', long: ['snmp'], arg: 'none', apply: warned('not implemented: vigil has no SNMP subagent') },
  {
    short: 'A',
    long: ['snmp-agent-socket'],
    arg: 'required',
    apply: warned('not implemented: vigil has no SNMP subagent'),
  },
  {
    short: 'm',
    long: ['core-dump'],
    arg: 'none',
    apply: warned('not implemented: the core-dump size limit is left as it is'),
  },
  {
    short: 'M',
    long: ['core-dump-pattern'],
    arg: 'optional',
    apply: warned('not implemented: kernel.core_pattern and the core-dump size limit are left as they are'),
  },
  { long: ['no-mem-check'], arg: 'none', apply: warned('a keepalived debugging option; vigil ignores it') },
  {
    short: 'L',
    long: ['mem-check-log'],
    arg: 'none',
    apply: warned('a keepalived debugging option; vigil ignores it'),
  },
  { long: ['perf'], arg: 'optional', apply: warned('a keepalived debugging option; vigil ignores it') },
  { long: ['debug'], arg: 'optional', apply: warned('a keepalived debugging option; vigil ignores it') },
  {
    short: 's',
    long: ['namespace'],
    arg: 'required',
    apply: ({ warn }, v, name) =>
      warn(
        `option ${name} ${v}: not implemented: vigil runs in the network namespace it is started in (use 'ip netns exec ${v} vigil …')`,
      ),
  },
  { short: 'i', long: ['config-id'], arg: 'required', apply: setValue('configId') },
  {
    long: ['signum'],
    arg: 'required',
    apply: (ctx, v) => {
      ctx.action ??= { kind: 'signum', name: v! };
    },
  },
  {
    short: 't',
    long: ['config-test'],
    arg: 'optional',
    apply: (ctx, v) => {
      ctx.action ??= { kind: 'config-test', files: [] };
      if (v && ctx.action.kind === 'config-test') ctx.action.logFile = v;
    },
  },
  {
    long: ['config-fd'],
    arg: 'required',
    apply: warned("keepalived's internal option for its own children; vigil ignores it"),
  },
  {
    short: 'v',
    long: ['version'],
    arg: 'none',
    apply: (ctx) => {
      ctx.action ??= { kind: 'version' };
    },
  },
  {
    short: 'h',
    long: ['help'],
    arg: 'none',
    apply: (ctx) => {
      ctx.action ??= { kind: 'help' };
    },
  },
  // vigil's own.
  { long: ['runtime-dir'], arg: 'required', apply: ({ o }, v) => void (o.runtimeDir = v!) },
  { long: ['lvs-engine'], arg: 'required', apply: ({ o }, v) => void (o.lvsEngine = v!) },
  { long: ['syslog-socket'], arg: 'required', apply: ({ o }, v) => void (o.syslogSocket = v!) },
  { long: ['api-listen'], arg: 'required', apply: ({ o }, v) => void (o.apiListen = v!) },
  { long: ['api-token-file'], arg: 'required', apply: ({ o }, v) => void (o.apiTokenFile = v!) },
  { long: ['log-json'], arg: 'none', apply: set('logJson', true) },
  { long: ['no-api'], arg: 'none', apply: set('noApi', true) },
];

/** strtol(s, 0): decimal, 0x hex or leading-0 octal; null when not all of s is the number. */
function parseCNumber(s: string): number | null {
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s.slice(2), 16);
  if (/^0[0-7]*$/.test(s)) return parseInt(s, 8);
  if (/^[1-9][0-9]*$/.test(s)) return parseInt(s, 10);
  return null;
}

/** getopt_long's rule: an exact name, else the one option the prefix abbreviates. */
function findLong(name: string): Spec | string {
  const exact = SPECS.find((s) => s.long.includes(name));
  if (exact) return exact;
  const matches = SPECS.filter((s) => s.long.some((l) => l.startsWith(name)));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1)
    return `option '--${name}' is ambiguous; possibilities: ${matches.map((s) => `--${s.long[0]}`).join(' ')}`;
  return `unknown option '--${name}'`;
}

function defaults(): DaemonOptions {
  return {
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
    dontRespawn: false,
    dontReleaseVrrp: false,
    dontReleaseIpvs: false,
    dumpConf: false,
  };
}

export function parseDaemonArgs(argv: readonly string[]): ParsedDaemonArgs {
  const warnings: string[] = [];
  const ctx: Ctx = { o: defaults(), files: [], warn: (m) => void warnings.push(m) };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    if (raw.startsWith('--') && raw.length > 2) {
      const eq = raw.indexOf('=');
      const name = eq > 0 ? raw.slice(2, eq) : raw.slice(2);
      const spec = findLong(name);
      if (typeof spec === 'string') return { ok: false, error: spec };
      const flag = `--${name}`;
      let value: string | undefined = eq > 0 ? raw.slice(eq + 1) : undefined;
      if (spec.arg === 'none' && value !== undefined)
        return { ok: false, error: `option ${flag} takes no value (got '${raw}')` };
      if (spec.arg === 'required' && value === undefined) value = argv[++i];
      // vigil's long-standing `--log-file FILE` (keepalived needs `--log-file=FILE`).
      if (spec.short === 'g' && value === undefined && argv[i + 1] && !argv[i + 1]!.startsWith('-'))
        value = argv[++i];
      if (spec.arg === 'required' && (value === undefined || value === ''))
        return { ok: false, error: `option ${flag} needs ${spec.need ?? 'a value'}` };
      const err = spec.apply(ctx, value, flag);
      if (err) return { ok: false, error: err };
      continue;
    }
    if (raw.startsWith('-') && raw.length > 1) {
      // A group of short flags; the first that takes a value takes the rest of the word (or the
      // next word when it is required).
      for (let j = 1; j < raw.length; j++) {
        const c = raw[j]!;
        const spec = SPECS.find((s) => s.short === c);
        const flag = `-${c}`;
        if (!spec)
          return { ok: false, error: `unknown option '${flag}'${raw.length > 2 ? ` (in '${raw}')` : ''}` };
        if (c === 'T') {
          // keepalived hands everything after -T to genhash.
          ctx.action ??= {
            kind: 'genhash',
            argv: [...(raw.length > j + 1 ? [`-${raw.slice(j + 1)}`] : []), ...argv.slice(i + 1)],
          };
          return finish(ctx, warnings);
        }
        if (spec.arg === 'none') {
          const err = spec.apply(ctx, undefined, flag);
          if (err) return { ok: false, error: err };
          continue;
        }
        let value: string | undefined = raw.length > j + 1 ? raw.slice(j + 1) : undefined;
        if (value === undefined && spec.arg === 'required') value = argv[++i];
        if (value === undefined && c === 'g' && argv[i + 1] && !argv[i + 1]!.startsWith('-'))
          value = argv[++i];
        if (spec.arg === 'required' && (value === undefined || value === ''))
          return { ok: false, error: `option ${flag} needs ${spec.need ?? 'a value'}` };
        const err = spec.apply(ctx, value, flag);
        if (err) return { ok: false, error: err };
        break;
      }
      continue;
    }
    return { ok: false, error: `unexpected argument '${raw}' (options start with '-')` };
  }
  return finish(ctx, warnings);
}

function finish(ctx: Ctx, warnings: string[]): ParsedDaemonArgs {
  const o = ctx.o;
  if (o.apiListen !== undefined && !parseListen(o.apiListen))
    return {
      ok: false,
      error: `option --api-listen must be ADDRESS:PORT (e.g. 127.0.0.1:9273 or [::1]:9273), not '${o.apiListen}'`,
    };
  if (ctx.action?.kind === 'config-test') ctx.action.files = ctx.files.length ? ctx.files : [o.configFile];
  // keepalived runs both children unless told to run only one.
  if (!o.vrrp && !o.check) {
    o.vrrp = true;
    o.check = true;
  }
  return { ok: true, options: o, warnings, ...(ctx.action ? { action: ctx.action } : {}) };
}
