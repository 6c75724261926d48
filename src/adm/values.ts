// ipvsadm's value parsers: numbers as strtol reads them, timeouts, marks, `host[:port]` /
// `[v6]:port` endpoints (names through an injected AdmNames), scheduler flags. Errors end parsing
// through fail(), worded as ipvsadm's.
import type { AdmService } from './types.js';
import type { Family, Protocol } from '../dataplane/engine.js';
import { canonicalIpv6, inetAton, ipv4Text } from './inet.js';
import type { AdmNames } from './names.js';
import { fail } from './legality.js';

/** IPVS's default persistence timeout when -p has no value (IPVS_SVC_PERSISTENT_TIMEOUT). */
export const DEFAULT_PERSISTENCE = 360;
export const MAX_TIMEOUT = 86400 * 31;
export const INT_MAX = 2147483647;

/** strtol base 10 over the whole string (leading blanks and a sign allowed), within [min, max]. */
export function stringToNumber(s: string, min: number, max: number): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

export function parseTimeout(s: string | undefined, min: number, max: number): number {
  if (s === undefined) return DEFAULT_PERSISTENCE;
  const n = stringToNumber(s, min, max);
  return n ?? fail(`invalid timeout value \`${s}' specified`);
}

export function parseFwmark(s: string): number {
  const n = stringToNumber(s, 1, 0xffffffff);
  return n ?? fail(`invalid fwmark value \`${s}' specified`);
}

export interface Endpoint {
  family: Family;
  address: string;
  port?: number;
}

/** parse_service: host[:port], [v6]:port or a bare v6 address; undefined when illegal. */
export function parseEndpoint(text: string, protocol: Protocol, names: AdmNames): Endpoint | undefined {
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

export function parseSchedFlags(sched: string, text: string): AdmService['flags'] {
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

export function isMulticast4(v: number): boolean {
  return v >>> 28 === 0xe;
}
