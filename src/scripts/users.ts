// User and group names to ids, as getpwnam/getgrnam answer them (through NSS: `getent`, so LDAP
// or sssd users resolve as they do for keepalived). The parsing is pure; lookupIds reads the system.
import { execFileSync } from 'node:child_process';

export interface Ids {
  uid: number;
  gid: number;
}

/** The `name:x:uid:gid:…` line getent (or /etc/passwd) gives; ids of the user and its group. */
export function parsePasswdLine(line: string): Ids | undefined {
  const f = line.trim().split(':');
  if (f.length < 4 || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) return undefined;
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** The `name:x:gid:members` line of a group. */
export function parseGroupLine(line: string): number | undefined {
  const f = line.trim().split(':');
  return f.length >= 3 && /^\d+$/.test(f[2]!) ? Number(f[2]) : undefined;
}

export type Lookup = (db: 'passwd' | 'group', name: string) => string | undefined;

/** `getent DB NAME`: its line, or undefined when the name is unknown. */
export const getent: Lookup = (db, name) => {
  try {
    return execFileSync('getent', [db, name], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
};

/**
 * keepalived's set_uid_gid: the user's uid and primary group, or the named group; an error in
 * keepalived's words when a name does not resolve.
 */
export function lookupIds(
  user: string,
  group: string | undefined,
  lookup: Lookup = getent,
): Ids | { error: string } {
  const pw = lookup('passwd', user);
  const ids = pw === undefined ? undefined : parsePasswdLine(pw);
  if (!ids) return { error: `Script user '${user}' does not exist` };
  if (group === undefined) return ids;
  const gr = lookup('group', group);
  const gid = gr === undefined ? undefined : parseGroupLine(gr);
  if (gid === undefined) return { error: `Script group '${group}' does not exist` };
  return { uid: ids.uid, gid };
}
