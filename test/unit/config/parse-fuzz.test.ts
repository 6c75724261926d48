// The parser meets whatever a file holds: it must answer with diagnostics, never an exception,
// and every diagnostic must point at a real place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFile, parseText } from '../../../src/config/parse.js';

const pieces = [
  '{',
  '}',
  '"',
  "'",
  '\\',
  '!',
  '#',
  '$',
  '${',
  '$X=',
  '$X=a \\',
  '@',
  '@^',
  '~SEQ(',
  '~SEQx(i,1,2)',
  '~LST(',
  ')',
  ',',
  'include ',
  'includea ',
  '*.conf',
  '{a,b}',
  'vrrp_instance',
  'virtual_server',
  'real_server',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '10.0.0.1',
  '80',
  'x',
  '$X',
  '${X}',
  '${_RANDOM 1 2}',
  '${_ENV HOME}',
  '\u00e9',
  '\u4e2d',
];

test('random token soups never throw and locate every diagnostic', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 120 }), (soup) => {
      const r = parseText(soup.join(''), '/nonexistent/k.conf', { configId: 'x', env: {} });
      for (const d of r.diagnostics) {
        assert.ok(d.loc.line >= 1 && d.loc.col >= 1, JSON.stringify(d));
        assert.ok(d.message.length > 0);
      }
    }),
    { numRuns: 1500 },
  );
});

test('random bytes never throw', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-fuzz-'));
  const file = join(dir, 'k.conf');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
      writeFileSync(file, bytes);
      const r = parseFile(file, { configId: 'x', env: {} });
      for (const d of r.diagnostics) assert.ok(d.loc.line >= 1 && d.loc.col >= 1, JSON.stringify(d));
    }),
    { numRuns: 500 },
  );
});
