// The daemon as an operator runs it: `vigil run -C` (checker process only) on a configuration
// with a real HTTP server behind a virtual server; `vigil adm` reads and changes the running
// table like ipvsadm; `vigil status --json` shows the health checks; SIGTERM stops it cleanly.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../support/ports.js';
import { until } from '../../../src/lab/until.js';

const run = promisify(execFile);
let daemon: ChildProcess | undefined;
const servers: http.Server[] = [];
after(() => {
  if (daemon?.pid && daemon.exitCode === null) daemon.kill('SIGKILL');
  for (const s of servers) s.close();
});

async function vigil(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      encoding: 'utf8',
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

test('vigil run -C + vigil adm + vigil status against a live data plane', async () => {
  const [vport, rport] = [await freePort(), await freePort()];
  const rs = http.createServer((_q, r) => r.end('rs1'));
  servers.push(rs);
  await new Promise<void>((r) => rs.listen(rport, '127.0.0.2', r));
  const dir = mkdtempSync(join(tmpdir(), 'vigil-daemon-'));
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(
    conf,
    `global_defs {
    lvs_engine userspace
}
virtual_server 127.0.0.20 ${vport} {
    delay_loop 0.3
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.2 ${rport} {
        weight 2
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
`,
  );
  const rt = join(dir, 'run');
  daemon = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'run', '-C', '-f', conf, '--runtime-dir', rt, '-l'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  daemon.stderr!.on('data', (d: Buffer) => (log += d.toString()));

  // ipvsadm's view of the running table.
  const listing = await until(
    'the service is programmed',
    async () => {
      const r = await vigil('adm', '-Ln', '--runtime-dir', rt);
      return r.code === 0 && r.stdout.includes(`127.0.0.2:${rport}`) ? r.stdout : undefined;
    },
    20_000,
  );
  assert.match(
    listing,
    new RegExp(
      `TCP  127\\.0\\.0\\.20:${vport} wrr\\s*\\n\\s+-> 127\\.0\\.0\\.2:${rport}\\s+Masq\\s+2\\s+0\\s+0`,
    ),
  );
  const body = await new Promise<string>((resolve, reject) =>
    http
      .get({ host: '127.0.0.20', port: vport, agent: false }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d));
        res.on('end', () => resolve(b));
      })
      .on('error', reject),
  );
  assert.equal(body, 'rs1');

  // A runtime weight change, as ipvsadm -e does it.
  const e = await vigil(
    'adm',
    '-e',
    '-t',
    `127.0.0.20:${vport}`,
    '-r',
    `127.0.0.2:${rport}`,
    '-m',
    '-w',
    '5',
    '--runtime-dir',
    rt,
  );
  assert.equal(e.code, 0, e.stderr);
  assert.match(
    (await vigil('adm', '-Ln', '--runtime-dir', rt)).stdout,
    new RegExp(`127\\.0\\.0\\.2:${rport}\\s+Masq\\s+5`),
  );
  // ipvsadm's own error for a server that is not there; nothing changes.
  const bad = await vigil('adm', '-d', '-t', `127.0.0.20:${vport}`, '-r', '127.0.0.9:1', '--runtime-dir', rt);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /No such destination/);

  // Health as `vigil status` shows it.
  const st = JSON.parse((await vigil('status', '--json', '--runtime-dir', rt)).stdout) as {
    children: {
      checker: {
        status: {
          engine: string;
          realServers: { state: string; checkers: { lastResult?: { reason: string } }[] }[];
        };
      };
    };
  };
  const checker = st.children.checker.status;
  assert.equal(checker.engine, 'userspace');
  assert.equal(checker.realServers[0]!.state, 'up');
  await until(
    'a check has run',
    async () => {
      const s = JSON.parse((await vigil('status', '--json', '--runtime-dir', rt)).stdout) as typeof st;
      return s.children.checker.status.realServers[0]!.checkers[0]!.lastResult?.reason === 'connected'
        ? true
        : undefined;
    },
    5000,
  );

  // The real server dies: the check takes it out of the running table.
  rs.close();
  rs.closeAllConnections();
  await until(
    'server removed',
    async () => {
      const r = await vigil('adm', '-Ln', '--runtime-dir', rt);
      return r.code === 0 && !r.stdout.includes(`127.0.0.2:${rport}`) ? true : undefined;
    },
    10_000,
  );

  daemon.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => daemon!.once('exit', (c) => r(c)));
  assert.equal(code, 0, log);
});
