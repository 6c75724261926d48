// keepalived's virtual_rules / static_rules over rtnetlink (`ip rule`). Marked, like the routes,
// with keepalived's protocol number (FRA_PROTOCOL 18) so `ip rule` shows "proto keepalived".
// Idempotent: adding an existing rule is 'present', deleting a missing one 'absent'.
import { FlagsNew, type RtNetlinkSocket, type rt } from 'netlink';
import { ipFamily, ipToBytes, parseCidr } from '../base/inet.js';
import { serial } from './link.js';
import { RTPROT_KEEPALIVED } from './routes.js';

export type RuleAction = 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';
const ACTION_NUMBER: Record<RuleAction, number> = {
  table: 1,
  goto: 2,
  nop: 3,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
};

export interface RuleSpec {
  family: 4 | 6;
  /** ADDRESS/PREFIX. */
  from?: string;
  to?: string;
  not?: boolean;
  priority: number;
  action: RuleAction;
  table?: number;
  gotoTarget?: number;
  tos?: number;
  fwmark?: number;
  fwmask?: number;
  iif?: string;
  oif?: string;
  protocol?: number;
  ipproto?: number;
  sport?: [number, number];
  dport?: [number, number];
  uidrange?: [number, number];
  suppressPrefixlen?: number;
}

export class RuleError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

function describe(s: RuleSpec): string {
  const parts = [`pref ${s.priority}`];
  if (s.not) parts.push('not');
  if (s.from) parts.push(`from ${s.from}`);
  if (s.to) parts.push(`to ${s.to}`);
  if (s.iif) parts.push(`iif ${s.iif}`);
  if (s.oif) parts.push(`oif ${s.oif}`);
  if (s.fwmark !== undefined) parts.push(`fwmark ${s.fwmark}`);
  parts.push(
    s.action === 'table' ? `lookup ${s.table}` : s.action === 'goto' ? `goto ${s.gotoTarget}` : s.action,
  );
  return parts.join(' ');
}

function encode(s: RuleSpec): { data: rt.Rule; attrs: rt.RuleAttrs } {
  const bad = (why: string): RuleError => new RuleError(`rule ${describe(s)}: ${why}`, 'EINVAL');
  const data: rt.Rule = {
    family: s.family === 4 ? 2 : 10,
    action: ACTION_NUMBER[s.action],
    ...(s.tos !== undefined ? { tos: s.tos } : {}),
    ...(s.not ? { flags: { invert: true } } : {}),
  };
  const attrs: rt.RuleAttrs = {
    priority: s.priority,
    protocol: s.protocol ?? RTPROT_KEEPALIVED,
  };
  for (const side of ['from', 'to'] as const) {
    const v = s[side];
    if (!v) continue;
    const c = parseCidr(v);
    if (ipFamily(c.address) !== s.family) throw bad(`${side} ${v} is not IPv${s.family}`);
    if (c.prefix === 0) continue;
    if (side === 'from') {
      data.srcLen = c.prefix;
      attrs.src = ipToBytes(c.address);
    } else {
      data.dstLen = c.prefix;
      attrs.dst = ipToBytes(c.address);
    }
  }
  if (s.action === 'table') {
    const t = s.table ?? 254;
    data.table = t > 255 ? 0 : t;
    attrs.table = t;
  }
  if (s.action === 'goto') attrs.goto = s.gotoTarget;
  if (s.fwmark !== undefined) attrs.fwmark = s.fwmark;
  if (s.fwmask !== undefined) attrs.fwmask = s.fwmask;
  if (s.iif) attrs.iifname = s.iif;
  if (s.oif) attrs.oifname = s.oif;
  if (s.ipproto !== undefined) attrs.ipProto = s.ipproto;
  if (s.sport) attrs.sportRange = { start: s.sport[0], end: s.sport[1] };
  if (s.dport) attrs.dportRange = { start: s.dport[0], end: s.dport[1] };
  if (s.uidrange) attrs.uidRange = { start: s.uidrange[0], end: s.uidrange[1] };
  if (s.suppressPrefixlen !== undefined) attrs.suppressPrefixlen = u32(s.suppressPrefixlen);
  return { data, attrs };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

function codeOf(e: unknown): string {
  return /Request rejected: (\w+)/.exec(e instanceof Error ? e.message : '')?.[1] ?? 'EUNKNOWN';
}

/** Adds a rule; 'present' when an identical one exists. */
export async function addRule(rtnl: RtNetlinkSocket, spec: RuleSpec): Promise<'added' | 'present'> {
  const { data, attrs } = encode(spec);
  try {
    await serial(rtnl, () => rtnl.newRule(data, attrs, { flags: FlagsNew.CREATE | FlagsNew.EXCL }));
    return 'added';
  } catch (e) {
    const code = codeOf(e);
    if (code === 'EEXIST') return 'present';
    throw new RuleError(`adding rule ${describe(spec)}: ${code}`, code);
  }
}

/** Deletes a rule; 'absent' when there is none. */
export async function deleteRule(rtnl: RtNetlinkSocket, spec: RuleSpec): Promise<'deleted' | 'absent'> {
  const { data, attrs } = encode(spec);
  try {
    await serial(rtnl, () => rtnl.delRule(data, attrs));
    return 'deleted';
  } catch (e) {
    const code = codeOf(e);
    if (code === 'ENOENT' || code === 'ESRCH') return 'absent';
    throw new RuleError(`deleting rule ${describe(spec)}: ${code}`, code);
  }
}
