// A door from the host into a lab: a veth pair with one end in the host's namespace (with an
// address) and the other plugged into a lab segment's bridge, so a program on the host (a
// browser, curl) reaches the nodes' addresses. The pair lives and dies with the lab: deleting the
// switch namespace (destroy(), removeLab) destroys both ends.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Lab } from './lab.js';

const run = promisify(execFile);

/** The host-side interface's name for a lab: its id plus 'h' (within IFNAMSIZ). */
export function hostLinkName(lab: Lab): string {
  return `${lab.id}h`;
}

/**
 * Plugs the host into the lab's `segmentIndex`-th segment (default the first) with `cidr` (e.g.
 * 10.199.7.1/24) on the host end. IPv6 is off on that end so the host sends nothing unasked
 * into the lab. Returns the host-side interface name.
 */
export async function addHostLink(lab: Lab, cidr: string, segmentIndex = 0): Promise<string> {
  const ifname = hostLinkName(lab);
  const ip = (...args: string[]): Promise<unknown> => run('ip', args);
  await ip('link', 'add', ifname, 'type', 'veth', 'peer', 'name', 'host0', 'netns', lab.switchNs);
  try {
    await run('sysctl', ['-q', '-w', `net.ipv6.conf.${ifname}.disable_ipv6=1`]);
    await ip('-n', lab.switchNs, 'link', 'set', 'host0', 'master', `br${segmentIndex}`, 'up');
    await ip('addr', 'add', cidr, 'dev', ifname);
    await ip('link', 'set', ifname, 'up');
  } catch (e) {
    await ip('link', 'del', ifname).catch(() => undefined);
    throw e;
  }
  return ifname;
}

/**
 * A /24 of 10.199.0.0/16 that no host route or address overlaps, as its first three octets
 * ('10.199.N'), for a lab the host joins.
 */
export async function freeHostSubnet(): Promise<string> {
  const { stdout } = await run('ip', ['-4', '-o', 'route', 'show', 'table', 'all']);
  for (let tries = 0; tries < 50; tries++) {
    const prefix = `10.199.${Math.floor(Math.random() * 254) + 1}`;
    if (!stdout.includes(`${prefix}.`)) return prefix;
  }
  throw new Error('no free 10.199.N.0/24 for the lab on this host');
}
