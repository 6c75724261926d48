// Configurations written in GBK (or any byte encoding) work as keepalived reads them: bytes that
// are not UTF-8 are fine in comments, and a warning at their line:col in a value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.js';

const seeds = 'test/fixtures/corpus/seed-configs';

function diagnostics(path: string): string[] {
  const r = loadConfig(path, { configId: 'vigil-test' });
  return r.diagnostics.map((d) => `${d.loc.line}:${d.loc.col}: ${d.severity}: ${d.message}`).sort();
}

test("a GBK copy of each guide's configuration checks exactly as its UTF-8 original", () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-gbk-'));
  try {
    let converted = 0;
    for (const f of readdirSync(seeds).sort()) {
      const utf8 = readFileSync(join(seeds, f));
      const gbk = execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GBK', join(seeds, f)]);
      if (!gbk.equals(utf8)) converted++;
      const copy = join(dir, f);
      writeFileSync(copy, gbk);
      assert.deepEqual(diagnostics(copy), diagnostics(join(seeds, f)), f);
    }
    // The guides are Chinese: most copies really differ from their originals.
    assert.ok(converted >= 20, `only ${converted} files have non-ASCII text`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a GBK byte in a value is a warning at its line:col; in a comment it is nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-gbk-'));
  try {
    const conf = join(dir, 'k.conf');
    const text = [
      '# 主备配置', // a comment line
      'global_defs {',
      '    router_id 主机A ! 注释', // line 3: a value
      '    smtp_connect_timeout 30 # 超时',
      '}',
      '',
    ].join('\n');
    writeFileSync(conf, execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GBK'], { input: text }));
    const r = loadConfig(conf, { configId: 'x' });
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.loc.line}:${d.loc.col}: ${d.severity}: ${d.message}`),
      [
        "3:15: warning: byte 0xd6 is not UTF-8: vigil reads it as U+FFFD, so this value is not the file's bytes (keepalived takes them as they are); write it in UTF-8",
      ],
    );
    assert.equal(r.config.globalDefs.smtpConnectTimeout, 30);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
