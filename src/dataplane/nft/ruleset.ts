// Pure renderer: desired virtual services -> nft scripts for vigil's private tables.
//
// Layout (one `table inet vigil`, plus `table netdev vigil_dr_<if>` for direct routing):
//   map svc4/svc6   ip daddr . meta l4proto . th dport : verdict  (dispatch, one element/service)
//   map mark4/mark6 meta mark : verdict                           (fwmark services)
//   chain <svc>         the scheduler: a slot vmap (numgen / jhash / Maglev table) to dest chains;
//                       its rule comment carries the service spec so read() is faithful
//   chain <svc>__<dest> one rule per real server: counter, persistence update, DNAT / MAC rewrite;
//                       its comment carries the dest spec (weight-0 dests keep their chain)
//   set   p_<svc>__<dest> persistence: masked client addresses with a timeout, per real server
// Every change is a transaction touching only the services it names.
import { isIPv4, isIPv6 } from 'node:net';
import type { DestSpec, Forwarding, ServiceKey, ServiceSpec, ServiceState } from '../engine.js';

export const INET_TABLE = 'vigil';
/** ct label bit that marks connections to be source-NATed (full NAT). */
export const DEFAULT_FULLNAT_LABEL = 100;

export interface NftContext {
  /** The inet table's name (tests use their own). */
  table?: string;
  /** Direct routing: the director's interface facing the real servers and its MAC. */
  dr?: { ifname: string; mac: string };
  /** Real-server MAC addresses, resolved by the adapter (needed for DR dests). */
  macs?: ReadonlyMap<string, string>;
  /** Full NAT source: a dedicated address (and port range) per director, else masquerade. */
  fullnat?: { address4?: string; address6?: string; ports?: [number, number]; label?: number };
}

export class RenderError extends Error {}

// ---------- names ----------

function addrToken(address: string): string {
  return address.replace(/[.:]/g, '_');
}

export function serviceChain(key: ServiceKey): string {
  if (key.kind === 'fwmark') return `m${key.family}_${key.fwmark}`;
  return `s${key.family}${key.protocol[0]}_${addrToken(key.address)}_${key.port}`;
}

export function destChain(key: ServiceKey, d: { address: string; port: number }): string {
  return `${serviceChain(key)}__${addrToken(d.address)}_${d.port}`;
}

function persistSet(key: ServiceKey, d: { address: string; port: number }): string {
  return `p_${destChain(key, d)}`;
}

export function drTable(ifname: string): string {
  return `vigil_dr_${ifname.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

export function describeKey(key: ServiceKey): string {
  if (key.kind === 'fwmark') return `FWM ${key.fwmark}${key.family === 6 ? ' IPv6' : ''}`;
  const a = key.family === 6 ? `[${key.address}]` : key.address;
  return `${key.protocol.toUpperCase()} ${a}:${key.port}`;
}

// ---------- comments (the spec the rules cannot express) ----------

/** `vigil svc k=tcp/10.0.0.1/80 s=wrr p=300 m=255.255.255.0 f=ops,port` */
export function encodeService(s: ServiceSpec): string {
  const k =
    s.key.kind === 'fwmark'
      ? `fw${s.key.family}/${s.key.fwmark}`
      : `${s.key.protocol}/${s.key.address}/${s.key.port}`;
  const parts = [`vigil svc k=${k}`, `s=${s.scheduler}`];
  if (s.persistenceTimeout !== undefined) parts.push(`p=${s.persistenceTimeout}`);
  if (s.persistenceNetmask !== undefined) parts.push(`m=${s.persistenceNetmask}`);
  const flags = (['ops', 'fallback', 'port'] as const).filter((f) => s.flags[f]);
  if (flags.length > 0) parts.push(`f=${flags.join(',')}`);
  return parts.join(' ');
}

function fields(comment: string, prefix: string): Map<string, string> | null {
  if (!comment.startsWith(prefix)) return null;
  const m = new Map<string, string>();
  for (const part of comment.slice(prefix.length).trim().split(/\s+/)) {
    const eq = part.indexOf('=');
    if (eq > 0) m.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return m;
}

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

export function decodeService(comment: string): ServiceSpec | null {
  const f = fields(comment, 'vigil svc ');
  const k = f?.get('k');
  const scheduler = f?.get('s');
  if (!f || !k || !scheduler) return null;
  const kp = k.split('/');
  let key: ServiceKey;
  if (kp[0] === 'fw4' || kp[0] === 'fw6') {
    key = { kind: 'fwmark', family: kp[0] === 'fw6' ? 6 : 4, fwmark: Number(kp[1]) };
  } else if (kp.length === 3 && PROTOCOLS.has(kp[0] ?? '')) {
    const address = kp[1] ?? '';
    key = {
      kind: 'addr',
      family: isIPv6(address) ? 6 : 4,
      address,
      port: Number(kp[2]),
      protocol: kp[0] as 'tcp' | 'udp' | 'sctp',
    };
  } else return null;
  const spec: ServiceSpec = { key, scheduler, flags: {} };
  const p = f.get('p');
  if (p !== undefined) spec.persistenceTimeout = Number(p);
  const m = f.get('m');
  if (m !== undefined) spec.persistenceNetmask = m;
  for (const flag of (f.get('f') ?? '').split(',')) {
    if (flag === 'ops' || flag === 'fallback' || flag === 'port') spec.flags[flag] = true;
  }
  return spec;
}

/** `vigil dest a=10.0.0.2 p=80 w=3 f=nat u=0 l=0 [t=gue tp=6080]` */
export function encodeDest(d: DestSpec): string {
  const parts = [
    `vigil dest a=${d.address}`,
    `p=${d.port}`,
    `w=${d.weight}`,
    `f=${d.forwarding}`,
    `u=${d.upperThreshold}`,
    `l=${d.lowerThreshold}`,
  ];
  if (d.tunnelType !== undefined) parts.push(`t=${d.tunnelType}`);
  if (d.tunnelPort !== undefined) parts.push(`tp=${d.tunnelPort}`);
  return parts.join(' ');
}

const FORWARDINGS = new Set(['nat', 'dr', 'tun', 'fullnat']);

export function decodeDest(comment: string): DestSpec | null {
  const f = fields(comment, 'vigil dest ');
  const address = f?.get('a');
  const fw = f?.get('f');
  if (!f || !address || !fw || !FORWARDINGS.has(fw)) return null;
  const d: DestSpec = {
    address,
    port: Number(f.get('p') ?? 0),
    forwarding: fw as Forwarding,
    weight: Number(f.get('w') ?? 0),
    upperThreshold: Number(f.get('u') ?? 0),
    lowerThreshold: Number(f.get('l') ?? 0),
  };
  const t = f.get('t');
  if (t === 'ipip' || t === 'gue' || t === 'gre') d.tunnelType = t;
  const tp = f.get('tp');
  if (tp !== undefined) d.tunnelPort = Number(tp);
  return d;
}

// ---------- scheduling tables ----------

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The kernel's interleaved wrr order (ip_vs_wrr.c): one index per slot, period sum(w)/gcd. */
export function wrrSequence(weights: number[]): number[] {
  const live = weights.filter((w) => w > 0);
  if (live.length === 0) return [];
  const g = live.reduce(gcd);
  const max = Math.max(...live);
  const period = live.reduce((a, b) => a + b, 0) / g;
  const seq: number[] = [];
  let i = -1;
  let cw = 0;
  while (seq.length < period) {
    i = (i + 1) % weights.length;
    if (i === 0) {
      cw -= g;
      if (cw <= 0) cw = max;
    }
    if ((weights[i] ?? 0) >= cw) seq.push(i);
  }
  return seq;
}

/** Contiguous slots: weight w_i gets w_i/gcd consecutive slots. */
function proportionalSlots(weights: number[]): number[] {
  const live = weights.filter((w) => w > 0);
  if (live.length === 0) return [];
  const g = live.reduce(gcd);
  const slots: number[] = [];
  weights.forEach((w, i) => {
    for (let k = 0; k < w / g; k++) slots.push(i);
  });
  return slots;
}

/**
 * Without a seed the kernel draws a random one for every hash expression, so two directors (or
 * one director after its rule is rewritten) would send the same flow to different servers.
 */
const JHASH_SEED = '0x76696731';

const MH_PRIMES = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521];

function fnv1a(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Weighted Maglev lookup table: a server leaving moves only its own slots. */
export function maglevTable(names: string[], weights: number[]): number[] {
  // Filled in name order, not list order: two directors that learnt their servers in a different
  // order (health checks) still build the same table, so a failover keeps every DR flow's server.
  const liveIdx = weights
    .flatMap((w, i) => (w > 0 ? [i] : []))
    .sort((a, b) =>
      (names[a] ?? '') < (names[b] ?? '') ? -1 : (names[a] ?? '') > (names[b] ?? '') ? 1 : a - b,
    );
  if (liveIdx.length === 0) return [];
  const m = MH_PRIMES.find((p) => p >= 20 * liveIdx.length) ?? 65521;
  const g = liveIdx.map((i) => weights[i] ?? 1).reduce(gcd);
  const offset = liveIdx.map((i) => fnv1a(names[i] ?? '', 1) % m);
  const skip = liveIdx.map((i) => (fnv1a(names[i] ?? '', 2) % (m - 1)) + 1);
  const next = liveIdx.map(() => 0);
  const table = new Array<number>(m).fill(-1);
  let filled = 0;
  for (;;) {
    for (let j = 0; j < liveIdx.length; j++) {
      const turns = (weights[liveIdx[j] ?? 0] ?? 1) / g;
      for (let t = 0; t < turns; t++) {
        let c = ((offset[j] ?? 0) + (next[j] ?? 0) * (skip[j] ?? 1)) % m;
        while (table[c] !== -1) {
          next[j] = (next[j] ?? 0) + 1;
          c = ((offset[j] ?? 0) + (next[j] ?? 0) * (skip[j] ?? 1)) % m;
        }
        table[c] = liveIdx[j] ?? 0;
        next[j] = (next[j] ?? 0) + 1;
        if (++filled === m) return table;
      }
    }
  }
}

/** `{ 0-2 : goto a, 3 : goto b }`, runs of equal targets merged into ranges. */
function slotVmap(slots: number[], targets: string[]): string {
  const parts: string[] = [];
  let start = 0;
  for (let i = 1; i <= slots.length; i++) {
    if (i === slots.length || slots[i] !== slots[start]) {
      const range = i - 1 === start ? `${start}` : `${start}-${i - 1}`;
      parts.push(`${range} : goto ${targets[slots[start] ?? 0] ?? ''}`);
      start = i;
    }
  }
  return `{ ${parts.join(', ')} }`;
}

/** `{ 0-2 : 10.0.0.2 . 80, 3 : 10.0.0.3 . 80 }` for a DNAT slot map. */
function slotMap(slots: number[], data: string[]): string {
  return slotVmap(slots, data).replace(/ : goto /g, ' : ');
}

const WRR_MAX_PERIOD = 4096;
const RANDOM_SCHEDULERS = new Set(['lc', 'wlc', 'sed', 'nq', 'twos', 'ovf']);

/**
 * How an nft engine approximates an IPVS scheduler, or null when it matches IPVS's semantics.
 * `vigil check` prints this as a warning.
 */
export function describeApproximation(scheduler: string, forwarding: Forwarding): string | null {
  if (forwarding === 'tun') return 'nft engine: tunnel forwarding (TUN) is not supported';
  if (forwarding === 'dr') {
    return (
      `nft engine (DR): ${scheduler} is approximated by a weighted Maglev table over the client ` +
      (scheduler === 'sh' ? 'address' : scheduler === 'dh' ? 'destination' : 'address and port') +
      ' (no connection tracking on the direct-routing path, so every flow is hashed to keep its server;' +
      ' a server set to weight 0 or removed loses its established flows, which IPVS would keep)'
    );
  }
  switch (scheduler) {
    case 'rr':
    case 'wrr':
    case 'sh':
    case 'dh':
    case 'mh':
    case 'fo':
      return null;
    case 'lblc':
    case 'lblcr':
      return `nft engine: ${scheduler} is approximated by destination hashing (dh): no live connection counts`;
    default:
      if (RANDOM_SCHEDULERS.has(scheduler)) {
        return `nft engine: ${scheduler} is approximated by weighted random choice: the kernel's nftables keep no live connection counts per real server`;
      }
      return `nft engine: unknown scheduler ${scheduler}, weighted random choice used`;
  }
}

// ---------- rules ----------

function ipKw(family: 4 | 6): 'ip' | 'ip6' {
  return family === 6 ? 'ip6' : 'ip';
}

function maskFor(spec: ServiceSpec): string | null {
  const fam = spec.key.family;
  const m = spec.persistenceNetmask;
  if (m === undefined) return null;
  if (fam === 4) {
    if (!isIPv4(m)) throw new RenderError(`${describeKey(spec.key)}: bad persistence netmask ${m}`);
    return m === '255.255.255.255' ? null : m;
  }
  const len = Number(m);
  if (!Number.isInteger(len) || len < 0 || len > 128) {
    throw new RenderError(`${describeKey(spec.key)}: bad IPv6 persistence prefix ${m}`);
  }
  if (len === 128) return null;
  const groups: string[] = [];
  for (let g = 0; g < 8; g++) {
    const bits = Math.max(0, Math.min(16, len - g * 16));
    groups.push(((0xffff << (16 - bits)) & 0xffff).toString(16));
  }
  return groups.join(':');
}

function clientKey(spec: ServiceSpec): string {
  const mask = maskFor(spec);
  const saddr = `${ipKw(spec.key.family)} saddr`;
  return mask ? `${saddr} & ${mask}` : saddr;
}

function isDr(s: ServiceState): boolean {
  return s.dests.some((d) => d.forwarding === 'dr');
}

function validate(s: ServiceState, ctx: NftContext): void {
  const where = describeKey(s.key);
  for (const d of s.dests) {
    const ok = s.key.family === 6 ? isIPv6(d.address) : isIPv4(d.address);
    if (!ok) throw new RenderError(`${where}: real server ${d.address} is not IPv${s.key.family}`);
    if (d.forwarding === 'tun') {
      throw new RenderError(
        `${where}: real server ${d.address}: the nft engine has no tunnel (TUN) forwarding`,
      );
    }
  }
  if (!isDr(s)) return;
  if (s.dests.some((d) => d.forwarding !== 'dr')) {
    throw new RenderError(`${where}: the nft engine cannot mix DR with NAT real servers in one service`);
  }
  if (s.key.kind === 'fwmark') {
    throw new RenderError(
      `${where}: the nft engine cannot direct-route fwmark services (marks are set after ingress)`,
    );
  }
  if (!ctx.dr) throw new RenderError(`${where}: DR needs the director interface (dr context)`);
  for (const d of s.dests) {
    if (d.port !== 0 && d.port !== s.key.port) {
      throw new RenderError(`${where}: DR real server ${d.address} must use the service port`);
    }
    if (!ctx.macs?.get(d.address)) {
      throw new RenderError(`${where}: no MAC address known for DR real server ${d.address}`);
    }
  }
}

/**
 * A NAT service without persistence whose servers share one forwarding and port style is rendered
 * in its own chain alone (one DNAT through a slot map, then one unreachable comment rule per server
 * carrying its spec). Chains are what make nft's transactions slow on big tables (every `nft -f`
 * fetches them all), so this keeps a 1,000-service table cheap to change.
 */
export function isCompact(s: ServiceState): boolean {
  if (isDr(s) || s.persistenceTimeout !== undefined || s.dests.length === 0) return false;
  const f = s.dests[0]?.forwarding;
  const keepPort = s.dests[0]?.port === 0;
  return s.dests.every((d) => d.forwarding === f && (d.port === 0) === keepPort);
}

/** `tcp dnat ip to` plus the address (and port) form for a slot map's data. */
function dnatHead(s: ServiceState): { head: string; target: (d: DestSpec) => string } {
  const ip = ipKw(s.key.family);
  const keepPort = s.dests[0]?.port === 0;
  const proto = keepPort
    ? ''
    : s.key.kind === 'addr'
      ? `meta l4proto ${s.key.protocol} `
      : 'meta l4proto { tcp, udp, sctp } ';
  const head = keepPort ? `dnat ${ip} to` : `${proto}dnat ${ip} addr . port to`;
  return { head, target: (d) => (keepPort ? d.address : `${d.address} . ${d.port}`) };
}

function destRule(s: ServiceState, d: DestSpec, ctx: NftContext): string {
  const fam = s.key.family;
  const ip = ipKw(fam);
  const parts = ['counter'];
  if (s.persistenceTimeout !== undefined) {
    parts.push(`update @${persistSet(s.key, d)} { ${clientKey(s)} timeout ${s.persistenceTimeout}s }`);
  }
  if (d.forwarding === 'dr') {
    parts.push(
      `ether saddr set ${ctx.dr?.mac ?? ''} ether daddr set ${ctx.macs?.get(d.address) ?? ''}`,
      `fwd to "${ctx.dr?.ifname ?? ''}"`,
    );
  } else {
    if (d.forwarding === 'fullnat') parts.push(`ct label set ${ctx.fullnat?.label ?? DEFAULT_FULLNAT_LABEL}`);
    const a = fam === 6 ? `[${d.address}]` : d.address;
    if (d.port === 0) parts.push(`dnat ${ip} to ${a}`);
    else if (s.key.kind === 'addr') parts.push(`meta l4proto ${s.key.protocol} dnat ${ip} to ${a}:${d.port}`);
    else parts.push(`meta l4proto { tcp, udp, sctp } dnat ${ip} to ${a}:${d.port}`);
  }
  return `${parts.join(' ')} comment "${encodeDest(d)}"`;
}

/** The service chain's rules: persistence lookups, then the scheduler's slot vmap. */
function serviceRules(s: ServiceState, ctx: NftContext): string[] {
  const fam = s.key.family;
  const ip = ipKw(fam);
  const rules: string[] = [];
  if (s.persistenceTimeout !== undefined) {
    for (const d of s.dests)
      rules.push(`${clientKey(s)} @${persistSet(s.key, d)} goto ${destChain(s.key, d)}`);
  }
  const weights = s.dests.map((d) => d.weight);
  const targets = s.dests.map((d) => destChain(s.key, d));
  const comment = `comment "${encodeService(s)}"`;
  const compact = isCompact(s);
  // Compact: the dispatch rule always ends evaluation, so the servers' comment rules never run.
  const trailer = compact ? s.dests.map((d) => `continue comment "${encodeDest(d)}"`) : [];
  if (!weights.some((w) => w > 0)) {
    rules.push(`drop ${comment}`, ...trailer);
    return rules;
  }
  if (compact && s.dests[0]?.forwarding === 'fullnat') {
    rules.push(`ct label set ${ctx.fullnat?.label ?? DEFAULT_FULLNAT_LABEL}`);
  }
  const names = s.dests.map((d) => `${d.address}:${d.port}`);
  const port = s.flags.port ? ` . th sport` : '';
  let expr: string;
  let slots: number[];
  const sched = s.scheduler;
  if (isDr(s)) {
    // No conntrack on this path: each flow must hash to the same server for its whole life.
    const by =
      sched === 'dh' ? `${ip} daddr` : sched === 'sh' ? `${ip} saddr${port}` : `${ip} saddr . th sport`;
    slots = maglevTable(names, weights);
    expr = `jhash ${by} mod ${slots.length} seed ${JHASH_SEED}`;
  } else if (sched === 'rr' || sched === 'wrr') {
    const w = sched === 'rr' ? weights.map((x) => (x > 0 ? 1 : 0)) : weights;
    const period = w.reduce((a, b) => a + b, 0) / w.filter((x) => x > 0).reduce(gcd);
    slots = period <= WRR_MAX_PERIOD ? wrrSequence(w) : proportionalSlots(w);
    expr = `numgen inc mod ${slots.length}`;
  } else if (sched === 'sh' || sched === 'dh' || sched === 'lblc' || sched === 'lblcr') {
    const by = sched === 'sh' ? `${ip} saddr${port}` : `${ip} daddr`;
    slots = proportionalSlots(weights);
    expr = `jhash ${by} mod ${slots.length} seed ${JHASH_SEED}`;
  } else if (sched === 'mh') {
    slots = maglevTable(names, weights);
    expr = `jhash ${ip} saddr${port} mod ${slots.length} seed ${JHASH_SEED}`;
  } else if (sched === 'fo') {
    const max = Math.max(...weights);
    slots = [weights.indexOf(max)];
    expr = '';
  } else {
    slots = proportionalSlots(weights);
    expr = `numgen random mod ${slots.length}`;
  }
  if (compact) {
    const { head, target } = dnatHead(s);
    const one = s.dests[slots[0] ?? 0];
    if (slots.length === 1 && one) {
      rules.push(
        `${head.replace(' addr . port to', ' to')} ${s.key.family === 6 ? `[${one.address}]` : one.address}${one.port ? `:${one.port}` : ''} ${comment}`,
      );
    } else {
      const data = s.dests.map((d) => target(d));
      rules.push(`${head} ${expr} map ${slotMap(slots, data)} ${comment}`);
    }
    rules.push(...trailer);
    return rules;
  }
  if (slots.length === 1) rules.push(`goto ${targets[slots[0] ?? 0] ?? ''} ${comment}`);
  else rules.push(`${expr} vmap ${slotVmap(slots, targets)} ${comment}`);
  return rules;
}

function tableOf(s: ServiceState, ctx: NftContext): string {
  return isDr(s) ? `netdev ${drTable(ctx.dr?.ifname ?? '')}` : `inet ${ctx.table ?? INET_TABLE}`;
}

function dispatchElement(key: ServiceKey): { map: string; elem: string } {
  if (key.kind === 'fwmark') return { map: `mark${key.family}`, elem: `${key.fwmark}` };
  return { map: `svc${key.family}`, elem: `${key.address} . ${key.protocol} . ${key.port}` };
}

// ---------- transactions ----------

/** Creates the tables, maps and hook chains if missing and (re)writes their fixed rules. */
export function renderBase(ctx: NftContext): string {
  const t = `inet ${ctx.table ?? INET_TABLE}`;
  const out: string[] = [`add table ${t}`];
  out.push(...maps(t));
  for (const [name, hook, prio] of [
    ['prerouting', 'prerouting', -100],
    ['output', 'output', -100],
  ] as const) {
    out.push(`add chain ${t} ${name} { type nat hook ${hook} priority ${prio}; policy accept; }`);
    out.push(`flush chain ${t} ${name}`);
    out.push(...dispatchRules(t, name));
  }
  out.push(`add chain ${t} postrouting { type nat hook postrouting priority 100; policy accept; }`);
  out.push(`flush chain ${t} postrouting`);
  // Connections per real server (first packet of each DNATed connection) for stats().
  for (const fam of [4, 6] as const) {
    const type = fam === 4 ? 'ipv4_addr' : 'ipv6_addr';
    out.push(
      `add set ${t} conns${fam} { type ${type} . inet_service; flags dynamic; counter; size 1048576; }`,
    );
    out.push(
      `add rule ${t} postrouting meta nfproto ipv${fam} ct status dnat update @conns${fam} { ${ipKw(fam)} daddr . th dport }`,
    );
  }
  const label = ctx.fullnat?.label ?? DEFAULT_FULLNAT_LABEL;
  const range = ctx.fullnat?.ports ? `:${ctx.fullnat.ports[0]}-${ctx.fullnat.ports[1]}` : '';
  for (const fam of [4, 6] as const) {
    const src = fam === 4 ? ctx.fullnat?.address4 : ctx.fullnat?.address6;
    const ip = ipKw(fam);
    const to = src
      ? `snat ${ip} to ${fam === 6 ? `[${src}]` : src}${range}`
      : `masquerade${range ? ` to ${range}` : ''}`;
    out.push(
      `add rule ${t} postrouting meta nfproto ipv${fam} ct label ${label} meta l4proto { tcp, udp, sctp } ${to}`,
    );
  }
  if (ctx.dr) {
    const d = `netdev ${drTable(ctx.dr.ifname)}`;
    out.push(`add table ${d}`, ...maps(d).filter((m) => !m.includes(' mark')));
    out.push(
      `add chain ${d} ingress { type filter hook ingress device "${ctx.dr.ifname}" priority -500; policy accept; }`,
    );
    out.push(`flush chain ${d} ingress`);
    // Only frames sent to this director's MAC: ingress also sees unicast the bridge floods (a
    // dead master's MAC still in the client's ARP cache), which a backup must not forward.
    out.push(`add rule ${d} ingress meta pkttype host ip daddr . meta l4proto . th dport vmap @svc4`);
    out.push(`add rule ${d} ingress meta pkttype host ip6 daddr . meta l4proto . th dport vmap @svc6`);
  }
  return out.join('\n') + '\n';
}

function maps(t: string): string[] {
  return [
    `add map ${t} svc4 { type ipv4_addr . inet_proto . inet_service : verdict; }`,
    `add map ${t} svc6 { type ipv6_addr . inet_proto . inet_service : verdict; }`,
    `add map ${t} mark4 { type mark : verdict; }`,
    `add map ${t} mark6 { type mark : verdict; }`,
  ];
}

function dispatchRules(t: string, chain: string): string[] {
  return [
    `add rule ${t} ${chain} ip daddr . meta l4proto . th dport vmap @svc4`,
    `add rule ${t} ${chain} ip6 daddr . meta l4proto . th dport vmap @svc6`,
    `add rule ${t} ${chain} meta nfproto ipv4 meta mark vmap @mark4`,
    `add rule ${t} ${chain} meta nfproto ipv6 meta mark vmap @mark6`,
  ];
}

function sameDest(a: DestSpec, b: DestSpec): boolean {
  return encodeDest(a) === encodeDest(b);
}

function samePersistence(a: ServiceSpec, b: ServiceSpec): boolean {
  return a.persistenceTimeout === b.persistenceTimeout && a.persistenceNetmask === b.persistenceNetmask;
}

const destId = (d: { address: string; port: number }): string => `${d.address}|${d.port}`;

/**
 * The commands that turn one service from `before` into `after` (either may be absent), touching
 * nothing else. Objects are removed only after the rules that reference them.
 */
export function renderServiceChange(
  before: ServiceState | undefined,
  after: ServiceState | undefined,
  ctx: NftContext,
): string[] {
  if (after) validate(after, ctx);
  // A service changing table (NAT <-> DR) is a removal then an addition.
  if (before && after && tableOf(before, ctx) !== tableOf(after, ctx)) {
    return [...renderServiceChange(before, undefined, ctx), ...renderServiceChange(undefined, after, ctx)];
  }
  const out: string[] = [];
  const ref = after ?? before;
  if (!ref) return out;
  const t = tableOf(ref, ctx);
  const key = ref.key;
  const svc = serviceChain(key);
  const { map, elem } = dispatchElement(key);
  const setType = key.family === 6 ? 'ipv6_addr' : 'ipv4_addr';
  const addSet = (d: DestSpec): string =>
    `add set ${t} ${persistSet(key, d)} { type ${setType}; size 1048576; flags timeout; }`;

  // Servers with their own chain (compact services have none).
  const chained = (x: ServiceState | undefined): DestSpec[] => (x && !isCompact(x) ? x.dests : []);
  if (before) {
    if (!after) out.push(`delete element ${t} ${map} { ${elem} }`);
    out.push(`flush chain ${t} ${svc}`);
    const kept = new Map(chained(after).map((d) => [destId(d), d]));
    const persistKept = after !== undefined && samePersistence(before, after);
    for (const d of chained(before)) {
      const next = kept.get(destId(d));
      if (next && persistKept && sameDest(d, next)) continue;
      out.push(`flush chain ${t} ${destChain(key, d)}`);
      if (!next) out.push(`delete chain ${t} ${destChain(key, d)}`);
      if (before.persistenceTimeout !== undefined && (!next || after?.persistenceTimeout === undefined)) {
        out.push(`delete set ${t} ${persistSet(key, d)}`);
      }
    }
    if (!after) {
      out.push(`delete chain ${t} ${svc}`);
      return out;
    }
  }
  if (!after) return out;
  const old = new Map(chained(before).map((d) => [destId(d), d]));
  const persistKept = before !== undefined && samePersistence(before, after);
  if (!before) out.push(`add chain ${t} ${svc}`);
  for (const d of chained(after)) {
    const prev = old.get(destId(d));
    if (prev && persistKept && sameDest(d, prev)) continue;
    if (!prev) out.push(`add chain ${t} ${destChain(key, d)}`);
    if (after.persistenceTimeout !== undefined && (!prev || before?.persistenceTimeout === undefined)) {
      out.push(addSet(d));
    } else if (
      prev &&
      after.persistenceTimeout !== undefined &&
      after.persistenceNetmask !== before?.persistenceNetmask
    ) {
      // Entries keyed by the old granularity would never match again.
      out.push(`flush set ${t} ${persistSet(key, d)}`);
    }
    out.push(`add rule ${t} ${destChain(key, d)} ${destRule(after, d, ctx)}`);
  }
  for (const r of serviceRules(after, ctx)) out.push(`add rule ${t} ${svc} ${r}`);
  if (!before) out.push(`add element ${t} ${map} { ${elem} : goto ${svc} }`);
  return out;
}

/** A whole desired state as one transaction: the base, then every service added. */
export function renderFull(services: ServiceState[], ctx: NftContext): string {
  const lines = [renderBase(ctx).trimEnd()];
  for (const s of services) lines.push(...renderServiceChange(undefined, s, ctx));
  return lines.join('\n') + '\n';
}

/** Removes everything vigil created. */
export function renderTeardown(ctx: NftContext): string {
  const out = [`delete table inet ${ctx.table ?? INET_TABLE}`];
  if (ctx.dr) out.push(`delete table netdev ${drTable(ctx.dr.ifname)}`);
  return out.join('\n') + '\n';
}
