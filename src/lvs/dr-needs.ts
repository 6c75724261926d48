// Whether the nft engine can find the interface to direct-route on. A vrrp_instance moving the
// VIP names it; without one (an LVS-only director, the VIP configured by hand) the engine takes
// the interface its routes reach the real servers through, and `vigil check` asks the same routes
// so that it never calls OK what the daemon could not apply.
import type { Config, VirtualServer } from '../config/model.js';
import type { EngineName } from '../dataplane/choose.js';
import { drInterface } from '../dataplane/create.js';
import { drInterfaceByRoute, routeTo } from '../dataplane/nft/dr-interface.js';
import type { KernelIssue } from './kernel-needs.js';

/** The addresses a virtual server direct-routes to: DR real servers, and a DR sorry server. */
export function drAddresses(vs: VirtualServer): string[] {
  const out = vs.realServers.filter((r) => (r.lvsMethod ?? vs.lbKind) === 'DR').map((r) => r.address);
  if (vs.sorryServer && (vs.sorryServerLvsMethod ?? vs.lbKind) === 'DR') out.push(vs.sorryServer.address);
  return out;
}

/** Errors at each DR virtual_server whose interface the routes of this machine cannot give. */
export async function drInterfaceIssues(
  config: Config,
  engine: EngineName,
  lookup: typeof routeTo = routeTo,
): Promise<KernelIssue[]> {
  if (engine !== 'nft' || drInterface(config) !== undefined) return [];
  const out: KernelIssue[] = [];
  let first: { ifname: string; vs: VirtualServer } | undefined;
  for (const vs of config.virtualServers) {
    const addresses = drAddresses(vs);
    if (addresses.length === 0) continue;
    const found = await drInterfaceByRoute(addresses, [], lookup);
    if (!found) return []; // `ip` cannot be run here: nothing is known
    const head = `virtual_server ${vs.label}: lb_kind DR on the nft engine forwards on the director's interface, and no vrrp_instance names it`;
    if (!found.ok)
      out.push({
        message: `${head}; the route to the real servers would, but ${found.reason}`,
        loc: vs.loc,
      });
    else if (first && first.ifname !== found.ifname)
      out.push({
        message: `${head}; the routes put its real servers on ${found.ifname} and those of virtual_server ${first.vs.label} on ${first.ifname}, and the nft engine direct-routes on one interface`,
        loc: vs.loc,
      });
    else first ??= { ifname: found.ifname, vs };
  }
  return out;
}
