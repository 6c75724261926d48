// keepalived's process tuning in global_defs, as a running daemon applies it: the VRRP child at
// nice -5 on every thread, its event-loop thread SCHED_RR 10 with RLIMIT_RTTIME, pinned to CPU 0;
// the checker child at nice 7. Read back from /proc, as `ps -L -o ni,rtprio,policy` would show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab } from '../../../src/lab/index.js';
import { freePort } from '../../support/ports.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';
import { instanceConf, startVigil, stopDaemon, waitFor, waitState } from './harness.js';

/** nice, rt_priority and policy of one thread (proc(5): fields 19, 40, 41). */
function sched(pid: number, tid: number): { nice: number; rtPriority: number; policy: number } {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3
  return { nice: Number(f[16]), rtPriority: Number(f[37]), policy: Number(f[38]) };
}

const tids = (pid: number): number[] => readdirSync(`/proc/${pid}/task`).map(Number);
const SCHED_OTHER = 0;
const SCHED_RR = 2;

test('vrrp_priority, vrrp_rt_priority, vrrp_cpu_affinity and checker_priority reach the children', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({ nodes: [{ name: 'a', addresses: ['192.168.76.11/24'] }] });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tuning-'));
  const conf = `global_defs {
  lvs_engine userspace
  vrrp_priority -5
  vrrp_rt_priority 10
  vrrp_rlimit_rttime 200000
  vrrp_cpu_affinity 0
  checker_priority 7
}
${instanceConf({ vrid: 76, priority: 150, vip: '192.168.76.100/24' })}
virtual_server 127.0.0.1 ${await freePort()} {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 127.0.0.2 ${await freePort()} {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;
  const vrrpPid = join(dir, 'vrrp.pid');
  const checkPid = join(dir, 'check.pid');
  const d = await startVigil(lab, 'a', join(dir, 'a'), conf, [
    '--vrrp-pid',
    vrrpPid,
    '--checkers-pid',
    checkPid,
  ]);
  try {
    await waitState(d, 'VI_1', 'MASTER', 20_000);
    await waitFor(
      'the checker child scheduled',
      async () => d.output().includes('checker child scheduling'),
      10_000,
    );
    const vrrp = Number(readFileSync(vrrpPid, 'utf8'));
    const checker = Number(readFileSync(checkPid, 'utf8'));
    assert.match(
      d.output(),
      /VRRP child scheduling: nice -5, CPUs 0, SCHED_RR 10 \(RLIMIT_RTTIME 200000 µs\)/,
    );
    // The event-loop thread (tid = pid) is realtime; libuv's pool and V8's threads are not.
    assert.deepEqual(sched(vrrp, vrrp), { nice: -5, rtPriority: 10, policy: SCHED_RR });
    const others = tids(vrrp).filter((x) => x !== vrrp);
    assert.ok(others.length > 0);
    for (const tid of others)
      assert.deepEqual(sched(vrrp, tid), { nice: -5, rtPriority: 0, policy: SCHED_OTHER });
    assert.match(readFileSync(`/proc/${vrrp}/status`, 'utf8'), /^Cpus_allowed_list:\s+0$/m);
    // The kernel raises the soft limit by 1 s each time it sends SIGXCPU.
    const limit = /^Max realtime timeout\s+(\d+)\s+unlimited\s+us/m.exec(
      readFileSync(`/proc/${vrrp}/limits`, 'utf8'),
    );
    assert.ok(limit && Number(limit[1]) % 1_000_000 === 200_000, `RLIMIT_RTTIME ${limit?.[1]}`);
    for (const tid of tids(checker))
      assert.deepEqual(sched(checker, tid), { nice: 7, rtPriority: 0, policy: SCHED_OTHER });
    // Nothing refused, and once running the loop never ran 200 ms without blocking.
    assert.doesNotMatch(d.output(), /not applied|RLIMIT_RTTIME\)/);
  } catch (e) {
    console.error(d.output());
    throw e;
  } finally {
    await stopDaemon(lab, d, 'SIGTERM');
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
