// vrrp_track_process's pure core against keepalived 2.2.7's rules (core/track_process.c):
// matching, quorum / quorum_max, fork and terminate delays with an injected clock, and the
// configuration as vrrp_parser.c reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import { ProcessMatcher, type ProcessPattern } from '../../../src/vrrp/track/process-match.js';
import { ProcessQuorum } from '../../../src/vrrp/track/process-quorum.js';
import {
  ProcessTable,
  type ScannedProcess,
  type TrackedProcessDef,
} from '../../../src/vrrp/track/process-table.js';
import { cmdlineBytes, trackedProcessDef } from '../../../src/vrrp/track/process-monitor.js';
import { parseStat } from '../../../src/os/procfs.js';
import { instanceTrackers } from '../../../src/vrrp/config.js';
import { evaluateTracking } from '../../../src/vrrp/priority.js';
import { listenRequest, parseProcEvent } from '../../../src/os/proc-connector.js';

const cmd = (...argv: string[]): Buffer => Buffer.from(argv.map((a) => a + '\0').join(''), 'utf8');

function matcher(p: Partial<ProcessPattern> & { process: string }): ProcessMatcher {
  return new ProcessMatcher({ paramMatch: 'none', fullCommand: false, ...p });
}

test('comm patterns match the process name exactly, never a pattern or the command line', () => {
  const m = matcher({ process: 'sshd' });
  assert.equal(m.matches({ comm: 'sshd' }), true);
  assert.equal(matcher({ process: 'ssh' }).matches({ comm: 'sshd' }), false);
  assert.equal(m.matches({ comm: 'sshd:', cmdline: cmd('sshd') }), false);
  // comm is at most 15 bytes: a longer name never matches without full_command.
  assert.equal(matcher({ process: 'a-very-long-daemon' }).matches({ comm: 'a-very-long-dae' }), false);
});

test('full_command compares argv[0]; parameters count only with param_match or parameters', () => {
  const full = matcher({ process: '/usr/sbin/haproxy', fullCommand: true });
  assert.equal(full.matches({ comm: 'haproxy', cmdline: cmd('/usr/sbin/haproxy', '-f', 'x') }), true);
  assert.equal(full.matches({ comm: 'haproxy', cmdline: cmd('haproxy', '-f', 'x') }), false);
  assert.equal(full.matches({ comm: 'z', cmdline: Buffer.alloc(0) }), false, 'kernel thread / zombie');

  const exact = matcher({ process: 'sleep', params: ['1000'], paramMatch: 'exact', fullCommand: true });
  assert.equal(exact.matches({ comm: 'sleep', cmdline: cmd('sleep', '1000') }), true);
  assert.equal(exact.matches({ comm: 'sleep', cmdline: cmd('sleep', '10000') }), false);
  assert.equal(exact.matches({ comm: 'sleep', cmdline: cmd('sleep', '1000', 'x') }), false);
  assert.equal(exact.matches({ comm: 'sleep', cmdline: cmd('sleep') }), false);

  // `param_match` alone with no parameters: the command must have none.
  const none = matcher({ process: 'sleep', paramMatch: 'exact', fullCommand: true });
  assert.equal(none.matches({ comm: 'sleep', cmdline: cmd('sleep') }), true);
  assert.equal(none.matches({ comm: 'sleep', cmdline: cmd('sleep', '1') }), false);

  const partial = matcher({
    process: 'nginx',
    params: ['-g', 'daemon'],
    paramMatch: 'partial',
    fullCommand: true,
  });
  assert.equal(partial.matches({ comm: 'nginx', cmdline: cmd('nginx', '-g', 'daemon') }), true);
  assert.equal(partial.matches({ comm: 'nginx', cmdline: cmd('nginx', '-g', 'daemon', 'off;') }), true);
  assert.equal(partial.matches({ comm: 'nginx', cmdline: cmd('nginx', '-g', 'daemons') }), false);
  assert.equal(partial.matches({ comm: 'nginx', cmdline: cmd('nginx', '-g') }), false);

  const initial = matcher({
    process: 'nginx',
    params: ['-g', 'dae'],
    paramMatch: 'initial',
    fullCommand: true,
  });
  assert.equal(initial.matches({ comm: 'nginx', cmdline: cmd('nginx', '-g', 'daemon', 'off;') }), true);
  assert.equal(initial.matches({ comm: 'nginx', cmdline: cmd('nginx', '-g', 'da') }), false);
  assert.equal(initial.matches({ comm: 'nginx', cmdline: cmd('nginx', '-x', 'daemon') }), false);

  // A command line rewritten without NULs (setproctitle): argv[0] is all of it.
  const titled = matcher({ process: 'nginx: master process', fullCommand: true });
  assert.equal(titled.matches({ comm: 'nginx', cmdline: Buffer.from('nginx: master process') }), true);
});

test('quorum and quorum_max decide up; crossings act at once without delays', () => {
  const q = new ProcessQuorum({ quorum: 2, quorumMax: 3, forkDelayMs: 0, terminateDelayMs: 0 }, 0);
  assert.equal(q.haveQuorum, false);
  assert.equal(q.added(0, 'exec'), null);
  assert.equal(q.added(0, 'exec'), true, 'reaching quorum');
  assert.equal(q.added(0, 'exec'), null, '3 is within quorum_max');
  assert.equal(q.added(0, 'exec'), false, 'quorum_max + 1 is down');
  assert.equal(q.removed(0, 'exit'), true, 'back to quorum_max');
  assert.equal(q.removed(0, 'exit'), null);
  assert.equal(q.removed(0, 'exit'), false, 'below quorum');

  // quorum_max 0: up only while the process does not run.
  const absent = new ProcessQuorum({ quorum: 0, quorumMax: 0, forkDelayMs: 0, terminateDelayMs: 0 }, 0);
  assert.equal(absent.haveQuorum, true);
  assert.equal(absent.added(0, 'exec'), false);
  assert.equal(absent.removed(0, 'exit'), true);
});

test('terminate_delay holds the status after an exit; a fork within it cancels the loss', () => {
  const spec = { quorum: 1, quorumMax: Infinity, forkDelayMs: 500, terminateDelayMs: 2000 };
  const q = new ProcessQuorum(spec, 1);
  assert.equal(q.haveQuorum, true);
  assert.equal(q.removed(1000, 'exit'), null, 'the exit waits for terminate_delay');
  assert.equal(q.nextDeadline(), 3000);
  assert.equal(q.expire(2999), null);
  assert.equal(q.expire(3000), false, 'lost when the delay ends');

  const r = new ProcessQuorum(spec, 1);
  r.removed(0, 'exit');
  assert.equal(r.added(100, 'fork'), null, 'a fork (restart) within the delay keeps it up');
  assert.equal(r.nextDeadline(), null, 'and no timer is left');
  assert.equal(r.haveQuorum, true);

  // A process that stops matching through exec acts at once: no terminate delay.
  const c = new ProcessQuorum(spec, 1);
  assert.equal(c.removed(0, 'changed'), false);
});

test('fork_delay holds the gain after a fork; an exec gains at once; an exit cancels the fork timer', () => {
  const spec = { quorum: 1, quorumMax: Infinity, forkDelayMs: 500, terminateDelayMs: 0 };
  const q = new ProcessQuorum(spec, 0);
  assert.equal(q.added(0, 'fork'), null);
  assert.equal(q.nextDeadline(), 500);
  assert.equal(q.expire(500), true);

  const e = new ProcessQuorum(spec, 0);
  assert.equal(e.added(0, 'exec'), true, 'fork_delay applies to forks only');

  const x = new ProcessQuorum(spec, 0);
  x.added(0, 'fork');
  assert.equal(x.removed(100, 'exit'), null, 'the child left before the delay: no change at all');
  assert.equal(x.nextDeadline(), null);
  assert.equal(x.haveQuorum, false);
});

const def = (
  name: string,
  pattern: Partial<ProcessPattern> & { process: string },
  quorum = {},
): TrackedProcessDef => ({
  name,
  pattern: { paramMatch: 'none', fullCommand: false, ...pattern },
  quorum: { quorum: 1, quorumMax: Infinity, forkDelayMs: 0, terminateDelayMs: 0, ...quorum },
});
const proc = (comm: string, ppid = 1, cmdline?: Buffer): ScannedProcess => ({
  comm,
  ppid,
  ...(cmdline ? { cmdline } : {}),
});

test('process table: fork children count for their parent tracker; exec into something else stops it', () => {
  const t = new ProcessTable(
    [def('web', { process: 'nginx' }, { quorum: 2 })],
    new Map([
      [10, proc('nginx')],
      [11, proc('bash')],
    ]),
  );
  assert.equal(t.status('web'), false);
  assert.deepEqual(t.fork(10, 12, 0), [{ name: 'web', up: true }], 'the worker counts');
  assert.deepEqual(t.fork(11, 13, 0), [], 'a child of bash does not');
  assert.deepEqual(t.exec(12, { comm: 'cat' }, 0), [{ name: 'web', up: false }]);
  assert.deepEqual(t.exec(13, { comm: 'nginx' }, 0), [{ name: 'web', up: true }]);
  assert.deepEqual(t.exec(13, { comm: 'nginx' }, 0), [], 'an exec into the same program counts once');
  assert.deepEqual(t.exit(10, 0), [{ name: 'web', up: false }]);
  assert.equal(t.count('web'), 1);
});

test('process table: a comm change moves a process between comm trackers, full_command ones ignore it', () => {
  const t = new ProcessTable(
    [def('a', { process: 'alpha' }), def('full', { process: 'alpha', fullCommand: true })],
    new Map([[20, proc('alpha', 1, cmd('alpha'))]]),
  );
  assert.equal(t.status('a'), true);
  assert.equal(t.status('full'), true);
  assert.deepEqual(t.comm(20, 'alpha', 0), [], 'same name: nothing changes');
  assert.deepEqual(t.comm(20, 'Web Content', 0), [{ name: 'a', up: false }]);
  assert.equal(t.status('full'), true);
  assert.deepEqual(t.comm(20, 'alpha', 0), [{ name: 'a', up: true }]);
});

test('process table: scans find exits, new processes and forks of counted ones', () => {
  const d = def(
    's',
    { process: 'sleep', params: ['4242'], paramMatch: 'exact', fullCommand: true },
    {
      terminateDelayMs: 1000,
      forkDelayMs: 300,
    },
  );
  const run = (ppid: number): ScannedProcess => proc('sleep', ppid, cmd('sleep', '4242'));
  const t = new ProcessTable([d], new Map([[30, run(1)]]));
  assert.equal(t.status('s'), true);
  assert.deepEqual(t.reconcile(new Map(), 0), [], 'gone: the terminate delay runs');
  assert.deepEqual(t.expire(1000), [{ name: 's', up: false }]);
  assert.deepEqual(t.reconcile(new Map([[31, run(1)]]), 2000), [{ name: 's', up: true }], 'started again');
  // A child of the counted process: a fork (fork_delay does not hold: it is still within quorum).
  assert.deepEqual(
    t.reconcile(
      new Map([
        [31, run(1)],
        [32, run(31)],
      ]),
      2100,
    ),
    [],
  );
  assert.equal(t.count('s'), 2);
  assert.deepEqual(
    t.reconcile(new Map([[33, proc('sleep', 1, cmd('sleep', '1'))]]), 2200),
    [],
    'terminate delay',
  );
  assert.deepEqual(t.expire(3200), [{ name: 's', up: false }]);
});

test('process table: a scan flip and flip back within one pass reports nothing', () => {
  const t = new ProcessTable([def('x', { process: 'x' })], new Map([[40, proc('x')]]));
  // 40 exited and 41 started between two scans: down then up in one pass.
  assert.deepEqual(t.reconcile(new Map([[41, proc('x')]]), 0), []);
  assert.equal(t.status('x'), true);
});

test('recount after lost events: only a crossing changes the status', () => {
  const t = new ProcessTable([def('y', { process: 'y' }, { quorum: 2 })], new Map([[50, proc('y')]]));
  assert.deepEqual(t.recount(new Map([[51, proc('y')]]), 0), []);
  assert.deepEqual(
    t.recount(
      new Map([
        [51, proc('y')],
        [52, proc('y')],
      ]),
      0,
    ),
    [{ name: 'y', up: true }],
  );
});

test('configuration as keepalived 2.2.7 reads it', () => {
  const { config, diagnostics } = loadConfigText(
    `vrrp_track_process p1 {
  process sleep 4242 x
  weight 10 reverse
  delay 1.5
}
vrrp_track_process p2 {
  process haproxy
  quorum 2
  quorum_max 1
  fork_delay 0.5
}
vrrp_track_process p3 {
  process nginx
  quorum_max 0
  param_match exact
}
vrrp_track_process p4 {
  process nginx -g
  param_match initial
  full_command
}
`,
    'k.conf',
  );
  const [p1, p2, p3, p4] = config.trackProcesses;
  assert.deepEqual(
    { params: p1!.params, m: p1!.paramMatch, full: p1!.fullCommand, w: p1!.weight, r: p1!.weightReverse },
    { params: ['4242', 'x'], m: 'exact', full: true, w: 10, r: true },
  );
  assert.equal(p1!.forkDelay, 1.5);
  assert.equal(p1!.terminateDelay, 1.5);
  assert.deepEqual(
    { q: p2!.quorum, max: p2!.quorumMax, fork: p2!.forkDelay, term: p2!.terminateDelay },
    {
      q: 2,
      max: undefined,
      fork: 0.5,
      term: undefined,
    },
  );
  assert.deepEqual(
    { q: p3!.quorum, max: p3!.quorumMax, m: p3!.paramMatch, full: p3!.fullCommand },
    {
      q: 0,
      max: 0,
      m: 'none',
      full: false,
    },
  );
  assert.equal(p4!.paramMatch, 'initial');
  const warned = diagnostics
    .filter((d) => d.severity === 'warning')
    .map((d) => `${d.loc.line}: ${d.message}`);
  assert.equal(warned.length, 2, warned.join('\n'));
  assert.match(warned[0]!, /^9: .*quorum_max 1 is less than quorum 2/);
  assert.match(warned[1]!, /^15: .*invalid param_match type 'exact'/);
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  // The runtime's view: Infinity without quorum_max, delays in ms, enough cmdline bytes.
  const d1 = trackedProcessDef(p1!);
  assert.deepEqual(d1.quorum, { quorum: 1, quorumMax: Infinity, forkDelayMs: 1500, terminateDelayMs: 1500 });
  assert.equal(cmdlineBytes([d1, trackedProcessDef(p2!)]), 'sleep'.length + 1 + 5 + 2 + 2);
});

test('/proc/PID/stat and the connector messages are decoded as the kernel writes them', () => {
  assert.deepEqual(parseStat('123 (a) b (c)) S 45 123 123 0 -1'), { comm: 'a) b (c)', state: 'S', ppid: 45 });
  assert.equal(parseStat('garbage'), null);

  const req = listenRequest(77, true);
  assert.equal(req.length, 40);
  assert.equal(req.readUInt32LE(0), 40);
  assert.equal(req.readUInt32LE(36), 1, 'PROC_CN_MCAST_LISTEN');

  const ev = (what: number, data: number[], extra = Buffer.alloc(0)): Buffer => {
    const b = Buffer.alloc(52 + data.length * 4);
    b.writeUInt32LE(1, 16);
    b.writeUInt32LE(1, 20);
    b.writeUInt32LE(what, 36);
    data.forEach((v, i) => b.writeUInt32LE(v, 52 + i * 4));
    return Buffer.concat([b, extra]);
  };
  assert.deepEqual(parseProcEvent(ev(1, [5, 5, 9, 9])), { type: 'fork', parent: 5, child: 9 });
  assert.equal(parseProcEvent(ev(1, [5, 5, 10, 9])), null, 'a new thread is not a process');
  assert.deepEqual(parseProcEvent(ev(2, [9, 9])), { type: 'exec', pid: 9 });
  const comm = Buffer.alloc(16);
  comm.write('Web Content');
  assert.deepEqual(parseProcEvent(ev(0x200, [9, 9], comm)), { type: 'comm', pid: 9, comm: 'Web Content' });
  assert.deepEqual(parseProcEvent(ev(0x80000000, [9, 9, 0, 17])), { type: 'exit', pid: 9 });
  assert.equal(parseProcEvent(ev(0x80000000, [10, 9, 0, 17])), null, 'a thread exit');
});

test("an instance's track_process reference: weight overrides, the direction stays unless written", () => {
  const { config, diagnostics } = loadConfigText(
    `vrrp_track_process up {
  process a
  weight 10 reverse
}
vrrp_track_process down {
  process b
}
vrrp_instance VI {
  interface eth0
  virtual_router_id 1
  priority 100
  virtual_ipaddress {
    10.0.0.1
  }
  track_process {
    up weight 254
    down weight -30 noreverse
    bad weight 5 sideways
  }
}
vrrp_track_process bad {
  process c
}
`,
    'k.conf',
  );
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
    [],
  );
  assert.deepEqual(
    diagnostics
      .filter((d) => d.severity === 'warning')
      .map((d) => `${d.loc.line}:${d.loc.col}: ${d.message}`),
    ["18:18: track_process 'bad': unknown weight option 'sideways' - ignoring it"],
  );
  const trackers = instanceTrackers(config, config.vrrpInstances[0]!);
  assert.deepEqual(
    trackers.map((t) => [t.name, t.weight, t.reverse]),
    [
      ['up', 254, true],
      ['down', -30, false],
      ['bad', 5, false],
    ],
  );
  // Quorum of 'up' (reverse, +254) subtracts; 'down' lost (-30) subtracts: 100 - 254 - 30 -> 1.
  const r = evaluateTracking(
    100,
    trackers.map((spec) => ({ spec, status: spec.name !== 'down' })),
  );
  assert.equal(r.effective, 1);
  assert.deepEqual(r.faults, []);
});

test('global_defs process_monitor_rcv_bufs and _force are read, not just accepted', () => {
  const { config, diagnostics } = loadConfigText(
    'global_defs {\n  process_monitor_rcv_bufs 1048576\n  process_monitor_rcv_bufs_force\n}\n',
    'k.conf',
  );
  assert.deepEqual(diagnostics, []);
  assert.equal(config.globalDefs.processMonitorRcvBufs, 1048576);
  assert.equal(config.globalDefs.processMonitorRcvBufsForce, true);
});

test('a name the process name (comm) can never have is warned at the name', () => {
  const { diagnostics } = loadConfigText(
    `vrrp_track_process a {
  process /usr/sbin/nginx
}
vrrp_track_process b {
  process a-very-long-daemon
}
vrrp_track_process c {
  process /usr/sbin/nginx
  full_command
}
`,
    'k.conf',
  );
  assert.deepEqual(
    diagnostics.map((d) => `${d.severity} ${d.loc.line}:${d.loc.col}`),
    ['warning 2:11', 'warning 5:11'],
  );
  assert.match(diagnostics[0]!.message, /has no path, so it never matches; add 'full_command'/);
  assert.match(diagnostics[1]!.message, /cuts to 15 bytes.*write 'a-very-long-dae'/);
});
