// vrrp_track_process's monitor on the kernel's process events connector (this test runs in the
// initial network namespace, where the kernel serves it): an exec and an exit act at once, a
// name change (PROC_EVENT_COMM) moves a process between trackers, a fork of a counted process
// counts after fork_delay. In a network namespace the connector is refused: the monitor says so
// and scans /proc instead (the VRRP test with keepalived covers that path end to end).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { createLab } from '../../../src/lab/index.js';
import { inNetns } from '../../../src/os/native.js';
import { ProcessMonitor, trackedProcessDef } from '../../../src/vrrp/track/process-monitor.js';
import type { TrackProcess } from '../../../src/config/model.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';
import { until } from '../../../src/lab/until.js';

const loc = { file: 't', line: 1, col: 1 };
function tracker(name: string, o: Partial<TrackProcess>): TrackProcess {
  return {
    name,
    paramMatch: 'none',
    weight: 0,
    weightReverse: false,
    quorum: 1,
    fullCommand: false,
    loc,
    ...o,
  };
}

interface Seen {
  name: string;
  up: boolean;
  at: number;
}

function waitChange(seen: Seen[], name: string, up: boolean, from: number, ms: number): Promise<Seen> {
  const end = performance.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      const s = seen.find((x) => x.name === name && x.up === up && x.at >= from);
      if (s) resolve(s);
      else if (performance.now() > end)
        reject(new Error(`no '${name} ${up ? 'up' : 'down'}' within ${ms} ms`));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

async function killed(c: ChildProcess): Promise<void> {
  const exited = once(c, 'exit');
  c.kill('SIGKILL');
  await exited;
}

test('process monitor on the process events connector: exec, exit, comm change, fork with fork_delay', async (t) => {
  if (!requireSystem(t, process.getuid?.() === 0 ? null : 'needs root (process events connector)')) return;
  const arg = String(800_000 + (process.pid % 90_000));
  const seen: Seen[] = [];
  const logs: string[] = [];
  const m = new ProcessMonitor(
    [
      trackedProcessDef(
        tracker('sleeper', { process: 'sleep', params: [arg], paramMatch: 'exact', fullCommand: true }),
      ),
      trackedProcessDef(tracker('renamed', { process: `tp${arg}` })),
      trackedProcessDef(
        tracker('forked', { process: `tf${arg}`, quorum: 2, forkDelay: 0.3, terminateDelay: 0.3 }),
      ),
    ],
    (name, up) => seen.push({ name, up, at: performance.now() }),
    { info: (s) => logs.push(s), warn: (s) => logs.push(s) },
  );
  const children: ChildProcess[] = [];
  try {
    m.start({ bytes: 1 << 20, force: true });
    assert.equal(m.mode, 'connector', logs.join('\n'));
    assert.equal(logs.join('\n'), '', 'process_monitor_rcv_bufs(_force) set without complaint');
    // A second monitor in the same process (two runtimes side by side).
    const other = new ProcessMonitor([], () => undefined, {
      info: (x) => logs.push(x),
      warn: (x) => logs.push(x),
    });
    other.start();
    assert.equal(other.mode, 'connector', logs.join('\n'));
    other.stop();
    assert.equal(m.status('sleeper'), false);

    // exec: up at once; exit: down at once (no delays configured).
    let t0 = performance.now();
    const s = spawn('sleep', [arg], { stdio: 'ignore' });
    children.push(s);
    const up = await waitChange(seen, 'sleeper', true, t0, 1000);
    console.log(`# exec seen after ${(up.at - t0).toFixed(1)} ms`);
    assert.ok(up.at - t0 < 200, `exec took ${(up.at - t0).toFixed(0)} ms`);
    t0 = performance.now();
    await killed(s);
    const down = await waitChange(seen, 'sleeper', false, t0, 1000);
    assert.ok(down.at - t0 < 200, `exit took ${(down.at - t0).toFixed(0)} ms`);
    assert.equal(m.count('sleeper'), 0);

    // A shell renames itself (/proc/self/comm): counted by comm from then on, not before.
    t0 = performance.now();
    const r = spawn('sh', ['-c', `echo -n tp${arg} > /proc/$$/comm; exec sleep 30 <&-`], { stdio: 'ignore' });
    children.push(r);
    await waitChange(seen, 'renamed', true, t0, 1000);
    // ... and its exec into sleep renames it again: no longer counted (an exec acts at once).
    await waitChange(seen, 'renamed', false, t0, 1000);

    // A renamed shell forks a subshell that stays (it waits for its own sleep): the child counts
    // through its parent (quorum 2), after fork_delay.
    t0 = performance.now();
    const f = spawn('sh', ['-c', `echo -n tf${arg} > /proc/$$/comm; sleep 0.2; (sleep 30; :) & wait`], {
      stdio: 'ignore',
      detached: true,
    });
    children.push(f);
    const gained = await waitChange(seen, 'forked', true, t0, 3000);
    console.log(
      `# fork counted ${(gained.at - t0).toFixed(0)} ms after the start (fork after 200 ms, fork_delay 300 ms)`,
    );
    assert.ok(
      gained.at - t0 >= 500,
      `gained ${(gained.at - t0).toFixed(0)} ms after the start: before fork_delay`,
    );
    assert.equal(m.count('forked'), 2);
    // The whole group dies: quorum lost after terminate_delay.
    t0 = performance.now();
    process.kill(-f.pid!, 'SIGKILL');
    const lost = await waitChange(seen, 'forked', false, t0, 3000);
    assert.ok(
      lost.at - t0 >= 300,
      `lost ${(lost.at - t0).toFixed(0)} ms after the kill: before terminate_delay`,
    );
  } catch (e) {
    console.log(logs.join('\n'));
    throw e;
  } finally {
    m.stop();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
});

test('lost events (receive buffer overflow): the buffer doubles, counts are taken again from /proc', async (t) => {
  if (!requireSystem(t, process.getuid?.() === 0 ? null : 'needs root (process events connector)')) return;
  const arg = String(600_000 + (process.pid % 90_000));
  const logs: string[] = [];
  const seen: Seen[] = [];
  const m = new ProcessMonitor(
    [
      trackedProcessDef(
        tracker('s', { process: 'sleep', params: [arg], fullCommand: true, paramMatch: 'exact' }),
      ),
    ],
    (name, up) => seen.push({ name, up, at: performance.now() }),
    { info: (s) => logs.push(s), warn: (s) => logs.push(s) },
  );
  let s: ChildProcess | undefined;
  try {
    // The smallest buffer the kernel allows, and 200 processes (fork, exec, exit each) while
    // the event loop is blocked: the socket overflows.
    m.start({ bytes: 1, force: true });
    assert.equal(m.mode, 'connector');
    s = spawn('sleep', [arg], { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) spawnSync('true');
    await until('events were lost', () => logs.some((l) => /events were lost/.test(l)), 2000, {
      stepMs: 10,
      detail: () => logs.join('\n'),
    });
    assert.ok(
      logs.some((l) => /^Setting global_def process_monitor_rcv_bufs to \d+ - recommend updating/.test(l)),
      logs.join('\n'),
    );
    // The sleep's exec may have been among the lost events: the recount (after 1 s) finds it.
    await waitChange(seen, 's', true, 0, 3000);
    assert.equal(m.count('s'), 1);
  } finally {
    m.stop();
    s?.kill('SIGKILL');
  }
});

test('in a network namespace the connector is refused and the monitor scans /proc', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({ nodes: [{ name: 'a', addresses: ['10.9.0.1/24'] }] });
  const arg = String(700_000 + (process.pid % 90_000));
  const logs: string[] = [];
  const seen: Seen[] = [];
  const m = new ProcessMonitor(
    [
      trackedProcessDef(
        tracker('s', { process: 'sleep', params: [arg], fullCommand: true, paramMatch: 'exact' }),
      ),
    ],
    (name, up) => seen.push({ name, up, at: performance.now() }),
    { info: (s) => logs.push(s), warn: (s) => logs.push(s) },
  );
  let s: ChildProcess | undefined;
  try {
    inNetns(lab.node('a').nsPath, () => m.start());
    assert.equal(m.mode, 'scan');
    assert.match(logs.join('\n'), /Connection refused.*scanning \/proc every 250 ms/);
    const t0 = performance.now();
    s = spawn('sleep', [arg], { stdio: 'ignore' });
    const up = await waitChange(seen, 's', true, t0, 2000);
    assert.ok(up.at - t0 < 250 + 300, `a scan found it after ${(up.at - t0).toFixed(0)} ms`);
  } finally {
    m.stop();
    s?.kill('SIGKILL');
    await lab.destroy();
  }
});
