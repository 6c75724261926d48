import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic } from '../../src/config/ast.js';

test('diagnostics print as file:line:col: severity: message', () => {
  assert.equal(
    formatDiagnostic({ severity: 'error', message: 'boom', loc: { file: 'a.conf', line: 3, col: 7 } }),
    'a.conf:3:7: error: boom',
  );
});
