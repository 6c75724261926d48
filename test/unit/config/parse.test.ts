import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFile, parseText, type ParseResult } from '../../../src/config/parse.js';
import type { Stmt } from '../../../src/config/ast.js';

/** `keyword arg arg` per statement, children indented. */
function outline(stmts: Stmt[], indent = ''): string[] {
  return stmts.flatMap((s) => [
    indent + [s.keyword, ...s.args].map((t) => t.text).join(' '),
    ...(s.block ? outline(s.block, indent + '  ') : []),
  ]);
}
const messages = (r: ParseResult): string[] =>
  r.diagnostics.map((d) => `${d.loc.line}:${d.loc.col}: ${d.severity}: ${d.message}`);

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-parse-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(d, name, '..'), { recursive: true });
    writeFileSync(join(d, name), text);
  }
  return d;
}

test('tokens carry file, line and column; comments go anywhere outside quotes', () => {
  const r = parseText(
    'global_defs {\n   router_id  LVS_1 # the id\n  notification_email_from "a#b!c" ! x\n}\n',
    'k.conf',
  );
  assert.deepEqual(messages(r), []);
  const [g] = r.stmts;
  assert.equal(g!.keyword.loc.col, 1);
  const [id, from] = g!.block!;
  assert.deepEqual(id!.args[0]!.loc, { file: 'k.conf', line: 2, col: 15 });
  assert.equal(from!.args[0]!.text, 'a#b!c');
  assert.equal(from!.args[0]!.quoted, true);
  assert.deepEqual(outline(r.stmts), ['global_defs', '  router_id LVS_1', '  notification_email_from a#b!c']);
});

test('braces split anywhere outside quotes: whole blocks on one line', () => {
  const r = parseText(
    'vrrp_instance VI_1 { state MASTER\n virtual_ipaddress { 10.0.0.1 10.0.0.2 } } vrrp_script s { script "a { b }" }',
    'k',
  );
  assert.deepEqual(messages(r), []);
  assert.deepEqual(outline(r.stmts), [
    'vrrp_instance VI_1',
    '  state MASTER',
    '  virtual_ipaddress',
    '    10.0.0.1 10.0.0.2',
    'vrrp_script s',
    '  script a { b }',
  ]);
  // `{` on the line after its keyword opens the keyword's block too.
  assert.deepEqual(outline(parseText('virtual_server 1.2.3.4 80\n{\n  lb_algo rr\n}\n', 'k').stmts), [
    'virtual_server 1.2.3.4 80',
    '  lb_algo rr',
  ]);
});

test('\\# and \\! escape comment characters; the raw line keeps quotes for script keywords', () => {
  const r = parseText('vrrp_script x {\n  script "/bin/check \\"a b\\"" \\#1\n}\n', 'k');
  const script = r.stmts[0]!.block![0]!;
  assert.equal(script.raw, 'script "/bin/check \\"a b\\"" #1');
});

test('brace errors are located: missing {, extra }, unclosed block', () => {
  const r = parseText('global_defs {\n  router_id x\n}\n}\nvrrp_instance V {\n  state BACKUP\n', 'k');
  assert.deepEqual(messages(r), [
    "4:1: error: extra '}': no block is open here",
    "5:1: error: missing '}': the 'vrrp_instance' block opened here is never closed",
  ]);
  const r2 = parseText('{\n a b\n}\n', 'k');
  assert.deepEqual(messages(r2), ["1:1: error: unexpected '{': no keyword opens this block"]);
});

test('unbalanced quotes are reported at the quote', () => {
  const r = parseText('global_defs {\n  router_id "abc\n}\n', 'k');
  assert.deepEqual(messages(r), ['2:13: error: unmatched quote: the string has no closing "']);
});

test('include: globs, {a,b} braces, relative to the including file, read in order', () => {
  const d = dir({
    'keepalived.conf': 'global_defs { router_id main }\ninclude conf.d/*.conf\ninclude other/{x,y}.inc\n',
    'conf.d/b.conf': 'vrrp_instance B { }\n',
    'conf.d/a.conf': 'vrrp_instance A { }\ninclude ../other/z.inc\n',
    'other/x.inc': 'x_kw 1\n',
    'other/y.inc': 'y_kw 2\n',
    'other/z.inc': 'z_kw 3\n',
  });
  const r = parseFile(join(d, 'keepalived.conf'));
  assert.deepEqual(messages(r), []);
  assert.deepEqual(outline(r.stmts), [
    'global_defs',
    '  router_id main',
    'vrrp_instance A',
    'z_kw 3',
    'vrrp_instance B',
    'x_kw 1',
    'y_kw 2',
  ]);
  assert.equal(r.files.length, 6);
  const z = r.stmts.find((s) => s.keyword.text === 'z_kw')!;
  assert.deepEqual(z.loc, { file: join(d, 'other/z.inc'), line: 1, col: 1 });
});

test('include problems: missing file is an error, unmatched wildcard a warning (includew: an error), cycles named', () => {
  const d = dir({
    'a.conf':
      'include missing.conf\ninclude none/*.conf\ninclude empty/*.conf\nincludew empty/*.conf\ninclude b.conf\n',
    'empty/.keep': '',
    'b.conf': 'include a.conf\nkw_b\n',
  });
  const r = parseFile(join(d, 'a.conf'));
  const m = messages(r).map((s) => s.replaceAll(d + '/', ''));
  assert.deepEqual(m, [
    "1:1: error: include: no such file 'missing.conf'",
    `2:1: warning: include: no files match 'none/*.conf' (no folder none)`,
    "3:1: warning: include: no files match 'empty/*.conf'",
    "4:1: error: include: no files match 'empty/*.conf'",
    `1:1: error: include cycle: a.conf -> b.conf -> a.conf`,
  ]);
  assert.deepEqual(outline(r.stmts), ['kw_b']);
});

test('an executable or a folder is not included', () => {
  const d = dir({ 'k.conf': 'includer x.sh\ninclude sub\n', 'x.sh': 'kw\n', 'sub/f': '' });
  chmodSync(join(d, 'x.sh'), 0o755);
  const m = messages(parseFile(join(d, 'k.conf')));
  assert.equal(m.length, 2);
  assert.match(m[0]!, /^1:1: error: configuration file '.*x\.sh' is not a regular non-executable file/);
  assert.match(m[1]!, /^2:1: warning: configuration file '.*sub' is a directory/);
});

test('$NAME definitions: lazy, recursive, ${NAME}, undefined left untouched', () => {
  const r = parseText(
    [
      '$IF=eth0',
      '$VIP=${NET}.100/24 dev $IF',
      '$NET=10.1.1',
      'virtual_ipaddress {',
      '  $VIP',
      '  $UNDEF $ALSO_UNDEF',
      '}',
    ].join('\n'),
    'k',
  );
  assert.deepEqual(messages(r), []);
  assert.deepEqual(outline(r.stmts), [
    'virtual_ipaddress',
    '  10.1.1.100/24 dev eth0',
    '  $UNDEF $ALSO_UNDEF',
  ]);
});

test('multi-line definitions with trailing \\ expand to several lines', () => {
  const r = parseText(
    [
      '$RS=real_server 10.0.0.1 80 { \\',
      '  weight 2 \\',
      '}',
      'virtual_server 1.1.1.1 80 {',
      '  $RS',
      '}',
    ].join('\n'),
    'k',
  );
  assert.deepEqual(messages(r), []);
  assert.deepEqual(outline(r.stmts), [
    'virtual_server 1.1.1.1 80',
    '  real_server 10.0.0.1 80',
    '    weight 2',
  ]);
});

test('predefined definitions: _INSTANCE, _ENV, _HASH, _BANG, _PWD, _RANDOM', () => {
  const r = parseText(
    'a ${_INSTANCE} ${_ENV VIGIL_T} "x${_HASH}y" "${_BANG}" ${_PWD} ${_RANDOM 5 5} z${_HASH} comment\n',
    '/etc/keepalived/k.conf',
    {
      configId: 'lb1',
      env: { VIGIL_T: 'from-env' },
    },
  );
  assert.deepEqual(messages(r), []);
  assert.deepEqual(outline(r.stmts), ['a lb1 from-env x#y ! /etc/keepalived 5 z']);
});

test('a definition that refers to itself is an error, not a hang', () => {
  const r = parseText('$A=x $A\nkw $A\n', 'k');
  assert.equal(r.diagnostics.length, 1);
  assert.match(messages(r)[0]!, /^2:1: error: definition \$A expands without end/);
});

test('@id and @^id lines against the config id', () => {
  const text = '@lb1 priority 150\n@lb2 priority 100\n@^lb1 state BACKUP\n@^lb2 state MASTER\n';
  assert.deepEqual(outline(parseText(text, 'k', { configId: 'lb1' }).stmts), [
    'priority 150',
    'state MASTER',
  ]);
  assert.deepEqual(outline(parseText(text, 'k', { configId: 'lb2' }).stmts), [
    'priority 100',
    'state BACKUP',
  ]);
  assert.equal(parseText(text, 'k', { configId: 'lb1' }).stmts[0]!.args[0]!.loc.col, 15);
});

test('~SEQ, ~SEQx and ~LST generate lines, nested and with definitions', () => {
  const r = parseText(
    [
      '~SEQ(n, 3) real_server 10.0.0.$n 80',
      '~SEQx(h, 9, 2, 13) addr fe80::${h}',
      '~SEQ(i, 2, 1) ~SEQ(j, 1, 2) pair $i $j',
      '~LST(c, red, green) colour $c',
      '~LST({a, b}, {1, 2}, {3}) ab $a $b',
    ].join('\n'),
    'k',
  );
  assert.deepEqual(messages(r), []);
  assert.deepEqual(outline(r.stmts), [
    'real_server 10.0.0.1 80',
    'real_server 10.0.0.2 80',
    'real_server 10.0.0.3 80',
    'addr fe80::9',
    'addr fe80::b',
    'addr fe80::d',
    'pair 2 1',
    'pair 2 2',
    'pair 1 1',
    'pair 1 2',
    'colour red',
    'colour green',
    'ab 1 2',
    'ab 3',
  ]);
  assert.deepEqual(messages(parseText('~SEQ(i, 1, -1, 5) x\n', 'k')), [
    "1:1: error: invalid ~SEQ values '~SEQ(i, 1, -1, 5) x'",
  ]);
});

test('bad bytes: invalid UTF-8 in a value and NUL are located; binary junk ends in diagnostics, not a throw', () => {
  const d = dir({});
  writeFileSync(
    join(d, 'u.conf'),
    Buffer.concat([
      Buffer.from('global_defs {\n  router_id a'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('\n}\n'),
    ]),
  );
  assert.deepEqual(messages(parseFile(join(d, 'u.conf'))), [
    "2:14: warning: byte 0xff is not UTF-8: vigil reads it as U+FFFD, so this value is not the file's bytes (keepalived takes them as they are); write it in UTF-8",
  ]);
  writeFileSync(join(d, 'n.conf'), 'a\nb\0c\n');
  assert.deepEqual(messages(parseFile(join(d, 'n.conf'))), [
    '2:2: error: line contains a NUL byte - ignoring the line',
  ]);
  const junk = Buffer.alloc(200_000);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) % 256;
  writeFileSync(join(d, 'junk.conf'), junk);
  const r = parseFile(join(d, 'junk.conf'));
  assert.ok(r.diagnostics.some((x) => x.severity === 'error'));
  assert.ok(r.diagnostics.length <= 501);
});

test('a 20 MB file is refused with its size; a missing file is named', () => {
  const d = dir({});
  writeFileSync(join(d, 'big.conf'), Buffer.alloc(20 * 1024 * 1024, 0x61));
  assert.deepEqual(messages(parseFile(join(d, 'big.conf'))), [
    `1:1: error: '${join(d, 'big.conf')}' is 20.0 MiB, larger than the 16 MiB a configuration may be`,
  ]);
  assert.deepEqual(messages(parseFile(join(d, 'nope.conf'))), [
    `1:1: error: cannot read '${join(d, 'nope.conf')}': no such file`,
  ]);
});

test('deep nesting is reported, without recursion limits', () => {
  const r = parseText('a {\n'.repeat(100_000), 'k');
  const m = messages(r);
  assert.ok(m.includes('256:3: error: blocks nested deeper than 256 levels'));
  assert.ok(m.includes("1:1: error: missing '}': the 'a' block opened here is never closed"));
  assert.ok(m.some((x) => /100000 blocks in all are never closed/.test(x)));
});
