// vrrp_script and notifications in the running daemon: a weight-0 track_script holds the
// instance in FAULT while it fails (VIP removed) and lets it become master when it succeeds;
// the generic notify script runs with keepalived's arguments in order, and vrrp_notify_fifo gets
// keepalived's lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab } from '../../../src/lab/index.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';
import { type Daemon, hasVip, startVigil, stopDaemon, waitFor, waitState } from './harness.js';

const NET = '192.168.76';
const VIP = `${NET}.100`;

function lines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

test('track_script weight 0 forces FAULT; notify script and notify fifo report every change in order', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({ nodes: [{ name: 'a', addresses: [`${NET}.11/24`] }] });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-scripts-'));
  const flag = join(dir, 'service-up');
  const notifyLog = join(dir, 'notify.log');
  const notifySh = join(dir, 'notify.sh');
  const fifo = join(dir, 'vrrp.fifo');
  writeFileSync(notifySh, `#!/bin/sh\necho "$*" >> ${notifyLog}\n`);
  chmodSync(notifySh, 0o755);
  writeFileSync(flag, '');
  const conf = `global_defs {
  vrrp_notify_fifo ${fifo}
}
vrrp_script chk_service {
  script "/usr/bin/test -e ${flag}"
  interval 0.2
  weight 0
  rise 1
  fall 1
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 53
  priority 100
  advert_int 0.2
  version 3
  virtual_ipaddress {
    ${VIP}/24
  }
  track_script {
    chk_service
  }
  notify ${notifySh}
}
`;
  const daemons: Daemon[] = [];
  let fifoFd = -1;
  let fifoText = '';
  const readFifo = (): string => {
    if (fifoFd < 0) fifoFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const buf = Buffer.alloc(4096);
    for (;;) {
      let n = 0;
      try {
        n = readSync(fifoFd, buf);
      } catch {
        break; // EAGAIN: nothing more for now
      }
      if (n <= 0) break;
      fifoText += buf.subarray(0, n).toString();
    }
    return fifoText;
  };
  try {
    const a = await startVigil(lab, 'a', join(dir, 'a'), conf);
    daemons.push(a);
    await waitState(a, 'VI_1', 'MASTER', 20_000);
    // Hold the fifo open for reading: a pipe's contents go when its last holder closes it.
    readFifo();
    await waitFor('the VIP', () => hasVip(lab, 'a', VIP), 2000);

    unlinkSync(flag); // the service dies
    const fault = await waitState(a, 'VI_1', 'FAULT', 3000);
    assert.deepEqual(fault.tracking.faults, ['script chk_service down']);
    await waitFor('the VIP to go', async () => !(await hasVip(lab, 'a', VIP)), 2000);

    writeFileSync(flag, ''); // and comes back
    await waitState(a, 'VI_1', 'MASTER', 5000);
    await stopDaemon(lab, a, 'SIGTERM');
    assert.equal(await hasVip(lab, 'a', VIP), false, 'VIP removed on stop');

    const expected = ['BACKUP', 'MASTER', 'FAULT', 'BACKUP', 'MASTER', 'STOP'];
    await waitFor('every notify', async () => lines(notifyLog).length >= expected.length, 3000);
    assert.deepEqual(
      lines(notifyLog),
      expected.map((s) => `INSTANCE VI_1 ${s} 100`),
    );
    assert.equal(readFifo(), expected.map((s) => `INSTANCE "VI_1" ${s} 100\n`).join(''));
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.node}:\n${d.output()}`);
    throw e;
  } finally {
    if (fifoFd >= 0) closeSync(fifoFd);
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
