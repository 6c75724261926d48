// keepalived's -I (--dont-release-ipvs): a stop leaves the virtual servers in the data plane
// (here nftables, the engine this kernel has); without it the stop removes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import { type Daemon, startVigil, stopDaemon, waitFor } from '../vrrpd/harness.js';

const NET = '192.168.94';
const CONF = `virtual_server ${NET}.100 80 {
  delay_loop 3
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${NET}.21 80 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;

async function ruleMentions(lab: Lab): Promise<number> {
  const out = (await lab.exec('v', ['nft', 'list', 'ruleset'])).stdout;
  return out.split('\n').filter((l) => l.includes(`${NET}.100`)).length;
}

test('-I leaves the virtual servers in the data plane on stop; without it they go', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('nft'))) return;
  const lab = await createLab({ nodes: [{ name: 'v', addresses: [`${NET}.11/24`] }] });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-flags-'));
  const daemons: Daemon[] = [];
  try {
    for (const [flags, left] of [
      [[], false],
      [['-I'], true],
    ] as const) {
      const d = await startVigil(lab, 'v', join(dir, flags.join('') || 'plain'), CONF, [
        '--no-api',
        '-C',
        '--lvs-engine',
        'nft',
        ...flags,
      ]);
      daemons.push(d);
      await waitFor('the virtual server in nftables', async () => (await ruleMentions(lab)) > 0, 30_000, 200);
      await stopDaemon(lab, d, 'SIGTERM');
      assert.equal(
        (await ruleMentions(lab)) > 0,
        left,
        `${flags.join(' ') || 'no flag'}: rules left after stop`,
      );
      await lab.exec('v', ['nft', 'flush', 'ruleset']);
    }
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.kind} on ${d.node}:\n${d.output()}`);
    throw e;
  } finally {
    for (const d of daemons) await stopDaemon(lab, d, 'SIGKILL');
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
