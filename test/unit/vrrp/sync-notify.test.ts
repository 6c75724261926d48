import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VrrpMachine, type Action, type MachineEvent, type TimerName } from '../../../src/vrrp/machine.js';
import { SyncGroup, type GroupOutput } from '../../../src/vrrp/sync-group.js';
import {
  eventNotifications,
  notifyArgv,
  notifyFifoLine,
  stateNotifications,
} from '../../../src/vrrp/notify.js';

/** Two sync groups on a fake segment: each node has instances VI_1 and VI_2 in group G. */
class GroupSim {
  now = 0;
  timers = new Map<VrrpMachine, Map<TimerName, number>>();
  groupOf = new Map<VrrpMachine, SyncGroup>();
  groupNotifies: string[] = [];
  alive = new Set<SyncGroup>();
  peers: { g: SyncGroup; address: string }[] = [];

  node(address: string, priorities: [number, number]): SyncGroup {
    const ms = priorities.map(
      (priority, i) =>
        new VrrpMachine({ name: `VI_${i + 1}`, version: 2, priority, advertIntCs: 100 }, address),
    );
    const g = new SyncGroup(`G@${address}`, ms);
    for (const m of ms) {
      this.groupOf.set(m, g);
      this.timers.set(m, new Map());
    }
    this.alive.add(g);
    this.peers.push({ g, address });
    return g;
  }

  start(g: SyncGroup, faulty: Set<number> = new Set()): void {
    const evs = new Map<VrrpMachine, MachineEvent & { type: 'start' }>();
    g.members.forEach((m, i) => evs.set(m, { type: 'start', faulty: faulty.has(i) }));
    this.apply(g, g.start(evs, this.now));
  }

  event(m: VrrpMachine, ev: MachineEvent): void {
    const g = this.groupOf.get(m)!;
    if (!this.alive.has(g)) return;
    this.apply(g, g.handle(m, ev, this.now));
  }

  apply(g: SyncGroup, out: GroupOutput): void {
    for (const n of out.notifies) this.groupNotifies.push(`${n.group} ${n.state}`);
    for (const { member, actions } of out.actions) this.actions(g, member, actions);
  }

  actions(g: SyncGroup, m: VrrpMachine, actions: Action[]): void {
    const address = this.peers.find((p) => p.g === g)!.address;
    for (const a of actions) {
      if (a.type === 'timer') {
        if (a.at === null) this.timers.get(m)!.delete(a.name);
        else this.timers.get(m)!.set(a.name, a.at);
      } else if (a.type === 'send-advert') {
        for (const p of this.peers) {
          if (p.g === g || !this.alive.has(p.g)) continue;
          const peer = p.g.members.find((x) => x.cfg.name === m.cfg.name)!;
          this.event(peer, { type: 'advert', priority: a.priority, intervalCs: 100, source: address });
        }
      }
    }
  }

  run(until: number): void {
    for (;;) {
      let best: { m: VrrpMachine; name: TimerName; at: number } | null = null;
      for (const [m, ts] of this.timers) {
        if (!this.alive.has(this.groupOf.get(m)!)) continue;
        for (const [name, at] of ts) if (!best || at < best.at) best = { m, name, at };
      }
      if (!best || best.at > until) break;
      this.now = best.at;
      this.timers.get(best.m)!.delete(best.name);
      this.event(best.m, { type: 'timer', name: best.name });
    }
    this.now = until;
  }
}

const states = (g: SyncGroup): string => g.members.map((m) => m.state).join(',');

test('sync group: members become master together and fail over together', () => {
  const sim = new GroupSim();
  // VI_2 alone would prefer B (crossed priorities); the group keeps both on one node.
  const a = sim.node('10.0.0.1', [150, 100]);
  const b = sim.node('10.0.0.2', [100, 120]);
  sim.start(a);
  sim.start(b);
  sim.run(20_000);
  const masters = [a, b].filter((g) => g.state === 'MASTER');
  assert.equal(masters.length, 1, `${states(a)} / ${states(b)}`);
  const [m] = masters;
  const other = m === a ? b : a;
  assert.equal(states(m!), 'MASTER,MASTER');
  assert.equal(states(other), 'BACKUP,BACKUP');
  // The master node dies: the backup group takes both over.
  sim.alive.delete(m!);
  sim.run(40_000);
  assert.equal(states(other), 'MASTER,MASTER');
  assert.equal(other.state, 'MASTER');
});

test('sync group: one member FAULT takes every member to FAULT; the master resigns with priority 0', () => {
  const sim = new GroupSim();
  const a = sim.node('10.0.0.1', [150, 150]);
  const b = sim.node('10.0.0.2', [100, 100]);
  sim.start(a);
  sim.start(b);
  sim.run(20_000);
  assert.equal(states(a), 'MASTER,MASTER');
  const vi2 = a.members[1]!;
  const out = a.handle(a.members[0]!, { type: 'fault', faulty: true }, sim.now);
  assert.equal(states(a), 'FAULT,FAULT');
  assert.equal(a.state, 'FAULT');
  assert.deepEqual(out.notifies, [{ group: 'G@10.0.0.1', state: 'FAULT' }]);
  const vi2acts = out.actions.filter((x) => x.member === vi2).flatMap((x) => x.actions);
  assert.ok(
    vi2acts.some((x) => x.type === 'send-advert' && x.priority === 0),
    'VI_2 resigns with priority 0',
  );
  assert.ok(vi2acts.some((x) => x.type === 'del-vips'));
  sim.apply(a, out);
  sim.run(sim.now + 2000);
  assert.equal(states(b), 'MASTER,MASTER', 'the backup takes over after Skew_Time');
  // VI_1's fault clears while VI_2 develops one: the group stays FAULT until both are clear.
  sim.apply(a, a.handle(vi2, { type: 'fault', faulty: true }, sim.now));
  sim.apply(a, a.handle(a.members[0]!, { type: 'fault', faulty: false }, sim.now));
  assert.equal(states(a), 'FAULT,FAULT');
  sim.apply(a, a.handle(vi2, { type: 'fault', faulty: false }, sim.now));
  assert.equal(states(a), 'BACKUP,BACKUP');
  assert.equal(a.state, 'BACKUP');
  sim.run(sim.now + 10_000);
  assert.equal(states(a), 'MASTER,MASTER', 'higher priority preempts back');
  assert.equal(states(b), 'BACKUP,BACKUP');
});

test('sync group: a member may go master only when all want to', () => {
  const m1 = new VrrpMachine({ name: 'VI_1', version: 2, priority: 100, advertIntCs: 100 }, '10.0.0.2');
  const m2 = new VrrpMachine({ name: 'VI_2', version: 2, priority: 100, advertIntCs: 100 }, '10.0.0.2');
  const g = new SyncGroup('G', [m1, m2]);
  g.start(new Map(), 0);
  // VI_2 keeps hearing a master; VI_1 times out and wants MASTER, but must wait.
  g.handle(m2, { type: 'advert', priority: 200, intervalCs: 100, source: '10.0.0.1' }, 3000);
  const out = g.handle(m1, { type: 'timer', name: 'adver' }, 3609.375);
  assert.equal(m1.state, 'BACKUP');
  assert.equal(m1.wantState, 'MASTER');
  assert.deepEqual(out.notifies, []);
  // When VI_2 times out too, both go master and the group notifies once.
  const out2 = g.handle(m2, { type: 'timer', name: 'adver' }, 6609.375);
  assert.equal(states(g), 'MASTER,MASTER');
  assert.deepEqual(out2.notifies, [{ group: 'G', state: 'MASTER' }]);
});

test('sync group: starting with a faulty member puts the whole group in FAULT', () => {
  const sim = new GroupSim();
  const a = sim.node('10.0.0.1', [150, 150]);
  sim.start(a, new Set([1]));
  assert.equal(states(a), 'FAULT,FAULT');
  assert.deepEqual(sim.groupNotifies, ['G@10.0.0.1 FAULT']);
});

test('notify: generic script argv and fifo line exactly as keepalived', () => {
  assert.deepEqual(notifyArgv(['/usr/local/bin/notify.sh', 'extra'], 'INSTANCE', 'VI_1', 'MASTER', 100), [
    '/usr/local/bin/notify.sh',
    'extra',
    'INSTANCE',
    'VI_1',
    'MASTER',
    '100',
  ]);
  assert.equal(notifyFifoLine('INSTANCE', 'VI_1', 'MASTER', 100), 'INSTANCE "VI_1" MASTER 100\n');
  assert.equal(notifyFifoLine('GROUP', 'G1', 'FAULT', 0), 'GROUP "G1" FAULT 0\n');
});

test('notify: order is the state script, the generic script, the fifo line, then mail', () => {
  const cfg = { notifyMaster: ['/bin/m'], notify: ['/bin/n'], smtpAlert: true };
  assert.deepEqual(stateNotifications(cfg, 'INSTANCE', 'VI_1', 'MASTER', 150), [
    { kind: 'exec', argv: ['/bin/m'] },
    { kind: 'exec', argv: ['/bin/n', 'INSTANCE', 'VI_1', 'MASTER', '150'] },
    { kind: 'fifo', line: 'INSTANCE "VI_1" MASTER 150\n' },
    {
      kind: 'smtp',
      of: 'INSTANCE',
      name: 'VI_1',
      what: 'Entering MASTER state',
      body: '=> VRRP Instance is now owning VRRP VIPs <=',
    },
  ]);
  // Groups report priority 0; STOP scripts get a 1 s limit; no mail for a state already mailed.
  assert.deepEqual(
    stateNotifications({ notify: ['/bin/n'], notifyStop: ['/bin/s'] }, 'GROUP', 'G', 'STOP', 99),
    [
      { kind: 'exec', argv: ['/bin/s'] },
      { kind: 'exec', argv: ['/bin/n', 'GROUP', 'G', 'STOP', '0'], timeoutMs: 1000 },
      { kind: 'fifo', line: 'GROUP "G" STOP 0\n' },
    ],
  );
  assert.deepEqual(
    stateNotifications({ smtpAlert: true }, 'INSTANCE', 'VI_1', 'FAULT', 1, { noEmailFaults: true }).map(
      (n) => n.kind,
    ),
    ['fifo'],
  );
  assert.deepEqual(
    stateNotifications({ smtpAlert: true }, 'INSTANCE', 'VI_1', 'BACKUP', 1, {
      lastEmailState: 'BACKUP',
    }).map((n) => n.kind),
    ['fifo'],
  );
  assert.deepEqual(
    eventNotifications({ notifyMasterRxLowerPri: ['/bin/l'] }, 'VI_1', 'MASTER_RX_LOWER_PRI', 150),
    [
      { kind: 'exec', argv: ['/bin/l'] },
      { kind: 'fifo', line: 'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150\n' },
    ],
  );
});
