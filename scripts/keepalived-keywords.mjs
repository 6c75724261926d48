#!/usr/bin/env node
// Lists every configuration keyword a keepalived source tree installs, per block, by following
// its keyword-table set-up (install_keyword_root / install_keyword / install_sublevel[_end]) from
// the init functions, inlining the helper functions they call. Preprocessor conditionals are
// ignored (every optional feature counts); `if (PARAM)` on a boolean parameter is honoured.
//   node scripts/keepalived-keywords.mjs KEEPALIVED_SOURCE_DIR [VERSION] > test/fixtures/keepalived-2.2.7-keywords.json
// Blocks are named by their path of keywords ('virtual_server/real_server/HTTP_GET/url');
// '' is the top level. Only keyword names are written, no keepalived code.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [root, version = 'unknown'] = process.argv.slice(2);
if (!root) {
  console.error('usage: keepalived-keywords.mjs KEEPALIVED_SOURCE_DIR [VERSION]');
  process.exit(2);
}

/** Every .c file under dir. */
function cFiles(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return cFiles(p);
    return p.endsWith('.c') ? [p] : [];
  });
}

// Function definitions: `name(params)\n{ … \n}` with the return type on the line before.
const functions = new Map();
for (const f of cFiles(join(root, 'keepalived'))) {
  const src = readFileSync(f, 'utf8');
  const re = /^(\w+)\s*\(((?:[^()]|\([^()]*\))*)\)\s*\n\{\n([\s\S]*?)\n\}/gm;
  for (let m; (m = re.exec(src));) {
    const params = m[2]
      .replace(/\([^()]*\)/g, '')
      .split(',')
      .map((p) =>
        p
          .trim()
          .split(/[\s*()]+/)
          .filter(Boolean)
          .pop(),
      )
      .filter((p) => p && p !== 'void');
    functions.set(m[1], {
      params,
      body: m[3]
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '')
        .replace(/^\s*#.*$/gm, ''),
    });
  }
}

const blocks = new Map(); // path -> Set of keywords
const add = (path, kw) => {
  if (!blocks.has(path)) blocks.set(path, new Set());
  blocks.get(path).add(kw);
};

// Parser state, as keepalived's lib/parser.c keeps it: the last root keyword, then the last
// keyword at each sublevel below it.
let rootKw = null;
let levels = []; // last keyword installed at each level under rootKw
let sublevel = 0;

function argValue(a, env) {
  a = a.trim();
  const s = /^"([^"]*)"$/.exec(a);
  if (s) return s[1];
  if (a in env) return env[a];
  if (a === 'true' || a === 'false') return a === 'true';
  return undefined;
}

function splitArgs(s) {
  const out = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

function run(name, args, stack) {
  const fn = functions.get(name);
  if (!fn || stack.includes(name)) return;
  const env = Object.fromEntries(fn.params.map((p, i) => [p, args[i]]));
  const skip = []; // brace depth at which a false `if (PARAM) {` block ends
  let depth = 0;
  // Calls (arguments may nest one level of parentheses and span lines), `if (X) {`, braces.
  const re = /\bif\s*\(\s*(!?)(\w+)\s*\)\s*\{|([{}])|\b(\w+)\s*\(((?:[^()]|\([^()]*\))*)\)/g;
  for (const m of fn.body.matchAll(re)) {
    if (m[2] !== undefined) {
      depth++;
      const v = env[m[2]];
      if (!skip.length && typeof v === 'boolean' && (m[1] ? v : !v)) skip.push(depth - 1);
      continue;
    }
    if (m[3] === '{') depth++;
    else if (m[3] === '}') {
      depth--;
      if (skip.length && depth === skip[skip.length - 1]) skip.pop();
    }
    if (m[3] !== undefined || skip.length) continue;
    const callee = m[4];
    const a = splitArgs(m[5]);
    if (callee === 'install_keyword_root') {
      rootKw = argValue(a[0], env);
      levels = [];
      sublevel = 0;
      if (rootKw) add('', rootKw);
    } else if (callee === 'install_keyword') {
      const kw = argValue(a[0], env);
      if (!kw || rootKw === null) continue;
      add([rootKw, ...levels.slice(0, sublevel)].join('/'), kw);
      levels[sublevel] = kw;
      levels.length = sublevel + 1;
    } else if (callee === 'install_sublevel') sublevel++;
    else if (callee === 'install_sublevel_end') sublevel--;
    else if (functions.has(callee))
      run(
        callee,
        a.map((x) => argValue(x, env)),
        [...stack, name],
      );
  }
}

for (const entry of [
  'init_global_keywords',
  'init_vrrp_keywords',
  'init_check_keywords',
  'init_bfd_keywords',
  'add_track_file_keywords',
]) {
  if (!functions.has(entry)) {
    console.error(`keepalived-keywords: no ${entry}() found under ${root}/keepalived`);
    process.exit(1);
  }
  run(entry, [true], []);
}

const out = { source: `keepalived ${version}`, blocks: {} };
for (const path of [...blocks.keys()].sort()) out.blocks[path] = [...blocks.get(path)].sort();
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
