// ipvsadm's command line (v1.31), parsed the way ipvsadm parses it: popt's rules (clustered short
// flags "-Ln", attached arguments "-srr", "--opt=value", `-p` with an optional argument, leftover
// arguments), the first option must be the command, the commands x options legality table, the
// defaults ipvsadm fills in (scheduler wlc, weight 1, direct routing, the real server's port
// copied from the service), and every error worded as ipvsadm words it, with its exit code.
// Pure: port and host names come from an injected AdmNames.
import type { Family, Forwarding, Protocol, ServiceKey } from '../dataplane/engine.js';
import { canonicalIpv6, inetAton, ipv4Text } from './inet.js';
import { systemNames, type AdmNames } from './names.js';
import type { AdmDest, AdmService, SyncDaemonSpec } from './types.js';

export interface ListFormat {
  numeric: boolean;
  stats: boolean;
  rate: boolean;
  thresholds: boolean;
  persistentConn: boolean;
  nosort: boolean;
  exact: boolean;
  tunInfo: boolean;
}

export type AdmCommand =
  | {
      cmd: 'list';
      view: 'services' | 'connections' | 'timeout' | 'daemon';
      key?: ServiceKey;
      format: ListFormat;
    }
  | { cmd: 'save'; numeric: boolean }
  /** `commands` are the parsed lines of the input (the CLI reads them from stdin). */
  | { cmd: 'restore'; commands: AdmCommand[]; lines?: number[] }
  | { cmd: 'flush' }
  | { cmd: 'add-service' | 'edit-service'; service: AdmService }
  | { cmd: 'delete-service'; key: ServiceKey }
  | { cmd: 'zero'; key?: ServiceKey }
  | { cmd: 'add-server' | 'edit-server'; key: ServiceKey; dest: AdmDest }
  | { cmd: 'delete-server'; key: ServiceKey; address: string; port: number }
  | { cmd: 'set-timeout'; tcp: number; tcpfin: number; udp: number }
  | { cmd: 'start-daemon'; daemon: SyncDaemonSpec }
  | { cmd: 'stop-daemon'; state: 'master' | 'backup'; syncid?: number }
  | { cmd: 'help' }
  | { cmd: 'version' };

export type ParseResult =
  | { ok: true; command: AdmCommand }
  /** `message` without the trailing newline; exit code as ipvsadm's (2 for its checks, 255 for popt's). */
  | { ok: false; message: string; exitCode: number };

export interface ParseOptions {
  names?: AdmNames;
  /** Program name in "Try `… -h'" (ipvsadm prints its argv[0]). */
  program?: string;
  /** Parsing a line of -R input: -R there is refused, as ipvsadm refuses it. */
  restoreLine?: boolean;
}

/** IPVS's default persistence timeout when -p has no value (IPVS_SVC_PERSISTENT_TIMEOUT). */
export const DEFAULT_PERSISTENCE = 360;
const MAX_TIMEOUT = 86400 * 31;
const INT_MAX = 2147483647;

// ---- popt ---------------------------------------------------------------------------------

type ArgKind = 'none' | 'required' | 'optional';
interface OptDef {
  long: string;
  short?: string;
  arg: ArgKind;
  tag: string;
}

const OPTIONS: OptDef[] = [
  ['add-service', 'A', 'none'],
  ['edit-service', 'E', 'none'],
  ['delete-service', 'D', 'none'],
  ['clear', 'C', 'none'],
  ['list', 'L', 'none'],
  ['list', 'l', 'none'],
  ['zero', 'Z', 'none'],
  ['add-server', 'a', 'none'],
  ['edit-server', 'e', 'none'],
  ['delete-server', 'd', 'none'],
  ['set', '', 'none'],
  ['help', 'h', 'none'],
  ['version', 'v', 'none'],
  ['restore', 'R', 'none'],
  ['save', 'S', 'none'],
  ['start-daemon', '', 'required'],
  ['stop-daemon', '', 'required'],
  ['tcp-service', 't', 'required'],
  ['udp-service', 'u', 'required'],
  ['sctp-service', '', 'required'],
  ['fwmark-service', 'f', 'required'],
  ['scheduler', 's', 'required'],
  ['persistent', 'p', 'optional'],
  ['netmask', 'M', 'required'],
  ['real-server', 'r', 'required'],
  ['masquerading', 'm', 'none'],
  ['ipip', 'i', 'none'],
  ['gatewaying', 'g', 'none'],
  ['weight', 'w', 'required'],
  ['u-threshold', 'x', 'required'],
  ['l-threshold', 'y', 'required'],
  ['numeric', 'n', 'none'],
  ['connection', 'c', 'none'],
  ['mcast-interface', '', 'required'],
  ['syncid', '', 'required'],
  ['timeout', '', 'none'],
  ['daemon', '', 'none'],
  ['stats', '', 'none'],
  ['rate', '', 'none'],
  ['thresholds', '', 'none'],
  ['persistent-conn', '', 'none'],
  ['nosort', '', 'none'],
  ['sort', '', 'none'],
  ['exact', 'X', 'none'],
  ['ipv6', '6', 'none'],
  ['ops', 'o', 'none'],
  ['pe', '', 'required'],
  ['sched-flags', 'b', 'required'],
  ['mcast-group', '', 'required'],
  ['mcast-port', '', 'required'],
  ['mcast-ttl', '', 'required'],
  ['sync-maxlen', '', 'required'],
  ['tun-info', '', 'none'],
  ['tun-type', '', 'required'],
  ['tun-port', '', 'required'],
  ['tun-nocsum', '', 'none'],
  ['tun-csum', '', 'none'],
  ['tun-remcsum', '', 'none'],
].map(([long, short, arg]) => ({
  long: long!,
  short: short || undefined,
  arg: arg as ArgKind,
  // 'l' is a second spelling of 'list'.
  tag: long!,
}));

type PoptEvent =
  | { kind: 'opt'; tag: string; arg?: string; text: string }
  | { kind: 'error'; text: string; why: string }
  | { kind: 'end' };

class Popt {
  private i = 0;
  private cluster = '';
  private clusterText = '';
  private restLeftover = false;
  readonly leftovers: string[] = [];
  /** The last argv element consumed (poptBadOption's answer). */
  last = '';

  constructor(private readonly argv: readonly string[]) {}

  next(): PoptEvent {
    for (;;) {
      if (this.cluster) return this.short();
      if (this.i >= this.argv.length) return { kind: 'end' };
      const a = this.argv[this.i++]!;
      this.last = a;
      if (this.restLeftover || !a.startsWith('-') || a === '-') {
        this.leftovers.push(a);
        continue;
      }
      if (a === '--') {
        this.restLeftover = true;
        continue;
      }
      if (a.startsWith('--')) return this.long(a);
      this.cluster = a.slice(1);
      this.clusterText = a;
    }
  }

  private long(a: string): PoptEvent {
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const def = OPTIONS.find((o) => o.long === name);
    if (!def) return { kind: 'error', text: a, why: 'unknown option' };
    if (eq >= 0) {
      if (def.arg === 'none') return { kind: 'error', text: a, why: 'option does not take an argument' };
      return { kind: 'opt', tag: def.tag, arg: a.slice(eq + 1), text: a };
    }
    return this.argument(def, a);
  }

  private short(): PoptEvent {
    const c = this.cluster[0]!;
    this.cluster = this.cluster.slice(1);
    const text = this.clusterText;
    const def = OPTIONS.find((o) => o.short === c);
    if (!def) {
      this.cluster = '';
      return { kind: 'error', text, why: 'unknown option' };
    }
    if (def.arg !== 'none' && this.cluster) {
      // popt takes "-w=3" as "-w 3".
      const arg = this.cluster.startsWith('=') ? this.cluster.slice(1) : this.cluster;
      this.cluster = '';
      return { kind: 'opt', tag: def.tag, arg, text };
    }
    return this.argument(def, text);
  }

  private argument(def: OptDef, text: string): PoptEvent {
    if (def.arg === 'none') return { kind: 'opt', tag: def.tag, text };
    const next = this.argv[this.i];
    if (def.arg === 'optional') {
      if (next === undefined || next.startsWith('-')) return { kind: 'opt', tag: def.tag, text };
    } else if (next === undefined) {
      return { kind: 'error', text, why: 'missing argument' };
    }
    this.i++;
    this.last = next!;
    return { kind: 'opt', tag: def.tag, arg: next, text };
  }
}

// ---- the legality table -------------------------------------------------------------------

const OPT_NAMES = [
  'numeric',
  'connection',
  'service-address',
  'scheduler',
  'persistent',
  'netmask',
  'real-server',
  'forwarding-method',
  'weight',
  'u-threshold',
  'l-threshold',
  'mcast-interface',
  'timeout',
  'daemon',
  'stats',
  'rate',
  'thresholds',
  'persistent-conn',
  'nosort',
  'syncid',
  'exact',
  'ops',
  'pe',
  'sched-flags',
  'mcast-group',
  'mcast-port',
  'mcast-ttl',
  'sync-maxlen',
  'tun-info',
  'tun-type',
  'tun-port',
  'tun-nocsum',
  'tun-csum',
  'tun-remcsum',
] as const;
type OptName = (typeof OPT_NAMES)[number];

type CmdName =
  | 'add-service'
  | 'edit-service'
  | 'delete-service'
  | 'flush'
  | 'list'
  | 'add-server'
  | 'delete-server'
  | 'edit-server'
  | 'set'
  | 'start-daemon'
  | 'stop-daemon'
  | 'restore'
  | 'save'
  | 'zero';

// '+' compulsory, 'x' illegal, '1' exclusive (one of the '1' options at most), ' ' optional.
const X34 = 'x'.repeat(34);
const LEGAL: Record<CmdName, string> = {
  'add-service': 'xx+   ' + 'x'.repeat(15) + '   ' + 'x'.repeat(10),
  'edit-service': 'xx+   ' + 'x'.repeat(15) + '   ' + 'x'.repeat(10),
  'delete-service': 'xx+' + 'x'.repeat(31),
  flush: X34,
  list: ' 11' + 'x'.repeat(9) + '11' + ' '.repeat(7) + 'x'.repeat(7) + ' ' + 'x'.repeat(5),
  'add-server': 'xx+xxx+    ' + 'x'.repeat(18) + '     ',
  'delete-server': 'xx+xxx+' + 'x'.repeat(27),
  'edit-server': 'xx+xxx+    ' + 'x'.repeat(18) + '     ',
  set: X34,
  'start-daemon': 'x'.repeat(11) + ' ' + 'x'.repeat(7) + ' ' + 'x'.repeat(4) + '    ' + 'x'.repeat(6),
  'stop-daemon': 'x'.repeat(19) + ' ' + 'x'.repeat(14),
  restore: X34,
  save: ' ' + 'x'.repeat(33),
  zero: 'xx ' + 'x'.repeat(31),
};

class Fail {
  constructor(
    readonly message: string,
    readonly exitCode: number,
  ) {}
}
const fail = (message: string, exitCode = 2): never => {
  throw new Fail(message, exitCode);
};

function checkLegal(cmd: CmdName, options: Set<OptName>): void {
  const row = LEGAL[cmd];
  let last: OptName | undefined;
  OPT_NAMES.forEach((name, j) => {
    const rule = row[j];
    if (!options.has(name)) {
      if (rule === '+') fail(`You need to supply the '${name}' option for the '${cmd}' command`);
      return;
    }
    if (rule === 'x') fail(`Illegal '${name}' option with the '${cmd}' command`);
    if (rule === '1') {
      if (last === undefined) last = name;
      else fail(`The option '${name}' conflicts with the '${last}' option in the '${cmd}' command`);
    }
  });
}

// ---- value parsers (ipvsadm's) ------------------------------------------------------------

/** strtol base 10 over the whole string (leading blanks and a sign allowed), within [min, max]. */
function stringToNumber(s: string, min: number, max: number): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

function parseTimeout(s: string | undefined, min: number, max: number): number {
  if (s === undefined) return DEFAULT_PERSISTENCE;
  const n = stringToNumber(s, min, max);
  return n ?? fail(`invalid timeout value \`${s}' specified`);
}

function parseFwmark(s: string): number {
  const n = stringToNumber(s, 1, 0xffffffff);
  return n ?? fail(`invalid fwmark value \`${s}' specified`);
}

interface Endpoint {
  family: Family;
  address: string;
  port?: number;
}

/** parse_service: host[:port], [v6]:port or a bare v6 address; undefined when illegal. */
function parseEndpoint(text: string, protocol: Protocol, names: AdmNames): Endpoint | undefined {
  if (/^\d*$/.test(text)) return undefined; // str_is_digit (and the empty string)
  let buf = text;
  let portText: string | undefined;
  if (buf.startsWith('[')) {
    const close = buf.indexOf(']');
    if (close < 0 || buf[close + 1] !== ':') return undefined;
    portText = buf.slice(close + 2);
    buf = buf.slice(1, close);
  }
  let ep: Endpoint;
  const v6 = canonicalIpv6(buf);
  if (v6 !== undefined) {
    ep = { family: 6, address: v6 };
  } else {
    const colon = buf.lastIndexOf(':');
    portText = colon < 0 ? undefined : buf.slice(colon + 1);
    const host = colon < 0 ? buf : buf.slice(0, colon);
    const v4 = inetAton(host);
    const address = v4 !== undefined ? ipv4Text(v4) : names.host(host);
    if (address === undefined) return undefined;
    ep = { family: 4, address };
  }
  if (portText !== undefined) {
    const port = stringToNumber(portText, 0, 65535) ?? names.port(portText, protocol);
    if (port === undefined) return undefined;
    ep.port = port;
  }
  return ep;
}

const SCHED_FLAG_NAMES = ['flag-1', 'flag-2', 'flag-3', 'sh-fallback', 'sh-port', 'mh-fallback', 'mh-port'];

function parseSchedFlags(sched: string, text: string): AdmService['flags'] {
  const flags: AdmService['flags'] = {};
  for (const f of text.split(',').filter((x) => x !== '')) {
    if (!SCHED_FLAG_NAMES.includes(f)) fail(`invalid scheduler flag \`${f}'`);
    const owner = f.startsWith('sh-') ? 'sh' : f.startsWith('mh-') ? 'mh' : '';
    if (owner && sched !== owner) fail(`incompatible scheduler flag \`${f}'`);
    if (f === 'flag-1' || f.endsWith('-fallback')) flags.fallback = true;
    else if (f === 'flag-2' || f.endsWith('-port')) flags.port = true;
    else flags.flag3 = true;
  }
  return flags;
}

function isMulticast4(v: number): boolean {
  return v >>> 28 === 0xe;
}

// ---- the command --------------------------------------------------------------------------

const COMMAND_OF: Record<string, CmdName | 'help' | 'version'> = {
  'add-service': 'add-service',
  'edit-service': 'edit-service',
  'delete-service': 'delete-service',
  clear: 'flush',
  list: 'list',
  zero: 'zero',
  'add-server': 'add-server',
  'edit-server': 'edit-server',
  'delete-server': 'delete-server',
  set: 'set',
  restore: 'restore',
  save: 'save',
  'start-daemon': 'start-daemon',
  'stop-daemon': 'stop-daemon',
  help: 'help',
  version: 'version',
};

/** Parses one ipvsadm command line (without the program name). */
export function parseAdmArgs(argv: readonly string[], opts: ParseOptions = {}): ParseResult {
  try {
    return { ok: true, command: parse(argv, opts) };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, message: e.message, exitCode: e.exitCode };
    throw e;
  }
}

function parse(argv: readonly string[], opts: ParseOptions): AdmCommand {
  const names = opts.names ?? systemNames();
  const program = opts.program ?? 'ipvsadm';
  const tryHelp = (): never => fail(`Try \`${program} -h' or '${program} --help' for more information.`, 255);
  if (argv.length === 0) return { cmd: 'list', view: 'services', format: listFormat(new Set()) };

  const popt = new Popt(argv);
  const first = popt.next();
  if (first.kind !== 'opt') return tryHelp();
  const command = COMMAND_OF[first.tag];
  if (command === undefined) return tryHelp();
  if (command === 'help') return { cmd: 'help' };
  if (command === 'version') return { cmd: 'version' };
  if (command === 'restore' && opts.restoreLine) return tryHelp();

  let daemonState: 'master' | 'backup' | undefined;
  if (command === 'start-daemon' || command === 'stop-daemon') {
    if (first.arg === 'master' || first.arg === 'backup') daemonState = first.arg;
    else
      fail(
        command === 'start-daemon'
          ? 'illegal start-daemon parameter specified'
          : 'illegal start_daemon specified',
      );
  }

  // ipvsadm's ipvs_command_entry, filled option by option (order matters, as in ipvsadm).
  const svc = {
    family: 4 as Family,
    protocol: 'tcp' as Protocol,
    address: '',
    port: 0,
    fwmark: 0,
    sched: '',
    persistent: false,
    timeout: 0,
    netmask: 0xffffffff,
    ops: false,
    pe: '',
    schedFlags: undefined as string | undefined,
  };
  const dest = {
    family: 4 as Family,
    address: '',
    port: 0,
    forwarding: 'dr' as Forwarding,
    weight: 1,
    upper: 0,
    lower: 0,
    tunType: 'ipip' as 'ipip' | 'gue' | 'gre',
    tunPort: 0,
    tunFlags: 'nocsum' as 'nocsum' | 'csum' | 'remcsum',
  };
  const daemon: SyncDaemonSpec = { state: daemonState ?? 'master', mcastInterface: '', syncid: 0 };
  const options = new Set<OptName>();
  const format = new Set<string>();
  const set = (o: OptName): void => {
    if (options.has(o)) fail(`multiple '${o}' options specified`);
    options.add(o);
  };

  for (let ev = popt.next(); ev.kind !== 'end'; ev = popt.next()) {
    if (ev.kind === 'error') fail(`${ev.text}: ${ev.why}`, 255);
    if (ev.kind !== 'opt') break;
    const arg = ev.arg ?? '';
    switch (ev.tag) {
      case 'tcp-service':
      case 'udp-service':
      case 'sctp-service': {
        set('service-address');
        svc.protocol = ev.tag === 'tcp-service' ? 'tcp' : ev.tag === 'udp-service' ? 'udp' : 'sctp';
        const ep = parseEndpoint(arg, svc.protocol, names);
        if (!ep) fail('illegal virtual server address[:port] specified');
        svc.family = ep!.family;
        svc.address = ep!.address;
        if (ep!.family === 6) svc.netmask = 128;
        if (ep!.port !== undefined) svc.port = ep!.port;
        break;
      }
      case 'fwmark-service':
        set('service-address');
        svc.family = 4;
        svc.protocol = 'tcp';
        svc.fwmark = parseFwmark(arg);
        break;
      case 'scheduler':
        set('scheduler');
        svc.sched = arg.slice(0, 15);
        break;
      case 'persistent':
        set('persistent');
        svc.persistent = true;
        svc.timeout = parseTimeout(ev.arg, 1, MAX_TIMEOUT);
        break;
      case 'netmask':
        set('netmask');
        if (svc.family !== 6) {
          const m = inetAton(arg) ?? (names.host(arg) !== undefined ? inetAton(names.host(arg)!) : undefined);
          if (m === undefined) fail('illegal virtual server persistent mask specified');
          svc.netmask = m!;
        } else {
          svc.netmask = parseInt(arg, 10) || 0;
          if (svc.netmask < 1 || svc.netmask > 128) fail('illegal ipv6 netmask specified');
        }
        break;
      case 'real-server': {
        set('real-server');
        const ep = parseEndpoint(arg, svc.protocol, names);
        if (!ep) fail('illegal real server address[:port] specified');
        dest.family = ep!.family;
        dest.address = ep!.address;
        // The service's port when the server names none.
        dest.port = ep!.port ?? svc.port;
        break;
      }
      case 'ipip':
      case 'gatewaying':
      case 'masquerading':
        set('forwarding-method');
        dest.forwarding = ev.tag === 'ipip' ? 'tun' : ev.tag === 'gatewaying' ? 'dr' : 'nat';
        break;
      case 'weight': {
        set('weight');
        const n = stringToNumber(arg, 0, INT_MAX);
        if (n === undefined) fail('illegal weight specified');
        dest.weight = n!;
        break;
      }
      case 'u-threshold': {
        set('u-threshold');
        const n = stringToNumber(arg, 0, INT_MAX);
        if (n === undefined) fail('illegal u_threshold specified');
        dest.upper = n!;
        break;
      }
      case 'l-threshold': {
        set('l-threshold');
        const n = stringToNumber(arg, 0, INT_MAX);
        if (n === undefined) fail('illegal l_threshold specified');
        dest.lower = n!;
        break;
      }
      case 'connection':
        set('connection');
        break;
      case 'numeric':
        set('numeric');
        format.add('numeric');
        break;
      case 'mcast-interface':
        set('mcast-interface');
        daemon.mcastInterface = arg.slice(0, 15);
        break;
      case 'syncid': {
        set('syncid');
        const n = stringToNumber(arg, 0, 255);
        if (n === undefined) fail('illegal syncid specified');
        daemon.syncid = n!;
        break;
      }
      case 'timeout':
      case 'daemon':
        set(ev.tag);
        break;
      case 'stats':
      case 'rate':
      case 'thresholds':
      case 'persistent-conn':
      case 'nosort':
      case 'exact':
      case 'tun-info':
        set(ev.tag);
        format.add(ev.tag);
        break;
      case 'sort':
        break; // the default; accepted for compatibility
      case 'ipv6':
        if (svc.fwmark) {
          svc.family = 6;
          svc.netmask = 128;
        } else fail('-6 used before -f\n');
        break;
      case 'ops':
        set('ops');
        svc.ops = true;
        break;
      case 'pe':
        set('pe');
        svc.pe = arg.slice(0, 31);
        break;
      case 'sched-flags':
        set('sched-flags');
        svc.schedFlags = arg;
        break;
      case 'mcast-group': {
        set('mcast-group');
        if (arg.includes(':')) {
          const g = canonicalIpv6(arg);
          if (g === undefined || !g.toLowerCase().startsWith('ff'))
            fail(`invalid IPv6 mcast-group \`${arg}'`);
          daemon.mcastGroup = g;
        } else {
          const v = /^\d+\.\d+\.\d+\.\d+$/.test(arg) ? inetAton(arg) : undefined;
          if (v === undefined || !isMulticast4(v)) fail(`invalid IPv4 mcast-group \`${arg}'`);
          daemon.mcastGroup = ipv4Text(v!);
        }
        break;
      }
      case 'mcast-port':
      case 'mcast-ttl':
      case 'sync-maxlen': {
        set(ev.tag);
        const max = ev.tag === 'mcast-port' ? 65535 : ev.tag === 'mcast-ttl' ? 255 : 65535 - 20 - 8;
        const n = stringToNumber(arg, 1, max);
        if (n === undefined) fail(`illegal ${ev.tag} specified`);
        if (ev.tag === 'mcast-port') daemon.mcastPort = n!;
        else if (ev.tag === 'mcast-ttl') daemon.mcastTtl = n!;
        else daemon.syncMaxlen = n!;
        break;
      }
      case 'tun-type':
        set('tun-type');
        if (arg !== 'ipip' && arg !== 'gue' && arg !== 'gre') fail('illegal tunnel type specified');
        dest.tunType = arg as 'ipip' | 'gue' | 'gre';
        break;
      case 'tun-port': {
        set('tun-port');
        const n = stringToNumber(arg, 1, 65535);
        if (n === undefined) fail('illegal tunnel port specified');
        dest.tunPort = n!;
        break;
      }
      case 'tun-nocsum':
      case 'tun-csum':
      case 'tun-remcsum':
        set(ev.tag);
        dest.tunFlags = ev.tag === 'tun-nocsum' ? 'nocsum' : ev.tag === 'tun-csum' ? 'csum' : 'remcsum';
        break;
      default:
        // A second command, or -h/-v after the command.
        fail(`invalid option \`${popt.last}'`);
    }
  }

  let timeouts: [number, number, number] | undefined;
  if (command === 'set') {
    const [a, b, c] = popt.leftovers;
    if (a === undefined || b === undefined || c === undefined) fail('--set option requires 3 timeout values');
    timeouts = [
      parseTimeout(a, 0, MAX_TIMEOUT),
      parseTimeout(b, 0, MAX_TIMEOUT),
      parseTimeout(c, 0, MAX_TIMEOUT),
    ];
    popt.leftovers.splice(0, 3);
  }
  if (popt.leftovers.length) fail(`unexpected argument ${popt.leftovers[0]}`);

  checkLegal(command, options);

  let flags: AdmService['flags'] = {};
  if (svc.schedFlags !== undefined) flags = parseSchedFlags(svc.sched || 'wlc', svc.schedFlags);

  if (command === 'add-service' || command === 'edit-service') {
    if (!svc.fwmark && !svc.port && !svc.persistent) fail('Zero port specified for non-persistent service');
    if (svc.ops && !svc.fwmark && svc.protocol !== 'udp')
      fail('One-Packet Scheduling is only for UDP virtual services');
    if (!svc.sched) svc.sched = 'wlc';
  }
  if (command === 'start-daemon' && !daemon.mcastInterface) daemon.mcastInterface = 'eth0';
  if (command === 'add-server' || command === 'edit-server') {
    // Direct routing and tunnels cannot change the port.
    if (!svc.fwmark && (dest.forwarding === 'tun' || dest.forwarding === 'dr')) dest.port = svc.port;
    if (dest.family !== svc.family && dest.forwarding !== 'tun')
      fail('Different address family is allowed only for tunneling servers');
    const tunOpts = (['tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'] as const).filter((o) =>
      options.has(o),
    );
    if (tunOpts.length && dest.forwarding !== 'tun') fail('Tunnel options conflict with forward method');
    checkTunnel(dest.tunType, options);
  }

  const key: ServiceKey = svc.fwmark
    ? { kind: 'fwmark', family: svc.family, fwmark: svc.fwmark }
    : { kind: 'addr', family: svc.family, address: svc.address, port: svc.port, protocol: svc.protocol };
  const hasKey = options.has('service-address');

  switch (command) {
    case 'list': {
      if (
        ((options.has('connection') || options.has('timeout') || options.has('daemon')) &&
          (options.has('stats') || options.has('rate') || options.has('thresholds'))) ||
        ((options.has('timeout') || options.has('daemon')) && options.has('persistent-conn'))
      )
        fail('options conflicts in the list command');
      const view = options.has('connection')
        ? 'connections'
        : hasKey
          ? 'services'
          : options.has('timeout')
            ? 'timeout'
            : options.has('daemon')
              ? 'daemon'
              : 'services';
      const fmt = listFormat(format);
      return hasKey ? { cmd: 'list', view, key, format: fmt } : { cmd: 'list', view, format: fmt };
    }
    case 'restore':
      return { cmd: 'restore', commands: [] };
    case 'save':
      return { cmd: 'save', numeric: format.has('numeric') };
    case 'flush':
      return { cmd: 'flush' };
    case 'add-service':
    case 'edit-service': {
      const service: AdmService = { key, scheduler: svc.sched, flags: { ...flags } };
      if (svc.ops) service.flags.ops = true;
      if (svc.persistent) service.persistenceTimeout = svc.timeout;
      const mask = svc.family === 6 ? (svc.netmask === 128 ? undefined : String(svc.netmask)) : svc.netmask;
      if (typeof mask === 'number' && mask !== 0xffffffff) service.persistenceNetmask = ipv4Text(mask);
      else if (typeof mask === 'string') service.persistenceNetmask = mask;
      if (svc.pe) service.pe = svc.pe;
      return { cmd: command, service };
    }
    case 'delete-service':
      return { cmd: 'delete-service', key };
    case 'zero':
      return hasKey ? { cmd: 'zero', key } : { cmd: 'zero' };
    case 'add-server':
    case 'edit-server': {
      const d: AdmDest = {
        address: dest.address,
        port: dest.port,
        forwarding: dest.forwarding,
        weight: dest.weight,
        upperThreshold: dest.upper,
        lowerThreshold: dest.lower,
      };
      if (d.forwarding === 'tun') {
        d.tunnelType = dest.tunType;
        if (dest.tunType !== 'ipip') d.tunnelFlags = dest.tunFlags;
        if (dest.tunType === 'gue') d.tunnelPort = dest.tunPort;
      }
      return { cmd: command, key, dest: d };
    }
    case 'delete-server':
      return { cmd: 'delete-server', key, address: dest.address, port: dest.port };
    case 'set':
      return { cmd: 'set-timeout', tcp: timeouts![0], tcpfin: timeouts![1], udp: timeouts![2] };
    case 'start-daemon':
      return { cmd: 'start-daemon', daemon };
    case 'stop-daemon':
      return options.has('syncid')
        ? { cmd: 'stop-daemon', state: daemon.state, syncid: daemon.syncid }
        : { cmd: 'stop-daemon', state: daemon.state };
  }
}

// tun-port, tun-nocsum, tun-csum, tun-remcsum per tunnel type.
const TUNNEL_LEGAL: Record<'ipip' | 'gue' | 'gre', string> = { ipip: 'xxxx', gue: '+111', gre: 'x111' };
const TUN_OPTS = ['tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'] as const;

function checkTunnel(type: 'ipip' | 'gue' | 'gre', options: Set<OptName>): void {
  let last: OptName | undefined;
  TUN_OPTS.forEach((name, j) => {
    const rule = TUNNEL_LEGAL[type][j];
    if (!options.has(name)) {
      if (rule === '+') fail(`You need to supply the '${name}' option for the '${type}' tunnel type`);
      return;
    }
    if (rule === 'x') fail(`Illegal '${name}' option with the '${type}' tunnel type`);
    if (rule === '1') {
      if (last === undefined) last = name;
      else fail(`The option '${name}' conflicts with the '${last}' option in the '${type}' tunnel type`);
    }
  });
}

function listFormat(f: Set<string>): ListFormat {
  return {
    numeric: f.has('numeric'),
    stats: f.has('stats'),
    rate: f.has('rate'),
    thresholds: f.has('thresholds'),
    persistentConn: f.has('persistent-conn'),
    nosort: f.has('nosort'),
    exact: f.has('exact'),
    tunInfo: f.has('tun-info'),
  };
}

/**
 * Splits -R input into command lines as ipvsadm's config reader does: blank-separated words,
 * the word "ipvsadm" dropped, empty lines skipped. Lines starting with '#' are skipped too
 * (ipvsadm would stop on them).
 */
export function restoreLines(text: string): { line: number; argv: string[] }[] {
  const out: { line: number; argv: string[] }[] = [];
  text.split('\n').forEach((raw, i) => {
    const argv = raw.split(/[ \t\r]+/).filter((w) => w !== '' && w !== 'ipvsadm');
    if (argv.length === 0 || argv[0]!.startsWith('#')) return;
    out.push({ line: i + 1, argv });
  });
  return out;
}

/** Parses -R input; all lines or none, the error naming the line. */
export function parseRestore(text: string, opts: ParseOptions = {}): ParseResult {
  const commands: AdmCommand[] = [];
  const lines: number[] = [];
  for (const { line, argv } of restoreLines(text)) {
    const r = parseAdmArgs(argv, { ...opts, restoreLine: true });
    if (!r.ok)
      return { ...r, message: `${r.message}\n(line ${line} of the restore input: ${argv.join(' ')})` };
    commands.push(r.command);
    lines.push(line);
  }
  return { ok: true, command: { cmd: 'restore', commands, lines } };
}
