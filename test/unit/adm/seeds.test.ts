// The seed guides' ipvsadm sequences (copied from the corpus into test/fixtures/adm/) replayed
// through the parser and table give the table real ipvsadm gives (vm-seeds.txt: seeds.sh in the VM).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAdmArgs, parseRestore } from '../../../src/adm/args.js';
import { handleAdm } from '../../../src/adm/handle.js';
import { MemoryAdmBackend } from '../../support/adm-memory.js';
import { applyAdmToTable } from '../../../src/adm/table.js';
import type { AdmTable } from '../../../src/adm/types.js';
import { FIX, names, replay } from './replay.js';

function seedLines(file: string): string[][] {
  return readFileSync(new URL(file, FIX), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('ipvsadm '))
    .map((l) => l.split(/\s+/).slice(1));
}

function run(table: AdmTable, argv: string[]): AdmTable {
  const p = parseAdmArgs(argv, { names });
  assert.ok(p.ok, `parse ${argv.join(' ')}`);
  const r = applyAdmToTable(table, p.command);
  assert.ok(!('error' in r), `apply ${argv.join(' ')}`);
  return r.table;
}

test('the seeds replayed on ipvsadm in the VM and on vigil give the same outputs', async () => {
  assert.equal(await replay('vm-seeds.txt'), 19);
});

test('seed 001: manual LVS-DR rules, then -E turns on persistence (and resets the scheduler to wlc)', () => {
  let table: AdmTable = [
    { key: { kind: 'fwmark', family: 4, fwmark: 1 }, scheduler: 'rr', flags: {}, dests: [] },
  ];
  for (const argv of seedLines('001-ipvsadm-commands.txt')) table = run(table, argv);
  const key = { kind: 'addr', family: 4, address: '172.16.1.100', port: 80, protocol: 'tcp' } as const;
  const dr = { port: 80, forwarding: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0 } as const;
  assert.deepEqual(table, [
    {
      key,
      scheduler: 'wlc',
      flags: {},
      persistenceTimeout: 30,
      dests: [
        { address: '172.16.1.5', ...dr },
        { address: '172.16.1.6', ...dr },
      ],
    },
  ]);
});

test('seed 000: real-server maintenance and the sync daemons', async () => {
  const backend = new MemoryAdmBackend();
  const exec = async (argv: string[]) => {
    const p = parseAdmArgs(argv, { names });
    assert.ok(p.ok, argv.join(' '));
    return handleAdm(p.command, backend, names);
  };
  for (const l of [
    '-A -t 192.168.1.100:80 -s wrr',
    '-a -t 192.168.1.100:80 -r 192.168.1.21 -g',
    '-a -t 192.168.1.100:80 -r 192.168.1.22 -g',
  ])
    assert.equal((await exec(l.split(' '))).exitCode, 0);
  for (const argv of seedLines('000-ipvsadm-commands.txt'))
    assert.equal((await exec(argv)).exitCode, 0, argv.join(' '));
  const svc = backend.table[0]!;
  assert.deepEqual(
    svc.dests.map((d) => [d.address, d.port, d.forwarding, d.weight]),
    [
      ['192.168.1.22', 80, 'dr', 2],
      ['192.168.1.21', 80, 'dr', 1],
    ],
  );
  assert.equal(
    (await exec(['-L', '--daemon'])).output,
    'master sync daemon (mcast=eth0, syncid=1)\nbackup sync daemon (mcast=eth0, syncid=1)\n',
  );
  assert.deepEqual(await exec(['--start-daemon', 'master']), {
    output: 'Daemon has already run\n',
    exitCode: 255,
  });
  assert.equal((await exec(['--stop-daemon', 'master'])).exitCode, 0);
  assert.deepEqual(await exec(['--stop-daemon', 'master']), {
    output: 'No daemon is running\n',
    exitCode: 255,
  });
});

test('-S output round trip: real ipvsadm -R of vigil -S output saves back the same lines', async () => {
  // vm-roundtrip-*.txt: roundtrip.sh in the VM restored vigil's -S/-S -n output for transcript 1's
  // table with ipvsadm -R and saved it again with ipvsadm -S/-S -n.
  const backend = new MemoryAdmBackend();
  for (const l of readFileSync(new URL('probe1.sh', FIX), 'utf8').split('\n')) {
    if (!/^r -[Aa] /.test(l)) continue;
    const p = parseAdmArgs(l.slice(2).split(' '), { names });
    assert.ok(p.ok, l);
    assert.equal((await handleAdm(p.command, backend, names)).exitCode, 0, l);
  }
  const save = async (numeric: boolean) => (await handleAdm({ cmd: 'save', numeric }, backend, names)).output;
  assert.equal(await save(true), readFileSync(new URL('vm-roundtrip-Sn.txt', FIX), 'utf8'));
  assert.equal(await save(false), readFileSync(new URL('vm-roundtrip-S.txt', FIX), 'utf8'));
  // And vigil restores it to a table that saves the same (-S, like ipvsadm's, omits thresholds).
  const again = new MemoryAdmBackend();
  const restored = parseRestore(await save(true), { names });
  assert.ok(restored.ok);
  assert.equal((await handleAdm(restored.command, again, names)).exitCode, 0);
  assert.equal((await handleAdm({ cmd: 'save', numeric: true }, again, names)).output, await save(true));
  assert.equal(again.table.length, backend.table.length);
});
