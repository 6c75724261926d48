// Builds vigil's native addon (native/vigil_sock.c -> build/Release/vigil_native.node) with
// node-gyp; run by npm as the package's `install` script, so `npm ci` builds it on a fresh clone.
// The addon uses only Node-API and libuv, whose ABI is stable, so the headers installed next to
// the running node (Debian's and NodeSource's packages put them in /usr/include/node) serve and
// no download is needed; without them node-gyp fetches the headers for this node version.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = ['rebuild'];
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
// npm points npm_config_node_gyp at its bundled node-gyp; fall back to one on PATH.
const gyp = process.env.npm_config_node_gyp;
const r = gyp
  ? spawnSync(process.execPath, [gyp, ...args], { stdio: 'inherit' })
  : spawnSync('node-gyp', args, { stdio: 'inherit' });
if (r.error) console.error(`cannot run node-gyp: ${r.error.message}`);
if (r.status !== 0) {
  console.error(
    'building the native addon failed: it needs a C compiler, make and python3 (apt-get install build-essential python3)',
  );
}
process.exit(r.status ?? 1);
