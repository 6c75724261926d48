// runAdm end to end over a real control socket: serveControl with handleAdm over an in-memory
// backend, in a temporary runtime dir.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:net';
import { controlRequest, controlSocketPath, serveControl } from '../../../src/daemon/control.js';
import { checkAdmRequest, handleAdm, runAdm } from '../../../src/cli/adm.js';
import { MemoryAdmBackend } from '../../support/adm-memory.js';

let dir: string;
let server: Server;
const backend = new MemoryAdmBackend();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-adm-'));
  server = await serveControl(controlSocketPath(dir), async (req) => {
    if (req.cmd !== 'adm') throw new Error(`unknown command ${req.cmd}`);
    const r = checkAdmRequest(req.args);
    if ('error' in r) throw new Error(r.error);
    return handleAdm(r.command, backend);
  });
});

after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function adm(argv: string[], stdin = ''): Promise<{ rc: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const rc = await runAdm(argv, {
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
    stdin: () => stdin,
  });
  return { rc, out, err };
}

test('add, list, save, errors and restore through the daemon', async () => {
  assert.deepEqual(await adm(['--runtime-dir', dir, '-A', '-t', '10.0.0.1:80', '-s', 'rr']), {
    rc: 0,
    out: '',
    err: '',
  });
  assert.equal(
    (await adm(['-a', '-t', '10.0.0.1:80', '-r', '10.0.0.2:8080', '-m', '-w', '3', `--runtime-dir=${dir}`]))
      .rc,
    0,
  );
  const list = await adm(['-Ln', '--runtime-dir', dir]);
  assert.equal(
    list.out,
    'IP Virtual Server version 1.2.1 (size=4096)\n' +
      'Prot LocalAddress:Port Scheduler Flags\n' +
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n' +
      'TCP  10.0.0.1:80 rr\n' +
      '  -> 10.0.0.2:8080                Masq    3      0          0         \n',
  );
  // A kernel-style error: on stderr, exit 255, nothing changed.
  const dup = await adm(['--runtime-dir', dir, '-a', '-t', '10.0.0.1:80', '-r', '10.0.0.2:8080', '-m']);
  assert.deepEqual(dup, { rc: 255, out: '', err: 'Destination already exists\n' });
  // A parse error never reaches the daemon.
  const bad = await adm(['--runtime-dir', dir, '-a', '-t', '10.0.0.1:80', '-r', '10.0.0.3', '-w', 'x']);
  assert.deepEqual(bad, { rc: 2, out: '', err: 'illegal weight specified\n' });
  // -R: all or nothing.
  const save = (await adm(['--runtime-dir', dir, '-S', '-n'])).out;
  assert.equal(save, '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 3\n');
  const failed = await adm(['--runtime-dir', dir, '-R'], '-A -t 10.0.0.5:80\n-A -t 10.0.0.1:80\n');
  assert.equal(failed.rc, 255);
  assert.match(failed.err, /^Service already exists\n/);
  assert.equal((await adm(['--runtime-dir', dir, '-S', '-n'])).out, save);
  assert.equal((await adm(['--runtime-dir', dir, '-C'])).rc, 0);
  assert.equal((await adm(['--runtime-dir', dir, '-R'], save)).rc, 0);
  assert.equal((await adm(['--runtime-dir', dir, '-S', '-n'])).out, save);
});

test('a missing daemon is named with its socket path', async () => {
  const r = await adm(['--runtime-dir', join(dir, 'nowhere'), '-Ln']);
  assert.equal(r.rc, 1);
  assert.match(r.err, /vigil is not running \(no control socket at .*nowhere\/vigil\.ctl/);
});

test('the daemon refuses a malformed adm request', async () => {
  await assert.rejects(
    controlRequest(controlSocketPath(dir), {
      cmd: 'adm',
      args: { cmd: 'add-server', key: { kind: 'addr' } },
    }),
    /adm request: family must be 4 or 6/,
  );
  await assert.rejects(
    controlRequest(controlSocketPath(dir), { cmd: 'adm', args: { cmd: 'rm-rf' } }),
    /unknown command/,
  );
});

test('-h and -v answer without a daemon', async () => {
  const h = await adm(['--runtime-dir', join(dir, 'nowhere'), '-h']);
  assert.equal(h.rc, 0);
  assert.match(h.out, /-A\|E virtual-service/);
  const v = await adm(['-v', '--runtime-dir', join(dir, 'nowhere')]);
  assert.equal(v.rc, 0);
  assert.match(v.out, /ipvsadm v1\.31 compatible/);
});
