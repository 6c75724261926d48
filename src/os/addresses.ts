// Virtual IP addresses over rtnetlink (npm `netlink`), with keepalived's options: prefix, dev,
// label, scope, brd; IPv6 VIPs get IFA_F_NODAD as keepalived gives them (usable at once, and
// never stuck in "dadfailed" after a split brain). Adding a present address or deleting an absent
// one succeeds: the VRRP engine may repeat itself after a restart or reload.
import { FlagsNew, type RtNetlinkSocket } from 'netlink';
import { bytesToIp, ipFamily, ipToBytes, parseCidr } from '../base/inet.js';
import { serial } from './link.js';

export interface VipSpec {
  /** The address, optionally with /prefix (default /32 or /128, as keepalived). */
  address: string;
  prefix?: number;
  dev: string;
  label?: string;
  /** global (default), site, link, host, nowhere, or a number. */
  scope?: string | number;
  /** IPv4 broadcast: an address, or '+' for the prefix's broadcast address. */
  brd?: string;
}

export interface AddressInfo {
  address: string;
  prefix: number;
  family: 4 | 6;
  ifname: string;
  index: number;
  label?: string;
  scope: number;
  secondary: boolean;
  /** IFA_F_PERMANENT is set on statically configured addresses (ours included). */
  permanent: boolean;
}

/** rtnetlink scope numbers by their iproute2 names (addresses and routes). */
export const SCOPES: Record<string, number> = {
  global: 0,
  universe: 0,
  site: 200,
  link: 253,
  host: 254,
  nowhere: 255,
};

export class AddressError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

function scopeNumber(s: string | number | undefined, where: string): number {
  if (s === undefined) return 0;
  if (typeof s === 'number' && Number.isInteger(s) && s >= 0 && s <= 255) return s;
  const n = typeof s === 'string' ? (SCOPES[s] ?? (/^\d+$/.test(s) ? Number(s) : NaN)) : NaN;
  if (!(n >= 0 && n <= 255)) throw new AddressError(`${where}: unknown scope '${s}'`, 'EINVAL');
  return n;
}

/** Broadcast address of addr/prefix (IPv4). */
export function broadcastOf(address: string, prefix: number): string {
  const b = ipToBytes(address);
  const host = prefix >= 32 ? 0 : 0xffffffff >>> prefix;
  const n = (b.readUInt32BE(0) | host) >>> 0;
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n, 0);
  return bytesToIp(out);
}

function codeOf(e: unknown): string {
  const m = /Request rejected: (\w+)/.exec(e instanceof Error ? e.message : '');
  return m?.[1] ?? 'EUNKNOWN';
}

interface Resolved {
  family: 4 | 6;
  bytes: Buffer;
  prefix: number;
  index: number;
  text: string;
}

async function resolve(rtnl: RtNetlinkSocket, spec: VipSpec, ifindexOf: IfIndexCache): Promise<Resolved> {
  const c = parseCidr(spec.address);
  const prefix = spec.prefix ?? c.prefix;
  const max = c.family === 4 ? 32 : 128;
  const text = `${c.address}/${prefix} dev ${spec.dev}`;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new AddressError(`${text}: bad prefix length`, 'EINVAL');
  }
  const index = await ifindexOf(rtnl, spec.dev);
  if (index === undefined) throw new AddressError(`${text}: no interface named '${spec.dev}'`, 'ENODEV');
  return { family: c.family, bytes: ipToBytes(c.address), prefix, index, text };
}

type IfIndexCache = (rtnl: RtNetlinkSocket, ifname: string) => Promise<number | undefined>;

const lookupIndex: IfIndexCache = async (rtnl, ifname) => {
  const links = await serial(rtnl, () => rtnl.getLinks());
  return links.find((l) => l.attrs.ifname === ifname)?.data.index;
};

/** Adds a VIP. Returns 'present' when it was already there (not an error). */
export async function addAddress(rtnl: RtNetlinkSocket, spec: VipSpec): Promise<'added' | 'present'> {
  const r = await resolve(rtnl, spec, lookupIndex);
  const attrs: Parameters<RtNetlinkSocket['newAddress']>[1] = { local: r.bytes, address: r.bytes };
  if (spec.label !== undefined) {
    if (r.family !== 4) throw new AddressError(`${r.text}: labels are for IPv4 addresses`, 'EINVAL');
    // The kernel requires labels to start with the device name (eth0, eth0:vip, ...).
    if (spec.label !== spec.dev && !spec.label.startsWith(`${spec.dev}:`)) {
      throw new AddressError(
        `${r.text}: label '${spec.label}' must be '${spec.dev}' or start with '${spec.dev}:'`,
        'EINVAL',
      );
    }
    if (spec.label.length > 15)
      throw new AddressError(`${r.text}: label '${spec.label}' is over 15 characters`, 'EINVAL');
    attrs.label = spec.label;
  }
  if (spec.brd !== undefined) {
    if (r.family !== 4) throw new AddressError(`${r.text}: brd is for IPv4 addresses`, 'EINVAL');
    const brd = spec.brd === '+' ? broadcastOf(bytesToIp(r.bytes), r.prefix) : spec.brd;
    if (ipFamily(brd) !== 4) throw new AddressError(`${r.text}: bad brd '${spec.brd}'`, 'EINVAL');
    attrs.broadcast = ipToBytes(brd);
  }
  if (r.family === 6) attrs.flags = { nodad: true };
  try {
    await serial(rtnl, () =>
      rtnl.newAddress(
        {
          family: r.family === 4 ? 2 : 10,
          prefixlen: r.prefix,
          index: r.index,
          scope: scopeNumber(spec.scope, r.text),
          flags: r.family === 6 ? { nodad: true } : {},
        },
        attrs,
        { flags: FlagsNew.CREATE | FlagsNew.EXCL },
      ),
    );
    return 'added';
  } catch (e) {
    if (e instanceof AddressError) throw e;
    const code = codeOf(e);
    if (code === 'EEXIST') return 'present';
    throw new AddressError(`adding ${r.text}: ${code}`, code);
  }
}

/** Deletes a VIP. Returns 'absent' when it was not there (not an error). */
export async function deleteAddress(rtnl: RtNetlinkSocket, spec: VipSpec): Promise<'deleted' | 'absent'> {
  let r: Resolved;
  try {
    r = await resolve(rtnl, spec, lookupIndex);
  } catch (e) {
    // A vanished interface took its addresses with it.
    if (e instanceof AddressError && e.code === 'ENODEV') return 'absent';
    throw e;
  }
  try {
    await serial(rtnl, () =>
      rtnl.delAddress(
        { family: r.family === 4 ? 2 : 10, prefixlen: r.prefix, index: r.index },
        { local: r.bytes, address: r.bytes },
      ),
    );
    return 'deleted';
  } catch (e) {
    const code = codeOf(e);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOENT' || code === 'ENODEV') return 'absent';
    throw new AddressError(`deleting ${r.text}: ${code}`, code);
  }
}

/** Every address (of one interface when `ifname` is given). */
export async function listAddresses(rtnl: RtNetlinkSocket, ifname?: string): Promise<AddressInfo[]> {
  const links = await serial(rtnl, () => rtnl.getLinks());
  const addrs = await serial(rtnl, () => rtnl.getAddresses());
  const names = new Map<number, string>();
  for (const l of links)
    if (l.data.index !== undefined && l.attrs.ifname) names.set(l.data.index, l.attrs.ifname);
  const out: AddressInfo[] = [];
  for (const a of addrs) {
    const raw = a.attrs.local ?? a.attrs.address;
    if (!raw || (raw.length !== 4 && raw.length !== 16) || a.data.index === undefined) continue;
    const name = names.get(a.data.index) ?? `if${a.data.index}`;
    if (ifname !== undefined && name !== ifname) continue;
    const flags = a.attrs.flags ?? a.data.flags ?? {};
    const info: AddressInfo = {
      address: bytesToIp(raw),
      prefix: a.data.prefixlen ?? 0,
      family: raw.length === 4 ? 4 : 6,
      ifname: name,
      index: a.data.index,
      scope: a.data.scope ?? 0,
      secondary: flags.secondary === true,
      permanent: flags.permanent === true,
    };
    if (a.attrs.label !== undefined) info.label = a.attrs.label;
    out.push(info);
  }
  return out;
}

/**
 * The address VRRP sends from on an interface when no unicast_src_ip is set, as keepalived picks
 * it: IPv4, the first primary (non-secondary) address, global scope first; IPv6, the first
 * link-local address.
 * `exclude` skips addresses that are VIPs (a VIP must never become the primary address).
 */
export async function primaryAddress(
  rtnl: RtNetlinkSocket,
  ifname: string,
  family: 4 | 6,
  exclude: Iterable<string> = [],
): Promise<string | null> {
  const skip = new Set([...exclude].map((a) => bytesToIp(ipToBytes(a))));
  const addrs = (await listAddresses(rtnl, ifname)).filter(
    (a) => a.family === family && !skip.has(a.address),
  );
  // The kernel lists narrower scopes first (a host-scope /32 before the subnet address), so
  // prefer a global primary address.
  const primaries = addrs.filter((a) => !a.secondary);
  const pick =
    family === 4
      ? (primaries.find((a) => a.scope === 0) ?? primaries[0])
      : addrs.find((a) => a.address.startsWith('fe80:'));
  return pick?.address ?? null;
}

/**
 * Removes VIPs a previous run left behind (SIGKILL leaves them configured while the peer takes
 * them: a duplicate address on the segment). Returns the ones removed.
 */
export async function removeLeftoverVips(rtnl: RtNetlinkSocket, vips: VipSpec[]): Promise<VipSpec[]> {
  const present = await listAddresses(rtnl);
  const removed: VipSpec[] = [];
  for (const v of vips) {
    const c = parseCidr(v.address);
    const addr = bytesToIp(ipToBytes(c.address));
    const found = present.find((p) => p.ifname === v.dev && p.address === addr);
    if (!found) continue;
    // Delete with the prefix it has (the configuration may have changed since it was added).
    if ((await deleteAddress(rtnl, { address: addr, prefix: found.prefix, dev: v.dev })) === 'deleted') {
      removed.push(v);
    }
  }
  return removed;
}
