// ipvsadm's legality tables: which options each command and each tunnel type requires, allows,
// forbids or takes one of; and the error that ends parsing, worded and coded as ipvsadm's.

export class Fail {
  constructor(
    readonly message: string,
    readonly exitCode: number,
  ) {}
}

/** Ends parsing with ipvsadm's message and exit code (2 for its own checks, 255 for popt's). */
export const fail = (message: string, exitCode = 2): never => {
  throw new Fail(message, exitCode);
};

export const OPT_NAMES = [
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
export type OptName = (typeof OPT_NAMES)[number];

export type CmdName =
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

/** Checks one row of a legality table against the options given; `what` names the row in errors. */
function checkRow(row: string, names: readonly string[], given: ReadonlySet<string>, what: string): void {
  let last: string | undefined;
  names.forEach((name, j) => {
    const rule = row[j];
    if (!given.has(name)) {
      if (rule === '+') fail(`You need to supply the '${name}' option for the ${what}`);
      return;
    }
    if (rule === 'x') fail(`Illegal '${name}' option with the ${what}`);
    if (rule === '1') {
      if (last === undefined) last = name;
      else fail(`The option '${name}' conflicts with the '${last}' option in the ${what}`);
    }
  });
}

export function checkLegal(cmd: CmdName, options: ReadonlySet<OptName>): void {
  checkRow(LEGAL[cmd], OPT_NAMES, options, `'${cmd}' command`);
}

// tun-port, tun-nocsum, tun-csum, tun-remcsum per tunnel type.
const TUNNEL_LEGAL: Record<'ipip' | 'gue' | 'gre', string> = { ipip: 'xxxx', gue: '+111', gre: 'x111' };
const TUN_OPTS = ['tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'] as const;

export function checkTunnel(type: 'ipip' | 'gue' | 'gre', options: ReadonlySet<OptName>): void {
  checkRow(TUNNEL_LEGAL[type], TUN_OPTS, options, `'${type}' tunnel type`);
}
