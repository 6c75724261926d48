// Replays transcripts of real ipvsadm 1.31 runs (captured in the IPVS VM: test/fixtures/adm/probe*.sh
// run under ../shared/recipes/ipvs-vm/run-in-vm.sh) through vigil's parser, table and formatter, and
// compares every output byte for byte and every exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replay } from './replay.js';

test('transcript 1 (every list format, -S, tunnels, IPv6, fwmark, SCTP, sched flags)', async () => {
  assert.equal(await replay('vm-transcript-1.txt'), 36);
});

test('transcript 2 (parse errors, kernel errors, edits, option conflicts)', async () => {
  assert.equal(await replay('vm-transcript-2.txt'), 103);
});

test('transcript 3 (number and address forms, fwmark wrap-around, ops, sched flags)', async () => {
  assert.equal(await replay('vm-transcript-3.txt'), 43);
});

test('transcript 4 (popt corner cases: leftovers, =, --, optional -p, -6 masks)', async () => {
  assert.equal(await replay('vm-transcript-4.txt'), 25);
});
