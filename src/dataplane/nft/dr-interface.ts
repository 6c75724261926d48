// The interface an nft DR director forwards on when no vrrp_instance names it (an LVS-only
// director whose VIP is configured by hand): the one its routes reach the real servers through.
// DR rewrites only the MAC address, so every real server must be on-link, on one interface.
import { execFile } from 'node:child_process';

/** What `ip route get ADDRESS` says about one real server. */
export interface RouteHop {
  dev?: string;
  gateway?: string;
  /** unicast, local, unreachable … (absent means unicast). */
  type?: string;
}

export type DrInterface = { ok: true; ifname: string } | { ok: false; reason: string };

/** The single on-link interface of every real server, or why there is none. `null`: no route. */
export function pickDrInterface(hops: ReadonlyMap<string, RouteHop | null>): DrInterface {
  if (hops.size === 0) return { ok: false, reason: 'there is no DR real server to find it by' };
  const devs = new Map<string, string[]>();
  for (const [address, hop] of hops) {
    if (!hop?.dev || (hop.type !== undefined && hop.type !== 'unicast'))
      return {
        ok: false,
        reason:
          hop?.type === 'local'
            ? `real server ${address} is an address of this director`
            : `this director has no route to real server ${address}`,
      };
    if (hop.gateway)
      return {
        ok: false,
        reason: `real server ${address} is reached through gateway ${hop.gateway} on ${hop.dev}, and DR needs the real servers on the director's own segment`,
      };
    devs.set(hop.dev, [...(devs.get(hop.dev) ?? []), address]);
  }
  if (devs.size > 1)
    return {
      ok: false,
      reason: `the real servers are on different interfaces (${[...devs].map(([d, a]) => `${a.join(', ')} on ${d}`).join('; ')}) and the nft engine direct-routes on one`,
    };
  return { ok: true, ifname: [...devs.keys()][0]! };
}

/**
 * `ip -j route get ADDRESS` (in `prefix`'s namespace when given): the route, `null` when the
 * kernel has none, `undefined` when `ip` could not be run (nothing is known).
 */
export function routeTo(
  address: string,
  prefix: readonly string[] = [],
): Promise<RouteHop | null | undefined> {
  const argv = [...prefix, 'ip', '-j', 'route', 'get', address];
  return new Promise((resolve) =>
    execFile(argv[0]!, argv.slice(1), { timeout: 5000 }, (err, out) => {
      if (err && typeof err.code === 'string') return resolve(undefined); // ENOENT, EACCES
      if (err) return resolve(null); // "Network is unreachable"
      try {
        resolve((JSON.parse(out) as RouteHop[])[0] ?? null);
      } catch {
        resolve(undefined);
      }
    }),
  );
}

/** pickDrInterface over the kernel's routes to `addresses`; null when `ip` could not be asked. */
export async function drInterfaceByRoute(
  addresses: readonly string[],
  prefix: readonly string[] = [],
  lookup: typeof routeTo = routeTo,
): Promise<DrInterface | null> {
  const hops = new Map<string, RouteHop | null>();
  for (const a of new Set(addresses)) {
    const hop = await lookup(a, prefix);
    if (hop === undefined) return null;
    hops.set(a, hop);
  }
  return pickDrInterface(hops);
}
