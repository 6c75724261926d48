// A unicast pair (unicast_src_ip / unicast_peer, no multicast) and track_interface on the
// instance's own link: the master's link going down puts it in FAULT (VIP removed) and the peer
// takes over; the link coming back brings it up again and it preempts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab } from '../../../src/lab/index.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';
import {
  type Daemon,
  instanceOf,
  startVigil,
  stopDaemon,
  vipHolders,
  waitFor,
  waitState,
} from './harness.js';

const NET = '192.168.77';
const VIP = `${NET}.100`;

function unicastConf(priority: number, self: string, peer: string): string {
  return `vrrp_instance VI_U {
  state BACKUP
  interface eth0
  virtual_router_id 57
  priority ${priority}
  advert_int 1
  unicast_src_ip ${self}
  unicast_peer {
    ${peer}
  }
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
}

test('unicast pair: link down on the master means FAULT and takeover; link up means preemption', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({
    nodes: [
      { name: 'a', addresses: [`${NET}.11/24`] },
      { name: 'b', addresses: [`${NET}.12/24`] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-unicast-'));
  const daemons: Daemon[] = [];
  try {
    const a = await startVigil(lab, 'a', join(dir, 'a'), unicastConf(150, `${NET}.11`, `${NET}.12`));
    const b = await startVigil(lab, 'b', join(dir, 'b'), unicastConf(100, `${NET}.12`, `${NET}.11`));
    daemons.push(a, b);
    await waitState(a, 'VI_U', 'MASTER', 20_000);
    await waitFor(
      'b hearing a by unicast',
      async () => {
        const i = await instanceOf(b, 'VI_U');
        return i?.state === 'BACKUP' && i.masterAddress === `${NET}.11` && i.advertsReceived >= 2;
      },
      20_000,
    );
    assert.deepEqual(await vipHolders(lab, ['a', 'b'], VIP), ['a']);

    await lab.setLink('a', 'eth0', false);
    const fault = await waitState(a, 'VI_U', 'FAULT', 2000);
    assert.deepEqual(fault.tracking.faults, ['interface eth0 down']);
    await waitState(b, 'VI_U', 'MASTER', 6000);
    await waitFor(
      'the VIP on b only',
      async () => (await vipHolders(lab, ['a', 'b'], VIP)).join() === 'b',
      2000,
    );

    await lab.setLink('a', 'eth0', true);
    await waitState(a, 'VI_U', 'MASTER', 8000);
    await waitState(b, 'VI_U', 'BACKUP', 3000);
    await waitFor(
      'the VIP on a only',
      async () => (await vipHolders(lab, ['a', 'b'], VIP)).join() === 'a',
      2000,
    );
    assert.deepEqual((await instanceOf(b, 'VI_U'))!.rejected, {});
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
