// Red Hat's keepalived.service (Type=forking, PIDFile=, ExecStart=keepalived $KEEPALIVED_OPTIONS
// with "-D") started with vigil in keepalived's place: under systemd (INVOCATION_ID set, no
// NOTIFY_SOCKET) and without -n, vigil forks into the background as keepalived does, its first
// process exits 0 once the daemon's pid file is written, and the daemon then runs the VRRP
// instance. Anywhere else vigil stays in the foreground (the other daemon tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab } from '../../../src/lab/index.js';
import { processAlive } from '../../../src/daemon/pidfile.js';
import { wantsBackground } from '../../../src/daemon/daemonize.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';
import { hasVip, instanceConf, waitFor } from '../vrrpd/harness.js';

const CLI = join(import.meta.dirname, '../../../src/cli/main.ts');

test('background only under a systemd Type=forking unit and without -n', () => {
  assert.equal(wantsBackground(false, { INVOCATION_ID: 'x' }), true);
  assert.equal(wantsBackground(true, { INVOCATION_ID: 'x' }), false, '-n / --dont-fork');
  assert.equal(wantsBackground(false, { INVOCATION_ID: 'x', NOTIFY_SOCKET: '/run/systemd/notify' }), false);
  assert.equal(wantsBackground(false, {}), false, 'a shell, a test, a container');
});

test("keepalived's Type=forking unit: `vigil -D -f FILE` forks, exits 0, the daemon runs", async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const net = '192.168.93';
  const lab = await createLab({ nodes: [{ name: 'v', addresses: [`${net}.11/24`] }] });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-forking-'));
  const pidFile = join(dir, 'keepalived.pid');
  let daemon = 0;
  try {
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, instanceConf({ vrid: 93, priority: 150, vip: `${net}.100/24` }));
    const env: NodeJS.ProcessEnv = { ...process.env, INVOCATION_ID: '0123456789abcdef' };
    delete env.NOTIFY_SOCKET;
    // ExecStart=/usr/sbin/keepalived $KEEPALIVED_OPTIONS, KEEPALIVED_OPTIONS="-D", plus where to
    // keep its files in this test.
    const first = lab.spawn(
      'v',
      [
        process.execPath,
        '--import',
        'tsx',
        CLI,
        '-D',
        '-f',
        conf,
        '-p',
        pidFile,
        '--runtime-dir',
        dir,
        '--no-api',
        '-G',
      ],
      { env },
    );
    let out = '';
    first.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    const [code] = (await Promise.race([
      once(first, 'exit'),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('the first process did not exit')), 60_000),
      ),
    ])) as [number | null];
    assert.equal(code, 0, out);
    daemon = Number(readFileSync(pidFile, 'utf8').trim());
    assert.ok(
      daemon > 0 && daemon !== first.pid && processAlive(daemon),
      `pid file holds a live daemon (${daemon})`,
    );
    await waitFor('the background daemon to take the VIP', () => hasVip(lab, 'v', `${net}.100`), 30_000, 200);
    process.kill(daemon, 'SIGTERM');
    await waitFor('the daemon to stop', async () => !processAlive(daemon), 15_000);
    assert.equal(await hasVip(lab, 'v', `${net}.100`), false, 'its stop released the VIP');
  } finally {
    if (daemon > 0 && processAlive(daemon)) process.kill(daemon, 'SIGKILL');
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
