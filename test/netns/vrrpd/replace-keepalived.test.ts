// packaging/INSTALL.md's migration, as an operator does it on a running keepalived pair: the
// backup node's keepalived stops and vigil starts there on the same keepalived.conf; the VIP never
// leaves the master (no deletion on it, never on the other node). Then the master node: its
// keepalived stops (priority-0 advert), vigil on the other node takes over within its skew time,
// and vigil started on the master node takes the VIP back by preemption. Both nodes then run vigil.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import {
  type Daemon,
  instanceConf,
  startKeepalived,
  startVigil,
  stopDaemon,
  vipAppears,
  vipHolders,
  waitFor,
  waitState,
  within,
} from './harness.js';

const NET = '192.168.94';
const VIP = `${NET}.100`;

/** Every `ip monitor address` line about the VIP in the node, from now until stop(). */
function watchVip(lab: Lab, node: string): { lines: string[]; stop: () => void } {
  const mon = lab.spawn(node, ['ip', 'monitor', 'address']);
  const lines: string[] = [];
  let buf = '';
  mon.stdout?.on('data', (b: Buffer) => {
    buf += b.toString();
    const all = buf.split('\n');
    buf = all.pop() ?? '';
    lines.push(...all.filter((l) => l.includes(` ${VIP}/`)));
  });
  return { lines, stop: () => lab.kill(mon, 'SIGKILL') };
}

test('keepalived pair -> vigil, one node at a time: the VIP never leaves the master while the backup is replaced', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('keepalived'))) return;
  const lab = await createLab({
    nodes: [
      { name: 'a', addresses: [`${NET}.11/24`] },
      { name: 'b', addresses: [`${NET}.12/24`] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-replace-'));
  // The guides' pair: VRRPv2, PASS authentication, advert_int 1; a at 150 is the master.
  const conf = (priority: number): string =>
    instanceConf({ vrid: 51, priority, vip: `${VIP}/24`, advertInt: 1, authPass: '1111' });
  const daemons: Daemon[] = [];
  const watches: { stop: () => void }[] = [];
  try {
    const ka = await startKeepalived(lab, 'a', join(dir, 'ka'), conf(150));
    const kb = await startKeepalived(lab, 'b', join(dir, 'kb'), conf(100));
    daemons.push(ka, kb);
    await waitFor(
      'keepalived on a to hold the VIP',
      async () => (await vipHolders(lab, ['a', 'b'], VIP)).join() === 'a',
      15_000,
    );
    // From here on, any change of the VIP on either node is seen.
    const onA = watchVip(lab, 'a');
    const onB = watchVip(lab, 'b');
    watches.push(onA, onB);
    await new Promise((r) => setTimeout(r, 300)); // ip monitor subscribed

    // Step 1: the backup node. keepalived stops there, vigil starts on the same file.
    await stopDaemon(lab, kb, 'SIGTERM');
    const vb = await startVigil(lab, 'b', join(dir, 'vb'), conf(100));
    daemons.push(vb);
    await waitFor(
      "vigil on b to follow keepalived's master",
      async () => {
        const i = await waitState(vb, 'VI_1', 'BACKUP', 20_000);
        return i.masterAddress === `${NET}.11` && i.advertsReceived >= 3 ? i : null;
      },
      20_000,
    );
    // A few more advert intervals with the mixed pair in place.
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(onA.lines, [], 'the VIP was never removed from the master');
    assert.deepEqual(onB.lines, [], 'the VIP never appeared on the replaced node');
    assert.deepEqual(await vipHolders(lab, ['a', 'b'], VIP), ['a']);

    // Step 2: the master node. Its keepalived stops (priority-0 advert): vigil on b takes over
    // within its skew time ((256-100)/256 s), not the 3 s of a crash.
    const appear = await vipAppears(lab, 'b', VIP);
    const stopAt = performance.now();
    await stopDaemon(lab, ka, 'SIGTERM');
    const took = (await within(appear.at, 5000, 'vigil on b taking over')) - stopAt;
    appear.cancel();
    console.log(`# vigil on b took over ${took.toFixed(0)} ms after keepalived on a stopped`);
    assert.ok(took < 1000 + 400, `takeover took ${took.toFixed(0)} ms`);
    await waitState(vb, 'VI_1', 'MASTER', 1000);
    // vigil on a, same file: it preempts (150 > 100) and b steps back.
    const va = await startVigil(lab, 'a', join(dir, 'va'), conf(150));
    daemons.push(va);
    await waitState(va, 'VI_1', 'MASTER', 20_000);
    await waitState(vb, 'VI_1', 'BACKUP', 5000);
    await waitFor(
      'the VIP on a only',
      async () => (await vipHolders(lab, ['a', 'b'], VIP)).join() === 'a',
      3000,
    );
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.kind} on ${d.node}:\n${d.output()}`);
    throw e;
  } finally {
    for (const w of watches) w.stop();
    for (const d of daemons) await stopDaemon(lab, d, 'SIGTERM');
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
