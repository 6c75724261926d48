import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function vigil(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--version prints the package version', () => {
  const r = vigil('--version');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^vigil \d+\.\d+\.\d+\n$/);
});

test('an unknown command is named, with usage, exit 2', () => {
  const r = vigil('frobnicate');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  assert.match(r.stderr, /usage: vigil COMMAND/);
});

test('status without a daemon says where it looked, exit 1, no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-status-'));
  const r = vigil('status', '--runtime-dir', dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`no vigil daemon is listening on ${dir}/vigil.ctl`));
  assert.doesNotMatch(r.stderr, /\bat .*\(.*:\d+:\d+\)/);
});

// Monitoring exporters ask `keepalived --signum=JSON` which signal to send: vigil must answer
// exactly what keepalived 2.2.7 answers on this machine (and refuse the same names).
test('--signum=SIGFUNC prints what keepalived --signum prints, exit codes included', (t) => {
  const expected: Record<string, [number, string]> = {
    STOP: [0, '15\n'],
    RELOAD: [0, '1\n'],
    DATA: [0, '10\n'],
    STATS: [0, '12\n'],
    STATS_CLEAR: [0, '63\n'],
    JSON: [0, '36\n'],
    TDUMP: [1, ''],
    json: [1, ''],
  };
  const keepalived = spawnSync('sh', ['-c', 'command -v keepalived'], { encoding: 'utf8' }).status === 0;
  if (!keepalived) t.diagnostic('keepalived is not installed: compared with keepalived 2.2.7 figures only');
  for (const [name, [code, out]] of Object.entries(expected)) {
    const r = vigil(`--signum=${name}`);
    assert.deepEqual([r.code, r.stdout], [code, out], name);
    if (code !== 0) assert.equal(r.stderr, `Unknown sigfunc ${name}\n`);
    if (keepalived) {
      const k = spawnSync('keepalived', [`--signum=${name}`], { encoding: 'utf8' });
      assert.deepEqual([r.code, r.stdout], [k.status, k.stdout], `keepalived --signum=${name}`);
    }
  }
});
