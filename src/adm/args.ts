// ipvsadm's command line (v1.31), parsed the way ipvsadm parses it: popt's rules (clustered short
// flags "-Ln", attached arguments "-srr", "--opt=value", `-p` with an optional argument, leftover
// arguments), the first option must be the command, the commands x options legality table, the
// defaults ipvsadm fills in (scheduler wlc, weight 1, direct routing, the real server's port
// copied from the service), and every error worded as ipvsadm words it, with its exit code.
// Pure: port and host names come from an injected AdmNames.
import type { Family, Forwarding, Protocol, ServiceKey } from '../dataplane/engine.js';
import { canonicalIpv6, inetAton, ipv4Text } from './inet.js';
import { checkLegal, checkTunnel, fail, Fail, type CmdName, type OptName } from './legality.js';
import { systemNames, type AdmNames } from './names.js';
import { Popt, type PoptEvent } from './popt.js';
import type { AdmDest, AdmService, SyncDaemonSpec } from './types.js';
import {
  INT_MAX,
  isMulticast4,
  MAX_TIMEOUT,
  parseEndpoint,
  parseFwmark,
  parseSchedFlags,
  parseTimeout,
  stringToNumber,
} from './values.js';

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

/** ipvsadm's ipvs_command_entry, filled option by option (order matters, as in ipvsadm). */
interface Entry {
  svc: {
    family: Family;
    protocol: Protocol;
    address: string;
    port: number;
    fwmark: number;
    sched: string;
    persistent: boolean;
    timeout: number;
    netmask: number;
    ops: boolean;
    pe: string;
    schedFlags?: string;
  };
  dest: {
    family: Family;
    address: string;
    port: number;
    forwarding: Forwarding;
    weight: number;
    upper: number;
    lower: number;
    tunType: 'ipip' | 'gue' | 'gre';
    tunPort: number;
    tunFlags: 'nocsum' | 'csum' | 'remcsum';
  };
  daemon: SyncDaemonSpec;
  /** The options given, each at most once. */
  options: Set<OptName>;
  /** The list format flags given. */
  format: Set<string>;
}

type OptEvent = Extract<PoptEvent, { kind: 'opt' }>;

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

  const e = newEntry(daemonState ?? 'master');
  for (let ev = popt.next(); ev.kind !== 'end'; ev = popt.next()) {
    if (ev.kind === 'error') fail(`${ev.text}: ${ev.why}`, 255);
    if (ev.kind !== 'opt') break;
    const handled =
      serviceOption(e, ev, names) || serverOption(e, ev, names) || daemonOption(e, ev) || listOption(e, ev);
    // A second command, or -h/-v after the command.
    if (!handled) fail(`invalid option \`${popt.last}'`);
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

  checkLegal(command, e.options);
  const flags: AdmService['flags'] =
    e.svc.schedFlags !== undefined ? parseSchedFlags(e.svc.sched || 'wlc', e.svc.schedFlags) : {};
  checkEntry(command, e);
  return toCommand(command, e, flags, timeouts);
}

function newEntry(state: 'master' | 'backup'): Entry {
  return {
    svc: {
      family: 4,
      protocol: 'tcp',
      address: '',
      port: 0,
      fwmark: 0,
      sched: '',
      persistent: false,
      timeout: 0,
      netmask: 0xffffffff,
      ops: false,
      pe: '',
    },
    dest: {
      family: 4,
      address: '',
      port: 0,
      forwarding: 'dr',
      weight: 1,
      upper: 0,
      lower: 0,
      tunType: 'ipip',
      tunPort: 0,
      tunFlags: 'nocsum',
    },
    daemon: { state, mcastInterface: '', syncid: 0 },
    options: new Set(),
    format: new Set(),
  };
}

function once(e: Entry, o: OptName): void {
  if (e.options.has(o)) fail(`multiple '${o}' options specified`);
  e.options.add(o);
}

/** A number option within [min, max], or ipvsadm's "illegal …" error. */
function numberOpt(arg: string, min: number, max: number, error: string): number {
  const n = stringToNumber(arg, min, max);
  return n ?? fail(error);
}

/** -t/-u/--sctp-service/-f, -s, -p, -M, -6, -o, --pe, -b: the virtual service. */
function serviceOption(e: Entry, ev: OptEvent, names: AdmNames): boolean {
  const { svc } = e;
  const arg = ev.arg ?? '';
  switch (ev.tag) {
    case 'tcp-service':
    case 'udp-service':
    case 'sctp-service': {
      once(e, 'service-address');
      svc.protocol = ev.tag === 'tcp-service' ? 'tcp' : ev.tag === 'udp-service' ? 'udp' : 'sctp';
      const ep =
        parseEndpoint(arg, svc.protocol, names) ?? fail('illegal virtual server address[:port] specified');
      svc.family = ep.family;
      svc.address = ep.address;
      if (ep.family === 6) svc.netmask = 128;
      if (ep.port !== undefined) svc.port = ep.port;
      return true;
    }
    case 'fwmark-service':
      once(e, 'service-address');
      svc.family = 4;
      svc.protocol = 'tcp';
      svc.fwmark = parseFwmark(arg);
      return true;
    case 'scheduler':
      once(e, 'scheduler');
      svc.sched = arg.slice(0, 15);
      return true;
    case 'persistent':
      once(e, 'persistent');
      svc.persistent = true;
      svc.timeout = parseTimeout(ev.arg, 1, MAX_TIMEOUT);
      return true;
    case 'netmask':
      once(e, 'netmask');
      if (svc.family !== 6) {
        const m = inetAton(arg) ?? (names.host(arg) !== undefined ? inetAton(names.host(arg)!) : undefined);
        svc.netmask = m ?? fail('illegal virtual server persistent mask specified');
      } else {
        svc.netmask = parseInt(arg, 10) || 0;
        if (svc.netmask < 1 || svc.netmask > 128) fail('illegal ipv6 netmask specified');
      }
      return true;
    case 'ipv6':
      if (!svc.fwmark) fail('-6 used before -f\n');
      svc.family = 6;
      svc.netmask = 128;
      return true;
    case 'ops':
      once(e, 'ops');
      svc.ops = true;
      return true;
    case 'pe':
      once(e, 'pe');
      svc.pe = arg.slice(0, 31);
      return true;
    case 'sched-flags':
      once(e, 'sched-flags');
      svc.schedFlags = arg;
      return true;
  }
  return false;
}

/** -r, -g/-i/-m, -w, -x, -y, --tun-*: the real server. */
function serverOption(e: Entry, ev: OptEvent, names: AdmNames): boolean {
  const { dest } = e;
  const arg = ev.arg ?? '';
  switch (ev.tag) {
    case 'real-server': {
      once(e, 'real-server');
      const ep =
        parseEndpoint(arg, e.svc.protocol, names) ?? fail('illegal real server address[:port] specified');
      dest.family = ep.family;
      dest.address = ep.address;
      // The service's port when the server names none.
      dest.port = ep.port ?? e.svc.port;
      return true;
    }
    case 'ipip':
    case 'gatewaying':
    case 'masquerading':
      once(e, 'forwarding-method');
      dest.forwarding = ev.tag === 'ipip' ? 'tun' : ev.tag === 'gatewaying' ? 'dr' : 'nat';
      return true;
    case 'weight':
      once(e, 'weight');
      dest.weight = numberOpt(arg, 0, INT_MAX, 'illegal weight specified');
      return true;
    case 'u-threshold':
      once(e, 'u-threshold');
      dest.upper = numberOpt(arg, 0, INT_MAX, 'illegal u_threshold specified');
      return true;
    case 'l-threshold':
      once(e, 'l-threshold');
      dest.lower = numberOpt(arg, 0, INT_MAX, 'illegal l_threshold specified');
      return true;
    case 'tun-type':
      once(e, 'tun-type');
      if (arg !== 'ipip' && arg !== 'gue' && arg !== 'gre') fail('illegal tunnel type specified');
      dest.tunType = arg as 'ipip' | 'gue' | 'gre';
      return true;
    case 'tun-port':
      once(e, 'tun-port');
      dest.tunPort = numberOpt(arg, 1, 65535, 'illegal tunnel port specified');
      return true;
    case 'tun-nocsum':
    case 'tun-csum':
    case 'tun-remcsum':
      once(e, ev.tag);
      dest.tunFlags = ev.tag === 'tun-nocsum' ? 'nocsum' : ev.tag === 'tun-csum' ? 'csum' : 'remcsum';
      return true;
  }
  return false;
}

/** --mcast-interface, --syncid, --mcast-group/-port/-ttl, --sync-maxlen: the sync daemon. */
function daemonOption(e: Entry, ev: OptEvent): boolean {
  const { daemon } = e;
  const arg = ev.arg ?? '';
  switch (ev.tag) {
    case 'mcast-interface':
      once(e, 'mcast-interface');
      daemon.mcastInterface = arg.slice(0, 15);
      return true;
    case 'syncid':
      once(e, 'syncid');
      daemon.syncid = numberOpt(arg, 0, 255, 'illegal syncid specified');
      return true;
    case 'mcast-group':
      once(e, 'mcast-group');
      if (arg.includes(':')) {
        const g = canonicalIpv6(arg);
        if (g === undefined || !g.toLowerCase().startsWith('ff')) fail(`invalid IPv6 mcast-group \`${arg}'`);
        daemon.mcastGroup = g;
      } else {
        const v = /^\d+\.\d+\.\d+\.\d+$/.test(arg) ? inetAton(arg) : undefined;
        if (v === undefined || !isMulticast4(v)) fail(`invalid IPv4 mcast-group \`${arg}'`);
        daemon.mcastGroup = ipv4Text(v!);
      }
      return true;
    case 'mcast-port':
    case 'mcast-ttl':
    case 'sync-maxlen': {
      once(e, ev.tag);
      const max = ev.tag === 'mcast-port' ? 65535 : ev.tag === 'mcast-ttl' ? 255 : 65535 - 20 - 8;
      const n = numberOpt(arg, 1, max, `illegal ${ev.tag} specified`);
      if (ev.tag === 'mcast-port') daemon.mcastPort = n;
      else if (ev.tag === 'mcast-ttl') daemon.mcastTtl = n;
      else daemon.syncMaxlen = n;
      return true;
    }
  }
  return false;
}

/** -c, -n, --timeout, --daemon, --stats, --rate, …: what -L shows and how. */
function listOption(e: Entry, ev: OptEvent): boolean {
  switch (ev.tag) {
    case 'connection':
    case 'timeout':
    case 'daemon':
      once(e, ev.tag);
      return true;
    case 'numeric':
    case 'stats':
    case 'rate':
    case 'thresholds':
    case 'persistent-conn':
    case 'nosort':
    case 'exact':
    case 'tun-info':
      once(e, ev.tag);
      e.format.add(ev.tag);
      return true;
    case 'sort':
      return true; // the default; accepted for compatibility
  }
  return false;
}

/** ipvsadm's checks across options, after the legality table, and the defaults it fills in. */
function checkEntry(command: CmdName, e: Entry): void {
  const { svc, dest, daemon, options } = e;
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
}

function toCommand(
  command: CmdName,
  e: Entry,
  flags: AdmService['flags'],
  timeouts: [number, number, number] | undefined,
): AdmCommand {
  const { svc, dest, daemon, options, format } = e;
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
