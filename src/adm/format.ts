// ipvsadm 1.31's output, byte for byte: -L (and --stats, --rate, --thresholds, --persistent-conn,
// --tun-info, --exact, --nosort), -S, -c, --timeout, --daemon; services and servers sorted with
// libipvs's comparisons (including their 32-bit wrap-around, so 200.0.0.1 lists before 10.0.0.1
// exactly as ipvsadm lists it) through glibc's merge sort. Without -n, ports are shown by their
// /etc/services name and IPv4 addresses by their /etc/hosts name; there is no reverse DNS, so other
// addresses stay numeric. Pure.
import type { Counters, ServiceKey, ServiceStats } from '../dataplane/engine.js';
import type { Rates } from '../lvs/rates.js';
import { destId, serviceId } from '../dataplane/keys.js';
import type { ListFormat } from './args.js';
import { addressWords } from './inet.js';
import type { AdmNames, NameProtocol } from './names.js';
import type { AdmConnection, AdmDest, AdmServiceState, AdmTable, SyncDaemonSpec, Timeouts } from './types.js';

export const IPVS_VERSION = '1.2.1';
export const IPVS_TABLE_SIZE = 4096;

/** Per service and server figures; persistConns and rates are optional extras. */
export interface AdmStats extends ServiceStats {
  rates?: Rates;
  dests: (ServiceStats['dests'][number] & { persistConns?: number; rates?: Rates })[];
}

export interface ListInput {
  table: AdmTable;
  stats?: AdmStats[];
  names: AdmNames;
}

const ZERO: Counters = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
const NO_RATES: Rates = { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };

const int32 = (n: number): number => n | 0;

/** glibc's qsort (msort): a top-down merge sort, taking the left element on ties. */
function msort<T>(items: T[], cmp: (a: T, b: T) => number): T[] {
  if (items.length <= 1) return items;
  const n1 = items.length >> 1;
  const a = msort(items.slice(0, n1), cmp);
  const b = msort(items.slice(n1), cmp);
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(cmp(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!);
  return out.concat(a.slice(i), b.slice(j));
}

const PROTO_NUM = { tcp: 6, udp: 17, sctp: 132 } as const;

function cmpWords(a: string, b: string, v6: boolean): number {
  const wa = addressWords(a);
  const wb = addressWords(b);
  let r = 0;
  for (let i = 0; !r && i < (v6 ? 4 : 1); i++) r = int32(wa[i]! - wb[i]!);
  return r;
}

/** libipvs ipvs_cmp_services. */
function cmpServices(a: AdmServiceState, b: AdmServiceState): number {
  const fw = (s: AdmServiceState) => (s.key.kind === 'fwmark' ? s.key.fwmark : 0);
  let r = int32(fw(a) - fw(b));
  if (r) return r;
  const af = (s: AdmServiceState) => (s.key.family === 6 ? 10 : 2);
  r = af(a) - af(b);
  if (r) return r;
  const proto = (s: AdmServiceState) => (s.key.kind === 'addr' ? PROTO_NUM[s.key.protocol] : 6);
  r = proto(a) - proto(b);
  if (r) return r;
  if (a.key.kind !== 'addr' || b.key.kind !== 'addr') return 0;
  r = cmpWords(a.key.address, b.key.address, a.key.family === 6);
  if (r) return r;
  return a.key.port - b.key.port;
}

/** libipvs ipvs_cmp_dests. */
function cmpDests(a: AdmDest, b: AdmDest): number {
  const r = cmpWords(a.address, b.address, a.address.includes(':'));
  return r || a.port - b.port;
}

function protocolOf(key: ServiceKey): NameProtocol {
  return key.kind === 'addr' ? key.protocol : 'tcp';
}

function addrPort(
  address: string,
  port: number,
  proto: NameProtocol,
  numeric: boolean,
  names: AdmNames,
): string {
  const host = address.includes(':')
    ? `[${address}]`
    : numeric
      ? address
      : (names.hostName(address) ?? address);
  const p = numeric ? String(port) : (names.portName(port, proto) ?? String(port));
  return `${host}:${p}`;
}

function largenum(i: number, exact: boolean): string {
  if (exact) {
    const s = String(i);
    return s.padStart(s.length <= 8 ? 9 : s.length + 1);
  }
  if (i < 1e8) return String(i).padStart(9);
  if (i < 1e9) return `${String(Math.floor(i / 1e3)).padStart(8)}K`;
  if (i < 1e11) return `${String(Math.floor(i / 1e6)).padStart(8)}M`;
  if (i < 1e14) return `${String(Math.floor(i / 1e9)).padStart(8)}G`;
  return `${String(Math.floor(i / 1e12)).padStart(8)}T`;
}

function schedFlags(s: AdmServiceState): string {
  const f = s.flags as AdmServiceState['flags'];
  const prefix = s.scheduler === 'sh' || s.scheduler === 'mh' ? `${s.scheduler}-` : '';
  const out: string[] = [];
  if (f.fallback) out.push(prefix ? `${prefix}fallback` : 'flag-1');
  if (f.port) out.push(prefix ? `${prefix}port` : 'flag-2');
  if (f.flag3) out.push('flag-3');
  return out.join(',');
}

function maskText(s: AdmServiceState): string | undefined {
  const m = s.persistenceNetmask;
  if (m === undefined) return undefined;
  if (s.key.family === 6) return m === '128' ? undefined : m;
  return m === '255.255.255.255' ? undefined : m;
}

const FWD_NAME = { nat: 'Masq', dr: 'Route', tun: 'Tunnel', fullnat: 'FullNat' } as const;
const FWD_SWITCH = { nat: '-m', dr: '-g', tun: '-i', fullnat: '-m' } as const;
const TUN_FLAG_SYM = { nocsum: '-c', csum: '+c', remcsum: 'r+c' } as const;

function tunInfo(d: AdmDest): string {
  if (d.forwarding !== 'tun') return 'n/a';
  const type = d.tunnelType ?? 'ipip';
  const sym = TUN_FLAG_SYM[d.tunnelFlags ?? 'nocsum'];
  if (type === 'gue') return `gue:${d.tunnelPort ?? 0}:${sym}`;
  if (type === 'gre') return `gre:${sym}`;
  return 'ipip';
}

function title(f: ListFormat): string {
  const head = 'Prot LocalAddress:Port'.padEnd(33);
  const cols = (names: string[], w: number, right: boolean) =>
    names.map((n) => (right ? n.padStart(w) : n.padEnd(w))).join(' ');
  if (f.stats)
    return `${head} ${cols(['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'], 8, true)}\n  -> RemoteAddress:Port\n`;
  if (f.rate)
    return `${head} ${cols(['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'], 8, true)}\n  -> RemoteAddress:Port\n`;
  if (f.thresholds)
    return `${head} ${cols(['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'], 10, false)}\n  -> RemoteAddress:Port\n`;
  if (f.persistentConn)
    return `${head} ${'Weight'.padEnd(9)} ${'PersistConn'.padEnd(11)} ${'ActiveConn'.padEnd(10)} ${'InActConn'.padEnd(10)}\n  -> RemoteAddress:Port\n`;
  if (f.tunInfo)
    return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
  return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
}

function ordered(table: AdmTable, nosort: boolean): AdmServiceState[] {
  const services = table as AdmServiceState[];
  return nosort ? services : msort([...services], cmpServices);
}

function orderedDests(s: AdmServiceState, nosort: boolean): AdmDest[] {
  // The kernel lists a service's servers newest first.
  return nosort ? [...s.dests].reverse() : msort([...s.dests], cmpDests);
}

function serviceEntry(s: AdmServiceState, f: ListFormat, input: ListInput, rule: boolean): string {
  const { names } = input;
  const proto = protocolOf(s.key);
  let name: string;
  if (s.key.kind === 'fwmark') {
    const mark = int32(s.key.fwmark);
    name = rule
      ? `-f ${mark}${s.key.family === 6 ? ' -6' : ''}`
      : `FWM  ${mark}${s.key.family === 6 ? ' IPv6' : ''}`;
  } else {
    const vname = addrPort(s.key.address, s.key.port, proto, f.numeric, names);
    if (rule) name = `${{ tcp: '-t', udp: '-u', sctp: '--sctp-service' }[s.key.protocol]} ${vname}`;
    else {
      name = `${s.key.protocol.toUpperCase().padEnd(4)} ${vname}`;
      if (s.key.family !== 6) name = name.slice(0, 33);
    }
  }
  const st = input.stats?.find((x) => serviceId(x.key) === serviceId(s.key));
  const persistent = (s.persistenceTimeout ?? 0) > 0;
  const mask = maskText(s);
  const flags = schedFlags(s);
  let line: string;
  if (rule) {
    line = `-A ${name} -s ${s.scheduler}`;
    if (persistent) line += ` -p ${s.persistenceTimeout}` + (mask ? ` -M ${mask}` : '');
    if (s.pe) line += ` --pe ${s.pe}`;
    if (s.flags.ops) line += ' -o';
    if (flags) line += ` -b ${flags}`;
  } else if (f.stats) {
    const c = st?.counters ?? ZERO;
    line =
      name.padEnd(33) +
      [c.conns, c.inPkts, c.outPkts, c.inBytes, c.outBytes].map((n) => largenum(n, f.exact)).join('');
  } else if (f.rate) {
    const r = st?.rates ?? NO_RATES;
    line =
      name.padEnd(33) +
      [r.cps, r.inPps, r.outPps, r.inBps, r.outBps].map((n) => largenum(n, f.exact)).join('');
  } else {
    line = `${name} ${s.scheduler}`;
    if (flags) line += ` (${flags})`;
    if (persistent) {
      line += ` persistent ${s.persistenceTimeout}`;
      if (mask) line += ` mask ${mask}`;
      if (s.pe) line += ` pe ${s.pe}`;
    }
    if (s.flags.ops) line += ' ops';
  }
  const out = [line];
  for (const d of orderedDests(s, f.nosort)) {
    let dname = addrPort(d.address, d.port, proto, f.numeric, names);
    const v6 = d.address.includes(':');
    if (!rule && !v6) dname = dname.slice(0, 28);
    const ds = st?.dests.find((x) => destId(x) === destId(d));
    const active = ds?.activeConns ?? 0;
    const inactive = ds?.inactiveConns ?? 0;
    if (rule) {
      let l = `-a ${name} -r ${dname} ${FWD_SWITCH[d.forwarding]} -w ${d.weight}`;
      if (d.forwarding === 'tun') {
        const type = d.tunnelType ?? 'ipip';
        l += ` --tun-type ${type}`;
        if (type === 'gue') l += ` --tun-port ${d.tunnelPort ?? 0}`;
        if (type !== 'ipip') l += ` --tun-${d.tunnelFlags ?? 'nocsum'}`;
      }
      out.push(l);
    } else if (f.stats) {
      const c = ds?.counters ?? ZERO;
      out.push(
        `  -> ${dname.padEnd(28)}` +
          [c.conns, c.inPkts, c.outPkts, c.inBytes, c.outBytes].map((n) => largenum(n, f.exact)).join(''),
      );
    } else if (f.rate) {
      const r = ds?.rates ?? NO_RATES;
      out.push(
        `  -> ${dname.padEnd(28)} ${[r.cps, r.inPps, r.outPps].map((n) => String(n).padStart(8)).join(' ')}` +
          largenum(r.inBps, f.exact) +
          largenum(r.outBps, f.exact),
      );
    } else if (f.thresholds) {
      out.push(
        `  -> ${dname.padEnd(28)} ${[d.upperThreshold, d.lowerThreshold, active, inactive].map((n) => String(n).padEnd(10)).join(' ')}`,
      );
    } else if (f.persistentConn) {
      out.push(
        `  -> ${dname.padEnd(28)} ${String(d.weight).padEnd(9)} ${String(ds?.persistConns ?? 0).padEnd(11)} ${String(active).padEnd(10)} ${String(inactive).padEnd(10)}`,
      );
    } else if (f.tunInfo) {
      out.push(
        `  -> ${dname.padEnd(28)} ${FWD_NAME[d.forwarding].padEnd(7)} ${tunInfo(d).padEnd(13)} ${String(d.weight).padEnd(6)} ${String(active).padEnd(10)} ${String(inactive).padEnd(10)}`,
      );
    } else {
      out.push(
        `  -> ${dname.padEnd(28)} ${FWD_NAME[d.forwarding].padEnd(7)} ${String(d.weight).padEnd(6)} ${String(active).padEnd(10)} ${String(inactive).padEnd(10)}`,
      );
    }
  }
  return out.join('\n') + '\n';
}

/** `ipvsadm -L` (all services, with the version header). */
export function formatList(input: ListInput, f: ListFormat): string {
  let out = `IP Virtual Server version ${IPVS_VERSION} (size=${IPVS_TABLE_SIZE})\n` + title(f);
  for (const s of ordered(input.table, f.nosort)) out += serviceEntry(s, f, input, false);
  return out;
}

/** `ipvsadm -L -t …`: one service, no version header; undefined when there is no such service. */
export function formatListService(input: ListInput, key: ServiceKey, f: ListFormat): string | undefined {
  const s = (input.table as AdmServiceState[]).find((x) => serviceId(x.key) === serviceId(key));
  if (!s) return undefined;
  return title(f) + serviceEntry(s, f, input, false);
}

/** `ipvsadm -S [-n]`: lines `ipvsadm -R` restores. */
export function formatSave(input: ListInput, numeric: boolean): string {
  const f: ListFormat = {
    numeric,
    stats: false,
    rate: false,
    thresholds: false,
    persistentConn: false,
    nosort: false,
    exact: false,
    tunInfo: false,
  };
  return ordered(input.table, false)
    .map((s) => serviceEntry(s, f, input, true))
    .join('');
}

export function formatTimeout(t: Timeouts): string {
  return `Timeout (tcp tcpfin udp): ${t.tcp} ${t.tcpfin} ${t.udp}\n`;
}

export function formatDaemons(daemons: readonly SyncDaemonSpec[]): string {
  return [...daemons]
    .sort((a, b) => (a.state === b.state ? 0 : a.state === 'master' ? -1 : 1))
    .map((d) => {
      let l = `${d.state} sync daemon (mcast=${d.mcastInterface}, syncid=${d.syncid}`;
      if (d.syncMaxlen) l += `, maxlen=${d.syncMaxlen}`;
      if (d.mcastGroup) l += `, group=${d.mcastGroup}`;
      if (d.mcastPort) l += `, port=${d.mcastPort}`;
      if (d.mcastTtl) l += `, ttl=${d.mcastTtl}`;
      return l + ')\n';
    })
    .join('');
}

/** `ipvsadm -L -c [--persistent-conn]`. */
export function formatConnections(conns: readonly AdmConnection[], f: ListFormat, names: AdmNames): string {
  let out = 'IPVS connection entries\n';
  out += f.persistentConn
    ? `pro expire ${'state'.padEnd(11)} ${'source'.padEnd(18)} ${'virtual'.padEnd(18)} ${'destination'.padEnd(18)} ${'pe name'.padEnd(16)} pe_data\n`
    : `pro expire ${'state'.padEnd(11)} ${'source'.padEnd(18)} ${'virtual'.padEnd(18)} destination\n`;
  for (const c of conns) {
    const secs = Math.max(0, Math.floor(c.expiresMs / 1000));
    const expire = `${String(Math.floor(secs / 60)).padStart(2, '0')}:${String(secs % 60).padStart(2, '0')}`;
    const name = (a: string, p: number) => addrPort(a, p, c.protocol, f.numeric, names);
    const cols = [
      c.protocol.toUpperCase().padEnd(3),
      expire.padEnd(6),
      c.state.padEnd(11),
      name(c.client, c.clientPort).padEnd(18),
      name(c.virtual, c.virtualPort).padEnd(18),
    ];
    const dest = name(c.dest, c.destPort);
    out +=
      f.persistentConn && c.peName !== undefined
        ? `${cols.join(' ')} ${dest.padEnd(16)} ${c.peName.padEnd(18)} ${c.peData ?? ''}\n`
        : `${cols.join(' ')} ${dest}\n`;
  }
  return out;
}
