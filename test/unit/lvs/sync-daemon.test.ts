import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SyncDaemonSpec } from '../../../src/adm/types.js';
import type { LvsSyncDaemon } from '../../../src/config/model.js';
import {
  SyncDaemonDriver,
  planSyncDaemons,
  syncDaemonSpec,
  type SyncDaemonControl,
} from '../../../src/lvs/sync-daemon.js';

const loc = { file: 'k.conf', line: 3, col: 1 };
const cfg: LvsSyncDaemon = { interface: 'eth1', instance: 'VI_1', loc };

test('the sync id defaults to the instance VRID; options pass through', () => {
  assert.deepEqual(syncDaemonSpec(cfg, 51, 'master'), {
    state: 'master',
    mcastInterface: 'eth1',
    syncid: 51,
  });
  assert.deepEqual(
    syncDaemonSpec({ ...cfg, id: 0, maxlen: 1400, port: 8849, ttl: 3, group: '239.0.0.9' }, 51, 'backup'),
    {
      state: 'backup',
      mcastInterface: 'eth1',
      syncid: 0,
      syncMaxlen: 1400,
      mcastPort: 8849,
      mcastTtl: 3,
      mcastGroup: '239.0.0.9',
    },
  );
});

const m = syncDaemonSpec(cfg, 5, 'master');
const b = syncDaemonSpec(cfg, 5, 'backup');

test('plan: the other mode stops first, then the wanted one starts', () => {
  assert.deepEqual(planSyncDaemons([], b), [{ op: 'start', daemon: b }]);
  assert.deepEqual(planSyncDaemons([b], m), [
    { op: 'stop', state: 'backup' },
    { op: 'start', daemon: m },
  ]);
  assert.deepEqual(planSyncDaemons([m, b], null), [
    { op: 'stop', state: 'master' },
    { op: 'stop', state: 'backup' },
  ]);
});

test('plan: a daemon already right stays (kernel-filled defaults do not count); changed ones restart', () => {
  const kernel: SyncDaemonSpec = {
    ...m,
    syncMaxlen: 1472,
    mcastPort: 8848,
    mcastTtl: 1,
    mcastGroup: '224.0.0.81',
  };
  assert.deepEqual(planSyncDaemons([kernel], m), []);
  const other = { ...m, syncid: 6 };
  assert.deepEqual(planSyncDaemons([kernel], other), [
    { op: 'stop', state: 'master' },
    { op: 'start', daemon: other },
  ]);
  const port = { ...m, mcastPort: 9000 };
  assert.equal(planSyncDaemons([kernel], port).length, 2);
});

/** The kernel's rules (one daemon per mode, EEXIST / ESRCH) in memory. */
class KernelLike implements SyncDaemonControl {
  daemons: SyncDaemonSpec[] = [];
  calls: string[] = [];
  failStart = false;
  async list() {
    return structuredClone(this.daemons);
  }
  async start(d: SyncDaemonSpec) {
    this.calls.push(`start ${d.state}`);
    if (this.failStart)
      throw new Error(`ipvs: start ${d.state} sync daemon on ${d.mcastInterface}: no interface`);
    if (this.daemons.some((x) => x.state === d.state)) throw new Error('EEXIST');
    this.daemons.push({ ...d });
  }
  async stop(state: 'master' | 'backup') {
    this.calls.push(`stop ${state}`);
    if (!this.daemons.some((x) => x.state === state)) throw new Error('ESRCH');
    this.daemons = this.daemons.filter((x) => x.state !== state);
  }
}

function logs() {
  const lines: string[] = [];
  return {
    lines,
    log: { info: (l: string) => lines.push(`info ${l}`), error: (l: string) => lines.push(`error ${l}`) },
  };
}

test('driver: BACKUP -> MASTER -> FAULT -> MASTER switches on every transition, repeats are free', async () => {
  const k = new KernelLike();
  const { log } = logs();
  const d = new SyncDaemonDriver(cfg, 5, k, log);
  await d.follow('BACKUP');
  assert.deepEqual(
    k.daemons.map((x) => x.state),
    ['backup'],
  );
  await d.follow('MASTER');
  assert.deepEqual(
    k.daemons.map((x) => x.state),
    ['master'],
  );
  await d.follow('MASTER');
  await d.follow('FAULT');
  assert.deepEqual(
    k.daemons.map((x) => x.state),
    ['backup'],
  );
  // transitions faster than the kernel answers apply in order: the last wins
  void d.follow('MASTER');
  void d.follow('BACKUP');
  await d.follow('MASTER');
  assert.deepEqual(k.daemons, [m]);
  assert.deepEqual(k.calls, [
    'start backup',
    'stop backup',
    'start master',
    'stop master',
    'start backup',
    'stop backup',
    'start master',
    'stop master',
    'start backup',
    'stop backup',
    'start master',
  ]);
  // shutdown: the runtime reports STOP, then stop() ends the master directly
  const before = k.calls.length;
  await d.follow('STOP');
  await d.stop();
  assert.deepEqual(k.daemons, []);
  assert.deepEqual(k.calls.slice(before), ['stop master']);
});

test('driver: a reload with other parameters restarts the daemon in the same mode', async () => {
  const k = new KernelLike();
  const d = new SyncDaemonDriver(cfg, 5, k, logs().log);
  await d.follow('MASTER');
  await d.reconfigure({ ...cfg, id: 9 }, 5);
  assert.deepEqual(k.daemons, [{ ...m, syncid: 9 }]);
});

test('driver: a kernel error is logged with its message and the next transition still works', async () => {
  const k = new KernelLike();
  const { lines, log } = logs();
  const d = new SyncDaemonDriver(cfg, 5, k, log);
  k.failStart = true;
  await d.follow('BACKUP');
  assert.match(lines.at(-1)!, /^error lvs_sync_daemon: ipvs: start backup sync daemon on eth1: no interface/);
  k.failStart = false;
  await d.follow('MASTER');
  assert.deepEqual(
    k.daemons.map((x) => x.state),
    ['master'],
  );
  assert.match(lines.at(-1)!, /^info lvs_sync_daemon: master sync daemon on eth1 \(syncid 5\) for VI_1/);
});
