// Builds the prebuilt Node-API binaries of vigil's native addon that the package ships, so that
// installing vigil needs no C compiler: prebuilds/linux-x64 and prebuilds/linux-arm64 (glibc),
// compiled from native/ with Debian's gcc and its cross compiler (apt-get install
// gcc-aarch64-linux-gnu). prebuilds/manifest.json records a hash of the sources they were built
// from; a unit test fails when native/ or binding.gyp change and the binaries were not rebuilt.
//   node scripts/prebuild.mjs            build both
//   node scripts/prebuild.mjs --check    only say whether the manifest matches the sources
// Node-API and libuv have a stable ABI, so one binary serves every Node.js >= 20 on its arch.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binaryFacts, nativeSources, sourcesHash } from './native-sources.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifestPath = join(root, 'prebuilds', 'manifest.json');

const TARGETS = [
  { dir: 'linux-x64', cc: 'gcc', flags: ['-m64'] },
  { dir: 'linux-arm64', cc: 'aarch64-linux-gnu-gcc', flags: [] },
];

function nodeInclude() {
  const dir = join(dirname(dirname(process.execPath)), 'include', 'node');
  if (!existsSync(join(dir, 'node_api.h')))
    throw new Error(`no Node.js headers in ${dir} (node_api.h, uv.h): install the ones of your Node.js`);
  return dir;
}

if (process.argv.includes('--check')) {
  const m = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : {};
  const now = sourcesHash(root);
  if (m.sources === now) {
    console.log(`prebuilds match the sources (${now.slice(0, 12)})`);
    process.exit(0);
  }
  console.error(
    `prebuilds are stale: built from ${m.sources ?? 'nothing'}, sources are ${now}; run node scripts/prebuild.mjs`,
  );
  process.exit(1);
}

const include = nodeInclude();
const sources = nativeSources(root);
const manifest = { sources: sourcesHash(root), binaries: {} };
for (const t of TARGETS) {
  const out = join(root, 'prebuilds', t.dir, 'vigil_native.node');
  mkdirSync(dirname(out), { recursive: true });
  // The flags node-gyp uses for this target (binding.gyp's cflags and its defaults); paths are
  // mapped so the binary does not depend on where the repository was checked out.
  const args = [
    ...t.flags,
    '-shared',
    '-fPIC',
    '-pthread',
    '-O2',
    '-fno-omit-frame-pointer',
    '-s',
    '-Wall',
    '-Wextra',
    '-Wno-unused-parameter',
    '-Werror',
    '-DBUILDING_NODE_EXTENSION',
    '-DNODE_GYP_MODULE_NAME=vigil_native',
    '-D_FILE_OFFSET_BITS=64',
    `-ffile-prefix-map=${root}=.`,
    `-ffile-prefix-map=${include}=node`,
    '-I',
    include,
    ...sources.map((s) => join(root, s)),
    '-o',
    out,
  ];
  const r = spawnSync(t.cc, args, { stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    console.error(`${t.dir}: ${t.cc} failed${r.error ? ` (${r.error.message})` : ''}`);
    process.exit(1);
  }
  const cc = spawnSync(t.cc, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
  manifest.binaries[t.dir] = { ...binaryFacts(out), compiler: cc };
  console.log(`${t.dir}: ${out} (${manifest.binaries[t.dir].size} bytes, ${cc})`);
}
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
console.log(`manifest: ${manifestPath} (sources ${manifest.sources.slice(0, 12)})`);
