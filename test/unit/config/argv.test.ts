import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitArgv } from '../../../src/config/argv.js';

test('script lines split like a shell: quotes group, escapes as in C', () => {
  assert.deepEqual(splitArgv(`/usr/bin/check "a b" 'c  d' e\\ f`), {
    argv: ['/usr/bin/check', 'a b', 'c  d', 'e f'],
  });
  assert.deepEqual(splitArgv(`x "say \\"hi\\"" \\x41\\102\\n\\cA`), { argv: ['x', 'say "hi"', 'AB\n\x01'] });
  assert.deepEqual(splitArgv(`a"b c"d`), { argv: ['ab cd'] });
  assert.deepEqual(splitArgv('   '), { argv: [] });
});

test('unterminated quotes and a trailing backslash are errors that quote the line', () => {
  assert.deepEqual(splitArgv(`run "abc`), { error: 'missing terminating " in: run "abc' });
  assert.deepEqual(splitArgv(`run abc\\`), {
    error: "missing character after '\\' at the end of: run abc\\",
  });
});
