// npm's install step for vigil's native addon (run by `npm ci` in a clone and by `npm install` of
// the package). When the package ships a prebuilt binary for this machine (prebuilds/linux-ARCH,
// glibc) that was built from the sources as they are here and loads, that binary is used and no
// compiler is needed. Otherwise (another architecture, musl, native/ changed since the prebuild,
// or VIGIL_BUILD_FROM_SOURCE=1) it builds native/ -> build/Release/vigil_native.node with node-gyp.
// The addon uses only Node-API and libuv, whose ABI is stable, so the headers installed next to
// the running node (Debian's and NodeSource's packages put them in /usr/include/node) serve and
// no download is needed; without them node-gyp fetches the headers for this node version.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sourcesHash } from './native-sources.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Why the prebuilt binary cannot serve here, or null when it does. */
function prebuiltUnfit() {
  if (process.env.VIGIL_BUILD_FROM_SOURCE === '1') return 'VIGIL_BUILD_FROM_SOURCE=1';
  if (process.platform !== 'linux') return `no prebuilt binary for ${process.platform}`;
  const file = join(root, 'prebuilds', `linux-${process.arch}`, 'vigil_native.node');
  if (!existsSync(file)) return `no prebuilt binary for linux-${process.arch}`;
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, 'prebuilds', 'manifest.json'), 'utf8'));
  } catch (e) {
    return `prebuilds/manifest.json: ${e.message}`;
  }
  // A repository checkout whose native/ changed since the prebuild: build what is here.
  if (existsSync(join(root, 'native')) && manifest.sources !== sourcesHash(root))
    return 'native/ changed since the prebuilt binaries were made';
  try {
    createRequire(import.meta.url)(file);
  } catch (e) {
    return `the prebuilt binary does not load here (${e.message.split('\n')[0]})`;
  }
  return null;
}

const unfit = prebuiltUnfit();
if (unfit === null) {
  // A build from older sources would be loaded first (src/os/native.ts): the prebuilt one is current.
  rmSync(join(root, 'build', 'Release', 'vigil_native.node'), { force: true });
  console.log(`vigil: using the prebuilt native addon for linux-${process.arch}`);
  process.exit(0);
}
console.log(`vigil: building the native addon from source (${unfit})`);
const args = ['rebuild'];
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
// npm points npm_config_node_gyp at its bundled node-gyp; fall back to one on PATH.
const gyp = process.env.npm_config_node_gyp;
const r = gyp
  ? spawnSync(process.execPath, [gyp, ...args], { stdio: 'inherit', cwd: root })
  : spawnSync('node-gyp', args, { stdio: 'inherit', cwd: root });
if (r.error) console.error(`cannot run node-gyp: ${r.error.message}`);
if (r.status !== 0) {
  console.error(
    'building the native addon failed: it needs a C compiler, make and python3 (apt-get install build-essential python3)',
  );
}
process.exit(r.status ?? 1);
