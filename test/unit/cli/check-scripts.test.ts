// `vigil check` on script users and security, as keepalived -t judges them on this machine: a
// script root would run from a world-writable directory is refused under enable_script_security,
// at its FILE:LINE:COL, as a warning (keepalived runs the rest of the configuration).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function check(file: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'check', '-f', file], {
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('vigil check: an insecure script is refused at its line; without enable_script_security, SECURITY VIOLATION', (t) => {
  if (process.getuid?.() !== 0)
    return t.skip('needs root: the scripts must be root-owned to be judged secure');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-check-scripts-'));
  try {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const bad = join(open, 'bad.sh');
    writeFileSync(bad, '#!/bin/sh\n');
    chmodSync(bad, 0o755);
    const conf = (security: boolean): string => `global_defs {
  script_user root${security ? '\n  enable_script_security' : ''}
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  priority 100
  virtual_ipaddress { 10.0.0.1 }
  notify_master ${bad}
}
`;
    const f = join(dir, 'k.conf');
    writeFileSync(f, conf(true));
    let r = check(f);
    assert.equal(r.code, 0, r.stderr);
    const line = 10; // notify_master, with enable_script_security on line 3
    assert.equal(
      r.stderr,
      `${f}:${line}:3: warning: Unsafe permissions found for script '${bad}' - disabling.\n`,
    );
    writeFileSync(f, conf(false));
    r = check(f);
    assert.equal(
      r.stderr,
      `${f}:${line - 1}:3: warning: Unsafe permissions found for script '${bad}'.\n` +
        `${f}:${line - 1}:3: warning: SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
