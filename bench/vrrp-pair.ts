// What the VRRP pair benches share: the lab's VIP, the cases run for both vigil and keepalived,
// when a started daemon has joined the election, min / median / max of a run's samples, and the
// adverts seen on the wire by a listener node (tcpdump, kernel timestamps).
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Lab } from '../src/lab/index.js';
import { instanceOf, type Daemon } from '../test/netns/vrrpd/harness.js';

export const VIP = '192.168.74.100';
export const CASES = [
  { title: 'v2 advert_int 1', version: 2 as const, advertInt: 1 },
  { title: 'v3 advert_int 0.1', version: 3 as const, advertInt: 0.1 },
];
export type Case = (typeof CASES)[number];
export type Impl = 'vigil' | 'keepalived';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The daemon has left INIT (keepalived says so in its log, vigil in its status). */
export async function listening(d: Daemon): Promise<boolean> {
  if (d.kind === 'keepalived') return /Entering (BACKUP|MASTER) STATE/.test(d.output());
  const i = await instanceOf(d, 'VI_1');
  return i !== null && (i.state === 'BACKUP' || i.state === 'MASTER');
}

/** Min, median (the upper one for an even count) and max of non-empty samples. */
export function spread(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
}

/** One VRRP advert as the listener saw it; `t` is wall-clock ms (as performance.timeOrigin + now). */
export interface SeenAdvert {
  t: number;
  source: string;
  vrid: number;
  priority: number;
}

// tcpdump -tt -n: "1733346000.123456 IP 192.168.74.11 > 224.0.0.18: VRRPv2, Advertisement, vrid 74, prio 150, ..."
const ADVERT_RE = /^(\d+\.\d+) IP6? (\S+) > \S+: VRRPv\d, Advertisement, vrid (\d+), prio (\d+)/;

/**
 * Captures every VRRP advert arriving at `node`'s eth0 with tcpdump's kernel timestamps (not the
 * listener's event loop, which would add its own lateness). Resolves once tcpdump is listening.
 */
export async function captureAdverts(
  lab: Lab,
  node: string,
): Promise<{ seen: SeenAdvert[]; stop: () => void }> {
  const td = lab.spawn(node, ['tcpdump', '-i', 'eth0', '-n', '-l', '-tt', '-B', '4096', 'ip proto 112']);
  const seen: SeenAdvert[] = [];
  createInterface({ input: td.stdout! }).on('line', (l) => {
    const m = ADVERT_RE.exec(l);
    if (m) seen.push({ t: Number(m[1]) * 1000, source: m[2]!, vrid: Number(m[3]), priority: Number(m[4]) });
  });
  // tcpdump says "listening on eth0" on stderr once its capture is open.
  let err = '';
  td.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  await Promise.race([
    new Promise<void>((resolve) => td.stderr!.on('data', () => err.includes('listening on') && resolve())),
    once(td, 'exit').then(() => {
      throw new Error(`tcpdump in ${node} exited: ${err.trim()}`);
    }),
  ]);
  return { seen, stop: () => lab.kill(td, 'SIGTERM') };
}
