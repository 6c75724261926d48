// The interface name of each use_vmac instance, as keepalived 2.2.7 picks it (vrrp.c
// create_vmac_name): the configured name, else PREFIX.VRID, and when another instance has that
// name, PREFIX1.VRID, PREFIX2.VRID … (an IPv6 instance tries PREFIX6.VRID second, then 1, 2, …
// skipping 6). So an IPv4 and an IPv6 instance with one VRID get vrrp.50 and vrrp6.50. And
// which of an instance's VIPs go on its vmac.
import type { VrrpInstance } from '../config/model.js';

const IFNAMSIZ = 16;

function candidate(prefix: string, num: number, vrid: number): string {
  const suffix = `${num === 0 ? '' : num}.${vrid}`;
  // keepalived shortens the prefix, never the number, to fit IFNAMSIZ - 1 characters.
  return prefix.slice(0, Math.max(0, IFNAMSIZ - 1 - suffix.length)) + suffix;
}

/** Instance name → vmac name, for the instances with use_vmac, in configuration order. */
export function vmacNames(instances: readonly VrrpInstance[], prefix = 'vrrp'): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const vi of instances) if (vi.useVmac?.name) taken.add(vi.useVmac.name);
  for (const vi of instances) {
    if (!vi.useVmac) continue;
    if (vi.useVmac.name) {
      out.set(vi.name, vi.useVmac.name);
      continue;
    }
    const vrid = vi.virtualRouterId ?? 0;
    let num = 0;
    let name = candidate(prefix, num, vrid);
    // Bounded: each step takes a new number, and at most one name per instance is taken.
    while (taken.has(name)) {
      if (vi.family === 6) num = num === 0 ? 6 : num === 6 ? 1 : num + 1 === 6 ? 7 : num + 1;
      else num++;
      name = candidate(prefix, num, vrid);
    }
    taken.add(name);
    out.set(vi.name, name);
  }
  return out;
}

/**
 * The interface a VIP goes on, as keepalived 2.2.7 places it (vrrp.c vrrp_complete_instance):
 * with a vmac, a VIP of the instance's family on the instance's interface (no `dev`, or `dev`
 * naming that interface) goes on the vmac, one of the other family stays on the interface; a
 * `dev` naming another interface is kept.
 */
export function vipDevice(
  vip: { dev?: string | undefined; family: 4 | 6 },
  instance: { interface: string; family: 4 | 6 },
  vmac: string | undefined,
): string {
  if (vip.dev !== undefined && vip.dev !== instance.interface) return vip.dev;
  return vmac !== undefined && vip.family === instance.family ? vmac : instance.interface;
}
