// Runs node's test runner on test/**/*.test.ts (Node 20's --test has no globs).
// Arguments narrow the run to files or folders: `node scripts/run-tests.mjs test/unit`.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) collect(join(path, name), out);
  } else if (path.endsWith('.test.ts')) {
    out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ['test']).flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// A file that hangs fails after 30 minutes (Node 20 times whole files), naming itself, instead
// of stalling CI to its limit. The longest file (the QEMU IPVS suites) takes 5 to 18 (host load).
const timeout = '--test-timeout=1800000';
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', timeout, ...files],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
