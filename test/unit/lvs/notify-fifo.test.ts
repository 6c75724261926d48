// The checker's notify_fifo / lvs_notify_fifo lines, in keepalived 2.2.7's format, from real
// checks (loopback) and through a real FIFO.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, readSync, closeSync, constants, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigText } from '../../../src/config/load.js';
import { LvsController } from '../../../src/lvs/controller.js';
import { CheckerFifos } from '../../../src/lvs/notify-fifo.js';
import { MemoryEngine } from './memory-engine.js';

let controller: LvsController | undefined;
afterEach(async () => {
  await controller?.stop();
  controller = undefined;
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('a real server going down: its RS line; with omega, the RS lines of those up and the VS line at stop', async () => {
  const port = await closedPort();
  const { config } = loadConfigText(
    `virtual_server 10.0.0.1 80 {
    lb_kind NAT
    protocol TCP
    delay_loop 1
    omega
    real_server 127.0.0.1 ${port} {
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
    real_server 10.0.0.3 80 {
    }
}
`,
    'k.conf',
  );
  const lines: string[] = [];
  controller = new LvsController(config, new MemoryEngine(), {
    log: () => undefined,
    fifo: (l) => lines.push(l),
  });
  await controller.start();
  const end = Date.now() + 10_000;
  while (!lines.length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(lines, [`RS [127.0.0.1]:tcp:${port} [10.0.0.1]:tcp:80 DOWN\n`]);
  await controller.stop();
  controller = undefined;
  // omega: the server still up goes down with the virtual server, as keepalived writes them.
  assert.deepEqual(lines.slice(1), [
    'RS [10.0.0.3]:tcp:80 [10.0.0.1]:tcp:80 DOWN\n',
    'VS [10.0.0.1]:tcp:80 DOWN\n',
  ]);
});

test('lines reach both FIFOs (created when missing); a FIFO nobody reads does not block', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-fifo-'));
  try {
    const a = join(dir, 'notify');
    const b = join(dir, 'lvs');
    execFileSync('mkfifo', [a]);
    const g = loadConfigText(`global_defs {\n  notify_fifo ${a}\n  lvs_notify_fifo ${b}\n}\n`, 'k.conf')
      .config.globalDefs;
    const warnings: string[] = [];
    const fifos = new CheckerFifos(g, false, (m) => warnings.push(m));
    const readers = [a, b].map((p) => openSync(p, constants.O_RDONLY | constants.O_NONBLOCK));
    fifos.write('VS [10.0.0.1]:tcp:80 UP\n');
    for (const fd of readers) {
      const buf = Buffer.alloc(100);
      const n = readSync(fd, buf);
      assert.equal(buf.subarray(0, n).toString(), 'VS [10.0.0.1]:tcp:80 UP\n');
      closeSync(fd);
    }
    for (let i = 0; i < 10_000; i++) fifos.write('RS [10.0.0.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN\n');
    fifos.close();
    assert.deepEqual(warnings, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
