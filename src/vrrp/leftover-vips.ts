// Which configured VIPs count as leftovers of an earlier run, to be removed before instances start
// (a crashed run leaves them while the peer takes over: a duplicate address on the segment).
import type { Resume } from './machine.js';

interface Vip {
  address: string;
  dev: string;
}

/**
 * `vipsByInstance`: each configured instance's VIPs (and excluded VIPs). Without `resumed` (a
 * fresh start) every one is a leftover. On reload, those of instances that are not resumed (added,
 * or not MASTER/BACKUP before), except addresses a resumed master holds and must keep.
 */
export function leftoverVips<V extends Vip>(
  vipsByInstance: ReadonlyMap<string, readonly V[]>,
  resumed?: ReadonlyMap<string, Resume>,
): V[] {
  if (!resumed) return [...vipsByInstance.values()].flat();
  const held: V[] = [];
  const fresh: V[] = [];
  for (const [name, vips] of vipsByInstance) {
    const r = resumed.get(name);
    if (!r) fresh.push(...vips);
    else if (r.state === 'MASTER' && r.vipsSet) held.push(...vips);
  }
  return fresh.filter((v) => !held.some((h) => h.address === v.address && h.dev === v.dev));
}
