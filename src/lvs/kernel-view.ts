// Reads the director settings src/lvs/kernel-needs.ts checks, in the calling process's network
// namespace: sysctls from /proc/sys, and the nftables ruleset (only where nft runs as root).
import { execFile } from 'node:child_process';
import { onPath } from '../dataplane/choose.js';
import { statefulTables, type KernelView } from './kernel-needs.js';
import { readSysctl } from '../os/sysctl.js';

function ruleset(): Promise<string | null> {
  if (process.getuid?.() !== 0 || !onPath('nft')) return Promise.resolve(null);
  return new Promise((resolve) =>
    execFile('nft', ['-j', 'list', 'ruleset'], { timeout: 5000, maxBuffer: 256 << 20 }, (err, out) =>
      resolve(err ? null : out),
    ),
  );
}

/**
 * Never throws: a setting that cannot be read is unknown (null), and its check is skipped. The
 * ruleset matters only to the ipvs engine's conntrack check: on an nft director it holds vigil's
 * own table (10,000 elements is ~0.7 s of `nft -j list`), so it is read only when asked for.
 */
export async function readKernelView(opts: { ruleset: boolean }): Promise<KernelView> {
  const sysctl = (...key: string[]): string | null => {
    try {
      return readSysctl(key);
    } catch {
      return null;
    }
  };
  const listing = opts.ruleset ? await ruleset() : null;
  return {
    ipv4Forward: sysctl('net', 'ipv4', 'ip_forward'),
    ipv6Forward: sysctl('net', 'ipv6', 'conf', 'all', 'forwarding'),
    vsConntrack: sysctl('net', 'ipv4', 'vs', 'conntrack'),
    statefulTables: listing === null ? null : statefulTables(listing),
  };
}
