import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlRequest, serveControl } from '../../../src/daemon/control.js';

test('control socket: requests get answers, errors and bad input get clear messages', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ctl-'));
  const path = join(dir, 'vigil.ctl');
  const server = await serveControl(path, async (req) => {
    if (req.cmd === 'echo') return req.args;
    throw new Error(`unknown command '${req.cmd}'`);
  });
  try {
    assert.deepEqual(await controlRequest(path, { cmd: 'echo', args: { a: 1 } }), { a: 1 });
    await assert.rejects(controlRequest(path, { cmd: 'nope' }), /unknown command 'nope'/);
    const raw = await new Promise<string>((resolve) => {
      const c = net.createConnection(path, () => c.write('{not json\n'));
      let b = '';
      c.on('data', (d) => (b += d));
      c.on('end', () => resolve(b));
    });
    assert.match(raw, /"ok":false,"error":"bad request: /);
  } finally {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
  await assert.rejects(controlRequest(path, { cmd: 'status' }), /no vigil daemon is listening/);
});
