// keepalived's check_script_secure verdicts on a fake file system, and what secureScripts does
// with them over a configuration (users, dropped scripts, messages at the script's line).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkScript, type FileStat, type FsError, type ScriptFs } from '../../../src/scripts/security.js';
import { secureScripts, type SecureDeps } from '../../../src/scripts/secure-config.js';
import { lookupIds, parsePasswdLine, type Lookup } from '../../../src/scripts/users.js';
import { loadConfigText } from '../../../src/config/load.js';
import { formatDiagnostic } from '../../../src/config/ast.js';

const DIR = 0o040000;
const REG = 0o100000;
const LNK = 0o120000;
type Node = { mode: number; uid?: number; gid?: number; link?: string };

/** A file system from a table of paths; parents must be listed too. */
function fakeFs(nodes: Record<string, Node>, searchPath: string[] = ['/usr/bin', '/bin']): ScriptFs {
  let ino = 1;
  const inos = new Map(Object.keys(nodes).map((p) => [p, ino++]));
  const enoent: FsError = { code: 'ENOENT', message: 'No such file or directory' };
  const st = (p: string): FileStat | FsError => {
    const n = nodes[p];
    return n ? { mode: n.mode, uid: n.uid ?? 0, gid: n.gid ?? 0, dev: 1, ino: inos.get(p)! } : enoent;
  };
  const resolve = (p: string, depth = 0): string | FsError => {
    const n = nodes[p];
    if (!n) return enoent;
    return n.link !== undefined && depth < 8 ? resolve(n.link, depth + 1) : p;
  };
  return {
    lstat: st,
    stat: (p) => {
      const r = resolve(p);
      return typeof r === 'string' ? st(r) : r;
    },
    realpath: resolve,
    searchPath,
  };
}

const ROOT = { uid: 0, gid: 0 };
const BASE: Record<string, Node> = {
  '/': { mode: DIR | 0o755 },
  '/etc': { mode: DIR | 0o755 },
  '/etc/keepalived': { mode: DIR | 0o755 },
  '/etc/keepalived/ok.sh': { mode: REG | 0o755 },
  '/tmp': { mode: DIR | 0o1777 },
  '/tmp/t.sh': { mode: REG | 0o755 },
  '/srv': { mode: DIR | 0o777 },
  '/srv/open.sh': { mode: REG | 0o755 },
  '/etc/keepalived/gw.sh': { mode: REG | 0o775, gid: 50 },
  '/etc/keepalived/mine.sh': { mode: REG | 0o755, uid: 1000 },
  '/etc/keepalived/noexec.sh': { mode: REG | 0o644 },
  '/usr': { mode: DIR | 0o755 },
  '/usr/bin': { mode: DIR | 0o755 },
  '/usr/bin/curl': { mode: REG | 0o755 },
  '/usr/bin/check': { mode: LNK | 0o777, link: '/srv/open.sh' },
};

test('a root-owned script in root-owned directories is secure; the sticky /tmp is too', () => {
  const fs = fakeFs(BASE);
  for (const p of ['/etc/keepalived/ok.sh', '/tmp/t.sh']) {
    const v = checkScript(p, ROOT, true, fs);
    assert.deepEqual(
      [v.isScript, v.executable, v.insecure, v.inhibit, v.notFound, v.messages],
      [true, true, false, false, false, []],
      p,
    );
  }
});

test('run as root: a world-writable directory, a group-writable file or a non-root owner is unsafe', () => {
  const fs = fakeFs(BASE);
  const cases: [string, string][] = [
    ['/srv/open.sh', '/srv'],
    ['/etc/keepalived/gw.sh', '/etc/keepalived/gw.sh'],
    ['/etc/keepalived/mine.sh', '/etc/keepalived/mine.sh'],
  ];
  for (const [p] of cases) {
    const on = checkScript(p, ROOT, true, fs);
    assert.deepEqual([on.insecure, on.inhibit], [true, true], p);
    assert.deepEqual(on.messages, [`Unsafe permissions found for script '${p}' - disabling.`]);
    const off = checkScript(p, ROOT, false, fs);
    assert.deepEqual([off.insecure, off.inhibit], [true, false], p);
    assert.deepEqual(off.messages, [`Unsafe permissions found for script '${p}'.`]);
  }
});

test('run as a non-root user nothing on the path is checked, but it must be executable for that user', () => {
  const fs = fakeFs(BASE);
  const user = { uid: 1001, gid: 1001 };
  const v = checkScript('/srv/open.sh', user, true, fs);
  assert.deepEqual([v.executable, v.insecure, v.inhibit], [true, false, false]);
  const owner = checkScript('/etc/keepalived/mine.sh', { uid: 1000, gid: 1000 }, true, fs);
  assert.equal(owner.executable, true);
  const noexec = checkScript('/etc/keepalived/noexec.sh', user, true, fs);
  assert.equal(noexec.executable, false);
  assert.deepEqual(noexec.messages, [
    "WARNING - script '/etc/keepalived/noexec.sh' is not executable for uid:gid 1001:1001 - disabling.",
  ]);
});

test('a bare name is searched on PATH with a warning; a missing one is not found', () => {
  const fs = fakeFs(BASE);
  const v = checkScript('curl', ROOT, true, fs);
  assert.equal(v.path, '/usr/bin/curl');
  assert.deepEqual(v.messages, [
    'WARNING - script `curl` resolved by path search to `/usr/bin/curl`. Please specify full path.',
  ]);
  const missing = checkScript('nosuch', ROOT, true, fs);
  assert.deepEqual(
    [missing.notFound, missing.messages],
    [true, ['Cannot find script nosuch in path - disabling']],
  );
  const gone = checkScript('/etc/keepalived/gone.sh', ROOT, true, fs);
  assert.deepEqual(
    [gone.notFound, gone.messages],
    [true, ['Script /etc/keepalived/gone.sh cannot be accessed - No such file or directory']],
  );
  assert.equal(checkScript('</etc/keepalived/flag', ROOT, true, fs).system, true);
});

test('a symbolic link is followed: the file it names is checked, and run by its real path', () => {
  const v = checkScript('/usr/bin/check', ROOT, true, fakeFs(BASE));
  assert.equal(v.path, '/srv/open.sh');
  assert.deepEqual([v.insecure, v.inhibit], [true, true]);
});

test('user lookup: the passwd line gives uid and primary gid; a group name overrides the gid', () => {
  assert.deepEqual(parsePasswdLine('nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n'), {
    uid: 65534,
    gid: 65534,
  });
  const lookup: Lookup = (db, name) =>
    db === 'passwd' && name === 'www'
      ? 'www:x:33:33::/:/bin/sh'
      : db === 'group' && name === 'adm'
        ? 'adm:x:4:'
        : undefined;
  assert.deepEqual(lookupIds('www', undefined, lookup), { uid: 33, gid: 33 });
  assert.deepEqual(lookupIds('www', 'adm', lookup), { uid: 33, gid: 4 });
  assert.deepEqual(lookupIds('nope', undefined, lookup), { error: "Script user 'nope' does not exist" });
  assert.deepEqual(lookupIds('www', 'nogrp', lookup), { error: "Script group 'nogrp' does not exist" });
});

const USERS: Lookup = (db, name) =>
  (<Record<string, string>>{
    'passwd:keepalived_script': 'keepalived_script:x:990:990::/:/usr/sbin/nologin',
    'passwd:www': 'www:x:33:33::/:/bin/sh',
    'passwd:root': 'root:x:0:0::/root:/bin/sh',
  })[`${db}:${name}`];
const NO_KA_USER: Lookup = (db, name) => (name === 'keepalived_script' ? undefined : USERS(db, name));

function run(conf: string, lookup: Lookup, part: 'vrrp' | 'checker' | 'parent' = 'vrrp') {
  const { config, diagnostics } = loadConfigText(conf, 'k.conf');
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), []);
  const deps: SecureDeps = { fs: fakeFs(BASE), lookup, self: ROOT };
  const out = secureScripts(config, part, deps).map(formatDiagnostic);
  return { config, out };
}

const INSTANCE = (body: string) => `
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  priority 100
  virtual_ipaddress { 10.0.0.1 }
  ${body}
}`;

test('default user keepalived_script when it exists; a notify line names its own USER [GROUP]', () => {
  const { config, out } = run(
    INSTANCE('notify_master /etc/keepalived/ok.sh\n  notify_backup "/etc/keepalived/ok.sh backup" www'),
    USERS,
  );
  const vi = config.vrrpInstances[0]!;
  assert.deepEqual(vi.notifyMaster?.runAs, { uid: 990, gid: 990 });
  assert.deepEqual(vi.notifyBackup?.argv, ['/etc/keepalived/ok.sh', 'backup']);
  assert.deepEqual(vi.notifyBackup?.runAs, { uid: 33, gid: 33 });
  assert.deepEqual(out, [
    'k.conf:8:3: warning: SECURITY VIOLATION - scripts are being executed but script_security not enabled.',
  ]);
});

test('without keepalived_script scripts run as root with a warning; with enable_script_security they are refused', () => {
  const body = INSTANCE('notify_master /etc/keepalived/ok.sh');
  const loose = run(body, NO_KA_USER);
  assert.equal(loose.config.vrrpInstances[0]!.notifyMaster?.runAs, undefined, 'runs as vigil itself');
  assert.deepEqual(loose.out, [
    "k.conf:7:3: warning: Script user 'keepalived_script' does not exist: scripts without a user run as root (set script_user)",
    'k.conf:7:3: warning: SECURITY VIOLATION - scripts are being executed but script_security not enabled.',
  ]);
  const strict = run(`global_defs {\n enable_script_security\n}\n${body}`, NO_KA_USER);
  assert.equal(strict.config.vrrpInstances[0]!.notifyMaster, undefined, 'dropped');
  assert.deepEqual(strict.out, [
    "k.conf:10:3: warning: Script user 'keepalived_script' does not exist; unable to set default user keepalived_script for script",
    'k.conf:10:3: warning: Failed to set default user for notify script /etc/keepalived/ok.sh - ignoring',
  ]);
});

test('enable_script_security: an insecure vrrp_script is disabled and leaves the instances that track it', () => {
  const conf = `global_defs {
  enable_script_security
  script_user root
}
vrrp_script chk_open {
  script /srv/open.sh
}
vrrp_script chk_ok {
  script /etc/keepalived/ok.sh
  user www
}
${INSTANCE('track_script {\n    chk_open\n    chk_ok\n  }')}`;
  const { config, out } = run(conf, NO_KA_USER);
  assert.deepEqual(
    config.vrrpScripts.map((s) => s.name),
    ['chk_ok'],
  );
  assert.deepEqual(
    config.vrrpInstances[0]!.trackScript.map((t) => t.name),
    ['chk_ok'],
  );
  assert.deepEqual(config.vrrpScripts[0]!.script?.runAs, { uid: 33, gid: 33 });
  assert.deepEqual(out, [
    "k.conf:6:3: warning: Unsafe permissions found for script '/srv/open.sh' - disabling.",
    'k.conf:6:3: warning: Disabling track script chk_open due to insecure',
  ]);
});

test('MISC_CHECK user, quorum and real-server notify scripts belong to the checker process', () => {
  const conf = `global_defs {
  script_user root
}
virtual_server 10.0.0.1 80 {
  quorum_up /srv/open.sh
  real_server 10.0.1.1 80 {
    notify_up "/etc/keepalived/ok.sh up" nosuchuser
    MISC_CHECK {
      misc_path "/etc/keepalived/ok.sh check"
      user www
    }
  }
}`;
  const { config, out } = run(conf, USERS, 'checker');
  const vs = config.virtualServers[0]!;
  const rs = vs.realServers[0]!;
  assert.equal(rs.notifyUp, undefined);
  assert.deepEqual(rs.checkers[0]!.kind === 'MISC_CHECK' && rs.checkers[0]!.miscPath?.runAs, {
    uid: 33,
    gid: 33,
  });
  assert.equal(vs.quorumUp?.runAs, undefined, 'script_user root: as vigil itself');
  assert.deepEqual(out, [
    "k.conf:7:5: warning: Script user 'nosuchuser' does not exist",
    'k.conf:7:5: warning: Invalid user/group for notify_up script /etc/keepalived/ok.sh - ignoring',
    "k.conf:5:3: warning: Unsafe permissions found for script '/srv/open.sh'.",
    'k.conf:9:7: warning: SECURITY VIOLATION - check scripts are being executed but script_security not enabled. There are insecure scripts.',
  ]);
});
