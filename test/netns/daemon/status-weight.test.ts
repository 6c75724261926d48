// `vigil status` shows the weight in force: a runtime `vigil adm -e ... -w 7` against the running
// daemon (checker process, nftables data plane, in a lab namespace) is what status and
// status --json report, marked as a runtime override with the configured weight beside it; it
// survives the real server's death and return, as the data plane keeps it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import { withLab, type Lab } from '../../support/lab.js';
import { until } from '../../../src/lab/until.js';

const VIP = '10.77.0.100';
const RS = '10.77.0.2';
const SERVER = `require('node:http').createServer((q,r)=>r.end('rs')).listen(8080,'${RS}')`;

interface RsStatus {
  realServer: string;
  state: string;
  weight: number;
  override?: { by: string; configuredWeight: number };
}

test('vigil status shows the weight in force after vigil adm -e -w', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('nft'))) return;
  const lab: Lab = await withLab(t, {
    nodes: [
      { name: 'director', addresses: ['10.77.0.1/24'] },
      { name: 'rs', addresses: [`${RS}/24`] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-status-weight-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(
    conf,
    `global_defs {
    lvs_engine nft
}
virtual_server ${VIP} 80 {
    delay_loop 0.3
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server ${RS} 8080 {
        weight 2
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
`,
  );
  const rt = join(dir, 'run');
  const cli = (...args: string[]) =>
    lab.exec(
      'director',
      [process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args, '--runtime-dir', rt],
      {
        allowFailure: true,
      },
    );
  const status = async (): Promise<RsStatus> => {
    const r = await cli('status', '--json');
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { children: { checker: { status: { realServers: RsStatus[] } } } };
    return s.children.checker.status.realServers[0]!;
  };
  let server: ChildProcess = lab.spawn('rs', [process.execPath, '-e', SERVER], { stdio: 'ignore' });
  const daemon = lab.spawn(
    'director',
    [
      process.execPath,
      '--import',
      'tsx',
      'src/cli/main.ts',
      'run',
      '-C',
      '-f',
      conf,
      '--runtime-dir',
      rt,
      '-l',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  daemon.stderr!.on('data', (d: Buffer) => (log += d.toString()));

  // Configured weight, no override, before any runtime change.
  const first = await until(
    'the real server is checked up',
    async () => {
      const s = await status();
      return s.state === 'up' && (await cli('adm', '-Ln')).stdout.includes(`${RS}:8080`) ? s : undefined;
    },
    20_000,
  );
  assert.equal(first.weight, 2);
  assert.equal(first.override, undefined);

  const e = await cli('adm', '-e', '-t', `${VIP}:80`, '-r', `${RS}:8080`, '-m', '-w', '7');
  assert.equal(e.code, 0, e.stderr);
  assert.match((await cli('adm', '-Ln')).stdout, new RegExp(`${RS.replace(/\./g, '\\.')}:8080\\s+Masq\\s+7`));
  const after = await status();
  assert.equal(after.weight, 7);
  assert.deepEqual(after.override, { by: 'runtime', configuredWeight: 2 });
  const text = await cli('status');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`${RS}:8080 up weight 7 \\(runtime override, configured 2\\)`));

  // The server dies: out of the table, weight 0 in force; back: the runtime weight applies again.
  lab.kill(server, 'SIGKILL');
  const down = await until(
    'the real server is checked down',
    async () => {
      const s = await status();
      return s.state === 'down' ? s : undefined;
    },
    10_000,
  );
  assert.equal(down.weight, 0);
  assert.equal(down.override, undefined);
  assert.doesNotMatch((await cli('adm', '-Ln')).stdout, new RegExp(`${RS}:8080`));
  server = lab.spawn('rs', [process.execPath, '-e', SERVER], { stdio: 'ignore' });
  const back = await until(
    'the real server is back',
    async () => {
      const s = await status();
      return s.state === 'up' ? s : undefined;
    },
    10_000,
  );
  assert.equal(back.weight, 7);
  assert.deepEqual(back.override, { by: 'runtime', configuredWeight: 2 });
  assert.match((await cli('adm', '-Ln')).stdout, new RegExp(`${RS.replace(/\./g, '\\.')}:8080\\s+Masq\\s+7`));

  lab.kill(server, 'SIGKILL');
  lab.kill(daemon, 'SIGTERM');
  const code = await new Promise<number | null>((r) =>
    daemon.exitCode !== null ? r(daemon.exitCode) : daemon.once('exit', (c) => r(c)),
  );
  assert.equal(code, 0, log);
});
