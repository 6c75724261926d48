// What a lab needs from the machine, said before anything is built: root (namespaces) and iproute2.
// nftables only when it is asked for by name: `auto` picks IPVS, then nftables, then the user-space
// engine, as the daemon does, so a machine without nft still runs the lab (on the user-space engine).
import { onPath } from '../dataplane/choose.js';
import type { Engine } from './scenarios.js';

/** Human-readable missing prerequisites (empty: good to go). */
export function missingPrerequisites(engine: Engine): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (it creates network namespaces): run it with sudo');
  if (!onPath('ip')) missing.push('the ip command (apt install iproute2)');
  if (engine === 'nft' && !onPath('nft')) missing.push('the nft command (apt install nftables)');
  return missing;
}
