// Bash completion: the script vigil prints, sourced in a real bash with `vigil` on PATH, completes
// commands, each command's flags (read from its --help) and lab's subcommands and presets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { candidates, flagsOf } from '../../../src/cli/completion.js';

test('flagsOf reads long flags, short flags and ipvsadm pairs such as -A|E', () => {
  assert.deepEqual(flagsOf('  vigil adm -A|E svc [-s scheduler] [--pe engine] -L|l [--stats]'), [
    '--pe',
    '--stats',
    '-A',
    '-E',
    '-L',
    '-l',
    '-s',
  ]);
  assert.deepEqual(flagsOf('host:port, round-robin and a-b words'), []);
});

test('candidates: commands first, then flags of the command, lab subcommands then presets', () => {
  const help = (cmd: string): string => (cmd === 'lab' ? 'vigil lab up NAME [--engine E]' : '-f FILE --json');
  assert.deepEqual(candidates([], ['check', 'lab'], help).slice(0, 2), ['check', 'lab']);
  assert.deepEqual(candidates(['check'], ['check', 'lab'], help), ['--json', '-f']);
  assert.deepEqual(candidates(['lab'], ['check', 'lab'], help), ['up', 'status', 'down', '--engine']);
  assert.deepEqual(candidates(['lab', 'up'], ['check', 'lab'], help).slice(0, 1), ['dr']);
  assert.deepEqual(candidates(['nope'], ['check', 'lab'], help), []);
});

test('vigil completion bash, sourced in bash, completes from the real commands', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-completion-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cli = resolve('src/cli/main.ts');
  const bin = join(dir, 'vigil');
  writeFileSync(bin, `#!/bin/sh\nexec ${process.execPath} --import tsx ${cli} "$@"\n`);
  chmodSync(bin, 0o755);
  const script = spawnSync(bin, ['completion', 'bash'], { encoding: 'utf8' });
  assert.equal(script.status, 0, script.stderr);
  writeFileSync(join(dir, 'completion.bash'), script.stdout);
  const complete = (line: string): string[] => {
    const words = line.split(' ');
    const r = spawnSync(
      'bash',
      [
        '-c',
        `source ${join(dir, 'completion.bash')}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); ` +
          `COMP_CWORD=${words.length - 1}; _vigil; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, cwd: resolve('.') },
    );
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  };
  assert.deepEqual(complete('vigil ch'), ['check']);
  assert.ok(complete('vigil adm -').includes('--rate'), 'adm flags');
  assert.ok(complete('vigil adm -').includes('-E'), 'ipvsadm -A|E');
  assert.deepEqual(complete('vigil check --j'), ['--json']);
  assert.deepEqual(complete('vigil lab u'), ['up']);
  assert.deepEqual(complete('vigil lab up d'), ['dr', 'dual-master']);
});
