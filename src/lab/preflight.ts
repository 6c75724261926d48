// What a lab needs from the machine, said before anything is built: root (namespaces), iproute2,
// and nftables unless the directors run the user-space proxy.
import { onPath } from '../dataplane/choose.js';

/** Human-readable missing prerequisites (empty: good to go). */
export function missingPrerequisites(needNft: boolean): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (it creates network namespaces): run it with sudo');
  if (!onPath('ip')) missing.push('the ip command (apt install iproute2)');
  if (needNft && !onPath('nft')) missing.push('the nft command (apt install nftables)');
  return missing;
}
