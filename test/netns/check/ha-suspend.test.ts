// ha_suspend in a lab: two vigil directors share the VIP of a virtual server whose real server
// counts the connections it gets. The backup director runs no checks (the real server never sees
// it) while it checks another virtual server without ha_suspend; once it takes the VIP over, it
// checks; when the first director comes back and preempts, it stops again. A reload in between
// changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab } from '../../../src/lab/index.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';
import { startTcpServer } from '../../support/lab-servers.js';
import {
  type Daemon,
  instanceConf,
  startVigil,
  stopDaemon,
  vigilStatus,
  waitFor,
  waitState,
} from '../vrrpd/harness.js';

const NET = '192.168.75';
const VIP = `${NET}.100`;
const START_MS = 20_000;

const vs = (port: number, rsPort: number, haSuspend: boolean): string => `
virtual_server ${VIP} ${port} {
${haSuspend ? '  ha_suspend\n' : ''}  delay_loop 0.5
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${NET}.30 ${rsPort} {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;
const conf = (priority: number): string =>
  instanceConf({ vrid: 75, priority, vip: `${VIP}/24` }) + vs(80, 8080, true) + vs(81, 8081, false);

interface RsView {
  realServer: string;
  suspended?: boolean;
}

async function suspendedOn(d: Daemon): Promise<string[]> {
  const s = (await vigilStatus(d)) as unknown as {
    children: { checker?: { status: { realServers?: RsView[] } } };
  };
  return (s.children.checker?.status.realServers ?? []).filter((r) => r.suspended).map((r) => r.realServer);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('ha_suspend: the backup director runs no checks; after takeover it does, after failback not', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({
    nodes: [
      { name: 'a', addresses: [`${NET}.11/24`] },
      { name: 'b', addresses: [`${NET}.12/24`] },
      { name: 'r', addresses: [`${NET}.30/24`] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-hasuspend-'));
  const daemons: Daemon[] = [];
  try {
    const held = await startTcpServer(lab, 'r', `${NET}.30`, 8080);
    const plain = await startTcpServer(lab, 'r', `${NET}.30`, 8081);
    let a = await startVigil(lab, 'a', join(dir, 'a'), conf(150));
    daemons.push(a);
    // b starts once a is master: started together on a loaded machine, b's master-down timer
    // could end before a's first advert, and b would be master (and check) for a moment.
    await waitState(a, 'VI_1', 'MASTER', START_MS);
    const b = await startVigil(lab, 'b', join(dir, 'b'), conf(100));
    daemons.push(b);
    await waitState(b, 'VI_1', 'BACKUP', START_MS);
    const from = (srv: typeof held, ip: string): number => srv.peers().filter((p) => p === ip).length;
    const A = `${NET}.11`;
    const B = `${NET}.12`;

    // The master checks every delay_loop; the backup, over the same time, not once, while it does
    // check the virtual server without ha_suspend (its checker works).
    await waitFor('checks from the master', async () => from(held, A) >= 3, 10_000);
    const seenA = from(held, A);
    const plainB = from(plain, B);
    await sleep(3000);
    assert.ok(from(held, A) >= seenA + 4, `the master keeps checking (${seenA} then ${from(held, A)})`);
    assert.equal(from(held, B), 0, 'the backup director sent no check to the ha_suspend service');
    assert.ok(
      from(plain, B) >= plainB + 4,
      `the backup checks the service without ha_suspend (${plainB} then ${from(plain, B)})`,
    );
    assert.deepEqual(await suspendedOn(b), [`${NET}.30:8080`]);
    assert.deepEqual(await suspendedOn(a), []);
    assert.match(
      b.output(),
      /virtual_server 192\.168\.75\.100:80: health checks of 1 real server suspended \(ha_suspend/,
    );

    // A reload (SIGHUP, same file) restarts both directors' checks: the backup stays paused, the
    // master keeps checking (each VRRP child re-reports its states, each checker child re-applies them).
    const reloads = async (d: Daemon): Promise<number> =>
      ((await vigilStatus(d)) as unknown as { reloads: number }).reloads;
    process.kill(a.child.pid!, 'SIGHUP');
    process.kill(b.child.pid!, 'SIGHUP');
    await waitFor('both reloaded', async () => (await reloads(a)) === 1 && (await reloads(b)) === 1, 10_000);
    const afterA = from(held, A);
    await sleep(2500);
    assert.ok(
      from(held, A) >= afterA + 3,
      `the master checks after its reload (${afterA} then ${from(held, A)})`,
    );
    assert.equal(from(held, B), 0, 'the backup sent no check after its reload');
    assert.deepEqual(await suspendedOn(b), [`${NET}.30:8080`]);

    // The master dies: the new master resumes its checks at once.
    await stopDaemon(lab, a, 'SIGKILL');
    await waitState(b, 'VI_1', 'MASTER', 10_000);
    await waitFor('checks from the new master', async () => from(held, B) >= 3, 5_000);
    assert.deepEqual(await suspendedOn(b), []);
    assert.match(
      b.output(),
      /virtual_server 192\.168\.75\.100:80: health checks of 1 real server resumed \(ha_suspend/,
    );

    // The first director returns and preempts: the backup stops checking again.
    a = await startVigil(lab, 'a', join(dir, 'a2'), conf(150));
    daemons.push(a);
    await waitState(a, 'VI_1', 'MASTER', START_MS);
    await waitState(b, 'VI_1', 'BACKUP', 10_000);
    await waitFor('b suspended again', async () => (await suspendedOn(b)).length === 1, 5_000);
    await sleep(700); // a check that was under way when it lost the VIP may still connect
    const stillB = from(held, B);
    await sleep(2500);
    assert.equal(from(held, B), stillB, 'no check from the director that went back to BACKUP');
  } finally {
    for (const d of daemons) await stopDaemon(lab, d).catch(() => undefined);
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
