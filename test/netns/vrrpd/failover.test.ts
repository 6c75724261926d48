// Two vigil daemons on one segment, each in its own namespace: election, VIP on exactly one node,
// takeover after the master is killed (SIGKILL: 3 x advert_int + skew) and after a graceful stop
// (SIGTERM: priority-0 advert, takeover after skew), `vigil status --json` over the control socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLab } from '../../../src/lab/index.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';
import {
  type Daemon,
  instanceConf,
  startVigil,
  stopDaemon,
  vipAppears,
  vipHolders,
  waitFor,
  waitState,
  within,
} from './harness.js';

const VIP = '192.168.71.100';
const START_MS = 20_000; // tsx compiles the daemon on start

test('two vigil daemons: election, SIGKILL failover, graceful handover, status --json', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({
    nodes: [
      { name: 'a', addresses: ['192.168.71.11/24'] },
      { name: 'b', addresses: ['192.168.71.12/24'] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-vrrpd-'));
  const conf = (priority: number): string =>
    `global_defs { router_id t_${priority} }\n` +
    instanceConf({ vrid: 51, priority, vip: `${VIP}/24`, authPass: 'vigil' });
  const daemons: Daemon[] = [];
  try {
    let a = await startVigil(lab, 'a', join(dir, 'a'), conf(150));
    const b = await startVigil(lab, 'b', join(dir, 'b'), conf(100));
    daemons.push(a, b);
    await waitState(a, 'VI_1', 'MASTER', START_MS);
    const bView = await waitFor(
      'b to hear a',
      async () => {
        const i = await waitState(b, 'VI_1', 'BACKUP', START_MS);
        return i.masterAddress === '192.168.71.11' ? i : null;
      },
      START_MS,
    );
    assert.equal(bView.effectivePriority, 100);
    await waitFor('the VIP on a', async () => (await vipHolders(lab, ['a'], VIP)).length === 1, 3000);
    assert.deepEqual(await vipHolders(lab, ['a', 'b'], VIP), ['a'], 'the VIP is on the master only');

    // vigil status --json, through the CLI, as an operator runs it.
    const cli = await lab.exec('a', [
      process.execPath,
      '--import',
      'tsx',
      join(import.meta.dirname, '../../../src/cli/main.ts'),
      'status',
      '--json',
      '--runtime-dir',
      join(dir, 'a'),
    ]);
    const st = JSON.parse(cli.stdout) as {
      children: {
        vrrp: {
          status: { instances: { name: string; state: string; vips: string[]; advertsSent: number }[] };
        };
      };
    };
    const inst = st.children.vrrp.status.instances[0]!;
    assert.deepEqual([inst.name, inst.state, inst.vips], ['VI_1', 'MASTER', [`${VIP}/24`]]);
    assert.ok(inst.advertsSent > 0);
    const text = await lab.exec('a', [
      process.execPath,
      '--import',
      'tsx',
      join(import.meta.dirname, '../../../src/cli/main.ts'),
      'status',
      '--runtime-dir',
      join(dir, 'a'),
    ]);
    assert.match(text.stdout, /VI_1 eth0 vrid 51 MASTER prio 150\/150 VIPs 192\.168\.71\.100\/24/);

    // SIGKILL the master's whole process group: b takes over after 3 x 1 s + (256-100)/256 s at
    // most from a's last advert.
    const appear = await vipAppears(lab, 'b', VIP);
    const killedAt = performance.now();
    await stopDaemon(lab, a, 'SIGKILL');
    const took = (await within(appear.at, 6000, 'takeover after SIGKILL')) - killedAt;
    appear.cancel();
    console.log(`# takeover after SIGKILL (v2, advert_int 1, backup prio 100): ${took.toFixed(0)} ms`);
    assert.ok(took <= 3610 + 400, `takeover took ${took.toFixed(0)} ms`);
    await waitState(b, 'VI_1', 'MASTER', 1000);

    // a comes back (removing the VIP it left behind) and preempts b.
    a = await startVigil(lab, 'a', join(dir, 'a'), conf(150));
    daemons.push(a);
    await waitState(a, 'VI_1', 'MASTER', START_MS);
    await waitState(b, 'VI_1', 'BACKUP', 3000);
    await waitFor(
      'the VIP on a only',
      async () => (await vipHolders(lab, ['a', 'b'], VIP)).join() === 'a',
      3000,
    );

    // Graceful stop: a sends priority 0, b takes over after Skew_Time (0.61 s).
    const appear2 = await vipAppears(lab, 'b', VIP);
    const termAt = performance.now();
    await stopDaemon(lab, a, 'SIGTERM');
    const handover = (await within(appear2.at, 3000, 'takeover after SIGTERM')) - termAt;
    appear2.cancel();
    console.log(`# takeover after SIGTERM (v2, advert_int 1, backup prio 100): ${handover.toFixed(0)} ms`);
    assert.ok(handover <= 609 + 400, `graceful handover took ${handover.toFixed(0)} ms`);
    assert.deepEqual(await vipHolders(lab, ['a', 'b'], VIP), ['b'], 'a removed its VIP on stop');
    const bNow = await waitState(b, 'VI_1', 'MASTER', 1000);
    assert.deepEqual(bNow.rejected, {}, 'no advert was rejected');
    await stopDaemon(lab, b, 'SIGTERM');
    assert.deepEqual(await vipHolders(lab, ['a', 'b'], VIP), [], 'b removed its VIP on stop');
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.node} (pid ${d.child.pid}):\n${d.output()}`);
    throw e;
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
