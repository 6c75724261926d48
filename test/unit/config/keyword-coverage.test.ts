// Issue 22: no keyword keepalived 2.2.7 accepts is taken in silence. Each is either implemented
// (a handler whose model field something outside src/config reads) or warned at its own
// FILE:LINE:COL. The keyword list is test/fixtures/keepalived-2.2.7-keywords.json, made by
// scripts/keepalived-keywords.mjs from keepalived's sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { loadConfigText } from '../../../src/config/load.js';
import { coverageTable, KEYWORD_BLOCKS, keywordStatus } from '../../../src/config/schema/registry.js';

const fixture = JSON.parse(readFileSync('test/fixtures/keepalived-2.2.7-keywords.json', 'utf8')) as {
  blocks: Record<string, string[]>;
};

test('every keyword keepalived 2.2.7 accepts, in every block, is implemented or warned', () => {
  const unknown: string[] = [];
  for (const [path, words] of Object.entries(fixture.blocks)) {
    for (const w of words) if (keywordStatus(path, w) === 'unknown') unknown.push(`${path || '(top)'}: ${w}`);
  }
  assert.deepEqual(unknown, []);
  // Sanity: the fixture is keepalived's whole table, not an empty file.
  assert.ok(Object.values(fixture.blocks).flat().length > 400);
});

test('no keyword is both handled and warned (a merge that implements one must drop its warning)', () => {
  const both: string[] = [];
  for (const [path, spec] of Object.entries(KEYWORD_BLOCKS)) {
    for (const w of [...Object.keys(spec.unimplemented ?? {}), ...Object.keys(spec.ignored ?? {})]) {
      if (spec.keywords[spec.synonyms?.[w] ?? w]) both.push(`${path || '(top)'}: ${w}`);
    }
  }
  assert.deepEqual(both, []);
});

/** The opening line of each block on the way to `path`, with the arguments it needs. */
function openers(path: string): string[] {
  if (path === '') return [];
  const args: Record<string, string> = {
    virtual_server: '10.0.0.1 80',
    real_server: '10.0.0.2 80',
    vrrp_instance: 'VI_1',
    vrrp_sync_group: 'G',
    vrrp_script: 's',
    vrrp_track_process: 'p',
    track_file: 'f',
    vrrp_track_file: 'f',
  };
  return path.split('/').map((seg) => `${seg}${args[seg] ? ` ${args[seg]}` : ''} {`);
}

test('each warned keyword is warned at exactly its line:col, saying what it is', () => {
  let checked = 0;
  for (const [path, spec] of Object.entries(KEYWORD_BLOCKS)) {
    for (const w of [...Object.keys(spec.unimplemented ?? {}), ...Object.keys(spec.ignored ?? {})]) {
      const open = openers(path);
      const indent = '  '.repeat(open.length);
      const lines = ['# generated', ...open.map((o, i) => '  '.repeat(i) + o), `${indent}${w} 1`];
      lines.push(...open.map((_, i) => '  '.repeat(open.length - 1 - i) + '}'));
      const r = loadConfigText(lines.join('\n') + '\n', 'gen.conf', { configId: 'x' });
      const at = r.diagnostics.filter(
        (d) => d.severity === 'warning' && d.loc.line === open.length + 2 && d.loc.col === indent.length + 1,
      );
      assert.equal(at.length, 1, `${path || '(top)'} ${w}: ${JSON.stringify(r.diagnostics)}`);
      assert.ok(at[0]!.message.startsWith(`'${w}' `), at[0]!.message);
      assert.equal(at[0]!.loc.file, 'gen.conf');
      checked++;
    }
  }
  assert.ok(checked > 150, `only ${checked} warned keywords`);
});

// --- (c) every model field is read by something outside src/config -------------------------

/** Fields nothing outside src/config reads, each with why. A stale entry fails the test too. */
const UNREAD_ON_PURPOSE: Record<string, string> = {
  loc: 'where an item was written, for diagnostics',
  other: 'rejected values, for validation',
  keywordLocs: "where each keyword was written, for validate's diagnostics",
  vrrpVersion: 'folded into VrrpInstance.effectiveVersion by validate',
  lvsSyncDaemonInterface: 'folded into GlobalDefs.lvsSyncDaemon by validate',
  protocolSet: 'whether protocol was written, for validate',
  // Warned keywords whose fields other helpers of issue 22 wire up (kept so their branches merge):
  user: "script_user / vrrp_script and MISC_CHECK 'user' are warned (helper scriptsec)",
  group: 'part of user',
  param: 'process parameters are warned (helper trackproc)',
  delay: 'delay is warned (helper trackproc)',
  mcastSrcIp: 'folded into unicastSrcIp by its handler (keepalived reads both into one source address)',
  rules: 'static_rules: StaticNet takes staticAddresses whole',
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

test('every field of the configuration model is read outside src/config (or listed with a reason)', () => {
  const model = ts.createSourceFile(
    'model.ts',
    readFileSync('src/config/model.ts', 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const props = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isPropertySignature(n) && ts.isIdentifier(n.name)) props.add(n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(model);
  assert.ok(props.size > 100);
  // Rules in src/config that the runtime applies through them (not parsing) count as readers.
  const rules = ['tracking-weights.ts', 'vip-holders.ts'].map((f) => join('src', 'config', f));
  const users = tsFiles('src')
    .filter((f) => !f.startsWith(join('src', 'config') + '/') || rules.includes(f))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  // A read: `.name`, `['name']`, or a destructuring `{ name }` / `{ a, name: x }`.
  const isRead = (p: string): boolean =>
    new RegExp(`\\.${p}\\b|\\['${p}'\\]|[{,]\\s*${p}\\s*[,}:=]`).test(users);
  const unread = [...props].filter((p) => !isRead(p) && !(p in UNREAD_ON_PURPOSE));
  assert.deepEqual(unread, [], 'model fields nothing reads: wire them or warn their keyword');
  const stale = Object.keys(UNREAD_ON_PURPOSE).filter(
    (p) =>
      props.has(p) && isRead(p) && !['loc', 'other', 'user', 'group', 'delay', 'param', 'rules'].includes(p),
  );
  assert.deepEqual(stale, [], 'fields listed as unread that are now read: drop them from UNREAD_ON_PURPOSE');
});

test("diagnostics about a keyword point at that keyword's line, not at its block", () => {
  const conf = [
    'vrrp_instance VI_1 {', // 1
    '    interface eth0',
    '    virtual_router_id 7',
    '    virtual_ipaddress {',
    '        10.0.0.1',
    '    }',
    '    nopreempt', // 7
    '    preempt_delay 5', // 8
    '    authentication {',
    '        auth_type PASS', // 10
    '    }',
    '}',
    'virtual_server fwmark 3 {', // 13
    '    protocol TCP', // 14
    '    ops', // 15
    '    lvs_sched rr',
    '    real_server 10.0.0.2 80 {',
    '    }',
    '}',
    'vrrp_instance VI_2 {', // 20
    '    interface eth0',
    '    virtual_router_id 8',
    '    authentication {',
    '        auth_type XYZ', // 24
    '    }',
    '}',
  ].join('\n');
  const r = loadConfigText(conf + '\n', 'loc.conf', { configId: 'x' });
  const at = (re: RegExp): string[] =>
    r.diagnostics.filter((d) => re.test(d.message)).map((d) => `${d.loc.line}:${d.loc.col}`);
  assert.deepEqual(at(/preempt_delay has no effect with nopreempt/), ['8:5']);
  assert.deepEqual(at(/auth_type PASS needs an auth_pass/), ['10:19']);
  assert.deepEqual(at(/auth_type must be PASS or AH, not 'XYZ'/), ['24:19']);
  assert.deepEqual(at(/'protocol' is ignored for a fwmark service/), ['14:5']);
  assert.deepEqual(at(/'ops' \(one-packet scheduling\)/), ['15:5']);
});

test("README's keyword coverage table (English and 中文) is the one this code gives", () => {
  const table = coverageTable(fixture.blocks);
  const readme = readFileSync('README.md', 'utf8');
  const copies = readme.split(table).length - 1;
  assert.equal(copies, 2, `README.md must hold this table twice (English and 中文):\n${table}`);
});

test("a weighted tracker of a sync group's member is named when keepalived would drop its weight", () => {
  const conf = (extra: string): string =>
    [
      'vrrp_script chk {',
      '  script /bin/true',
      '  weight -20',
      '}',
      'vrrp_sync_group G {', // 5
      '  group { VI_1 }',
      extra,
      '}',
      'vrrp_instance VI_1 {', // 9
      '  interface eth0',
      '  virtual_router_id 9',
      '  virtual_ipaddress { 10.0.0.1 }',
      '  track_script { chk }', // 13
      '  track_interface { eth1 weight 5 }', // 14
      '}',
      '',
    ].join('\n');
  const warned = (text: string): string[] =>
    loadConfigText(text, 'sg.conf', { configId: 'x' })
      .diagnostics.filter((d) => d.message.includes('sync_group_tracking_weight'))
      .map((d) => `${d.loc.line}:${d.loc.col} ${d.message.split(':')[0]}`)
      .sort();
  assert.deepEqual(warned(conf('')), ['13:18 vrrp_instance VI_1', '14:21 vrrp_instance VI_1']);
  assert.deepEqual(warned(conf('  sync_group_tracking_weight')), []);
});
