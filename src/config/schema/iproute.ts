// virtual_routes / static_routes and virtual_rules / static_rules lines, read into typed values at
// configuration time as keepalived 2.2.7 reads them (vrrp_iproute.c alloc_route, vrrp_iprule.c
// alloc_rule). keepalived logs a bad line and runs without it, so a bad line is a warning here
// too and the route or rule is dropped; options vigil does not program are warnings that say so.
import { readFileSync } from 'node:fs';
import type { Loc, Stmt, Token } from '../ast.js';
import type { Family, IpRoute, IpRouteKind, IpRule, IpRuleAction } from '../model.js';
import type { Ctx } from './block.js';
import { parseIp } from './values.js';

export const RTPROT_KEEPALIVED = 18;
const RT_TABLE_MAIN = 254;
const RULE_START_PRIORITY = 16384;

const BUILTIN: Record<string, Record<string, number>> = {
  rt_tables: { default: 253, main: 254, local: 255 },
  rt_protos: { redirect: 1, kernel: 2, boot: 3, static: 4, ra: 9, dhcp: 16, keepalived: 18 },
  rt_scopes: { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 },
  rt_dsfield: {},
};

const nameFiles = new Map<string, Map<string, number>>();

/** A number, or a name from iproute2's table of that kind (as keepalived's rttables.c reads them). */
function lookup(kind: keyof typeof BUILTIN, text: string, max: number): number | undefined {
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : undefined;
  if (n !== undefined) return n <= max ? n : undefined;
  let names = nameFiles.get(kind);
  if (!names) {
    names = new Map(Object.entries(BUILTIN[kind]!));
    for (const dir of ['/usr/share/iproute2', '/etc/iproute2']) {
      let body = '';
      try {
        body = readFileSync(`${dir}/${kind}`, 'utf8');
      } catch {
        continue;
      }
      for (const line of body.split('\n')) {
        const m = /^\s*(0x[0-9a-f]+|\d+)\s+(\S+)/i.exec(line);
        if (m) names.set(m[2]!, Number(m[1]));
      }
    }
    nameFiles.set(kind, names);
  }
  const v = names.get(text);
  return v !== undefined && v <= max ? v : undefined;
}

const ROUTE_TYPES: Record<string, IpRouteKind | null> = {
  unicast: 'unicast',
  blackhole: 'blackhole',
  unreachable: 'unreachable',
  prohibit: 'prohibit',
  throw: 'throw',
  local: null,
  broadcast: null,
  anycast: null,
  multicast: null,
  nat: null,
  xresolve: null,
};

/** Route options vigil reads but does not program (route metrics and the like), with their value counts. */
const ROUTE_UNIMPLEMENTED: Record<string, { values: number; lock?: boolean }> = {
  from: { values: 1 },
  expires: { values: 1 },
  mtu: { values: 1, lock: true },
  hoplimit: { values: 1 },
  advmss: { values: 1, lock: true },
  rtt: { values: 1, lock: true },
  rttvar: { values: 1, lock: true },
  reordering: { values: 1, lock: true },
  window: { values: 1 },
  cwnd: { values: 1, lock: true },
  ssthresh: { values: 1, lock: true },
  realms: { values: 1 },
  rto_min: { values: 1, lock: true },
  initcwnd: { values: 1 },
  initrwnd: { values: 1 },
  features: { values: 1 },
  quickack: { values: 1 },
  congctl: { values: 1, lock: true },
  pref: { values: 1 },
  'ttl-propagate': { values: 1 },
  fastopen_no_cookie: { values: 1 },
  prepend: { values: 0 },
  append: { values: 0 },
};

/** A prefix or address: 'default' (any, all), or ADDRESS[/PREFIX] with the prefix made explicit. */
function destination(text: string): { to: string; family?: Family } | undefined {
  if (text === 'default' || text === 'any' || text === 'all') return { to: 'default' };
  if (text === 'default6') return { to: 'default', family: 6 };
  const a = parseIp(text);
  if (!a) return undefined;
  return { to: `${a.address}/${a.prefix ?? (a.family === 4 ? 32 : 128)}`, family: a.family };
}

function address(text: string | undefined): { address: string; family: Family } | undefined {
  const a = text === undefined ? null : parseIp(text);
  return a && a.prefix === undefined ? { address: a.address, family: a.family } : undefined;
}

function uint(text: string | undefined, max: number): number | undefined {
  if (text === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

/** Walks a line's tokens; every complaint names the token it is about. */
class Line {
  i = 0;
  constructor(
    readonly toks: Token[],
    readonly what: string,
    readonly ctx: Ctx,
  ) {}
  get done(): boolean {
    return this.i >= this.toks.length;
  }
  next(): Token | undefined {
    return this.toks[this.i++];
  }
  peek(): Token | undefined {
    return this.toks[this.i];
  }
  /** The value after an option; a warning when it is missing. */
  value(opt: Token): Token | undefined {
    const v = this.next();
    if (!v) this.ctx.warn(`${this.what}: '${opt.text}' needs a value; ${this.dropped}`, opt.loc);
    return v;
  }
  get dropped(): string {
    return `this ${this.what.split(' ')[0]} is ignored (as keepalived ignores it)`;
  }
  /** An option keepalived has and vigil does not: the line is dropped, saying so. */
  unsupported(o: Token): undefined {
    const kind = this.what.split(' ')[0]!;
    this.ctx.warn(`${this.what}: '${o.text}' is not implemented: vigil does not add this ${kind}`, o.loc);
    return undefined;
  }
  /**
   * After 'inet' / 'inet6' keepalived 2.2.7 steps over one more word (its parser advances twice),
   * so `inet6 fd00::/64 via …` loses its destination there. vigil reads the line the same way and
   * says what was skipped; without 'inet6' the family follows from the addresses.
   */
  skipAfterFamily(opt: Token): void {
    const skipped = this.next();
    if (skipped)
      this.ctx.warn(
        `${this.what}: keepalived 2.2.7 skips the word after '${opt.text}', so '${skipped.text}' is not read (leave '${opt.text}' out: the addresses give the family)`,
        skipped.loc,
      );
  }
  /** A warning that drops the line; returns undefined for the caller to return. */
  bad(message: string, loc: Loc): undefined {
    this.ctx.warn(`${this.what}: ${message}; ${this.dropped}`, loc);
    return undefined;
  }
}

function lineOf(s: Stmt): { toks: Token[]; text: string } {
  const toks = [s.keyword, ...s.args];
  return { toks, text: toks.map((t) => t.text).join(' ') };
}

/** One virtual_routes / static_routes line, or undefined (with a warning) when keepalived would drop it. */
export function readRoute(s: Stmt, ctx: Ctx, block: string): IpRoute | undefined {
  const { toks, text } = lineOf(s);
  const L = new Line(toks, `route '${text}' in ${block}`, ctx);
  const isStatic = block === 'static_routes';
  let family: Family | undefined;
  let kind: IpRouteKind = 'unicast';
  let to: string | undefined;
  let toTok: Token | undefined;
  const r: Partial<IpRoute> = {};
  let protocol: number | undefined;
  let protocolTok: Token | undefined;
  let scope = 0;
  let table = RT_TABLE_MAIN;
  let noTrack = false;
  const setFamily = (f: Family, t: Token): boolean => {
    if (family !== undefined && family !== f) {
      L.bad(`cannot mix IPv4 and IPv6 addresses ('${t.text}')`, t.loc);
      return false;
    }
    family = f;
    return true;
  };
  while (!L.done) {
    const opt = L.next()!;
    const o = opt.text;
    if (o === 'inet' || o === 'inet6') {
      if (!setFamily(o === 'inet' ? 4 : 6, opt)) return undefined;
      L.skipAfterFamily(opt);
    } else if (o === 'src') {
      const v = L.value(opt);
      if (!v) return undefined;
      const a = address(v.text);
      if (!a) return L.bad(`invalid route src address '${v.text}'`, v.loc);
      if (!setFamily(a.family, v)) return undefined;
      r.src = a.address;
    } else if (o === 'via' || o === 'gw') {
      if (o === 'gw') ctx.warn(`${L.what}: "gw" for routes is deprecated, use "via"`, opt.loc);
      let v = L.value(opt);
      if (v && (v.text === 'inet' || v.text === 'inet6')) {
        if (!setFamily(v.text === 'inet' ? 4 : 6, v)) return undefined;
        v = L.value(opt);
      }
      if (!v) return undefined;
      const a = address(v.text);
      if (!a) return L.bad(`invalid route via address '${v.text}'`, v.loc);
      if (!setFamily(a.family, v)) return undefined;
      r.via = a.address;
    } else if (o === 'tos' || o === 'dsfield') {
      const v = L.value(opt);
      if (!v) return undefined;
      const n = lookup('rt_dsfield', v.text, 255);
      if (n === undefined) return L.bad(`TOS value '${v.text}' is invalid`, v.loc);
      r.tos = n;
    } else if (o === 'table') {
      const v = L.value(opt);
      if (!v) return undefined;
      const n = lookup('rt_tables', v.text, 0xffffffff);
      if (n === undefined || n === 0) return L.bad(`routing table '${v.text}' not found`, v.loc);
      table = n;
    } else if (o === 'protocol' || o === 'proto') {
      const v = L.value(opt);
      if (!v) return undefined;
      const n = lookup('rt_protos', v.text, 255);
      if (n === undefined) return L.bad(`protocol '${v.text}' not found or invalid`, v.loc);
      protocol = n;
      protocolTok = v;
    } else if (o === 'scope') {
      const v = L.value(opt);
      if (!v) return undefined;
      const n = lookup('rt_scopes', v.text, 255);
      if (n === undefined) return L.bad(`scope '${v.text}' not found or invalid`, v.loc);
      scope = n;
    } else if (o === 'metric' || o === 'priority' || o === 'preference') {
      const v = L.value(opt);
      if (!v) return undefined;
      const n = uint(v.text, 0xffffffff);
      if (n === undefined) return L.bad(`invalid ${o} '${v.text}'`, v.loc);
      r.metric = n;
    } else if (o === 'dev' || o === 'oif') {
      const v = L.value(opt);
      if (!v) return undefined;
      r.dev = v.text;
    } else if (o === 'no_track') {
      noTrack = true;
    } else if (o === 'add') {
      // keepalived's NLM_F_EXCL; vigil always adds exclusively and treats "exists" as present.
    } else if (
      o === 'onlink' ||
      o === 'encap' ||
      o === 'nexthop' ||
      o === 'or' ||
      o === 'vrf' ||
      o === 'as'
    ) {
      return L.unsupported(opt);
    } else if (o === 'track_group' && isStatic) {
      const v = L.value(opt);
      if (!v) return undefined;
      ctx.warn(
        `${L.what}: 'track_group' is not implemented: the route stays installed whatever the group's state`,
        opt.loc,
      );
    } else if (ROUTE_UNIMPLEMENTED[o]) {
      const u = ROUTE_UNIMPLEMENTED[o];
      if (u.lock && L.peek()?.text === 'lock') L.next();
      for (let k = 0; k < u.values; k++) if (!L.value(opt)) return undefined;
      ctx.warn(`${L.what}: '${o}' is not implemented: the route is added without it`, opt.loc);
    } else {
      // Anything else is the destination, after an optional 'to' and route type.
      let d: Token | undefined = opt;
      if (o === 'to') d = L.value(opt);
      if (d && d.text in ROUTE_TYPES) {
        const k = ROUTE_TYPES[d.text];
        if (k === null) return L.unsupported(d);
        kind = k!;
        d = L.value(d);
      }
      if (!d) return undefined;
      const dst = destination(d.text);
      if (!dst) return L.bad(`unknown route keyword '${d.text}'`, d.loc);
      if (dst.family !== undefined && !setFamily(dst.family, d)) return undefined;
      to = dst.to;
      toTok = d;
    }
  }
  if (to === undefined || !toTok) return L.bad('route must have a destination', s.keyword.loc);
  if (kind !== 'unicast' && (r.via || r.dev))
    return L.bad(`a ${kind} route takes neither via nor dev`, toTok.loc);
  if (kind === 'unicast' && !r.via && !r.dev) return L.bad('the route needs via or dev', toTok.loc);
  if (!noTrack) {
    if (protocol !== undefined && protocol !== RTPROT_KEEPALIVED && protocolTok)
      ctx.warn(
        `${L.what}: a route cannot be tracked if its protocol is not keepalived (${RTPROT_KEEPALIVED}); protocol reset to keepalived`,
        protocolTok.loc,
      );
    protocol = RTPROT_KEEPALIVED;
    if (!r.dev) {
      ctx.warn(
        `${L.what}: cannot track a route with no interface specified, not tracking (as keepalived)`,
        toTok.loc,
      );
      noTrack = true;
    }
  }
  return {
    to,
    family: family ?? 4,
    kind,
    ...r,
    table,
    scope,
    protocol: protocol ?? RTPROT_KEEPALIVED,
    noTrack,
    text,
    loc: s.keyword.loc,
  };
}

const ruleNumbers = new WeakMap<Ctx, { 4: number; 6: number }>();

function range(text: string, max: number): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  return a <= b && b <= max ? [a, b] : undefined;
}

/** One virtual_rules / static_rules line, or undefined (with a warning) when keepalived would drop it. */
export function readRule(s: Stmt, ctx: Ctx, block: string): IpRule | undefined {
  const { toks, text } = lineOf(s);
  const L = new Line(toks, `rule '${text}' in ${block}`, ctx);
  const isStatic = block === 'static_rules';
  let family: Family | undefined;
  const r: Partial<IpRule> = {};
  let action: IpRuleAction | undefined;
  let actionTok: Token | undefined;
  let priority: number | undefined;
  let protocol: number | undefined;
  let protocolTok: Token | undefined;
  let tableOption = false;
  let not = false;
  let noTrack = false;
  const setFamily = (f: Family, t: Token): boolean => {
    if (family !== undefined && family !== f) {
      L.bad(`rule specification has mixed IPv4 and IPv6 ('${t.text}')`, t.loc);
      return false;
    }
    family = f;
    return true;
  };
  const setAction = (a: IpRuleAction, t: Token): boolean => {
    if (action !== undefined) {
      L.bad('cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable', t.loc);
      return false;
    }
    action = a;
    actionTok = t;
    return true;
  };
  while (!L.done) {
    const opt = L.next()!;
    const o = opt.text;
    if (o === 'inet' || o === 'inet6') {
      if (!setFamily(o === 'inet' ? 4 : 6, opt)) return undefined;
      L.skipAfterFamily(opt);
    } else if (o === 'from' || o === 'to') {
      const v = L.value(opt);
      if (!v) return undefined;
      const a = parseIp(v.text);
      if (!a) return L.bad(`invalid rule ${o} address '${v.text}'`, v.loc);
      if (!setFamily(a.family, v)) return undefined;
      r[o] = `${a.address}/${a.prefix ?? (a.family === 4 ? 32 : 128)}`;
    } else if (o === 'table' || o === 'lookup') {
      const v = L.value(opt);
      if (!v) return undefined;
      const n = lookup('rt_tables', v.text, 0xffffffff);
      if (n === undefined) return L.bad(`routing table '${v.text}' not found`, v.loc);
      if (n === 0) return L.bad('table 0 is not valid', v.loc);
      if (!setAction('table', opt)) return undefined;
      r.table = n;
    } else if (o === 'not') {
      not = true;
    } else if (o === 'preference' || o === 'order' || o === 'priority') {
      const v = L.value(opt);
      if (!v) return undefined;
      const n = uint(v.text, 0xffffffff);
      if (n === undefined) return L.bad(`invalid rule preference '${v.text}'`, v.loc);
      priority = n;
    } else if (o === 'tos' || o === 'dsfield') {
      const v = L.value(opt);
      if (!v) return undefined;
      const n = lookup('rt_dsfield', v.text, 255);
      if (n === undefined) return L.bad(`TOS value '${v.text}' is invalid`, v.loc);
      r.tos = n;
    } else if (o === 'fwmark') {
      const v = L.value(opt);
      if (!v) return undefined;
      const [mark, mask] = v.text.split('/');
      const m = uint(mark, 0xffffffff);
      const k = mask === undefined ? undefined : uint(mask, 0xffffffff);
      if (m === undefined || (mask !== undefined && k === undefined))
        return L.bad(`invalid rule fwmark '${v.text}'`, v.loc);
      r.fwmark = m;
      if (k !== undefined) r.fwmask = k;
    } else if (o === 'suppress_prefixlength' || o === 'sup_pl') {
      const v = L.value(opt);
      if (!v) return undefined;
      const n = uint(v.text, 128);
      if (n === undefined) return L.bad(`invalid suppress_prefixlength '${v.text}'`, v.loc);
      r.suppressPrefixlen = n;
      tableOption = true;
    } else if (o === 'dev' || o === 'iif') {
      const v = L.value(opt);
      if (!v) return undefined;
      r.iif = v.text;
    } else if (o === 'oif') {
      const v = L.value(opt);
      if (!v) return undefined;
      r.oif = v.text;
    } else if (o === 'uidrange') {
      const v = L.value(opt);
      if (!v) return undefined;
      const u = range(v.text, 0xffffffff);
      if (!u) return L.bad(`invalid uidrange '${v.text}'`, v.loc);
      r.uidrange = u;
    } else if (o === 'protocol') {
      const v = L.value(opt);
      if (!v) return undefined;
      const n = lookup('rt_protos', v.text, 255);
      if (n === undefined) return L.bad(`invalid protocol '${v.text}'`, v.loc);
      protocol = n;
      protocolTok = v;
    } else if (o === 'ipproto') {
      const v = L.value(opt);
      if (!v) return undefined;
      const n = { tcp: 6, udp: 17, icmp: 1, sctp: 132, icmpv6: 58 }[v.text] ?? uint(v.text, 255);
      if (n === undefined) return L.bad(`invalid ipproto '${v.text}'`, v.loc);
      r.ipproto = n;
    } else if (o === 'sport' || o === 'dport') {
      const v = L.value(opt);
      if (!v) return undefined;
      const p = range(v.text, 65535);
      if (!p) return L.bad(`invalid ${o} range '${v.text}'`, v.loc);
      r[o] = p;
    } else if (o === 'no_track') {
      noTrack = true;
    } else if (o === 'track_group' && isStatic) {
      const v = L.value(opt);
      if (!v) return undefined;
      ctx.warn(
        `${L.what}: 'track_group' is not implemented: the rule stays installed whatever the group's state`,
        opt.loc,
      );
    } else if (o === 'realms' || o === 'suppress_ifgroup' || o === 'sup_group' || o === 'tunnel-id') {
      const v = L.value(opt);
      if (!v) return undefined;
      return L.unsupported(opt);
    } else if (o === 'l3mdev') {
      return L.unsupported(opt);
    } else {
      let a: Token | undefined = opt;
      if (o === 'type') a = L.value(opt);
      if (!a) return undefined;
      if (a.text === 'goto') {
        const v = L.value(a);
        if (!v) return undefined;
        const n = uint(v.text, 0xffffffff);
        if (n === undefined) return L.bad(`invalid goto target '${v.text}'`, v.loc);
        if (!setAction('goto', a)) return undefined;
        r.gotoTarget = n;
      } else if (
        a.text === 'nop' ||
        a.text === 'blackhole' ||
        a.text === 'unreachable' ||
        a.text === 'prohibit'
      ) {
        if (!setAction(a.text, a)) return undefined;
      } else return L.bad(`unknown rule option '${a.text}'`, a.loc);
    }
  }
  if (action === 'goto') {
    if (priority === undefined)
      return L.bad(`goto target ${r.gotoTarget} specified without preference`, actionTok!.loc);
    if (priority >= r.gotoTarget!)
      return L.bad(`preference ${priority} >= goto target ${r.gotoTarget}`, actionTok!.loc);
  }
  if (action === undefined) return L.bad('no action specified for the rule', s.keyword.loc);
  if (action !== 'table' && tableOption) {
    ctx.warn(`${L.what}: suppress_prefixlength is only for table rules: ignored`, s.keyword.loc);
    delete r.suppressPrefixlen;
  }
  if (!noTrack) {
    if (protocol !== undefined && protocol !== RTPROT_KEEPALIVED && protocolTok)
      ctx.warn(
        `${L.what}: a rule cannot be tracked if its protocol is not keepalived (${RTPROT_KEEPALIVED}); protocol reset to keepalived`,
        protocolTok.loc,
      );
    protocol = RTPROT_KEEPALIVED;
  }
  const fam = family ?? 4;
  if (priority === undefined) {
    const next = ruleNumbers.get(ctx) ?? { 4: RULE_START_PRIORITY, 6: RULE_START_PRIORITY };
    ruleNumbers.set(ctx, next);
    priority = next[fam]--;
    ctx.warn(
      `${L.what}: rule has no preference; set to ${priority} as keepalived does (probably not what you want)`,
      s.keyword.loc,
    );
  }
  return {
    family: fam,
    ...r,
    not,
    priority,
    action,
    protocol: protocol ?? RTPROT_KEEPALIVED,
    noTrack,
    text,
    loc: s.keyword.loc,
  };
}
