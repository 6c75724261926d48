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
