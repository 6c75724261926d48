// What the director's kernel must be set to, and can do, for the configured forwarding, checked
// against what it is. Neither keepalived nor vigil changes these host-wide settings behind the
// operator's back: a wrong one is a warning in `vigil check` and in the daemon's log, naming the
// virtual server and the sysctl to set. The machine is read by src/lvs/kernel-view.ts.
import type { Loc } from '../config/ast.js';
import type { Config, LbKind, VirtualServer } from '../config/model.js';
import type { EngineName } from '../dataplane/choose.js';
import { INET_TABLE } from '../dataplane/nft/ruleset.js';
import { serviceKeys } from './desired.js';

/** The settings that matter, as /proc/sys shows them; null where they do not exist (or are unknown). */
export interface KernelView {
  /** net.ipv4.ip_forward */
  ipv4Forward: string | null;
  /** net.ipv6.conf.all.forwarding */
  ipv6Forward: string | null;
  /** net.ipv4.vs.conntrack: null while ip_vs is not loaded (or built without conntrack support). */
  vsConntrack: string | null;
  /** nftables tables (as "family name") whose rules match on conntrack state; null when unknown. */
  statefulTables: readonly string[] | null;
}

export interface KernelIssue {
  message: string;
  loc: Loc;
}

/** Forwarding methods whose replies come back through the director's forward path. */
function routesReplies(kind: LbKind, engine: EngineName): boolean {
  return kind === 'NAT' || (engine === 'nft' && kind === 'FULLNAT');
}

/** The forwarding methods a virtual server uses: its own, its real servers', its sorry server's. */
export function forwardingKinds(vs: VirtualServer): LbKind[] {
  const all = [vs.lbKind, ...vs.realServers.map((r) => r.lvsMethod ?? vs.lbKind)];
  if (vs.sorryServer) all.push(vs.sorryServerLvsMethod ?? vs.lbKind);
  return all;
}

/** "virtual_server A" or "virtual_server A and 3 others". */
function naming(list: readonly VirtualServer[]): string {
  const first = `virtual_server ${list[0]!.label}`;
  return list.length === 1 ? first : `${first} and ${list.length - 1} other${list.length === 2 ? '' : 's'}`;
}

export function directorKernelIssues(config: Config, engine: EngineName, view: KernelView): KernelIssue[] {
  if (engine === 'userspace') return []; // a proxy: the kernel forwards nothing
  const routed = config.virtualServers.filter((vs) =>
    forwardingKinds(vs).some((k) => routesReplies(k, engine)),
  );
  const out: KernelIssue[] = [];
  const forwarding: [4 | 6, string, string | null][] = [
    [4, 'net.ipv4.ip_forward', view.ipv4Forward],
    [6, 'net.ipv6.conf.all.forwarding', view.ipv6Forward],
  ];
  for (const [family, name, value] of forwarding) {
    if (value !== '0') continue; // 1, or unknown
    const list = routed.filter((vs) => serviceKeys(vs, config).some((k) => k.family === family));
    if (list.length === 0) continue;
    out.push({
      message: `${naming(list)}: ${forwardingKinds(list[0]!).includes('NAT') ? 'NAT' : 'FULLNAT'} through ${engine} sends the real servers' replies back through this director, but ${name} is 0, so the kernel drops them and clients get no answer; set ${name} = 1 (sysctl -w, and in /etc/sysctl.d/ to keep it)`,
      loc: list[0]!.loc,
    });
  }
  const tables = view.statefulTables ?? [];
  const nat = routed.filter((vs) => forwardingKinds(vs).includes('NAT'));
  if (engine === 'ipvs' && view.vsConntrack === '0' && tables.length > 0 && nat.length > 0)
    out.push({
      message: `${naming(nat)}: IPVS NAT with net.ipv4.vs.conntrack 0 keeps no conntrack entries for its connections, so the stateful rules of nftables table${tables.length === 1 ? '' : 's'} ${tables.join(', ')} see the real servers' replies as new or invalid (and may drop them); set net.ipv4.vs.conntrack = 1`,
      loc: nat[0]!.loc,
    });
  return out;
}

/**
 * Virtual servers the engine cannot program at all: the kernel's IPVS has no full NAT (it lives
 * only in out-of-tree patches, and keepalived has no FULLNAT either). The daemon leaves them
 * out and programs the rest; `vigil check` makes each an error.
 */
export function unprogrammable(config: Config, engine: EngineName): (KernelIssue & { vs: VirtualServer })[] {
  if (engine !== 'ipvs') return [];
  return config.virtualServers
    .filter((vs) => forwardingKinds(vs).includes('FULLNAT'))
    .map((vs) => ({
      vs,
      message: `virtual_server ${vs.label}: FULLNAT cannot run on the ipvs engine (the kernel's IPVS has no full NAT), so vigil leaves this virtual server out; use lvs_engine nft, which does full NAT, or lb_kind NAT`,
      loc: vs.loc,
    }));
}

/**
 * The tables of an `nft -j list ruleset` listing whose rules match on conntrack (`ct state`,
 * `ct status`, …), vigil's own aside. A listing that is not nft's JSON gives null (unknown).
 */
export function statefulTables(listing: string): string[] | null {
  let doc: unknown;
  try {
    doc = JSON.parse(listing);
  } catch {
    return null;
  }
  const items = (doc as { nftables?: unknown }).nftables;
  if (!Array.isArray(items)) return null;
  const found = new Set<string>();
  for (const item of items as { rule?: { family?: string; table?: string; expr?: unknown } }[]) {
    const r = item.rule;
    // vigil's own: its inet table and the netdev DR tables named after it
    if (!r?.table || r.table.startsWith(INET_TABLE) || !matchesCt(r.expr)) continue;
    found.add(`${r.family ?? '?'} ${r.table}`);
  }
  return [...found];
}

/** Whether a rule's expressions read conntrack state: a `{"ct": {...}}` anywhere inside a match. */
function matchesCt(x: unknown): boolean {
  if (Array.isArray(x)) return x.some(matchesCt);
  if (x === null || typeof x !== 'object') return false;
  return Object.entries(x).some(([k, v]) => (k === 'ct' && typeof v === 'object') || matchesCt(v));
}
