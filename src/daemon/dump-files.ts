// Where and how keepalived writes its dump files: in $TMPDIR when that is an absolute path, else
// /tmp (lib/utils.c set_tmp_dir), mode 0600, never through a symbolic link (fopen_safe), since
// /tmp is writable by every user and the daemon runs as root.
import { closeSync, constants, fchmodSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const DUMP_FILES = {
  /** SIGUSR1, the VRRP process. */
  data: 'keepalived.data',
  /** SIGUSR1, the checker process. */
  checkData: 'keepalived_check.data',
  /** SIGUSR1, the parent. */
  parentData: 'keepalived_parent.data',
  /** SIGUSR2 and SIGSTATS_CLEAR, the VRRP process. */
  stats: 'keepalived.stats',
  /** SIGJSON (SIGRTMIN+2), the VRRP process. */
  json: 'keepalived.json',
} as const;

/**
 * The name of a .data dump (keepalived's open_dump_file): with data_use_instance and a namespace
 * or instance name, `keepalived.NS_INSTANCE.data` (either part alone without the '_'). The
 * .stats and .json files keep their names.
 */
export function dataFileName(
  name: string,
  g: { dataUseInstance: boolean; instanceName?: string | undefined; netNamespace?: string | undefined },
): string {
  const { instanceName: inst, netNamespace: ns } = g;
  if (!g.dataUseInstance || (inst === undefined && ns === undefined)) return name;
  const dot = name.lastIndexOf('.');
  return `${name.slice(0, dot)}.${ns ?? ''}${ns !== undefined && inst !== undefined ? '_' : ''}${inst ?? ''}${name.slice(dot)}`;
}

export function tmpDir(env: NodeJS.ProcessEnv = process.env): string {
  const t = env.TMPDIR;
  return t && t.startsWith('/') ? t : '/tmp';
}

export function dumpPath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(tmpDir(env), name);
}

/** Writes the file (truncating it); a symbolic link in its place is an error (ELOOP). */
export function writeDumpFile(path: string, text: string): void {
  const fd = openSync(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
