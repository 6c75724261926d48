// keepalived's virtual_routes over rtnetlink: routes added on becoming master and removed on
// leaving it. Marked with keepalived's routing protocol number (18, "proto keepalived" in
// `ip route`) so an operator sees who owns them. Idempotent like the VIPs.
import { FlagsNew, type RtNetlinkSocket, type rt } from 'netlink';
import { SCOPES } from './addresses.js';
import { ipFamily, ipToBytes, parseCidr } from '../base/inet.js';
import { serial } from './link.js';

export const RTPROT_KEEPALIVED = 18;
const RT_TABLE_MAIN = 254;
const RT_TABLE_COMPAT = 252;

export type RouteKind = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw';
const KIND_NUMBER: Record<RouteKind, number> = {
  unicast: 1,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
  throw: 9,
};
export interface RouteSpec {
  /** Destination: ADDR/PREFIX, ADDR (a host route) or 'default' with `family`. */
  to: string;
  family?: 4 | 6;
  via?: string;
  dev?: string;
  /** Preferred source address. */
  src?: string;
  table?: number;
  metric?: number;
  scope?: string | number;
  kind?: RouteKind;
  /** Routing protocol number; keepalived's (18) by default. */
  protocol?: number;
  tos?: number;
}

export class RouteError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

function describe(s: RouteSpec): string {
  const parts = [s.kind && s.kind !== 'unicast' ? s.kind : '', s.to];
  if (s.via) parts.push(`via ${s.via}`);
  if (s.dev) parts.push(`dev ${s.dev}`);
  if (s.table !== undefined) parts.push(`table ${s.table}`);
  return parts.filter(Boolean).join(' ');
}

interface Encoded {
  data: Parameters<RtNetlinkSocket['newRoute']>[0];
  attrs: NonNullable<Parameters<RtNetlinkSocket['newRoute']>[1]>;
}

async function encode(rtnl: RtNetlinkSocket, s: RouteSpec): Promise<Encoded> {
  const what = describe(s);
  const bad = (why: string): RouteError => new RouteError(`route ${what}: ${why}`, 'EINVAL');
  let family: 4 | 6;
  let dst: Buffer | undefined;
  let dstLen: number;
  if (s.to === 'default') {
    family = s.family ?? (s.via ? ipFamily(s.via) : 4);
    dstLen = 0;
  } else {
    let c;
    try {
      c = parseCidr(s.to);
    } catch (e) {
      throw bad((e as Error).message);
    }
    family = c.family;
    dst = ipToBytes(c.address);
    dstLen = c.prefix;
  }
  const attrs: Encoded['attrs'] = {};
  if (dst && dstLen > 0) attrs.dst = dst;
  const kind = s.kind ?? 'unicast';
  if (kind !== 'unicast' && (s.via || s.dev)) throw bad(`a ${kind} route takes neither via nor dev`);
  if (s.via) {
    if (ipFamily(s.via) !== family) throw bad(`gateway ${s.via} is not IPv${family}`);
    attrs.gateway = ipToBytes(s.via);
  }
  if (s.src) {
    if (ipFamily(s.src) !== family) throw bad(`source ${s.src} is not IPv${family}`);
    attrs.prefsrc = ipToBytes(s.src);
  }
  if (s.dev) {
    const links = await serial(rtnl, () => rtnl.getLinks());
    const index = links.find((l) => l.attrs.ifname === s.dev)?.data.index;
    if (index === undefined) throw new RouteError(`route ${what}: no interface named '${s.dev}'`, 'ENODEV');
    attrs.oif = index;
  }
  if (kind === 'unicast' && !s.via && !s.dev) throw bad('needs via or dev');
  if (s.metric !== undefined) {
    if (!Number.isInteger(s.metric) || s.metric < 0 || s.metric > 0xffffffff)
      throw bad(`bad metric ${s.metric}`);
    attrs.priority = s.metric;
  }
  const table = s.table ?? RT_TABLE_MAIN;
  if (!Number.isInteger(table) || table < 1 || table > 0xffffffff) throw bad(`bad table ${table}`);
  if (table > 255) attrs.table = table;
  let scope: number;
  if (s.scope === undefined) {
    // As `ip route` decides: a directly connected unicast route is link scope.
    scope = kind === 'unicast' && !s.via && family === 4 ? SCOPES.link! : 0;
  } else {
    scope = typeof s.scope === 'number' ? s.scope : (SCOPES[s.scope] ?? Number.NaN);
    if (!(scope >= 0 && scope <= 255)) throw bad(`unknown scope '${s.scope}'`);
  }
  return {
    data: {
      family: family === 4 ? 2 : 10,
      dstLen,
      table: table > 255 ? RT_TABLE_COMPAT : table,
      protocol: (s.protocol ?? RTPROT_KEEPALIVED) as rt.RouteProtocol, // 18 is not in npm netlink's enum
      ...(s.tos !== undefined ? { tos: s.tos } : {}),
      scope,
      type: KIND_NUMBER[kind],
    },
    attrs,
  };
}

function codeOf(e: unknown): string {
  return /Request rejected: (\w+)/.exec(e instanceof Error ? e.message : '')?.[1] ?? 'EUNKNOWN';
}

/** Adds a route; 'present' when an identical one exists. */
export async function addRoute(rtnl: RtNetlinkSocket, spec: RouteSpec): Promise<'added' | 'present'> {
  const { data, attrs } = await encode(rtnl, spec);
  try {
    await serial(rtnl, () => rtnl.newRoute(data, attrs, { flags: FlagsNew.CREATE | FlagsNew.EXCL }));
    return 'added';
  } catch (e) {
    const code = codeOf(e);
    if (code === 'EEXIST') return 'present';
    throw new RouteError(`adding route ${describe(spec)}: ${code}`, code);
  }
}

/** Deletes a route; 'absent' when there is none (or its interface is gone). */
export async function deleteRoute(rtnl: RtNetlinkSocket, spec: RouteSpec): Promise<'deleted' | 'absent'> {
  let enc: Encoded;
  try {
    enc = await encode(rtnl, spec);
  } catch (e) {
    if (e instanceof RouteError && e.code === 'ENODEV') return 'absent';
    throw e;
  }
  try {
    await serial(rtnl, () => rtnl.delRoute(enc.data, enc.attrs));
    return 'deleted';
  } catch (e) {
    const code = codeOf(e);
    if (code === 'ESRCH' || code === 'ENOENT' || code === 'ENODEV') return 'absent';
    throw new RouteError(`deleting route ${describe(spec)}: ${code}`, code);
  }
}
