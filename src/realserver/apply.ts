// `vigil realserver` against the system: rtnetlink for the device and VIPs, /proc/sys for the
// sysctls, files under the root for persistence and the state --undo reads.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { addAddress, deleteAddress, listAddresses } from '../os/addresses.js';
import { addDummyLink, deleteLink, getLink, setLinkUp, type RtNetlinkSocket } from '../os/link.js';
import { readSysctl, sysctlName, writeSysctl } from '../os/sysctl.js';
import {
  desiredSysctls,
  missingItems,
  parseState,
  persistFiles,
  STATE_FILE,
  SYSCTL_FILE,
  underRoot,
  UNIT_FILE,
  UNIT_NAME,
  type Observed,
  type PersistFile,
  type RealserverOptions,
  type RealserverState,
} from './plan.js';

const run = promisify(execFile);

/** The command the persisted unit runs; VIGIL_BIN overrides it (a package installs /usr/bin/vigil). */
export function vigilBin(): string {
  return process.env.VIGIL_BIN ?? '/usr/bin/vigil';
}

export function statePath(root: string): string {
  return underRoot(root, STATE_FILE);
}

export function loadState(root: string): RealserverState | null {
  const path = statePath(root);
  if (!existsSync(path)) return null;
  const s = parseState(readFileSync(path, 'utf8'));
  if (!s) throw new Error(`${path} is not a vigil realserver state file; remove it or fix it`);
  return s;
}

function saveState(root: string, s: RealserverState): void {
  writeAtomic(statePath(root), JSON.stringify(s, null, 2) + '\n');
}

function writeAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

function wantedFiles(o: RealserverOptions): PersistFile[] {
  return o.persist ? persistFiles(o.root, o.mode, o.dev, o.vips, vigilBin()) : [];
}

export async function observe(rtnl: RtNetlinkSocket, o: RealserverOptions): Promise<Observed> {
  const link = await getLink(rtnl, o.dev);
  const addresses = new Map<string, number>();
  if (link) for (const a of await listAddresses(rtnl, o.dev)) addresses.set(a.address, a.prefix);
  const sysctls = new Map<string, string | null>();
  for (const s of desiredSysctls(o.mode, o.dev, true)) sysctls.set(sysctlName(s.key), readSysctl(s.key));
  const files = new Map<string, string | undefined>();
  for (const f of wantedFiles(o))
    files.set(f.path, existsSync(f.path) ? readFileSync(f.path, 'utf8') : undefined);
  return { link: { exists: link !== null, up: link?.up === true }, addresses, sysctls, files };
}

export async function check(rtnl: RtNetlinkSocket, o: RealserverOptions): Promise<string[]> {
  return missingItems(o, await observe(rtnl, o), wantedFiles(o));
}

/** tunl0 appears (in every namespace) once the ipip module is loaded. */
async function ensureTunl0(rtnl: RtNetlinkSocket): Promise<void> {
  if (await getLink(rtnl, 'tunl0')) return;
  let why = '';
  try {
    await run('modprobe', ['ipip']);
  } catch (e) {
    const x = e as { stderr?: string; message: string };
    why = (x.stderr?.trim() || x.message).split('\n')[0] ?? '';
  }
  if (await getLink(rtnl, 'tunl0')) return;
  throw new Error(
    `--mode tun needs tunl0, and this kernel has no ipip (IP-in-IP) support` +
      (why ? ` (modprobe ipip: ${why})` : '') +
      '; load the ipip module or use --mode dr',
  );
}

async function systemctl(...args: string[]): Promise<string> {
  try {
    await run('systemctl', args);
    return `systemctl ${args.join(' ')}`;
  } catch (e) {
    return `systemctl ${args.join(' ')} failed: ${((e as { stderr?: string }).stderr ?? '').trim() || (e as Error).message}`;
  }
}

/** systemd runs on this host, and the files went to its /etc (not a test's root). */
function liveSystemd(root: string): boolean {
  return root.replace(/\/+$/, '') === '' && existsSync('/run/systemd/system');
}

/** Sets everything up; returns what it did, one line each (nothing: it was all in place). */
export async function apply(rtnl: RtNetlinkSocket, o: RealserverOptions): Promise<string[]> {
  const done: string[] = [];
  const prior = loadState(o.root);
  if (prior && (prior.mode !== o.mode || prior.dev !== o.dev))
    throw new Error(
      `an earlier run set up ${prior.mode.toUpperCase()} on ${prior.dev} (${statePath(o.root)}); ` +
        `run 'vigil realserver --undo' first`,
    );
  const state: RealserverState = prior ?? {
    version: 1,
    mode: o.mode,
    dev: o.dev,
    vips: [],
    added: [],
    sysctls: [],
    createdLink: false,
    upLink: false,
    persisted: false,
  };
  // Saved after each step: a failure half-way still leaves --undo what it needs.
  let saved = prior !== null;
  const save = (): void => {
    saveState(o.root, state);
    saved = true;
  };
  try {
    if (o.mode === 'tun') await ensureTunl0(rtnl);
    let link = await getLink(rtnl, o.dev);
    if (!link) {
      try {
        await addDummyLink(rtnl, o.dev);
      } catch (e) {
        const code = /Request rejected: (\w+)/.exec((e as Error).message)?.[1] ?? (e as Error).message;
        const why = code === 'ENOTSUP' || code === 'EOPNOTSUPP' ? 'this kernel has no dummy devices' : code;
        throw new Error(`no interface ${o.dev}, and creating it as a dummy device failed: ${why}`);
      }
      state.createdLink = true;
      save();
      done.push(`created dummy interface ${o.dev}`);
      link = await getLink(rtnl, o.dev);
    }
    if (!link?.up) {
      await setLinkUp(rtnl, o.dev, true);
      if (!state.createdLink) state.upLink = true;
      save();
      done.push(`set ${o.dev} up`);
    }
    for (const v of o.vips) {
      if (!state.vips.some((x) => x.address === v.address)) state.vips.push(v);
      const r = await addAddress(rtnl, { address: v.address, prefix: v.prefix, dev: o.dev });
      if (r === 'added') {
        if (!state.added.includes(v.address)) state.added.push(v.address);
        done.push(`added ${v.address}/${v.prefix} on ${o.dev}`);
      }
      save();
    }
    for (const s of desiredSysctls(
      o.mode,
      o.dev,
      state.vips.some((v) => v.family === 4),
    )) {
      const have = readSysctl(s.key);
      if (have === null) throw new Error(`${sysctlName(s.key)}: no such kernel parameter`);
      if (have === s.value) continue;
      if (!state.sysctls.some((x) => x.key.join('/') === s.key.join('/')))
        state.sysctls.push({ key: [...s.key], previous: have });
      save();
      writeSysctl(s.key, s.value);
      done.push(`set ${sysctlName(s.key)} = ${s.value} (was ${have})`);
    }
    if (o.persist || state.persisted) {
      // Once persisted, the files follow every later run (a VIP added later survives reboots too).
      for (const f of persistFiles(o.root, o.mode, o.dev, state.vips, vigilBin())) {
        if (existsSync(f.path) && readFileSync(f.path, 'utf8') === f.content) continue;
        writeAtomic(f.path, f.content);
        done.push(`wrote ${f.path}`);
      }
      if (!state.persisted && liveSystemd(o.root)) {
        done.push(await systemctl('daemon-reload'));
        done.push(await systemctl('enable', UNIT_NAME));
      }
      state.persisted = true;
    }
  } finally {
    // Nothing changed (e.g. no tunl0): no state file to trip over later.
    if (saved) save();
  }
  return done;
}

/**
 * Puts back what earlier runs changed. With `only`, removes just those VIPs, and restores the
 * rest only once no VIP is left. Returns what it did, one line each.
 */
export async function undo(rtnl: RtNetlinkSocket, root: string, only: string[]): Promise<string[]> {
  const state = loadState(root);
  if (!state) return [`nothing to undo (no ${statePath(root)})`];
  const done: string[] = [];
  const remove = only.length ? only : state.vips.map((v) => v.address);
  for (const address of remove) {
    const v = state.vips.find((x) => x.address === address);
    if (!v) {
      done.push(`${address}: not set up by vigil realserver; left alone`);
      continue;
    }
    if (state.added.includes(address)) {
      const r = await deleteAddress(rtnl, { address, prefix: v.prefix, dev: state.dev });
      if (r === 'deleted') done.push(`removed ${address}/${v.prefix} from ${state.dev}`);
    } else done.push(`${address} on ${state.dev} was there before; left in place`);
    state.vips = state.vips.filter((x) => x.address !== address);
    state.added = state.added.filter((x) => x !== address);
    saveState(root, state);
  }
  if (state.vips.length) {
    if (state.persisted)
      for (const f of persistFiles(root, state.mode, state.dev, state.vips, vigilBin())) {
        writeAtomic(f.path, f.content);
        done.push(`rewrote ${f.path}`);
      }
    done.push(`kept the sysctls: ${state.vips.map((v) => v.address).join(', ')} still set up`);
    return done;
  }
  for (const s of [...state.sysctls].reverse()) {
    if (readSysctl(s.key) === null) continue; // the device went away with its settings
    writeSysctl(s.key, s.previous);
    done.push(`restored ${sysctlName(s.key)} = ${s.previous}`);
  }
  if (state.createdLink) {
    await deleteLink(rtnl, state.dev);
    done.push(`deleted interface ${state.dev}`);
  } else if (state.upLink && (await getLink(rtnl, state.dev))) {
    await setLinkUp(rtnl, state.dev, false);
    done.push(`set ${state.dev} down`);
  }
  if (state.persisted) {
    if (liveSystemd(root)) done.push(await systemctl('disable', UNIT_NAME));
    for (const path of [underRoot(root, SYSCTL_FILE), underRoot(root, UNIT_FILE)]) {
      if (!existsSync(path)) continue;
      rmSync(path);
      done.push(`removed ${path}`);
    }
  }
  rmSync(statePath(root));
  return done;
}
