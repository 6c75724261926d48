// Whether a script may run, as keepalived 2.2.7's check_script_secure (lib/notify.c) decides it:
// a bare name is searched on PATH, the path is resolved, the file must be executable by the user
// it runs as, and a script run by root (or set-uid/gid root) must not be modifiable by anyone but
// root: every directory on its path and the file itself owned by root and not writable by a
// non-root group or by all (a directory with the sticky bit excepted). Pure: the file system is
// passed in (src/scripts/fs.ts reads the real one).

/** What stat(2)/lstat(2) tell. */
export interface FileStat {
  mode: number;
  uid: number;
  gid: number;
  dev: number;
  ino: number;
}

/** A failed call: the errno name and its text (ENOENT, "No such file or directory"). */
export interface FsError {
  code: string;
  message: string;
}

export interface ScriptFs {
  stat(path: string): FileStat | FsError;
  lstat(path: string): FileStat | FsError;
  realpath(path: string): string | FsError;
  /** The directories a bare command name is searched in (PATH). */
  searchPath: readonly string[];
}

export interface ScriptVerdict {
  /** A script file was found (keepalived's SC_ISSCRIPT). */
  isScript: boolean;
  /** Executable by the user it runs as. */
  executable: boolean;
  /** `</path`: keepalived's file-openable test, never executed. */
  system: boolean;
  /** Not found or not accessible. */
  notFound: boolean;
  /** Modifiable by non-root. */
  insecure: boolean;
  /** Must not run (insecure under enable_script_security, or a wrong file type on its path). */
  inhibit: boolean;
  /** The program as it will be run: the PATH match or the resolved path. */
  path: string;
  /** keepalived's log lines about it, in order. */
  messages: string[];
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

const isErr = <T>(x: T | FsError): x is FsError => typeof x === 'object' && x !== null && 'code' in x;
const type = (s: FileStat): number => s.mode & S_IFMT;

/** keepalived's is_executable: root needs any x bit; otherwise the owner's, group's or others'. */
export function isExecutable(s: FileStat, uid: number, gid: number): boolean {
  if (uid === 0) return (s.mode & 0o111) !== 0;
  if (uid === s.uid) return (s.mode & 0o100) !== 0;
  return gid === s.gid ? (s.mode & 0o010) !== 0 : (s.mode & 0o001) !== 0;
}

/** Owned by non-root, or (a file, or a directory without the sticky bit) group/world writable. */
export function unsafe(s: FileStat): boolean {
  if (s.uid !== 0) return true;
  const t = type(s);
  const guarded = (t === S_IFDIR && (s.mode & S_ISVTX) === 0) || t === S_IFREG;
  return guarded && ((s.gid !== 0 && (s.mode & 0o020) !== 0) || (s.mode & 0o002) !== 0);
}

/** `/`, `/a`, `/a/b` … then the path itself: each component keepalived's check_security lstat()s. */
function prefixes(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1))
    out.push(i === 0 ? '/' : path.slice(0, i));
  out.push(path);
  return out;
}

type Flags = Pick<ScriptVerdict, 'notFound' | 'insecure' | 'inhibit'>;

/** check_security: every component of the path, the last one a file or a symbolic link. */
function checkPath(path: string, security: boolean, fs: ScriptFs, messages: string[]): Flags {
  const parts = prefixes(path);
  for (const [i, p] of parts.entries()) {
    const last = i === parts.length - 1;
    const s = fs.lstat(p);
    if (isErr(s)) {
      messages.push(
        ['EACCES', 'ELOOP', 'ENOENT', 'ENOTDIR'].includes(s.code)
          ? `check_script_secure could not find script '${path}' - disabling`
          : `check_script_secure('${path}') returned ${s.code} - ${s.message} - disabling`,
      );
      return { notFound: true, insecure: false, inhibit: false };
    }
    if ((!last && type(s) !== S_IFDIR) || (last && type(s) !== S_IFREG && type(s) !== S_IFLNK)) {
      messages.push(`Wrong file type found in script path '${path}'.`);
      return { notFound: false, insecure: false, inhibit: true };
    }
    if (unsafe(s)) {
      messages.push(`Unsafe permissions found for script '${path}'${security ? ' - disabling' : ''}.`);
      return { notFound: false, insecure: true, inhibit: security };
    }
  }
  return { notFound: false, insecure: false, inhibit: false };
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** PATH search as execvp does it, keeping only regular files the user may execute. */
function searchPath(
  file: string,
  uid: number,
  gid: number,
  fs: ScriptFs,
): { path: string } | { denied: boolean } {
  let denied = false;
  for (const dir of fs.searchPath) {
    const candidate = dir ? `${dir}/${file}` : file;
    const s = fs.stat(candidate);
    if (isErr(s)) continue;
    if (type(s) === S_IFREG && isExecutable(s, uid, gid)) return { path: candidate };
    denied = true;
  }
  return { denied };
}

/** The verdict on a script's program `argv0` run as uid/gid, with enable_script_security or not. */
export function checkScript(
  argv0: string,
  runAs: { uid: number; gid: number },
  security: boolean,
  fs: ScriptFs,
): ScriptVerdict {
  const v: ScriptVerdict = {
    isScript: false,
    executable: false,
    system: false,
    notFound: false,
    insecure: false,
    inhibit: false,
    path: argv0,
    messages: [],
  };
  const { uid, gid } = runAs;
  if (/^<[ \t]*\//.test(argv0)) return { ...v, system: true };

  if (!argv0.includes('/')) {
    const found = argv0 ? searchPath(argv0, uid, gid, fs) : { denied: false };
    if ('denied' in found) {
      v.messages.push(
        found.denied
          ? `Permissions failure for script ${argv0} in path - disabling`
          : `Cannot find script ${argv0} in path - disabling`,
      );
      return { ...v, notFound: true };
    }
    v.messages.push(
      `WARNING - script \`${argv0}\` resolved by path search to \`${found.path}\`. Please specify full path.`,
    );
    v.path = found.path;
  }

  const resolved = fs.realpath(v.path);
  if (isErr(resolved)) {
    v.messages.push(`Script ${v.path} cannot be accessed - ${resolved.message}`);
    return { ...v, notFound: true };
  }
  // Keep the name the script was called by (some programs act on it) when the resolved
  // directory holds that same file under it; otherwise run the resolved file.
  let realFile: string | undefined;
  let path = resolved;
  if (resolved !== v.path && basename(resolved) !== basename(v.path)) {
    const named = `${resolved.slice(0, resolved.lastIndexOf('/') + 1)}${basename(v.path)}`;
    const real = fs.stat(resolved);
    const alias = fs.stat(named);
    const same = !isErr(real) && !isErr(alias) && real.dev === alias.dev && real.ino === alias.ino;
    if (isErr(real) || same) {
      path = named;
      realFile = resolved;
    }
  }
  v.path = path;

  const file = fs.stat(realFile ?? path);
  if (isErr(file)) {
    v.messages.push(`Unable to access script \`${path}\` - disabling`);
    return { ...v, notFound: true };
  }
  v.isScript = true;
  let protect = false;
  if (isExecutable(file, uid, gid)) {
    v.executable = true;
    protect =
      uid === 0 ||
      gid === 0 ||
      (file.uid === 0 && (file.mode & 0o100) !== 0 && (file.mode & S_ISUID) !== 0) ||
      (file.gid === 0 && (file.mode & 0o010) !== 0 && (file.mode & S_ISGID) !== 0);
  } else {
    v.messages.push(`WARNING - script '${path}' is not executable for uid:gid ${uid}:${gid} - disabling.`);
  }
  if (!protect) return v;
  for (const p of realFile ? [path, realFile] : [path]) {
    const f = checkPath(p, security, fs, v.messages);
    v.notFound ||= f.notFound;
    v.insecure ||= f.insecure;
    v.inhibit ||= f.inhibit;
  }
  return v;
}
