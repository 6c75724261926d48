import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VrrpMachine, type Action } from '../../../src/vrrp/machine.js';
import { Sim, isMasterNotify } from './sim.js';

const close = (actual: number | undefined, expected: number, what: string): void => {
  assert.ok(actual !== undefined, `${what}: never happened`);
  assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: at ${actual} ms, expected ${expected} ms`);
};

test('Master_Down_Interval and Skew_Time as keepalived computes them (µs, integer)', () => {
  const v2 = new VrrpMachine({ name: 'a', version: 2, priority: 100, advertIntCs: 100 }, '10.0.0.1');
  assert.equal(v2.skewUs(), 609375); // (256-100)/256 s
  assert.equal(v2.masterDownUs(), 3_609_375);
  const v2p90 = new VrrpMachine({ name: 'a', version: 2, priority: 90, advertIntCs: 100 }, '10.0.0.1');
  assert.equal(v2p90.skewUs(), 648437); // FACTS.md: graceful v2 handoff 0.66 s
  const v3 = new VrrpMachine({ name: 'a', version: 3, priority: 90, advertIntCs: 10 }, '10.0.0.1');
  assert.equal(v3.skewUs(), 64843); // ((256-90) × 0.1 s)/256, FACTS.md: 0.08 s
  assert.equal(v3.masterDownUs(), 364843); // FACTS.md: 0.32-0.34 s outage
  const down1 = new VrrpMachine(
    { name: 'a', version: 3, priority: 100, advertIntCs: 100, downTimerAdverts: 1 },
    '::1',
  );
  assert.equal(down1.masterDownUs(), 1_000_000 + 609375);
});

test('a lone backup becomes master after Master_Down_Interval, in keepalived order', () => {
  const sim = new Sim();
  const a = sim.add('10.0.0.1', { priority: 100 });
  sim.event(a, { type: 'start' });
  assert.equal(a.m.state, 'BACKUP');
  sim.run(10_000);
  assert.equal(a.m.state, 'MASTER');
  close(sim.firstAt(a, isMasterNotify), 3609.375, 'MASTER');
  assert.deepEqual(sim.notifies(a), ['BACKUP', 'MASTER']);
  const at = sim.firstAt(a, isMasterNotify)!;
  const burst = a.log
    .filter((e) => e.at === at && e.a.type !== 'log' && e.a.type !== 'timer')
    .map((e) => e.a);
  // The advert goes first so the old master drops the VIPs before our gratuitous ARPs.
  assert.deepEqual(burst, [
    { type: 'send-advert', priority: 100 },
    { type: 'add-vips' },
    { type: 'send-garp', repeat: 5, why: 'master' },
    { type: 'notify', state: 'MASTER', priority: 100 },
  ]);
  // The second GARP burst garp_master_delay (5 s) later, then adverts every advert_int.
  close(
    sim.firstAt(a, (x) => x.type === 'send-garp' && x.why === 'delayed'),
    at + 5000,
    'delayed GARP',
  );
  const sends = a.sent.map((s) => s.at);
  assert.ok(sends.length >= 6);
  for (let i = 1; i < sends.length; i++) close(sends[i]! - sends[i - 1]!, 1000, 'advert spacing');
});

test('address owner (priority 255, state MASTER) becomes master at once', () => {
  const sim = new Sim();
  const a = sim.add('10.0.0.1', { priority: 255 });
  sim.event(a, { type: 'start' });
  sim.run(1);
  assert.equal(a.m.state, 'MASTER');
  close(sim.firstAt(a, isMasterNotify), 0.001, 'owner MASTER');
  assert.deepEqual(sim.notifies(a), ['MASTER']);
});

test('state MASTER with a lower priority starts as BACKUP with the full down timer (keepalived 2.2.7)', () => {
  const sim = new Sim();
  const a = sim.add('10.0.0.1', {
    priority: 200,
    advertIntCs: 200,
    initialMaster: true,
    nopreempt: true,
    preemptDelayMs: 9000,
  });
  assert.equal(a.m.cfg.nopreempt, false, 'nopreempt cleared with state MASTER');
  assert.equal(a.m.cfg.preemptDelayMs, 0, 'preempt_delay cleared with state MASTER');
  sim.event(a, { type: 'start' });
  sim.run(20_000);
  close(sim.firstAt(a, isMasterNotify), 6000 + 218.75, 'MASTER'); // 3 × 2 s + 56/256 s
});

function pair(
  version: 2 | 3,
  advertIntCs: number,
  pa: number,
  pb: number,
): { sim: Sim; a: ReturnType<Sim['add']>; b: ReturnType<Sim['add']> } {
  const sim = new Sim();
  const a = sim.add('10.0.0.1', { version, advertIntCs, priority: pa });
  const b = sim.add('10.0.0.2', { version, advertIntCs, priority: pb });
  sim.event(a, { type: 'start' });
  sim.event(b, { type: 'start' });
  return { sim, a, b };
}

test('failover: the backup takes over Master_Down_Interval after the last advert of a dead master', () => {
  const { sim, a, b } = pair(2, 100, 150, 100);
  sim.run(10_000);
  assert.equal(a.m.state, 'MASTER');
  assert.equal(b.m.state, 'BACKUP');
  assert.equal(b.m.status().masterAddress, '10.0.0.1');
  const last = a.sent.at(-1)!.at;
  sim.kill(a);
  sim.run(20_000);
  assert.equal(b.m.state, 'MASTER');
  close(sim.firstAt(b, isMasterNotify), last + 3609.375, 'takeover');
});

test('graceful stop: priority-0 advert, the backup takes over after Skew_Time (v2 and v3)', () => {
  for (const [version, advertIntCs, skewMs] of [
    [2, 100, 648.437],
    [3, 10, 64.843],
  ] as const) {
    const { sim, a, b } = pair(version, advertIntCs, 150, 90);
    sim.run(10_000);
    assert.equal(a.m.state, 'MASTER');
    sim.event(a, { type: 'stop' });
    assert.equal(a.m.state, 'STOP');
    assert.deepEqual(
      a.log.filter((e) => e.at === sim.now && e.a.type !== 'log' && e.a.type !== 'timer').map((e) => e.a),
      [
        { type: 'send-advert', priority: 0 },
        { type: 'del-vips' },
        { type: 'notify', state: 'STOP', priority: 150 },
      ],
    );
    const t0 = sim.now;
    sim.kill(a);
    sim.run(20_000);
    close(sim.firstAt(b, isMasterNotify), t0 + skewMs, `v${version} handoff`);
  }
});

test('a backup stopping sends nothing and notifies STOP', () => {
  const { sim, b } = pair(2, 100, 150, 100);
  sim.run(5000);
  sim.event(b, { type: 'stop' });
  assert.deepEqual(
    b.log.filter((e) => e.at === sim.now && e.a.type !== 'timer').map((e) => e.a),
    [{ type: 'notify', state: 'STOP', priority: 100 }],
  );
});

test('preemption: a higher-priority node that starts later takes over', () => {
  const sim = new Sim();
  const low = sim.add('10.0.0.1', { priority: 100 });
  sim.event(low, { type: 'start' });
  sim.run(10_000);
  assert.equal(low.m.state, 'MASTER');
  const high = sim.add('10.0.0.2', { priority: 200 });
  sim.event(high, { type: 'start' });
  sim.run(30_000);
  assert.equal(high.m.state, 'MASTER');
  assert.equal(low.m.state, 'BACKUP');
  // The lower-priority adverts are discarded, so the down timer started at start() runs out.
  close(sim.firstAt(high, isMasterNotify), 10_000 + 3218.75, 'preempt');
  assert.deepEqual(sim.notifies(low), ['BACKUP', 'MASTER', 'BACKUP']);
});

test('nopreempt: a higher-priority node that starts later stays backup', () => {
  const sim = new Sim();
  const low = sim.add('10.0.0.1', { priority: 100 });
  sim.event(low, { type: 'start' });
  sim.run(10_000);
  const high = sim.add('10.0.0.2', { priority: 200, nopreempt: true });
  sim.event(high, { type: 'start' });
  sim.run(60_000);
  assert.equal(high.m.state, 'BACKUP');
  assert.equal(low.m.state, 'MASTER');
  // ...until the master dies.
  sim.kill(low);
  sim.run(70_000);
  assert.equal(high.m.state, 'MASTER');
});

test('preempt_delay: the higher-priority node waits the delay before taking over', () => {
  const sim = new Sim();
  const low = sim.add('10.0.0.1', { priority: 100 });
  sim.event(low, { type: 'start' });
  sim.run(10_000);
  const high = sim.add('10.0.0.2', { priority: 200, preemptDelayMs: 8000 });
  sim.event(high, { type: 'start' });
  sim.run(17_900);
  assert.equal(high.m.state, 'BACKUP', 'still waiting inside the delay');
  sim.run(40_000);
  assert.equal(high.m.state, 'MASTER');
  // low advertises at 3609.375 + k s. The first advert after start (10609.375) starts the delay;
  // adverts keep resetting the down timer until the delay has passed (the one at 17609.375 is the
  // last accepted), then the down timer (3 s + 56/256 s) runs out.
  close(sim.firstAt(high, isMasterNotify), 17_609.375 + 3218.75, 'preempt after delay');
});

test('equal priority: when both are master, the higher primary address wins (compared numerically)', () => {
  const sim = new Sim();
  const nine = sim.add('10.0.0.9', { priority: 100 });
  const ten = sim.add('10.0.0.10', { priority: 100 }); // "10.0.0.10" < "10.0.0.9" as text
  let partitioned = true;
  sim.deliver = () => !partitioned;
  sim.event(nine, { type: 'start' });
  sim.event(ten, { type: 'start' });
  sim.run(10_000);
  assert.equal(nine.m.state, 'MASTER');
  assert.equal(ten.m.state, 'MASTER');
  partitioned = false;
  sim.run(20_000);
  assert.equal(ten.m.state, 'MASTER');
  assert.equal(nine.m.state, 'BACKUP');
  // A backup accepts an equal-priority master whatever its address (no preemption on a tie).
  const sim2 = new Sim();
  const first = sim2.add('10.0.0.9', { priority: 100 });
  sim2.event(first, { type: 'start' });
  sim2.run(10_000);
  const second = sim2.add('10.0.0.10', { priority: 100 });
  sim2.event(second, { type: 'start' });
  sim2.run(30_000);
  assert.equal(first.m.state, 'MASTER');
  assert.equal(second.m.state, 'BACKUP');
});

test('a master seeing an equal-priority advert from a higher address yields; from a lower one it forces an election', () => {
  const m = new VrrpMachine({ name: 'x', version: 2, priority: 100, advertIntCs: 100 }, '10.0.0.5');
  m.handle({ type: 'start' }, 0);
  m.handle({ type: 'timer', name: 'adver' }, 4000);
  assert.equal(m.state, 'MASTER');
  const lower = m.handle({ type: 'advert', priority: 100, intervalCs: 100, source: '10.0.0.4' }, 4100);
  assert.equal(m.state, 'MASTER');
  assert.ok(lower.some((a) => a.type === 'send-advert' && a.priority === 100));
  m.handle({ type: 'advert', priority: 100, intervalCs: 100, source: '10.0.0.6' }, 4200);
  assert.equal(m.state, 'BACKUP');
});

test('a master receiving a lower priority sends an advert at once and repeats its gratuitous ARPs', () => {
  const m = new VrrpMachine({ name: 'x', version: 2, priority: 150, advertIntCs: 100 }, '10.0.0.1');
  m.handle({ type: 'start' }, 0);
  m.handle({ type: 'timer', name: 'adver' }, 4000);
  const acts = m
    .handle({ type: 'advert', priority: 100, intervalCs: 100, source: '10.0.0.2' }, 4500)
    .filter((a) => a.type !== 'log');
  assert.deepEqual(acts, [
    { type: 'send-advert', priority: 150 },
    { type: 'send-garp', repeat: 5, why: 'lower-prio' },
    { type: 'timer', name: 'garp-lower-prio', at: 9500 },
    { type: 'notify-event', event: 'MASTER_RX_LOWER_PRI', priority: 150 },
    { type: 'timer', name: 'adver', at: 5500 },
  ]);
  const quiet = new VrrpMachine(
    {
      name: 'q',
      version: 2,
      priority: 150,
      advertIntCs: 100,
      lowerPrioNoAdvert: true,
      garpLowerPrioRepeat: 0,
    },
    '10.0.0.1',
  );
  quiet.handle({ type: 'start' }, 0);
  quiet.handle({ type: 'timer', name: 'adver' }, 4000);
  const q = quiet.handle({ type: 'advert', priority: 100, intervalCs: 100, source: '10.0.0.2' }, 4500);
  assert.deepEqual(
    q.filter((a) => a.type !== 'log'),
    [{ type: 'notify-event', event: 'MASTER_RX_LOWER_PRI', priority: 150 }],
  );
});

test('a master receiving priority 0 answers with an advert and stays master', () => {
  const m = new VrrpMachine({ name: 'x', version: 2, priority: 150, advertIntCs: 100 }, '10.0.0.1');
  m.handle({ type: 'start' }, 0);
  m.handle({ type: 'timer', name: 'adver' }, 4000);
  const acts = m.handle({ type: 'advert', priority: 0, intervalCs: 100, source: '10.0.0.2' }, 4100);
  assert.equal(m.state, 'MASTER');
  assert.deepEqual(
    acts.filter((a) => a.type === 'send-advert'),
    [{ type: 'send-advert', priority: 150 }],
  );
});

test('v3: a backup adopts the master advert interval for its down timer', () => {
  const sim = new Sim();
  const master = sim.add('10.0.0.1', { version: 3, advertIntCs: 50, priority: 200 });
  const backup = sim.add('10.0.0.2', { version: 3, advertIntCs: 100, priority: 100 });
  sim.event(master, { type: 'start' });
  sim.event(backup, { type: 'start' });
  sim.run(10_000);
  assert.equal(backup.m.state, 'BACKUP');
  assert.equal(backup.m.masterAdvertIntCs, 50);
  assert.equal(backup.m.masterDownUs(), 1_500_000 + 304687);
  const last = master.sent.at(-1)!.at;
  sim.kill(master);
  sim.run(20_000);
  close(sim.firstAt(backup, isMasterNotify), last + 1804.687, 'takeover with the adopted interval');
  // As master it advertises its own interval again.
  assert.equal(backup.m.masterAdvertIntCs, 100);
  const s = backup.sent.map((x) => x.at);
  close(s[2]! - s[1]!, 1000, 'own interval');
});

test('v2: a backup keeps its own interval', () => {
  const m = new VrrpMachine({ name: 'x', version: 2, priority: 100, advertIntCs: 100 }, '10.0.0.2');
  m.handle({ type: 'start' }, 0);
  m.handle({ type: 'advert', priority: 200, intervalCs: 300, source: '10.0.0.1' }, 10);
  assert.equal(m.masterAdvertIntCs, 100);
});

test('entering FAULT from MASTER sends priority 0 and releases the VIPs; the backup takes over after Skew_Time', () => {
  const { sim, a, b } = pair(2, 100, 150, 100);
  sim.run(10_000);
  sim.event(a, { type: 'fault', faulty: true });
  assert.equal(a.m.state, 'FAULT');
  const acts = a.log
    .filter((e) => e.at === sim.now && e.a.type !== 'log' && e.a.type !== 'timer')
    .map((e) => e.a);
  // keepalived sends the priority-0 advert twice here (leave_master and restore_interface).
  assert.deepEqual(acts, [
    { type: 'send-advert', priority: 0 },
    { type: 'send-advert', priority: 0 },
    { type: 'del-vips' },
    { type: 'notify', state: 'FAULT', priority: 150 },
  ]);
  const t0 = sim.now;
  sim.run(20_000);
  close(sim.firstAt(b, isMasterNotify, t0), t0 + 609.375, 'takeover after skew');
  // Adverts are ignored in FAULT, and its timer is disabled.
  assert.equal(a.m.nextTimer, null);
  assert.equal(a.m.state, 'FAULT');
  // Recovery: back to BACKUP, and the higher priority preempts again.
  sim.event(a, { type: 'fault', faulty: false });
  assert.equal(a.m.state, 'BACKUP');
  sim.run(30_000);
  assert.equal(a.m.state, 'MASTER');
  assert.deepEqual(sim.notifies(a), ['BACKUP', 'MASTER', 'FAULT', 'BACKUP', 'MASTER']);
});

test('start while faulty: FAULT at once, no adverts; recovery goes to BACKUP (unicast announces its source)', () => {
  const m = new VrrpMachine(
    { name: 'x', version: 3, priority: 100, advertIntCs: 100, unicast: true },
    '10.0.0.2',
  );
  const a = m.handle({ type: 'start', faulty: true }, 0);
  assert.equal(m.state, 'FAULT');
  assert.ok(a.some((x) => x.type === 'notify' && x.state === 'FAULT'));
  assert.ok(!a.some((x) => x.type === 'send-advert'));
  assert.deepEqual(m.handle({ type: 'advert', priority: 1, intervalCs: 100, source: '10.0.0.1' }, 10), []);
  const up = m.handle({ type: 'fault', faulty: false }, 100);
  assert.equal(m.state, 'BACKUP');
  assert.equal(up[0]?.type, 'announce-source');
  assert.ok(up.some((x) => x.type === 'timer' && x.name === 'adver' && x.at === 100 + 3609.375));
});

test('owner recovering from FAULT becomes master at once', () => {
  const m = new VrrpMachine({ name: 'x', version: 2, priority: 255, advertIntCs: 100 }, '10.0.0.1');
  m.handle({ type: 'start', faulty: true }, 0);
  const up = m.handle({ type: 'fault', faulty: false }, 50);
  assert.equal(m.state, 'MASTER');
  assert.ok(up.some((x) => x.type === 'add-vips'));
});

test('effective priority changes move a backup down timer by the skew difference', () => {
  const m = new VrrpMachine(
    { name: 'x', version: 2, priority: 100, advertIntCs: 100, notifyPriorityChanges: true },
    '10.0.0.2',
  );
  m.handle({ type: 'start' }, 0);
  assert.equal(m.nextTimer, 3609.375);
  const acts = m.handle({ type: 'priority', effective: 228 }, 100);
  assert.equal(m.effectivePriority, 228);
  // skew 156/256 s -> 28/256 s
  close(m.nextTimer ?? undefined, 3000 + 109.375, 'new timer');
  assert.ok(
    acts.some((a) => a.type === 'notify-event' && a.event === 'BACKUP_PRIORITY' && a.priority === 228),
  );
  m.handle({ type: 'priority', effective: 300 }, 200);
  assert.equal(m.effectivePriority, 254, 'clamped below owner');
  m.handle({ type: 'priority', effective: -20 }, 300);
  assert.equal(m.effectivePriority, 1, 'clamped to 1');
  const owner = new VrrpMachine({ name: 'o', version: 2, priority: 255, advertIntCs: 100 }, '10.0.0.1');
  owner.handle({ type: 'priority', effective: 100 }, 0);
  assert.equal(owner.effectivePriority, 255, 'the owner priority never moves');
});

test('a master whose priority drops below a backup loses on the next exchange', () => {
  const { sim, a, b } = pair(2, 100, 150, 100);
  sim.run(10_000);
  sim.event(a, { type: 'priority', effective: 50 });
  // a's next advert (priority 50) is lower than b's 100: b discards it and takes over on its timer.
  sim.run(20_000);
  assert.equal(b.m.state, 'MASTER');
  assert.equal(a.m.state, 'BACKUP');
});

test('two address owners: the one seeing the conflict drops to 254', () => {
  const m = new VrrpMachine({ name: 'x', version: 2, priority: 255, advertIntCs: 100 }, '10.0.0.1');
  m.handle({ type: 'start' }, 0);
  m.handle({ type: 'timer', name: 'adver' }, 0.001);
  assert.equal(m.state, 'MASTER');
  m.handle({ type: 'advert', priority: 255, intervalCs: 100, source: '10.0.0.2' }, 500);
  assert.equal(m.basePriority, 254);
  assert.equal(m.state, 'BACKUP');
});

test('garp_master_refresh repeats gratuitous ARPs while master', () => {
  const sim = new Sim();
  const a = sim.add('10.0.0.1', {
    priority: 100,
    garpMasterRefreshMs: 2500,
    garpMasterRefreshRepeat: 2,
    garpMasterDelayMs: 0,
  });
  sim.event(a, { type: 'start' });
  sim.run(20_000);
  const garps = a.log
    .filter((e) => e.a.type === 'send-garp')
    .map((e) => [e.at, (e.a as Action & { type: 'send-garp' }).why]);
  assert.equal(garps[0]?.[1], 'master');
  const refresh = garps.filter((g) => g[1] === 'refresh');
  assert.ok(refresh.length >= 5, `refreshes: ${JSON.stringify(garps)}`);
  // Checked at each advert: the first advert after 2.5 s has passed.
  close(Number(refresh[0]![0]), 3609.375 + 3000, 'first refresh');
});

test('stale timer events are ignored', () => {
  const m = new VrrpMachine({ name: 'x', version: 2, priority: 100, advertIntCs: 100 }, '10.0.0.2');
  m.handle({ type: 'start' }, 0);
  assert.deepEqual(m.handle({ type: 'timer', name: 'adver' }, 1000), []);
  assert.equal(m.state, 'BACKUP');
});

test('reload: a master resumes without a flap, re-adds its VIPs and advertises at once', () => {
  const m = new VrrpMachine({ name: 'x', version: 2, priority: 150, advertIntCs: 100 }, '10.0.0.1');
  const stats = { becomeMaster: 3, releaseMaster: 2, advertSent: 40, priZeroSent: 1 };
  const a = m.handle({ type: 'start', resume: { state: 'MASTER', vipsSet: true, stats } }, 1000);
  assert.equal(m.state, 'MASTER');
  assert.deepEqual(
    a.filter((x) => x.type !== 'log'),
    [{ type: 'add-vips' }, { type: 'timer', name: 'adver', at: 1000 }],
  );
  const tx = m.handle({ type: 'timer', name: 'adver' }, 1000);
  assert.deepEqual(
    tx.filter((x) => x.type !== 'log' && x.type !== 'timer'),
    [{ type: 'send-advert', priority: 150 }],
    'no second MASTER notify, no GARP burst',
  );
  assert.equal(m.status().stats.becomeMaster, 3);
  const b = new VrrpMachine({ name: 'y', version: 2, priority: 100, advertIntCs: 100 }, '10.0.0.2');
  const acts = b.handle({ type: 'start', resume: { state: 'BACKUP', vipsSet: false } }, 0);
  assert.equal(b.state, 'BACKUP');
  assert.ok(!acts.some((x) => x.type === 'notify'));
  // A fault found at reload wins over the old state.
  const c = new VrrpMachine({ name: 'z', version: 2, priority: 100, advertIntCs: 100 }, '10.0.0.3');
  const ca = c.handle({ type: 'start', faulty: true, resume: { state: 'MASTER', vipsSet: true } }, 0);
  assert.equal(c.state, 'FAULT');
  assert.equal(ca[0]?.type, 'del-vips', 'the old master releases its VIPs');
});

test('vrrp_startup_delay: no instance, not even the address owner, leaves BACKUP before the delay ends', () => {
  const owner = new VrrpMachine({ name: 'o', version: 2, priority: 255, advertIntCs: 100 }, '10.0.0.1');
  owner.delayStart(5000);
  owner.handle({ type: 'start' }, 0);
  assert.equal(owner.state, 'BACKUP');
  assert.equal(owner.nextTimer, 5000.001, 'the 1 µs owner timer runs from the delay end');
  const b = new VrrpMachine({ name: 'b', version: 2, priority: 100, advertIntCs: 100 }, '10.0.0.2');
  b.delayStart(5000);
  b.handle({ type: 'start' }, 0);
  assert.equal(b.nextTimer, 5000 + 3609.375, 'master-down interval after the delay');
  // An advert during the delay is heard as usual; the down timer still counts from the delay end.
  b.handle({ type: 'advert', priority: 150, intervalCs: 100, source: '10.0.0.9' }, 1000);
  assert.equal(b.nextTimer, 5000 + 3609.375);
  // After the delay: from now, as without one.
  b.handle({ type: 'advert', priority: 150, intervalCs: 100, source: '10.0.0.9' }, 6000);
  assert.equal(b.nextTimer, 6000 + 3609.375);
  const plain = new VrrpMachine({ name: 'p', version: 2, priority: 100, advertIntCs: 100 }, '10.0.0.2');
  plain.handle({ type: 'start' }, 0);
  assert.equal(plain.nextTimer, 3609.375, 'no delay: from the start');
});

test('lost-address (a tracked virtual route deleted): the master resigns and is back after Skew_Time alone', () => {
  const sim = new Sim();
  const a = sim.add('10.0.0.1', { priority: 100 });
  sim.event(a, { type: 'start' });
  sim.run(5_000);
  assert.equal(a.m.state, 'MASTER');
  const t0 = sim.now;
  sim.event(a, { type: 'lost-address' });
  assert.equal(a.m.state, 'BACKUP');
  const burst = a.log.filter((e) => e.at === t0 && (e.a.type === 'send-advert' || e.a.type === 'del-vips'));
  assert.deepEqual(
    burst.map((e) => e.a),
    [{ type: 'send-advert', priority: 0 }, { type: 'del-vips' }],
    "keepalived's set_vrrp_backup: priority-0 advert, VIPs (and routes) removed",
  );
  sim.run(t0 + 2_000);
  assert.equal(a.m.state, 'MASTER');
  const back = a.log.find((e) => e.at > t0 && isMasterNotify(e.a))?.at;
  close(back, t0 + 609.375, 'MASTER again after Skew_Time');
  assert.equal(a.m.stats.becomeMaster, 2);
  // A backup ignores it.
  sim.event(a, { type: 'lost-address' });
  assert.equal(a.m.state, 'BACKUP');
  const before = a.log.length;
  sim.event(a, { type: 'lost-address' });
  assert.equal(a.log.length, before, 'nothing done by a backup');
});
