// What the native addon is built from, and facts about a built binary: shared by the prebuild
// script, the install script and the test that keeps the shipped binaries current.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The C sources binding.gyp compiles, relative to the repository root. */
export function nativeSources(root) {
  const gyp = JSON.parse(readFileSync(join(root, 'binding.gyp'), 'utf8'));
  return gyp.targets[0].sources;
}

/** sha256 over binding.gyp and every file in native/ (names and contents, in name order). */
export function sourcesHash(root) {
  const h = createHash('sha256');
  const files = [
    'binding.gyp',
    ...readdirSync(join(root, 'native'))
      .sort()
      .map((f) => join('native', f)),
  ];
  for (const f of files) {
    h.update(`${f}\0`);
    h.update(readFileSync(join(root, f)));
    h.update('\0');
  }
  return h.digest('hex');
}

const ELF_MACHINES = { 62: 'x64', 183: 'arm64' };

/** Size, sha256 and ELF machine of a built addon. */
export function binaryFacts(file) {
  const b = readFileSync(file);
  const elf = b.subarray(0, 4).toString('latin1') === '\x7fELF';
  return {
    size: statSync(file).size,
    sha256: createHash('sha256').update(b).digest('hex'),
    machine: elf ? (ELF_MACHINES[b.readUInt16LE(18)] ?? `elf-${b.readUInt16LE(18)}`) : 'not ELF',
  };
}
