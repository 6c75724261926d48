// Script users and script security in the running daemon, with a real unprivileged user: track,
// notify, startup and shutdown scripts run with that user's uid/gid (they write `id -u`/`id -g`),
// a notify line's own USER runs as that user, and under enable_script_security a script root
// would run from a world-writable directory is refused with keepalived's message (a weight-0
// track script that would hold the instance in FAULT is disabled, so it becomes master).
// Then, against a keepalived 2.2.7 peer that cannot hear vigil (one-way unicast), vrrp_startup_delay
// holds vigil out of MASTER for the delay, and as master vigil runs notify_master_rx_lower_pri on
// keepalived's lower-priority adverts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab } from '../../../src/lab/index.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import { type Daemon, startKeepalived, startVigil, stopDaemon, waitFor, waitState } from './harness.js';

const USER = 'vigilscript';

function lines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** The test's unprivileged user: its ids, and whether this test created it (and removes it). */
function ensureUser(): { uid: number; gid: number; created: boolean } {
  let created = false;
  const entry = (): string | null => {
    try {
      return execFileSync('getent', ['passwd', USER], { encoding: 'utf8' });
    } catch {
      return null;
    }
  };
  if (!entry()) {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', USER]);
    created = true;
  }
  const f = entry()!.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]), created };
}

function removeUser(created: boolean): void {
  if (created) execFileSync('userdel', [USER], { stdio: 'ignore' });
}

/** A root-owned 0755 script that appends "TAG uid gid" to `out`, then exits with `code`. */
function idScript(path: string, out: string, code = 0): void {
  writeFileSync(path, `#!/bin/sh\necho "$1 $(id -u) $(id -g)" >> ${out}\nexit ${code}\n`);
  chmodSync(path, 0o755);
}

test('scripts run as script_user or their own user; an insecure one is refused under enable_script_security', async (t: TestContext) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('useradd'))) return;
  const user = ensureUser();
  const NET = '192.168.187';
  const lab = await createLab({ nodes: [{ name: 'a', addresses: [`${NET}.11/24`] }] });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-scriptsec-'));
  chmodSync(dir, 0o755); // mkdtemp's 0700 would keep the script user out
  const outDir = join(dir, 'out');
  mkdirSync(outDir);
  chmodSync(outDir, 0o777); // not on any script's path: where the scripts write
  const ids = join(outDir, 'ids');
  const id = join(dir, 'id.sh');
  idScript(id, ids);
  const open = join(dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777); // world-writable, no sticky bit: anyone could swap the script
  const bad = join(open, 'bad.sh');
  idScript(bad, ids, 1);
  const conf = `global_defs {
  enable_script_security
  script_user ${USER}
  startup_script "${id} startup"
  shutdown_script "${id} shutdown"
  shutdown_script_timeout 5
}
vrrp_script chk_id {
  script "${id} track"
  interval 0.5
}
vrrp_script chk_bad {
  script ${bad}
  user root
  interval 0.2
  weight 0
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 61
  priority 100
  advert_int 0.2
  version 3
  virtual_ipaddress {
    ${NET}.100/24
  }
  track_script {
    chk_id
    chk_bad
  }
  notify_master "${id} master"
  notify_backup "${id} backup" root
  notify_fault ${bad} root
}
`;
  const daemons: Daemon[] = [];
  try {
    const a = await startVigil(lab, 'a', join(dir, 'a'), conf);
    daemons.push(a);
    await waitState(a, 'VI_1', 'MASTER', 20_000);
    await waitFor('a track script run', async () => lines(ids).some((l) => l.startsWith('track ')), 3000);
    await stopDaemon(lab, a, 'SIGTERM');
    const me = `${user.uid} ${user.gid}`;
    const seen = lines(ids);
    assert.equal(seen[0], `startup ${me}`, 'the startup script runs first, as script_user');
    assert.ok(seen.includes(`backup 0 0`), `notify_backup "…" root runs as root: ${seen.join(' | ')}`);
    assert.ok(seen.includes(`master ${me}`), `notify_master as script_user: ${seen.join(' | ')}`);
    assert.ok(seen.includes(`track ${me}`), `the track script as script_user: ${seen.join(' | ')}`);
    assert.equal(seen.at(-1), `shutdown ${me}`, 'the shutdown script runs last, as script_user');
    assert.ok(!seen.some((l) => l.startsWith('/')), `the insecure script never ran: ${seen.join(' | ')}`);
    const out = a.output();
    assert.match(out, new RegExp(`Unsafe permissions found for script '${bad}' - disabling\\.`));
    assert.match(out, /Disabling track script chk_bad due to insecure/);
    assert.doesNotMatch(out, /SECURITY VIOLATION/);
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.node}:\n${d.output()}`);
    throw e;
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
    removeUser(user.created);
  }
});

test('vrrp_startup_delay holds MASTER back; as master, notify_master_rx_lower_pri runs on a keepalived peer’s lower-priority adverts', async (t: TestContext) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('keepalived'))) return;
  const NET = '192.168.188';
  const lab = await createLab({
    nodes: [
      { name: 'k', addresses: [`${NET}.11/24`] },
      { name: 'v', addresses: [`${NET}.12/24`] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rxlower-'));
  chmodSync(dir, 0o755);
  const ids = join(dir, 'ids');
  const id = join(dir, 'id.sh');
  idScript(id, ids);
  const instance = (priority: number, src: string, peer: string, extra = ''): string => `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 62
  priority ${priority}
  advert_int 1
  unicast_src_ip ${src}
  unicast_peer {
    ${peer}
  }
  virtual_ipaddress {
    ${NET}.100/24
  }
${extra}}
`;
  const daemons: Daemon[] = [];
  try {
    // keepalived sends to vigil; vigil sends to an address nobody has: keepalived stays master.
    const k = await startKeepalived(lab, 'k', join(dir, 'k'), instance(50, `${NET}.11`, `${NET}.12`));
    daemons.push(k);
    await waitFor('keepalived master', async () => /Entering MASTER STATE/.test(k.output()), 10_000);
    const delayS = 3;
    const v = await startVigil(
      lab,
      'v',
      join(dir, 'v'),
      `global_defs {\n  vrrp_startup_delay ${delayS}\n  script_user root\n}\n` +
        instance(150, `${NET}.12`, `${NET}.99`, `  notify_master_rx_lower_pri "${id} rxlower"\n`),
    );
    daemons.push(v);
    const master = await waitState(v, 'VI_1', 'MASTER', 30_000);
    // Without the delay: one master-down interval (3 × 1 s + skew) after the instance starts in
    // BACKUP. With it: the delay, then that interval (keepalived's lower adverts do not reset it).
    const at = (to: string): number => Date.parse(master.transitions.find((x) => x.to === to)!.at);
    const tookMs = at('MASTER') - at('BACKUP');
    assert.ok(tookMs >= (delayS + 3) * 1000, `MASTER ${tookMs} ms after BACKUP`);
    assert.match(v.output(), new RegExp(`Delaying startup for ${delayS} seconds`));
    await waitFor('notify_master_rx_lower_pri', async () => lines(ids).length >= 2, 5000);
    assert.deepEqual(
      lines(ids).slice(0, 2),
      ['rxlower 0 0', 'rxlower 0 0'],
      'run per advert, no arguments added',
    );
    assert.match(v.output(), /Received advert from 192\.168\.188\.11 with lower priority 50, ours 150/);
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.node}:\n${d.output()}`);
    throw e;
  } finally {
    for (const d of daemons) await stopDaemon(lab, d).catch(() => undefined);
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(existsSync(dir), false);
});
