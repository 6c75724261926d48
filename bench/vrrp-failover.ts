// VIP takeover times of a vigil pair and of a keepalived 2.2.7 pair on the same lab and the same
// configuration: the master (priority 150) is killed with SIGKILL, or stopped with SIGTERM
// (priority-0 advert), and the time until the VIP is added on the backup (priority 100) is taken
// from the backup's own `ip monitor address`. The kill is placed at a random phase of the advert
// interval, so SIGKILL figures spread over one interval (3 x advert_int + skew after the last
// advert). Prints min / median / max per case.
// Run (root): npx tsx bench/vrrp-failover.ts [runs=3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLab, type Lab } from '../src/lab/index.js';
import {
  instanceConf,
  startKeepalived,
  startVigil,
  stopDaemon,
  vipAppears,
  vipHolders,
  waitFor,
  within,
  type Daemon,
} from '../test/netns/vrrpd/harness.js';
import { CASES, VIP, listening, sleep, spread, type Case, type Impl } from './vrrp-pair.js';

const runs = Number(process.argv[2] ?? 3);

function stats(xs: number[]): string {
  const { min, median, max } = spread(xs);
  return `min ${min.toFixed(0)}  median ${median.toFixed(0)}  max ${max.toFixed(0)} ms (n=${xs.length})`;
}

async function measure(lab: Lab, impl: Impl, c: Case, dir: string) {
  const conf = (priority: number): string =>
    instanceConf({ vrid: 74, priority, vip: `${VIP}/24`, advertInt: c.advertInt, version: c.version });
  const start = (node: string, priority: number, tag: string): Promise<Daemon> =>
    impl === 'vigil'
      ? startVigil(lab, node, join(dir, `${node}${tag}`), conf(priority))
      : startKeepalived(lab, node, join(dir, `${node}${tag}`), conf(priority));
  const onlyOn = (node: string) => async () => (await vipHolders(lab, ['a', 'b'], VIP)).join() === node;
  const kill: number[] = [];
  const term: number[] = [];
  const b = await start('b', 100, '0');
  await waitFor('b to listen', () => listening(b), 30_000);
  for (let run = 0; run < runs; run++) {
    let a = await start('a', 150, `${run}k`);
    await waitFor('VIP on a only', onlyOn('a'), 30_000);
    await sleep(3 * c.advertInt * 1000 + Math.random() * c.advertInt * 1000);
    let appear = await vipAppears(lab, 'b', VIP);
    let t0 = performance.now();
    await stopDaemon(lab, a, 'SIGKILL');
    kill.push((await within(appear.at, 10_000, 'takeover after SIGKILL')) - t0);
    appear.cancel();
    // The killed master left its VIP behind; a restart of either daemon must not inherit it.
    await lab.exec('a', ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0'], { allowFailure: true });

    a = await start('a', 150, `${run}t`);
    await waitFor('VIP back on a only', onlyOn('a'), 30_000);
    await sleep(3 * c.advertInt * 1000 + Math.random() * c.advertInt * 1000);
    appear = await vipAppears(lab, 'b', VIP);
    t0 = performance.now();
    await stopDaemon(lab, a, 'SIGTERM');
    term.push((await within(appear.at, 10_000, 'takeover after SIGTERM')) - t0);
    appear.cancel();
    // b is master again: the next run starts from the same place.
  }
  await stopDaemon(lab, b, 'SIGTERM');
  return { kill, term };
}

const lab = await createLab({
  nodes: [
    { name: 'a', addresses: ['192.168.74.11/24'] },
    { name: 'b', addresses: ['192.168.74.12/24'] },
  ],
});
const dir = mkdtempSync(join(tmpdir(), 'vigil-failover-'));
try {
  console.log(`VIP takeover by the backup (priority 100), ${runs} runs each`);
  for (const c of CASES) {
    for (const impl of ['vigil', 'keepalived'] as const) {
      const r = await measure(lab, impl, c, dir);
      console.log(`${impl.padEnd(10)} ${c.title.padEnd(17)} SIGKILL: ${stats(r.kill)}`);
      console.log(`${impl.padEnd(10)} ${c.title.padEnd(17)} SIGTERM: ${stats(r.term)}`);
    }
  }
} finally {
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
