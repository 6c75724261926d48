// SIGHUP: a broken configuration is refused and the running one kept; a valid one is applied
// without a flap: the master stays master (no transition, no new become-master), the backup
// never takes over, a VIP added to the instance appears, a VIP taken out is removed, and a new
// instance starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlRequest, controlSocketPath } from '../../../src/daemon/control.js';
import { createLab } from '../../../src/lab/index.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import {
  type Daemon,
  hasVip,
  instanceConf,
  instanceOf,
  startKeepalived,
  startVigil,
  stopDaemon,
  waitFor,
  waitState,
} from './harness.js';

const START_MS = 20_000;
const NET = '192.168.75';

test('SIGHUP reload keeps the master without a flap and applies VIP and instance changes', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({
    nodes: [
      { name: 'a', addresses: [`${NET}.11/24`] },
      { name: 'b', addresses: [`${NET}.12/24`] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-reload-'));
  const vi1 = (priority: number, vips: string): string =>
    instanceConf({ vrid: 51, priority, vip: vips, authPass: 'pw' });
  const daemons: Daemon[] = [];
  try {
    // b starts once a is master: started together, b's own start-up timeout may fire before
    // a's first advert reaches it (a real start-up election, not what this test is about).
    const a = await startVigil(lab, 'a', join(dir, 'a'), vi1(150, `${NET}.100/24`));
    daemons.push(a);
    await waitState(a, 'VI_1', 'MASTER', START_MS);
    const b = await startVigil(lab, 'b', join(dir, 'b'), vi1(100, `${NET}.100/24`));
    daemons.push(b);
    await waitFor(
      'b backup of a',
      async () => (await instanceOf(b, 'VI_1'))?.masterAddress === `${NET}.11`,
      START_MS,
    );
    const before = (await instanceOf(a, 'VI_1'))!;
    const file = join(dir, 'a', 'vigil.conf');
    const sighup = async (): Promise<void> => {
      process.kill(a.child.pid!, 'SIGHUP');
      await new Promise((r) => setTimeout(r, 1500));
    };

    // A broken file: refused over the control socket, the daemon runs on unchanged.
    writeFileSync(file, 'vrrp_instance VI_1 {\n  priority 999\n');
    const refused = (await controlRequest(controlSocketPath(join(dir, 'a')), { cmd: 'reload' })) as {
      reloaded: boolean;
      errors: string[];
    };
    assert.equal(refused.reloaded, false);
    assert.ok(
      refused.errors.length > 0 && refused.errors[0]!.includes('vigil.conf'),
      refused.errors.join('\n'),
    );
    assert.equal((await instanceOf(a, 'VI_1'))?.state, 'MASTER');

    // A second VIP and a new instance.
    writeFileSync(
      file,
      vi1(150, `${NET}.100/24\n    ${NET}.101/24`) +
        instanceConf({ name: 'VI_2', vrid: 52, priority: 120, vip: `${NET}.102/24` }),
    );
    await sighup();
    const after = await waitState(a, 'VI_1', 'MASTER', 2000);
    assert.deepEqual(after.transitions, before.transitions, 'VI_1 did not change state');
    assert.equal(after.stats.becomeMaster, 1);
    assert.deepEqual(after.vips, [`${NET}.100/24`, `${NET}.101/24`]);
    assert.ok(await hasVip(lab, 'a', `${NET}.101`), 'the added VIP is on the master');
    await waitState(a, 'VI_2', 'MASTER', 6000);
    assert.ok(await hasVip(lab, 'a', `${NET}.102`));
    const bView = (await instanceOf(b, 'VI_1'))!;
    assert.equal(bView.state, 'BACKUP');
    assert.ok(
      bView.transitions.every((x) => x.to !== 'MASTER'),
      'b never took over during the reload',
    );

    // VIP .100 taken out of VI_1 (b still advertises it: VIP lists differ, which is counted, not fatal).
    writeFileSync(file, vi1(150, `${NET}.101/24`));
    await sighup();
    await waitState(a, 'VI_1', 'MASTER', 2000);
    assert.equal(await hasVip(lab, 'a', `${NET}.100`), false, 'the VIP taken out was removed');
    assert.equal(await hasVip(lab, 'a', `${NET}.101`), true);
    assert.equal(await hasVip(lab, 'a', `${NET}.102`), false, 'the deleted instance left no VIP');
    assert.equal(await instanceOf(a, 'VI_2'), null);
    await stopDaemon(lab, a, 'SIGTERM');
    await stopDaemon(lab, b, 'SIGTERM');
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.node}:\n${d.output()}`);
    throw e;
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

// A crashed earlier run left the VIP of an instance that a reload now adds: the address goes
// before the instance runs (as at start), or it sits on the backup while the peer holds it too.
test('an instance added on reload removes its leftover VIP; a resumed master keeps its own', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const net = '192.168.77';
  const lab = await createLab({ nodes: [{ name: 'a', addresses: [`${net}.11/24`] }] });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-reload-leftover-'));
  const vi1 = instanceConf({ vrid: 61, priority: 150, vip: `${net}.110/24` });
  let a: Daemon | undefined;
  try {
    a = await startVigil(lab, 'a', join(dir, 'a'), vi1);
    await waitState(a, 'VI_1', 'MASTER', START_MS);
    await lab.exec('a', ['ip', 'addr', 'add', `${net}.111/24`, 'dev', 'eth0']);
    assert.ok(await hasVip(lab, 'a', `${net}.111`));
    // VI_2 starts as BACKUP and, alone on the segment, becomes master only after its
    // master-down interval (3 x 10 s adverts): the window in which the leftover must be gone.
    writeFileSync(
      join(dir, 'a', 'vigil.conf'),
      vi1 + instanceConf({ name: 'VI_2', vrid: 62, priority: 100, advertInt: 10, vip: `${net}.111/24` }),
    );
    process.kill(a.child.pid!, 'SIGHUP');
    await waitState(a, 'VI_2', 'BACKUP', 5000);
    await waitFor('leftover VIP removed', async () => !(await hasVip(lab, 'a', `${net}.111`)), 5000);
    assert.equal((await instanceOf(a, 'VI_2'))?.state, 'BACKUP', 'VI_2 still backup when checked');
    const vi1After = (await instanceOf(a, 'VI_1'))!;
    assert.equal(vi1After.state, 'MASTER');
    assert.equal(vi1After.stats.becomeMaster, 1, 'VI_1 resumed without a flap');
    assert.ok(await hasVip(lab, 'a', `${net}.110`), "the resumed master's VIP stayed");
    assert.match(a.output(), new RegExp(`removed leftover VIP ${net}\\.111`));
    await stopDaemon(lab, a, 'SIGTERM');
  } catch (e) {
    if (a) console.log(`--- a:\n${a.output()}`);
    throw e;
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

// auth_type AH: keepalived drops adverts numbered at or below what it has seen, so a reload must
// carry the sequence counter (keepalived does), or the keepalived backup takes over after it.
test('SIGHUP with auth_type AH keeps the AH sequence: the keepalived backup stays backup', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('keepalived'))) return;
  const net = '192.168.78';
  const vip = `${net}.100`;
  const lab = await createLab({
    nodes: [
      { name: 'v', addresses: [`${net}.11/24`] },
      { name: 'k', addresses: [`${net}.12/24`] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-reload-ah-'));
  const conf = (priority: number): string =>
    instanceConf({ vrid: 63, priority, vip: `${vip}/24`, authPass: 's3cret', authType: 'AH' });
  const daemons: Daemon[] = [];
  try {
    const v = await startVigil(lab, 'v', join(dir, 'v'), conf(150));
    daemons.push(v);
    await waitState(v, 'VI_1', 'MASTER', START_MS);
    const k = await startKeepalived(lab, 'k', join(dir, 'k'), conf(100));
    daemons.push(k);
    await waitFor('keepalived to follow vigil', async () => /Entering BACKUP STATE/.test(k.output()), 10_000);
    // Let vigil's sequence number run well ahead of a fresh counter.
    await new Promise((r) => setTimeout(r, 3000));
    process.kill(v.child.pid!, 'SIGHUP');
    // keepalived's master-down interval at priority 100 is about 3.6 s: watch for 5 s.
    const end = Date.now() + 5000;
    while (Date.now() < end) {
      assert.equal(await hasVip(lab, 'k', vip), false, 'keepalived took the VIP after the reload');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.doesNotMatch(k.output(), /already processed|Entering MASTER STATE/);
    assert.equal((await instanceOf(v, 'VI_1'))?.state, 'MASTER');
    await stopDaemon(lab, k, 'SIGTERM');
    await stopDaemon(lab, v, 'SIGTERM');
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.kind} on ${d.node}:\n${d.output()}`);
    throw e;
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
