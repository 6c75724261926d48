// Shared by the IPVS suites that run inside the QEMU guest (scripts/ipvs-vm.sh): Debian's
// ipvsadm as the independent reader/writer, and a canonical form of tables for comparison.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { DestSpec, ServiceKey, ServiceState } from '../../../src/dataplane/engine.js';
import { destId, serviceId } from '../../../src/dataplane/keys.js';

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
    if (type !== 'ipip') line += ' --tun-nocsum';
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

/** `vigil run -f CONF --runtime-dir RT -l` inside network namespace NS, its log on ours (or piped). */
export function startVigil(
  ns: string,
  conf: string,
  rt: string,
  log: 'inherit' | 'pipe' = 'inherit',
): ChildProcess {
  return spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      process.execPath,
      '--import',
      'tsx',
      'src/cli/main.ts',
      'run',
      '-f',
      conf,
      '--runtime-dir',
      rt,
      '-l',
    ],
    { stdio: ['ignore', log, log] },
  );
}
