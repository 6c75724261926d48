// Dependencies point one way (issue 24 §2): no two folders of src/ import each other, directly or
// round a longer loop; nothing below the daemon imports it; the configuration model imports
// nothing of vigil's but the syntax tree. Read from the sources' import statements, type-only
// imports included (they are dependencies of the design even where the compiler erases them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const SRC = 'src';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import of every file: `from '…'` (static, type-only, re-exports) and `import('…')`. */
function imports(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const file of tsFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets: string[] = [];
    for (const m of text.matchAll(/\bfrom\s+['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
      const spec = (m[1] ?? m[2])!;
      targets.push(normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts'));
    }
    out.set(file, targets);
  }
  return out;
}

/** The top folder of src/ a file belongs to (`src/vrrp/track/x.ts` → `vrrp`). */
const folderOf = (file: string): string => relative(SRC, file).split('/')[0]!.replace(/\.ts$/, '');

test('no two folders of src/ depend on each other, directly or through others', () => {
  const edges = new Map<string, Map<string, string>>(); // folder → folder → one file import as evidence
  for (const [file, targets] of imports())
    for (const t of targets) {
      const [a, b] = [folderOf(file), folderOf(t)];
      if (a === b) continue;
      if (!edges.has(a)) edges.set(a, new Map());
      if (!edges.get(a)!.has(b)) edges.get(a)!.set(b, `${file} imports ${t}`);
    }
  const reaches = (from: string, to: string, seen = new Set<string>()): boolean => {
    if (from === to) return true;
    if (seen.has(from)) return false;
    seen.add(from);
    return [...(edges.get(from)?.keys() ?? [])].some((n) => reaches(n, to, seen));
  };
  const cycles: string[] = [];
  for (const [a, outs] of edges)
    for (const [b, why] of outs)
      if (reaches(b, a)) cycles.push(`${a} -> ${b} (${why}), and ${b} leads back to ${a}`);
  assert.deepEqual(cycles, [], 'folder cycles');
});

test('only the daemon itself, the command line and the labs (which run daemons) import src/daemon', () => {
  const allowed = new Set(['daemon', 'cli', 'lab']);
  const wrong: string[] = [];
  for (const [file, targets] of imports())
    for (const t of targets)
      if (folderOf(t) === 'daemon' && !allowed.has(folderOf(file))) wrong.push(`${file} imports ${t}`);
  assert.deepEqual(wrong, []);
});

test('the ground floor (src/base) imports nothing of vigil', () => {
  const wrong = [...imports()]
    .filter(([file]) => folderOf(file) === 'base')
    .flatMap(([file, targets]) =>
      targets.filter((t) => folderOf(t) !== 'base').map((t) => `${file} imports ${t}`),
    );
  assert.deepEqual(wrong, []);
});

test('the configuration model imports nothing of vigil but the syntax tree', () => {
  const model = join(SRC, 'config', 'model.ts');
  assert.deepEqual(
    imports()
      .get(model)!
      .filter((t) => t !== join(SRC, 'config', 'ast.ts')),
    [],
  );
});
