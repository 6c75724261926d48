// Which data plane runs the virtual servers: `lvs_engine auto|ipvs|nft|userspace` (or
// --lvs-engine). auto prefers the kernel's IPVS, then nftables, then the user-space proxy that
// runs anywhere; the answer always says why, for `vigil check` and the log.
import { existsSync, readdirSync } from 'node:fs';
import { release } from 'node:os';
import { delimiter, join } from 'node:path';

export type EngineName = 'ipvs' | 'nft' | 'userspace';
export type Availability = { ok: true; detail?: string } | { ok: false; reason: string };

export interface EngineProbes {
  ipvs: Availability;
  nft: Availability;
}

export interface EngineChoice {
  engine: EngineName;
  why: string;
}

export function chooseEngine(requested: 'auto' | EngineName, probes: EngineProbes): EngineChoice {
  if (requested === 'userspace') return { engine: 'userspace', why: 'lvs_engine userspace' };
  if (requested === 'ipvs' || requested === 'nft') {
    const p = probes[requested];
    return p.ok
      ? { engine: requested, why: `lvs_engine ${requested}` }
      : { engine: requested, why: `lvs_engine ${requested}, but it cannot run here: ${p.reason}` };
  }
  if (probes.ipvs.ok)
    return {
      engine: 'ipvs',
      why: `auto: the kernel has IPVS${probes.ipvs.detail ? ` (${probes.ipvs.detail})` : ''}`,
    };
  if (probes.nft.ok)
    return { engine: 'nft', why: `auto: no IPVS (${probes.ipvs.reason}); nftables is available` };
  return {
    engine: 'userspace',
    why: `auto: no IPVS (${probes.ipvs.reason}) and no nftables (${probes.nft.reason})`,
  };
}

/** Whether `cmd` is an executable name found on PATH. */
export function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin')
    .split(delimiter)
    .some((d) => existsSync(join(d, cmd)));
}

/** Cheap, side-effect-free probes of this machine (no module loading, no netlink). */
export function probeMachine(): EngineProbes {
  let ipvs: Availability;
  if (existsSync('/proc/net/ip_vs')) ipvs = { ok: true, detail: 'ip_vs loaded' };
  else {
    const dir = `/lib/modules/${release()}/kernel/net/netfilter/ipvs`;
    let loadable = false;
    try {
      loadable = readdirSync(dir).some((f) => f.startsWith('ip_vs.ko'));
    } catch {
      loadable = false;
    }
    ipvs = loadable
      ? { ok: true, detail: 'ip_vs module available' }
      : { ok: false, reason: `kernel ${release()} has no ip_vs module` };
  }
  let nft: Availability;
  if (!onPath('nft')) nft = { ok: false, reason: 'the nft command is not installed' };
  else if (process.getuid?.() !== 0) nft = { ok: false, reason: 'programming nftables needs root' };
  else nft = { ok: true };
  return { ipvs, nft };
}
