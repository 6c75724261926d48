// Replays transcripts of real ipvsadm 1.31 runs (captured in the IPVS VM) through vigil's parser,
// table and formatter, comparing every output byte for byte and every exit status.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAdmArgs } from '../../../src/adm/args.js';
import { handleAdm } from '../../../src/adm/handle.js';
import { MemoryAdmBackend } from '../../support/adm-memory.js';
import { fileNames } from '../../../src/adm/names.js';

export const FIX = new URL('../../fixtures/adm/', import.meta.url);
export const names = fileNames(readFileSync(new URL('etc-services', FIX), 'utf8'), '127.0.0.1 localhost\n');

interface Block {
  argv: string[];
  output: string;
  rc: number;
}

function blocks(text: string): Block[] {
  const out: Block[] = [];
  const re = /^### ipvsadm ?(.*)\n([\s\S]*?)^### rc=(\d+)\n/gm;
  for (const m of text.matchAll(re)) {
    // The transcript lost the quotes of the one argument with a blank (`-w ' 4'`).
    const argv = m[1]!.endsWith('-w  4')
      ? [
          ...m[1]!
            .slice(0, -5)
            .split(' ')
            .filter((w) => w !== ''),
          '-w',
          ' 4',
        ]
      : m[1]!.split(' ').filter((w) => w !== '');
    out.push({ argv, output: m[2]!, rc: Number(m[3]) });
  }
  return out;
}

/**
 * Blocks whose outcome depends on what vigil deliberately does differently: the sync daemon (the VM
 * has no eth0, and the kernel fills in its defaults), -h/-v texts, schedulers the VM's kernel lacks
 * (vigil's engines have twos), and --nosort (the
 * kernel's hash-table order of services; format.test.ts checks the servers' newest-first order).
 */
function skipped(b: Block): boolean {
  const a = b.argv.join(' ');
  return (
    /^--(start|stop)-daemon|--daemon/.test(a) ||
    ['-h', '-v'].includes(b.argv[0] ?? '') ||
    a.includes('twos') ||
    a.includes('--nosort')
  );
}

export async function replay(file: string, backend = new MemoryAdmBackend()): Promise<number> {
  let compared = 0;
  for (const b of blocks(readFileSync(new URL(file, FIX), 'utf8'))) {
    if (skipped(b)) continue;
    const parsed = parseAdmArgs(b.argv, { names });
    const got = parsed.ok
      ? await handleAdm(parsed.command, backend, names)
      : { output: parsed.message + '\n', exitCode: parsed.exitCode };
    assert.equal(got.output, b.output, `output of ipvsadm ${b.argv.join(' ')}`);
    assert.equal(got.exitCode, b.rc, `exit status of ipvsadm ${b.argv.join(' ')}`);
    compared++;
  }
  return compared;
}
