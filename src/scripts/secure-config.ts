// Script users and script security over a loaded configuration, as each keepalived process does
// at start and reload (check_vrrp_script_security, check_check_script_security, and the parent's
// for startup/shutdown scripts): each script gets the uid/gid it runs as (its own USER [GROUP] or
// `user`, else global script_user, else keepalived_script when that user exists, else vigil's
// own), its program resolved, and is dropped with keepalived's message when it may not run.
// Without enable_script_security, scripts run anyway and a SECURITY VIOLATION warning says so.
import type { Diagnostic } from '../config/ast.js';
import type { Config, Notify, NotifyScripts, SyncGroup, VrrpInstance } from '../config/model.js';
import { checkScript, type ScriptFs, type ScriptVerdict } from './security.js';
import { lookupIds, type Ids, type Lookup } from './users.js';

/** Which process's scripts: the VRRP child's, the checker child's, or the supervisor's. */
export type ScriptPart = 'vrrp' | 'checker' | 'parent';

export interface SecureDeps {
  fs: ScriptFs;
  lookup: Lookup;
  /** vigil's own uid/gid (a script that runs as them needs no switch). */
  self: Ids;
}

/** keepalived's default script user, used when it exists. */
export const DEFAULT_SCRIPT_USER = 'keepalived_script';

type Kind = 'notify' | 'track' | 'misc' | 'startstop';

interface Entry {
  n: Notify;
  kind: Kind;
  /** How keepalived names it: "notify", "startup" … (notify_script_init's type). */
  type: string;
  /** vrrp_script NAME for track scripts. */
  name?: string;
  /** The block's `user` (vrrp_script, MISC_CHECK); notify scripts carry theirs in n.user. */
  user?: { user: string; group?: string };
  drop(): void;
}

type NotifyKey = keyof NotifyScripts | 'notifyMasterRxLowerPri';

const VIOLATION: Record<ScriptPart, string> = {
  vrrp: 'scripts are being executed',
  checker: 'check scripts are being executed',
  parent: 'start/shutdown scripts are being executed',
};

function notifyEntries(o: VrrpInstance | SyncGroup, out: Entry[]): void {
  const scripts = o as Partial<Record<NotifyKey, Notify>>;
  const keys: NotifyKey[] = ['notifyBackup', 'notifyMaster', 'notifyFault', 'notifyStop', 'notify'];
  if ('notifyMasterRxLowerPri' in o) keys.push('notifyMasterRxLowerPri');
  for (const k of keys) {
    const n = scripts[k];
    if (n) out.push({ n, kind: 'notify', type: 'notify', drop: () => delete scripts[k] });
  }
}

function entries(config: Config, part: ScriptPart): Entry[] {
  const out: Entry[] = [];
  const g = config.globalDefs;
  if (part === 'parent') {
    if (g.startupScript)
      out.push({
        n: g.startupScript,
        kind: 'startstop',
        type: 'startup',
        drop: () => delete g.startupScript,
      });
    if (g.shutdownScript)
      out.push({
        n: g.shutdownScript,
        kind: 'startstop',
        type: 'shutdown',
        drop: () => delete g.shutdownScript,
      });
  } else if (part === 'vrrp') {
    // keepalived's VRRP process checks nothing when it has no instance.
    if (config.vrrpInstances.length === 0) return out;
    for (const s of config.vrrpScripts) {
      if (!s.script) continue;
      out.push({
        n: s.script,
        kind: 'track',
        type: 'vrrp',
        name: s.name,
        ...(s.user ? { user: s.user } : {}),
        drop: () => {
          config.vrrpScripts = config.vrrpScripts.filter((x) => x !== s);
          for (const o of [...config.vrrpInstances, ...config.syncGroups])
            o.trackScript = o.trackScript.filter((t) => t.name !== s.name);
        },
      });
    }
    for (const vi of config.vrrpInstances) notifyEntries(vi, out);
    for (const sg of config.syncGroups) notifyEntries(sg, out);
    for (const f of [g.notifyFifo, g.vrrpNotifyFifo])
      if (f?.script)
        out.push({ n: f.script, kind: 'notify', type: 'notify_fifo', drop: () => delete f.script });
  } else {
    for (const vs of config.virtualServers) {
      for (const rs of vs.realServers) {
        for (const ch of rs.checkers) {
          if (ch.kind !== 'MISC_CHECK' || !ch.miscPath) continue;
          out.push({
            n: ch.miscPath,
            kind: 'misc',
            type: 'misc',
            ...(ch.user ? { user: ch.user } : {}),
            drop: () => (rs.checkers = rs.checkers.filter((x) => x !== ch)),
          });
        }
        for (const k of ['notifyUp', 'notifyDown'] as const) {
          const n = rs[k];
          if (n)
            out.push({
              n,
              kind: 'notify',
              type: k === 'notifyUp' ? 'notify_up' : 'notify_down',
              drop: () => delete rs[k],
            });
        }
      }
      for (const k of ['quorumUp', 'quorumDown'] as const) {
        const n = vs[k];
        if (n)
          out.push({
            n,
            kind: 'notify',
            type: k === 'quorumUp' ? 'quorum_up' : 'quorum_down',
            drop: () => delete vs[k],
          });
      }
    }
    const f = g.lvsNotifyFifo;
    if (f?.script)
      out.push({ n: f.script, kind: 'notify', type: 'lvs_notify_fifo', drop: () => delete f.script });
  }
  return out;
}

/** keepalived's messages when a script's user cannot be set. */
function userFailure(e: Entry, own: boolean): string {
  const cmd = e.n.argv.join(' ');
  if (e.kind === 'track')
    return own
      ? `Unable to set uid/gid for script ${cmd}`
      : `Unable to set default user for vrrp script ${e.name} - removing`;
  if (e.kind === 'misc')
    return own
      ? `Failed to set uid/gid for misc checker script ${cmd} - removing`
      : `Unable to set default user for misc script ${cmd} - removing`;
  return own
    ? `Invalid user/group for ${e.type} script ${e.n.argv[0]} - ignoring`
    : `Failed to set default user for ${e.type} script ${e.n.argv[0]} - ignoring`;
}

/** Whether keepalived keeps the script after the verdict, and what it says when it drops it. */
function keeps(e: Entry, v: ScriptVerdict): { keep: boolean; message?: string } {
  if (e.kind === 'track' || e.kind === 'misc') {
    const what = e.kind === 'track' ? `track script ${e.name}` : `misc script ${e.n.argv.join(' ')}`;
    if (v.inhibit) return { keep: false, message: `Disabling ${what} due to insecure` };
    if (v.notFound) return { keep: false, message: `Disabling ${what} since not found/accessible` };
    return { keep: v.executable || v.system };
  }
  if (v.inhibit || v.notFound) return { keep: false };
  return { keep: e.kind === 'startstop' ? v.executable || v.system : v.executable };
}

/**
 * Resolves users and checks every script of `part` in place: sets each kept script's runAs and
 * program path, drops the others. Returns keepalived's messages, as warnings at the scripts' lines.
 */
export function secureScripts(config: Config, part: ScriptPart, deps: SecureDeps): Diagnostic[] {
  const out: Diagnostic[] = [];
  const g = config.globalDefs;
  const security = g.enableScriptSecurity;
  const list = entries(config, part);
  if (list.length === 0) return out;
  // One lookup per name: a thousand MISC_CHECKs with one `user` ask the system once.
  const seen = new Map<string, string | undefined>();
  const lookup: Lookup = (db, name) => {
    const key = `${db}:${name}`;
    if (!seen.has(key)) seen.set(key, deps.lookup(db, name));
    return seen.get(key);
  };
  const warn = (message: string, loc: Notify['loc']): void => {
    out.push({ severity: 'warning', message, loc });
  };

  // get_default_script_user: script_user, else keepalived_script, else our own ids.
  let fallback: Ids | null | undefined;
  const defaultIds = (loc: Notify['loc']): Ids | null => {
    if (fallback !== undefined) return fallback;
    if (g.scriptUser) {
      const r = lookupIds(g.scriptUser.user, g.scriptUser.group, lookup);
      if ('error' in r) warn(`${r.error}; error setting global script uid/gid`, g.scriptUser.loc);
      fallback = 'error' in r ? null : r;
      return fallback;
    }
    const r = lookupIds(DEFAULT_SCRIPT_USER, undefined, lookup);
    if (!('error' in r)) return (fallback = r);
    if (security) {
      warn(`${r.error}; unable to set default user ${DEFAULT_SCRIPT_USER} for script`, loc);
      return (fallback = null);
    }
    const self = deps.self.uid === 0 ? 'root' : `uid ${deps.self.uid}`;
    warn(`${r.error}: scripts without a user run as ${self} (set script_user)`, loc);
    return (fallback = deps.self);
  };

  let scripts = false;
  let insecure = false;
  let firstLoc: Notify['loc'] | undefined;
  for (const e of list) {
    const own = e.user ?? e.n.user;
    let ids: Ids | null;
    if (own) {
      const r = lookupIds(own.user, own.group, lookup);
      if ('error' in r) warn(r.error, e.n.loc);
      ids = 'error' in r ? null : r;
    } else ids = defaultIds(e.n.loc);
    if (!ids) {
      warn(userFailure(e, own !== undefined), e.n.loc);
      e.drop();
      continue;
    }
    const v = checkScript(e.n.argv[0]!, ids, security, deps.fs);
    for (const m of v.messages) warn(m, e.n.loc);
    if (v.isScript) {
      scripts = true;
      firstLoc ??= e.n.loc;
    }
    insecure ||= v.insecure;
    const k = keeps(e, v);
    if (k.message) warn(k.message, e.n.loc);
    if (!k.keep) {
      e.drop();
      continue;
    }
    if (!v.system) e.n.argv[0] = v.path;
    if (ids.uid !== deps.self.uid || ids.gid !== deps.self.gid) e.n.runAs = { uid: ids.uid, gid: ids.gid };
    else delete e.n.runAs;
  }
  if (!security && scripts)
    warn(
      `SECURITY VIOLATION - ${VIOLATION[part]} but script_security not enabled.${insecure ? ' There are insecure scripts.' : ''}`,
      firstLoc!,
    );
  return out;
}
