// popt's reading of ipvsadm's argv, as ipvsadm 1.31 links it: clustered short flags ("-Ln"),
// attached arguments ("-srr", "-w=3"), "--opt=value", optional arguments (`-p [timeout]`), "--"
// and leftover arguments. It only tokenizes: what the options mean is args.ts's business.

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

export type PoptEvent =
  | { kind: 'opt'; tag: string; arg?: string; text: string }
  | { kind: 'error'; text: string; why: string }
  | { kind: 'end' };

export class Popt {
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
