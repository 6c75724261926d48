// The package as a director gets it: `npm pack`, then `npm install -g` of the tarball into a
// prefix on a PATH without any C compiler or make. It must install (the prebuilt native addon,
// no build), and the installed `vigil` must run: --version, check on a guide's configuration,
// and the native addon must load. Also: the shipped binaries are the ones native/ builds now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// @ts-expect-error: a plain .mjs script shared with the install step, no types
import { binaryFacts, sourcesHash } from '../../scripts/native-sources.mjs';
import { commandUnavailable, pathWithout, requireSystem } from '../support/system.js';

const ROOT = resolve('.');
const COMPILERS = ['cc', 'gcc', 'g++', 'c++', 'cpp', 'make', 'x86_64-linux-gnu-gcc', 'clang', 'node-gyp'];

interface Manifest {
  sources: string;
  binaries: Record<string, { size: number; sha256: string; machine: string }>;
}

test('the prebuilt native addons are built from the native/ sources as they are now', () => {
  const m = JSON.parse(readFileSync('prebuilds/manifest.json', 'utf8')) as Manifest;
  assert.equal(
    m.sources,
    (sourcesHash as (root: string) => string)(ROOT),
    'native/ or binding.gyp changed since the prebuild: run `node scripts/prebuild.mjs` and commit prebuilds/',
  );
  assert.deepEqual(Object.keys(m.binaries).sort(), ['linux-arm64', 'linux-x64']);
  for (const [dir, want] of Object.entries(m.binaries)) {
    const got = (binaryFacts as (f: string) => Manifest['binaries'][string])(
      join('prebuilds', dir, 'vigil_native.node'),
    );
    assert.equal(got.sha256, want.sha256, `${dir}: the binary is not the one the manifest records`);
    assert.equal(got.machine, dir.slice('linux-'.length), `${dir}: ELF machine`);
  }
});

test('npm pack, then npm install -g on a PATH without a compiler: vigil runs', (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-pack-'));
  const noCc = pathWithout(...COMPILERS);
  t.after(() => {
    rmSync(tmp, { recursive: true, force: true });
    noCc.remove();
  });
  const env = { ...process.env, PATH: noCc.path, npm_config_update_notifier: 'false' };
  for (const c of COMPILERS)
    assert.notEqual(spawnSync('sh', ['-c', `command -v ${c}`], { env }).status, 0, `${c} is on PATH`);

  const pack = spawnSync('npm', ['pack', '--pack-destination', tmp, '--json'], { encoding: 'utf8' });
  assert.equal(pack.status, 0, pack.stderr);
  const packed = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as {
    filename: string;
    files: { path: string }[];
  }[];
  const files = packed[0]!.files.map((f) => f.path);
  for (const want of ['dist/cli/main.js', 'prebuilds/linux-x64/vigil_native.node', 'packaging/vigil.service'])
    assert.ok(files.includes(want), `${want} is in the package`);
  for (const f of files)
    assert.doesNotMatch(f, /^(test|bench|examples|src)\//, `${f} stays out of the package`);

  const prefix = join(tmp, 'prefix');
  const install = spawnSync(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--no-audit',
      '--no-fund',
      '--foreground-scripts',
      join(tmp, packed[0]!.filename),
    ],
    { encoding: 'utf8', env, timeout: 300_000 },
  );
  assert.equal(install.status, 0, install.stdout + install.stderr);
  assert.match(install.stdout + install.stderr, /using the prebuilt native addon for linux-x64/);
  const pkg = join(prefix, 'lib', 'node_modules', 'vigil');
  assert.equal(existsSync(join(pkg, 'build')), false, 'nothing was built');

  const bin = join(prefix, 'bin', 'vigil');
  const v = spawnSync(bin, ['--version'], { encoding: 'utf8', env });
  assert.equal(v.status, 0, v.stderr);
  assert.equal(
    v.stdout.trim(),
    `vigil ${(JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version}`,
  );
  const guide = join(ROOT, 'test/fixtures/corpus/seed-configs/000-lvs-dr-master.conf');
  const check = spawnSync(bin, ['check', '-f', guide], { encoding: 'utf8', env });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /virtual server/i);
  // The addon itself, as the daemon loads it (raw sockets, the TCP relay and prober live there).
  const load = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import('${join(pkg, 'dist/os/native.js')}'); console.log(typeof m.native().relayStop);`,
    ],
    { encoding: 'utf8', env },
  );
  assert.equal(load.stdout.trim(), 'function', load.stderr);
  assert.ok(readdirSync(join(pkg, 'node_modules')).includes('netlink'), 'dependencies installed');
});

test('where no prebuilt binary fits, npm install builds the addon from native/ (node-gyp)', (t) => {
  if (!requireSystem(t, commandUnavailable('make'), commandUnavailable('cc'))) return;
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-src-build-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  for (const f of [
    'package.json',
    'binding.gyp',
    'native',
    'scripts/build-native.mjs',
    'scripts/native-sources.mjs',
  ])
    cpSync(f, join(tmp, f), { recursive: true });
  const r = spawnSync('npm', ['run', 'install'], {
    cwd: tmp,
    encoding: 'utf8',
    env: { ...process.env, VIGIL_BUILD_FROM_SOURCE: '1' },
    timeout: 300_000,
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /building the native addon from source \(VIGIL_BUILD_FROM_SOURCE=1\)/);
  const load = spawnSync(
    process.execPath,
    [
      '-e',
      `console.log(typeof require(${JSON.stringify(join(tmp, 'build/Release/vigil_native.node'))}).relayStop)`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(load.stdout.trim(), 'function', load.stderr);
});
