// vrrp_track_process against a real keepalived 2.2.7 peer: vigil (priority 150) holds the VIP
// while a `sleep` with a distinctive argument runs; the process is killed -> vigil goes FAULT
// (weight 0, keepalived's default) after terminate_delay and keepalived (priority 100) takes the
// VIP within delay + one advert; a kill and restart within the delay moves nothing; started
// again -> vigil preempts. vigil runs in a network namespace, where the kernel's process events
// connector is refused, so this is the /proc scan path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLab } from '../../../src/lab/index.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import {
  type Daemon,
  instanceConf,
  instanceOf,
  startKeepalived,
  startVigil,
  stopDaemon,
  vipAppears,
  vipHolders,
  waitFor,
  waitState,
  within,
} from './harness.js';

const DELAY_S = 1;
const ADVERT_MS = 1000;
/** The /proc scan period (SCAN_INTERVAL_MS) plus scheduling on a loaded 2-core VM. */
const DETECT_MS = 250 + 350;

test('vrrp_track_process: the tracked process dies -> the VIP moves to keepalived; back -> vigil preempts', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('keepalived'))) return;
  const net = '192.168.74';
  const vip = `${net}.100`;
  // A number nothing else on the machine runs `sleep` with.
  const arg = String(900_000 + (process.pid % 90_000));
  const lab = await createLab({
    nodes: [
      { name: 'k', addresses: [`${net}.11/24`] },
      { name: 'v', addresses: [`${net}.12/24`] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-trackproc-'));
  const inst = (priority: number, track: boolean): string =>
    instanceConf({ vrid: 61, priority, vip: `${vip}/24`, advertInt: ADVERT_MS / 1000 }).replace(
      /\n}\n$/,
      track ? '\n  track_process {\n    chk_sleep\n  }\n}\n' : '\n}\n',
    );
  const vigilConf = `vrrp_track_process chk_sleep {
  process sleep ${arg}
  delay ${DELAY_S}
}
${inst(150, true)}`;
  const daemons: Daemon[] = [];
  const startTracked = async (): Promise<ChildProcess> => {
    const c = lab.spawn('v', ['sleep', arg]);
    await once(c, 'spawn');
    return c;
  };
  const kill = async (c: ChildProcess): Promise<void> => {
    const exited = once(c, 'exit');
    lab.kill(c, 'SIGKILL');
    await exited;
  };
  try {
    let tracked = await startTracked();
    const k = await startKeepalived(lab, 'k', join(dir, 'k'), inst(100, false));
    daemons.push(k);
    const v = await startVigil(lab, 'v', join(dir, 'v'), vigilConf);
    daemons.push(v);
    await waitState(v, 'VI_1', 'MASTER', 15_000);
    await waitFor(
      'the VIP on vigil only',
      async () => (await vipHolders(lab, ['k', 'v'], vip)).join() === 'v',
      5000,
    );
    assert.match(v.output(), /scanning \/proc every 250 ms/, 'vigil says how it follows processes here');

    // Killed and restarted within terminate_delay: nothing moves.
    const before = (await instanceOf(v, 'VI_1'))!.transitions.length;
    await kill(tracked);
    tracked = await startTracked();
    await sleep(DELAY_S * 1000 + DETECT_MS);
    const still = (await instanceOf(v, 'VI_1'))!;
    assert.equal(still.state, 'MASTER');
    assert.equal(still.transitions.length, before, 'no transition for a restart within the delay');
    assert.deepEqual(await vipHolders(lab, ['k', 'v'], vip), ['v']);

    // Killed for good: FAULT after the delay (priority-0 advert), keepalived takes over within
    // delay + one advert (its skew time, 0.61 s at priority 100, is below one advert).
    const appear = await vipAppears(lab, 'k', vip);
    const killAt = performance.now();
    await kill(tracked);
    const bound = DELAY_S * 1000 + DETECT_MS + ADVERT_MS;
    const took = (await within(appear.at, bound + 2000, 'keepalived taking over')) - killAt;
    appear.cancel();
    console.log(
      `# keepalived took the VIP ${took.toFixed(0)} ms after the tracked process died (delay ${DELAY_S * 1000} ms, bound ${bound} ms)`,
    );
    assert.ok(took >= DELAY_S * 1000, `the VIP moved before terminate_delay (${took.toFixed(0)} ms)`);
    assert.ok(took <= bound, `takeover took ${took.toFixed(0)} ms (bound ${bound} ms)`);
    const fault = await waitState(v, 'VI_1', 'FAULT', 1000);
    assert.deepEqual(fault.tracking.faults, ['process chk_sleep down']);
    await waitFor(
      'the VIP on keepalived only',
      async () => (await vipHolders(lab, ['k', 'v'], vip)).join() === 'k',
      3000,
    );
    assert.match(v.output(), /Quorum lost for tracked process chk_sleep/);

    // Started again: quorum at once (an exec, no fork_delay), BACKUP, then vigil preempts
    // keepalived's lower priority when its master-down timer ends (3 adverts + skew).
    const back = await vipAppears(lab, 'v', vip);
    const startAt = performance.now();
    tracked = await startTracked();
    const preempt = (await within(back.at, DETECT_MS + 4 * ADVERT_MS + 1000, 'vigil preempting')) - startAt;
    back.cancel();
    console.log(`# vigil took the VIP back ${preempt.toFixed(0)} ms after the process started`);
    await waitState(v, 'VI_1', 'MASTER', 1000);
    await waitFor(
      'the VIP on vigil only',
      async () => (await vipHolders(lab, ['k', 'v'], vip)).join() === 'v',
      3000,
    );
    assert.match(v.output(), /Quorum gained for tracked process chk_sleep/);

    await stopDaemon(lab, v, 'SIGTERM');
    await stopDaemon(lab, k, 'SIGTERM');
    await kill(tracked);
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.kind} on ${d.node}:\n${d.output()}`);
    throw e;
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
