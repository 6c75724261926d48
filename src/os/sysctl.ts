// Kernel parameters through /proc/sys (what sysctl(8) does). net.ipv4.conf.* are per network
// namespace: /proc/sys shows the calling process's namespace.
import { readFileSync, writeFileSync } from 'node:fs';

const PROC_SYS = '/proc/sys';

/** A parameter as path components under /proc/sys: ['net', 'ipv4', 'conf', 'lo', 'arp_ignore']. */
export type SysctlKey = readonly string[];

/** sysctl(8)'s spelling: dots between components, or slashes when a component has a dot (eth0.100). */
export function sysctlName(key: SysctlKey): string {
  return key.some((k) => k.includes('.')) ? key.join('/') : key.join('.');
}

/** The value (trimmed), or null when the parameter does not exist (e.g. no such interface). */
export function readSysctl(key: SysctlKey): string | null {
  try {
    return readFileSync(`${PROC_SYS}/${key.join('/')}`, 'utf8').trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw sysctlError('reading', key, e);
  }
}

export function writeSysctl(key: SysctlKey, value: string): void {
  try {
    writeFileSync(`${PROC_SYS}/${key.join('/')}`, value + '\n');
  } catch (e) {
    throw sysctlError('setting', key, e);
  }
}

function sysctlError(what: string, key: SysctlKey, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const hint = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? ' (run as root)' : '';
  return new Error(`${what} ${sysctlName(key)}: ${code || (e as Error).message}${hint}`);
}
