// The real machine for src/scripts: stat, lstat, realpath, PATH, users and our own ids.
import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import type { SecureDeps } from './secure-config.js';
import type { FileStat, FsError, ScriptFs } from './security.js';
import { getent } from './users.js';

/** What execvp searches without PATH (glibc's _CS_PATH). */
const CS_PATH = '/bin:/usr/bin';

function call<T>(f: () => T): T | FsError {
  try {
    return f();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // Node's message is "ENOENT: no such file or directory, stat '/x'": keep strerror's part.
    const text = /^[A-Z]+: ([^,]+)/.exec(err.message)?.[1] ?? err.message;
    return { code: err.code ?? 'EIO', message: text.charAt(0).toUpperCase() + text.slice(1) };
  }
}

const fileStat = (s: Stats): FileStat => ({ mode: s.mode, uid: s.uid, gid: s.gid, dev: s.dev, ino: s.ino });

export function nodeScriptFs(path = process.env['PATH'] ?? CS_PATH): ScriptFs {
  return {
    stat: (p) => call(() => fileStat(statSync(p))),
    lstat: (p) => call(() => fileStat(lstatSync(p))),
    realpath: (p) => call(() => realpathSync(p)),
    searchPath: path.split(':'),
  };
}

/** This machine as secureScripts sees it: its files, its users, this process's ids. */
export function systemScriptDeps(): SecureDeps {
  return {
    fs: nodeScriptFs(),
    lookup: getent,
    self: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
  };
}
