// vigil and a real keepalived 2.2.7 on one segment: keepalived master -> vigil backup; keepalived
// stops -> vigil takes over within Skew_Time; keepalived comes back with a higher priority ->
// it preempts vigil, which drops the VIP. VRRPv2 with PASS auth (advert_int 1), VRRPv2 with
// IPsec AH (IP protocol 51, HMAC-MD5-96 and sequence numbers) and VRRPv3 (advert_int 0.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLab } from '../../../src/lab/index.js';
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

const START_MS = 20_000;

const CASES = [
  {
    title: 'VRRPv2, PASS auth, advert_int 1',
    subnet: 72,
    version: 2 as const,
    advertInt: 1,
    authPass: 's3cret',
  },
  {
    title: 'VRRPv2, IPsec AH auth, advert_int 1',
    subnet: 74,
    version: 2 as const,
    advertInt: 1,
    authPass: 's3cret',
    authType: 'AH' as const,
  },
  { title: 'VRRPv3, advert_int 0.1', subnet: 73, version: 3 as const, advertInt: 0.1 },
];

for (const c of CASES) {
  test(`vigil and keepalived interoperate (${c.title}): backup, takeover on stop, preemption`, async (t) => {
    if (!requireSystem(t, netnsUnavailable(), commandUnavailable('keepalived'))) return;
    const net = `192.168.${c.subnet}`;
    const vip = `${net}.100`;
    const lab = await createLab({
      nodes: [
        { name: 'k', addresses: [`${net}.11/24`] },
        { name: 'v', addresses: [`${net}.12/24`] },
      ],
    });
    const dir = mkdtempSync(join(tmpdir(), 'vigil-interop-'));
    const conf = (priority: number): string =>
      instanceConf({
        vrid: 60,
        priority,
        vip: `${vip}/24`,
        advertInt: c.advertInt,
        version: c.version,
        ...(c.authPass ? { authPass: c.authPass } : {}),
        ...('authType' in c ? { authType: c.authType } : {}),
      });
    // Skew_Time of vigil's priority 100 (v2: (256-100)/256 s; v3: x advert_int).
    const skewMs = ((256 - 100) / 256) * (c.version === 2 ? 1000 : c.advertInt * 1000);
    const daemons: Daemon[] = [];
    try {
      let k = await startKeepalived(lab, 'k', join(dir, 'k'), conf(150));
      daemons.push(k);
      await waitFor(
        'keepalived to take the VIP',
        async () => (await vipHolders(lab, ['k'], vip)).length > 0,
        10_000,
      );
      const v = await startVigil(lab, 'v', join(dir, 'v'), conf(100));
      daemons.push(v);
      const backup = await waitFor(
        'vigil to hear keepalived',
        async () => {
          const i = await waitState(v, 'VI_1', 'BACKUP', START_MS);
          return i.masterAddress === `${net}.11` && i.advertsReceived >= 3 ? i : null;
        },
        START_MS,
      );
      assert.deepEqual(backup.rejected, {}, "vigil rejected keepalived's adverts");
      assert.deepEqual(await vipHolders(lab, ['k', 'v'], vip), ['k']);

      // keepalived stops (priority-0 advert): vigil takes over after its Skew_Time.
      const appear = await vipAppears(lab, 'v', vip);
      const stopAt = performance.now();
      await stopDaemon(lab, k, 'SIGTERM');
      const took = (await within(appear.at, 5000, 'vigil taking over')) - stopAt;
      appear.cancel();
      console.log(
        `# ${c.title}: vigil took over ${took.toFixed(0)} ms after keepalived's SIGTERM (skew ${skewMs.toFixed(0)} ms)`,
      );
      assert.ok(took <= skewMs + 400, `takeover took ${took.toFixed(0)} ms`);
      await waitState(v, 'VI_1', 'MASTER', 1000);
      assert.deepEqual(await vipHolders(lab, ['k', 'v'], vip), ['v']);

      // keepalived returns with priority 200 and preempts vigil.
      k = await startKeepalived(lab, 'k', join(dir, 'k2'), conf(200));
      daemons.push(k);
      const again = await waitState(v, 'VI_1', 'BACKUP', 15_000);
      assert.equal(again.masterAddress, `${net}.11`);
      await waitFor(
        'the VIP on keepalived only',
        async () => (await vipHolders(lab, ['k', 'v'], vip)).join() === 'k',
        3000,
      );
      const last = await waitState(v, 'VI_1', 'BACKUP', 1000);
      assert.deepEqual(last.rejected, {}, 'no advert rejected');
      // keepalived logs every AH advert it refuses (bad ICV, replayed sequence number).
      for (const d of daemons.filter((x) => x.kind === 'keepalived'))
        assert.doesNotMatch(
          d.output(),
          /IPSEC.{0,3}AH : invalid|already processed|invalid passw|auth, expecting/,
          "keepalived refused vigil's adverts",
        );
      await stopDaemon(lab, v, 'SIGTERM');
      await stopDaemon(lab, k, 'SIGTERM');
    } catch (e) {
      for (const d of daemons) console.log(`--- ${d.kind} on ${d.node}:\n${d.output()}`);
      throw e;
    } finally {
      await lab.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
