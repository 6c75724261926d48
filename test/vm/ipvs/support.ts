// Shared by the IPVS suites that run inside the QEMU guest (scripts/ipvs-vm.sh): Debian's
// ipvsadm as the independent reader/writer, and a canonical form of tables for comparison.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DestSpec, ServiceKey, ServiceState } from '../../../src/dataplane/engine.js';
import { destId, serviceId } from '../../../src/dataplane/keys.js';
import { until as sharedUntil } from '../../../src/lab/until.js';

export function ipvsadm(...args: string[]): string {
  return execFileSync('ipvsadm', args, { encoding: 'utf8' });
}

/** Sorted, with absent/false flags dropped, so that equal tables compare deepEqual. */
export function canonical(states: readonly ServiceState[]): ServiceState[] {
  return [...states]
    .map((s) => {
      const flags: ServiceState['flags'] = {};
      if (s.flags.ops) flags.ops = true;
      if (s.flags.fallback) flags.fallback = true;
      if (s.flags.port) flags.port = true;
      const out: ServiceState = { key: { ...s.key }, scheduler: s.scheduler, flags, dests: [] };
      if (s.persistenceTimeout) out.persistenceTimeout = s.persistenceTimeout;
      if (s.persistenceTimeout && s.persistenceNetmask !== undefined)
        out.persistenceNetmask = s.persistenceNetmask;
      out.dests = [...s.dests].map((d) => ({ ...d })).sort((a, b) => destId(a).localeCompare(destId(b)));
      return out;
    })
    .sort((a, b) => serviceId(a.key).localeCompare(serviceId(b.key)));
}

function svcArg(k: ServiceKey): string {
  // ipvsadm 1.31 prints the mark as a signed int (0xfffffffe is "-2"); the kernel keeps the u32
  if (k.kind === 'fwmark') return `-f ${k.fwmark | 0}${k.family === 6 ? ' -6' : ''}`;
  const flag = { tcp: '-t', udp: '-u', sctp: '--sctp-service' }[k.protocol];
  return `${flag} ${k.family === 6 ? `[${k.address}]` : k.address}:${k.port}`;
}

function destLine(k: ServiceKey, d: DestSpec): string {
  const fwd = { nat: '-m', dr: '-g', tun: '-i', fullnat: '?' }[d.forwarding];
  const addr = d.address.includes(':') ? `[${d.address}]` : d.address;
  let line = `-a ${svcArg(k)} -r ${addr}:${d.port} ${fwd} -w ${d.weight}`;
  if (d.forwarding === 'tun') {
    const type = d.tunnelType ?? 'ipip';
    line += ` --tun-type ${type}`;
    if (type === 'gue') line += ` --tun-port ${d.tunnelPort ?? 0}`;
    if (type !== 'ipip') line += ` --tun-${d.tunnelCsum ?? 'nocsum'}`;
  }
  return line;
}

/** What `ipvsadm -Sn` prints for these services, as sorted lines (dests after their service). */
export function saveLines(states: readonly ServiceState[]): string[] {
  const out: string[] = [];
  for (const s of canonical(states)) {
    let line = `-A ${svcArg(s.key)} -s ${s.scheduler}`;
    if (s.persistenceTimeout) {
      line += ` -p ${s.persistenceTimeout}`;
      if (s.persistenceNetmask) line += ` -M ${s.persistenceNetmask}`;
    }
    if (s.flags.ops) line += ' -o';
    const b = [s.flags.fallback && `${s.scheduler}-fallback`, s.flags.port && `${s.scheduler}-port`].filter(
      Boolean,
    );
    if (b.length) line += ` -b ${b.join(',')}`;
    out.push(line, ...s.dests.map((d) => destLine(s.key, d)).sort());
  }
  return out;
}

/** `ipvsadm -Sn` in the same order as saveLines (services sorted by their line, dests after). */
export function ipvsadmSave(): string[] {
  const blocks: string[][] = [];
  for (const line of ipvsadm('-Sn').split('\n')) {
    if (line.startsWith('-A ')) blocks.push([line]);
    else if (line.startsWith('-a ')) blocks[blocks.length - 1]!.push(line);
  }
  return blocks
    .map(([svc, ...dests]) => ({ svc: svc!, dests: dests.sort() }))
    .sort((a, b) => a.svc.localeCompare(b.svc))
    .flatMap((b) => [b.svc, ...b.dests]);
}

/** saveLines sorted the way ipvsadmSave sorts (by service line). */
export function expectedSave(states: readonly ServiceState[]): string[] {
  const lines = saveLines(states);
  const blocks: string[][] = [];
  for (const l of lines) {
    if (l.startsWith('-A ')) blocks.push([l]);
    else blocks[blocks.length - 1]!.push(l);
  }
  return blocks.sort((a, b) => a[0]!.localeCompare(b[0]!)).flat();
}

/** `ipvsadm -Ln --thresholds` ("-> ADDR:PORT UPPER LOWER ACTIVE INACTIVE"): address -> [upper, lower]. */
export function ipvsadmThresholds(): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const line of ipvsadm('-Ln', '--thresholds').split('\n')) {
    const m = /^\s+->\s+(\S+)\s+(\d+)\s+(\d+)\s+\d+\s+\d+/.exec(line);
    if (m) out.set(m[1]!, [Number(m[2]), Number(m[3])]);
  }
  return out;
}

/** Newest modification time of the files under DIR (ms). */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * How to start the CLI in the guest: the compiled dist/ when it is newer than every source file
 * (npm ci builds it), else through tsx. Under TCG each of the daemon's three processes pays for
 * compiling its modules again: tsx took 160 s to a programmed table on a loaded host, dist/ 65 s.
 */
function cliEntry(): string[] {
  try {
    if (statSync('dist/cli/main.js').mtimeMs > newest('src')) return ['dist/cli/main.js'];
  } catch {
    // no dist/: fall through
  }
  return ['--import', 'tsx', 'src/cli/main.ts'];
}

/** `vigil run -f CONF --runtime-dir RT -l [EXTRA…]` inside network namespace NS, its log on ours (or piped). */
export function startVigil(
  ns: string,
  conf: string,
  rt: string,
  log: 'inherit' | 'pipe' = 'inherit',
  extra: readonly string[] = [],
): ChildProcess {
  return spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      process.execPath,
      ...cliEntry(),
      'run',
      '-f',
      conf,
      '--runtime-dir',
      rt,
      '-l',
      ...extra,
    ],
    { stdio: ['ignore', log, log] },
  );
}

/**
 * Debian's keepalived 2.2.7 in the foreground inside NS (EXTRA: more flags, such as `-C` for the
 * checker process only): the reference for what a configuration programs into the kernel and
 * what a stop leaves behind. Its pid files go to DIR so that it never meets a system keepalived's.
 */
export function startKeepalived(
  ns: string,
  conf: string,
  dir: string,
  extra: readonly string[] = [],
): ChildProcess {
  const pid = (n: string) => join(dir, `${n}.pid`);
  const pids = ['-p', pid('keepalived'), '-c', pid('checkers'), '-r', pid('vrrp')];
  return spawn('ip', ['netns', 'exec', ns, 'keepalived', '-n', '-l', '-D', '-f', conf, ...pids, ...extra], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** SIGTERM (`ip netns exec` execs the daemon, so the pid is the daemon's), then its exit within MS. */
export async function stopChild(child: ChildProcess, ms = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const r = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (r === 'late') {
    child.kill('SIGKILL');
    throw new Error(`pid ${child.pid} did not exit within ${ms} ms of SIGTERM`);
  }
}

/** The shared wait (src/lab/until.ts) at the VM's pace: a try every 250 ms. */
export function until<T>(
  what: string,
  f: () => Promise<T | undefined> | T | undefined,
  ms: number,
): Promise<T> {
  return sharedUntil(what, f, ms, { stepMs: 250 });
}
