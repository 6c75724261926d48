// What the VRRP pair benches share: the lab's VIP, the cases run for both vigil and keepalived,
// when a started daemon has joined the election, and min / median / max of a run's samples.
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
