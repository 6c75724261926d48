// The machine's timers against a real keepalived 2.2.7 pair: the timeline captured in
// test/fixtures/vrrp/ka227-trace-failover.txt (how: the header of that file and README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { VrrpMachine, type MachineConfig } from '../../../src/vrrp/machine.js';

interface Pkt {
  ms: number;
  src: string;
  version: number;
  vrid: number;
  priority: number;
}

const trace: Pkt[] = readFileSync(
  new URL('../../fixtures/vrrp/ka227-trace-failover.txt', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#'))
  .map((l) => {
    const [us, src, version, vrid, priority] = l.trim().split(/\s+/);
    return {
      ms: Number(us) / 1000,
      src: src!,
      version: Number(version),
      vrid: Number(vrid),
      priority: Number(priority),
    };
  });

const A = '192.0.2.1';
const B = '192.0.2.2';
const V2: Omit<MachineConfig, 'priority'> = { name: 'V2', version: 2, advertIntCs: 100 };
const V3: Omit<MachineConfig, 'priority'> = { name: 'V3', version: 3, advertIntCs: 50 };
const machine = (cfg: Omit<MachineConfig, 'priority'>, priority: number): VrrpMachine =>
  new VrrpMachine({ ...cfg, priority }, A);

// Scheduling on the capturing machine adds a few ms; keepalived itself is never early.
const LATE_MS = 20;

function within(actual: number, expected: number, what: string, early = 1): void {
  assert.ok(
    actual >= expected - early && actual <= expected + LATE_MS,
    `${what}: ${actual.toFixed(3)} ms, model ${expected.toFixed(3)} ms`,
  );
}

test('graceful stop: keepalived backups take over Skew_Time after the priority-0 advert, as the model says', () => {
  for (const [vrid, cfg] of [
    [61, V2],
    [62, V3],
  ] as const) {
    const zero = trace.find((p) => p.vrid === vrid && p.src === A && p.priority === 0)!;
    const takeover = trace.find((p) => p.vrid === vrid && p.src === B && p.ms > zero.ms)!;
    within(takeover.ms - zero.ms, machine(cfg, 100).skewUs() / 1000, `vrid ${vrid} takeover`);
  }
});

test('start: keepalived masters appear Master_Down_Interval after start, v2 and v3 offsets as the model says', () => {
  // The start itself is not on the wire, but both instances of a daemon start together, so the
  // gap between its first v3 and first v2 master adverts is the difference of their down timers.
  const expected = (machine(V2, 150).masterDownUs() - machine(V3, 150).masterDownUs()) / 1000;
  const zeroA = trace.find((p) => p.src === A && p.priority === 0)!.ms;
  const windows: [number, number][] = [
    [0, zeroA],
    [zeroA + 1, Infinity],
  ];
  for (const [from, to] of windows) {
    const first = (vrid: number): number =>
      trace.find((p) => p.src === A && p.vrid === vrid && p.priority > 0 && p.ms >= from && p.ms < to)!.ms;
    within(first(61) - first(62), expected, 'v2 - v3 first advert', 5);
  }
});

test('masters advertise every advert_int', () => {
  for (const [vrid, interval] of [
    [61, 1000],
    [62, 500],
  ] as const) {
    const sends = trace.filter((p) => p.vrid === vrid && p.src === A && p.priority === 150).map((p) => p.ms);
    const gaps = sends
      .slice(1)
      .map((t, i) => t - sends[i]!)
      .filter((g) => g < interval * 1.5);
    assert.ok(gaps.length >= 4);
    for (const g of gaps) within(g, interval, `vrid ${vrid} interval`);
  }
});

test('the restarted higher-priority node preempts and the lower one falls silent at its first advert', () => {
  const zeroA = trace.find((p) => p.src === A && p.priority === 0)!.ms;
  for (const vrid of [61, 62]) {
    const back = trace.find((p) => p.vrid === vrid && p.src === A && p.priority === 150 && p.ms > zeroA)!;
    assert.ok(
      !trace.some((p) => p.vrid === vrid && p.src === B && p.ms > back.ms),
      `vrid ${vrid}: B still sending`,
    );
    // And the model agrees: a master at 100 yields to a 150 advert.
    const b = new VrrpMachine({ ...(vrid === 61 ? V2 : V3), priority: 100 }, B);
    b.handle({ type: 'start' }, 0);
    b.handle({ type: 'timer', name: 'adver' }, 10_000);
    assert.equal(b.state, 'MASTER');
    const acts = b.handle(
      { type: 'advert', priority: 150, intervalCs: vrid === 61 ? 100 : 50, source: A },
      10_100,
    );
    assert.equal(b.state, 'BACKUP');
    assert.ok(!acts.some((a) => a.type === 'send-advert'), 'a yielding master sends nothing');
  }
});
