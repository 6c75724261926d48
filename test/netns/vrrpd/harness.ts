// Running vigil and keepalived daemons inside a lab for the VRRP daemon tests and the failover
// bench: start/stop by process group, VIP placement from `ip -j addr`, and the moment a VIP
// appears from `ip monitor address` (the kernel's own notification, not a poll).
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { controlRequest, controlSocketPath } from '../../../src/daemon/control.js';
import type { Lab } from '../../../src/lab/index.js';
import { until } from '../../../src/lab/until.js';

export interface Daemon {
  kind: 'vigil' | 'keepalived';
  node: string;
  dir: string;
  child: ChildProcess;
  /** Everything it printed so far. */
  output: () => string;
}

const CLI = join(import.meta.dirname, '../../../src/cli/main.ts');

function capture(child: ChildProcess): () => string {
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  return () => out;
}

/** Starts `vigil -f conf --runtime-dir dir -l [args]` in the node's namespace. */
export async function startVigil(
  lab: Lab,
  node: string,
  dir: string,
  conf: string,
  args: string[] = [],
  env?: NodeJS.ProcessEnv,
): Promise<Daemon> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'vigil.conf');
  writeFileSync(file, conf);
  const child = lab.spawn(
    node,
    [process.execPath, '--import', 'tsx', CLI, '-f', file, '--runtime-dir', dir, '-l', ...args],
    env ? { env } : {},
  );
  const output = capture(child);
  await once(child, 'spawn');
  return { kind: 'vigil', node, dir, child, output };
}

/** Starts keepalived 2.2.7 (`-n -l -D -P`) in the node's namespace with its pid files in dir. */
export async function startKeepalived(
  lab: Lab,
  node: string,
  dir: string,
  conf: string,
  env?: NodeJS.ProcessEnv,
): Promise<Daemon> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'keepalived.conf');
  writeFileSync(file, conf);
  const argv = ['keepalived', '-n', '-l', '-D', '-P', '-f', file];
  argv.push('-p', join(dir, 'k.pid'), '-r', join(dir, 'vrrp.pid'), '-c', join(dir, 'chk.pid'));
  const child = lab.spawn(node, argv, env ? { env } : {});
  const output = capture(child);
  await once(child, 'spawn');
  return { kind: 'keepalived', node, dir, child, output };
}

/** Signals the daemon's process group and waits for it to exit. */
export async function stopDaemon(lab: Lab, d: Daemon, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return;
  const exited = once(d.child, 'exit');
  lab.kill(d.child, signal);
  await exited;
}

/** vigil's status over its control socket (the socket is a file: reachable from any namespace). */
export async function vigilStatus(d: Daemon): Promise<VigilStatus> {
  return (await controlRequest(controlSocketPath(d.dir), { cmd: 'status' })) as VigilStatus;
}

export interface InstanceView {
  name: string;
  state: string;
  effectivePriority: number;
  basePriority: number;
  masterAddress: string | null;
  vips: string[];
  advertsSent: number;
  advertsReceived: number;
  rejected: Record<string, number>;
  transitions: { at: string; from: string; to: string }[];
  tracking: { faults: string[] };
  stats: { becomeMaster: number; releaseMaster: number; advertSent: number; priZeroSent: number };
}

export interface VigilStatus {
  children: { vrrp?: { status: { instances?: InstanceView[] } } };
}

/** The named instance as vigil reports it, or null while the daemon is starting. */
export async function instanceOf(d: Daemon, name: string): Promise<InstanceView | null> {
  try {
    const s = await vigilStatus(d);
    return s.children.vrrp?.status.instances?.find((i) => i.name === name) ?? null;
  } catch {
    return null;
  }
}

/** until() as the netns tests spell it: any falsy answer (0, '') is "not yet" too. */
export function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  stepMs = 50,
): Promise<T> {
  return until(what, async () => (await fn()) || null, timeoutMs, { stepMs });
}

/** Waits until vigil's instance is in `state`. */
export function waitState(d: Daemon, name: string, state: string, timeoutMs: number): Promise<InstanceView> {
  return waitFor(
    `${d.node}: ${name} ${state}`,
    async () => {
      const i = await instanceOf(d, name);
      return i?.state === state ? i : null;
    },
    timeoutMs,
  );
}

/** Whether the node has `vip` on any interface (`ip -j addr`). */
export async function hasVip(lab: Lab, node: string, vip: string): Promise<boolean> {
  const out = (await lab.exec(node, ['ip', '-j', 'addr', 'show'])).stdout;
  const links = JSON.parse(out || '[]') as { addr_info?: { local: string }[] }[];
  return links.some((l) => (l.addr_info ?? []).some((a) => a.local === vip));
}

/** The nodes (of those given) holding `vip`. */
export async function vipHolders(lab: Lab, nodes: string[], vip: string): Promise<string[]> {
  const out: string[] = [];
  for (const n of nodes) if (await hasVip(lab, n, vip)) out.push(n);
  return out;
}

/**
 * Resolves with performance.now() when `vip` is added in the node's namespace, as reported by
 * `ip monitor address`. Await it before the event that should make it appear; cancel() when done.
 */
export async function vipAppears(
  lab: Lab,
  node: string,
  vip: string,
): Promise<{ at: Promise<number>; cancel: () => void }> {
  const mon = lab.spawn(node, ['ip', 'monitor', 'address']);
  let buf = '';
  const at = new Promise<number>((resolve, reject) => {
    mon.stdout?.on('data', (b: Buffer) => {
      buf += b.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      if (lines.some((l) => !l.startsWith('Deleted') && l.includes(` ${vip}/`))) resolve(performance.now());
    });
    mon.once('exit', () => reject(new Error(`ip monitor in ${node} ended before ${vip} appeared`)));
  });
  at.catch(() => undefined);
  // `ip monitor` prints nothing once subscribed: give it time to get there, or a fast takeover
  // (VRRPv3 skew is tens of ms) happens before it listens.
  await once(mon, 'spawn');
  await new Promise((r) => setTimeout(r, 300));
  return { at, cancel: () => lab.kill(mon, 'SIGKILL') };
}

/** Bounded wait for a promise. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms).unref(),
    ),
  ]);
}

/** A vrrp_instance block (multicast). */
export function instanceConf(o: {
  name?: string;
  vrid: number;
  priority: number;
  vip: string;
  advertInt?: number;
  version?: 2 | 3;
  authPass?: string;
  /** With authPass: PASS (default) or AH. */
  authType?: 'PASS' | 'AH';
  state?: 'MASTER' | 'BACKUP';
}): string {
  return `vrrp_instance ${o.name ?? 'VI_1'} {
  state ${o.state ?? 'BACKUP'}
  interface eth0
  virtual_router_id ${o.vrid}
  priority ${o.priority}
  advert_int ${o.advertInt ?? 1}
${o.version ? `  version ${o.version}\n` : ''}${o.authPass ? `  authentication {\n    auth_type ${o.authType ?? 'PASS'}\n    auth_pass ${o.authPass}\n  }\n` : ''}  virtual_ipaddress {
    ${o.vip}
  }
}
`;
}

/**
 * Starts `tcpdump -U -l -n -e -vv -c COUNT -i IFNAME FILTER` in the node, bounded by `seconds`,
 * and resolves once it is listening; `lines` resolves with what it printed when it ends (after
 * COUNT packets, the time limit, or `stop()`).
 */
export async function capturePackets(
  lab: Lab,
  node: string,
  filter: string,
  o: { count?: number; seconds?: number; ifname?: string } = {},
): Promise<{ lines: Promise<string>; stop: () => Promise<string> }> {
  const dump = lab.spawn(node, [
    'timeout',
    String(o.seconds ?? 10),
    'tcpdump',
    '-U',
    '-l',
    '-n',
    '-e',
    '-vv',
    '-c',
    String(o.count ?? 1),
    '-i',
    o.ifname ?? 'eth0',
    filter,
  ]);
  let out = '';
  dump.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  const lines = new Promise<string>((resolve) => dump.once('exit', () => resolve(out)));
  await new Promise<void>((resolve) => {
    let err = '';
    dump.stderr?.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('listening on')) resolve();
    });
    dump.once('exit', () => resolve());
  });
  return {
    lines,
    stop: () => {
      lab.kill(dump, 'SIGINT');
      return lines;
    },
  };
}
