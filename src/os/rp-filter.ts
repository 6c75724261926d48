// keepalived's clear_rp_filter / restore_rp_filter (vrrp_if_config.c): a vmac needs rp_filter 0,
// and the kernel applies max(all, interface), so with net.ipv4.conf.all.rp_filter set keepalived
// moves that value onto default and every interface below it, then sets all to 0; at the end
// it puts back what still holds the values it wrote.
import { readdirSync } from 'node:fs';
import { readSysctl, writeSysctl } from './sysctl.js';

export interface RpFilterSaved {
  all: string;
  /** default's value before, when it was raised. */
  default: string | null;
  /** Interfaces raised, with their value before. */
  raised: Map<string, string>;
}

const key = (ifname: string): string[] => ['net', 'ipv4', 'conf', ifname, 'rp_filter'];

function interfaces(): string[] {
  try {
    return readdirSync('/proc/sys/net/ipv4/conf').filter((n) => n !== 'all' && n !== 'default');
  } catch {
    return [];
  }
}

/** Sets all.rp_filter to 0 keeping each interface's effective value; null when it already was 0. */
export function clearRpFilter(): RpFilterSaved | null {
  const all = readSysctl(key('all'));
  if (all === null || Number(all) === 0) return null;
  const saved: RpFilterSaved = { all, default: null, raised: new Map() };
  const def = readSysctl(key('default'));
  if (def !== null && Number(def) < Number(all)) {
    saved.default = def;
    writeSysctl(key('default'), all);
  }
  for (const ifname of interfaces()) {
    const v = readSysctl(key(ifname));
    if (v !== null && Number(v) < Number(all)) {
      saved.raised.set(ifname, v);
      writeSysctl(key(ifname), all);
    }
  }
  writeSysctl(key('all'), '0');
  return saved;
}

/** Puts back what clearRpFilter changed, where the value is still the one it wrote. */
export function restoreRpFilter(saved: RpFilterSaved): void {
  if (readSysctl(key('all')) === '0') writeSysctl(key('all'), saved.all);
  if (saved.default !== null && readSysctl(key('default')) === saved.all)
    writeSysctl(key('default'), saved.default);
  for (const [ifname, v] of saved.raised)
    if (readSysctl(key(ifname)) === saved.all) writeSysctl(key(ifname), v);
}
