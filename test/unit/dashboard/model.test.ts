// The dashboard's pure parts (browser modules, plain JS): what it reads from `vigil status --json`,
// the traffic rates behind the sparklines, the time line, and the language choice.
import { test } from 'node:test';
import assert from 'node:assert/strict';

interface RsCounters {
  activeConns: number;
  inactiveConns: number;
  conns: number;
  bytes: number;
}
interface ServiceView {
  name: string;
  realServers: {
    id: string;
    rs: string;
    state: string;
    weight: number;
    counters: RsCounters | null;
    flags: string[];
  }[];
}
interface InstanceView {
  name: string;
  state: string;
  lastAdvert: { address: string; priority: number; at: string } | null;
  vips: string[];
  effectivePriority: number;
  basePriority: number;
  transitions: { at: string; from: string; to: string }[];
}
interface Model {
  instancesOf(s: unknown): InstanceView[];
  servicesOf(s: unknown): ServiceView[];
  serviceRates(s: unknown): Map<string, { cps: number; inBps: number; outBps: number }>;
  masterOf(i: InstanceView): { self: boolean; address: string; priority?: number | null } | null;
  childOf(s: unknown, k: string): { present: boolean; status: unknown; error: string | null };
  TrafficHistory: new (size?: number) => {
    record(t: number, s: ServiceView[]): void;
    bytesPerSecond(id: string): number[];
    connsPerSecond(id: string): number[];
  };
  sparkPoints(v: number[], w: number, h: number): string;
  formatRate(v: number): string;
  parseEvent(kind: string, data: string): (Record<string, unknown> & { kind: string; time: string }) | null;
  apiTarget(vs: string, rs: string): { vs: string; rs: string } | null;
  ago(iso: string, now: number): string;
  timeline(
    i: InstanceView[],
    e: Record<string, unknown>[],
  ): { time: string; kind: string; subject: string; from: string | null; to: string }[];
}
interface I18n {
  STRINGS: Record<'en' | 'zh', Record<string, string>>;
  pickLanguage(stored: string | null, preferred: string[]): 'en' | 'zh';
  translate(lang: 'en' | 'zh', key: string, vars?: Record<string, string | number>): string;
}

// Imported by URL: they are the browser's files, served as they are (no TypeScript build).
const assets = new URL('../../../src/dashboard/assets/', import.meta.url);
const m = (await import(new URL('model.js', assets).href)) as Model;
const i18n = (await import(new URL('i18n.js', assets).href)) as I18n;

/** The shape `vigil status --json` prints (supervisor + children), trimmed to what matters. */
function status(rsExtra: Record<string, unknown> = {}): unknown {
  return {
    pid: 42,
    configFile: '/etc/keepalived/keepalived.conf',
    reloads: 0,
    children: {
      vrrp: {
        pid: 43,
        restarts: 0,
        status: {
          instances: [
            {
              name: 'VI_1',
              state: 'BACKUP',
              interface: 'eth0',
              vrid: 51,
              basePriority: 100,
              effectivePriority: 90,
              masterAddress: '192.168.71.11',
              masterPriority: 150,
              source: '192.168.71.12',
              vips: ['192.168.71.100/24'],
              syncGroup: null,
              tracking: { faults: [] },
              transitions: [
                { at: '2026-12-04T10:00:00.000Z', from: 'INIT', to: 'BACKUP' },
                { at: '2026-12-04T10:05:00.000Z', from: 'BACKUP', to: 'MASTER' },
              ],
            },
          ],
          syncGroups: [],
          failed: [],
        },
      },
      checker: {
        pid: 44,
        restarts: 0,
        status: {
          engine: 'userspace',
          realServers: [
            {
              virtualServer: '192.168.71.100:80/TCP',
              realServer: '10.0.0.7:80',
              state: 'up',
              weight: 2,
              ...rsExtra,
            },
            { virtualServer: '192.168.71.100:80/TCP', realServer: '10.0.0.8:80', state: 'down', weight: 0 },
            { virtualServer: '192.168.71.100:53/UDP', realServer: '10.0.0.9:53', state: 'up', weight: 1 },
          ],
        },
      },
    },
  };
}

test('instances: state, priorities, VIPs, and who is master', () => {
  const [i] = m.instancesOf(status());
  assert.ok(i);
  assert.deepEqual(
    [i.name, i.state, i.effectivePriority, i.basePriority, i.vips],
    ['VI_1', 'BACKUP', 90, 100, ['192.168.71.100/24']],
  );
  assert.deepEqual(m.masterOf(i), { self: false, address: '192.168.71.11', priority: 150 });
  assert.deepEqual(m.masterOf({ ...i, state: 'MASTER', source: '192.168.71.12' } as InstanceView), {
    self: true,
    address: '192.168.71.12',
  });
  assert.equal(m.masterOf({ ...i, masterAddress: null } as InstanceView), null);
});

test('a child that is down is reported, not mistaken for an empty one', () => {
  const s = {
    children: { vrrp: { pid: null, restarts: 3, status: { error: 'vrrp child is not running' } } },
  };
  assert.deepEqual(m.childOf(s, 'vrrp'), { present: true, status: null, error: 'vrrp child is not running' });
  assert.deepEqual(m.instancesOf(s), []);
  assert.equal(m.childOf(s, 'checker').present, false);
  // Garbage in: empty views, no throw.
  for (const junk of [
    null,
    'x',
    7,
    [],
    { children: 'no' },
    { children: { vrrp: { status: { instances: 'x' } } } },
  ]) {
    assert.deepEqual(m.instancesOf(junk), []);
    assert.deepEqual(m.servicesOf(junk), []);
  }
});

test('real servers are grouped under their virtual service in status order', () => {
  const svcs = m.servicesOf(status());
  assert.deepEqual(
    svcs.map((s) => [s.name, s.realServers.map((r) => `${r.rs} ${r.state} ${r.weight}`)]),
    [
      ['192.168.71.100:80/TCP', ['10.0.0.7:80 up 2', '10.0.0.8:80 down 0']],
      ['192.168.71.100:53/UDP', ['10.0.0.9:53 up 1']],
    ],
  );
  assert.equal(svcs[0]!.realServers[0]!.counters, null, 'no counters in the status: none made up');
});

test('counters are read from the status (live, counters or flat) and summed in and out', () => {
  const live = m.servicesOf(
    status({
      live: { activeConns: 4, inactiveConns: 2, conns: 9, inPkts: 1, outPkts: 1, inBytes: 5, outBytes: 6 },
    }),
  );
  assert.deepEqual(live[0]!.realServers[0]!.counters, {
    activeConns: 4,
    inactiveConns: 2,
    conns: 9,
    bytes: 11,
  });
  const nested = m.servicesOf(
    status({ activeConns: 3, inactiveConns: 1, counters: { conns: 10, inBytes: 100, outBytes: 900 } }),
  );
  assert.deepEqual(nested[0]!.realServers[0]!.counters, {
    activeConns: 3,
    inactiveConns: 1,
    conns: 10,
    bytes: 1000,
  });
  const flat = m.servicesOf(status({ activeConns: 2, inactiveConns: 0, conns: 5, inBytes: 7, outBytes: 3 }));
  assert.deepEqual(flat[0]!.realServers[0]!.counters, {
    activeConns: 2,
    inactiveConns: 0,
    conns: 5,
    bytes: 10,
  });
});

test("a virtual service's estimated rates, when the status has them", () => {
  const s = status() as { children: { checker: { status: Record<string, unknown> } } };
  assert.equal(m.serviceRates(s).size, 0);
  s.children.checker.status.virtualServers = [
    {
      virtualServer: '192.168.71.100:80/TCP',
      rates: { cps: 3, inPps: 1, outPps: 1, inBps: 100, outBps: 2000 },
    },
    { virtualServer: '192.168.71.100:53/UDP' },
  ];
  assert.deepEqual([...m.serviceRates(s)], [['192.168.71.100:80/TCP', { cps: 3, inBps: 100, outBps: 2000 }]]);
});

test('runtime overrides show as flags', () => {
  const rs = (runtime: unknown): string[] => m.servicesOf(status({ runtime }))[0]!.realServers[0]!.flags;
  assert.deepEqual(rs(undefined), []);
  assert.deepEqual(rs({ drained: true }), ['drained']);
  assert.deepEqual(rs({ disabled: true, weight: 3 }), ['disabled', 'reweighted']);
  const added = (extra: Record<string, unknown>): string[] =>
    m.servicesOf(status(extra))[0]!.realServers[0]!.flags;
  assert.deepEqual(added({ added: 'runtime' }), ['added'], 'a server the API added is marked');
  assert.deepEqual(added({ added: 'runtime', runtime: { drained: true } }), ['added', 'drained']);
});

test('traffic history: per-second rates between polls; a counter reset restarts the series', () => {
  const h = new m.TrafficHistory(3);
  const at = (t: number, conns: number, bytes: number): void =>
    h.record(t, m.servicesOf(status({ activeConns: 0, counters: { conns, inBytes: bytes, outBytes: 0 } })));
  const id = '192.168.71.100:80/TCP 10.0.0.7:80';
  at(0, 0, 0);
  assert.deepEqual(h.bytesPerSecond(id), [], 'one sample is not a rate');
  at(2000, 4, 2000);
  at(4000, 10, 6000);
  assert.deepEqual(h.bytesPerSecond(id), [1000, 2000]);
  assert.deepEqual(h.connsPerSecond(id), [2, 3]);
  at(6000, 10, 6000);
  at(8000, 10, 8000);
  assert.deepEqual(h.bytesPerSecond(id), [2000, 0, 1000], 'bounded to the last 3 points');
  at(10_000, 1, 100); // zeroed (ipvsadm -Z) or restarted
  assert.deepEqual(h.bytesPerSecond(id), []);
  at(12_000, 2, 300);
  assert.deepEqual(h.bytesPerSecond(id), [100]);
  // A real server gone from the configuration is forgotten.
  h.record(14_000, []);
  assert.deepEqual(h.bytesPerSecond(id), []);
});

test('sparkline points span the width, highest value at the top', () => {
  assert.equal(m.sparkPoints([], 120, 24), '');
  assert.equal(m.sparkPoints([0, 5, 10], 120, 24), '0.0,23.0 60.0,12.0 120.0,1.0');
  assert.equal(m.sparkPoints([0, 0], 10, 10), '0.0,9.0 10.0,9.0');
  assert.deepEqual(
    [0, 999, 1000, 15_300, 2_500_000].map((v) => m.formatRate(v)),
    ['0 B/s', '999 B/s', '1.0 kB/s', '15.3 kB/s', '2.5 MB/s'],
  );
});

test('events: JSON objects are kept, anything else ignored', () => {
  assert.deepEqual(
    m.parseEvent(
      'vrrp-state',
      '{"kind":"vrrp-state","time":"2026-12-04T10:05:00.000Z","instance":"VI_1","state":"MASTER"}',
    ),
    { kind: 'vrrp-state', time: '2026-12-04T10:05:00.000Z', instance: 'VI_1', state: 'MASTER' },
  );
  assert.equal(m.parseEvent('rs-state', 'not json'), null);
  assert.equal(m.parseEvent('rs-state', '[1,2]'), null);
  const e = m.parseEvent('reload', '{}');
  assert.equal(e?.kind, 'reload');
  assert.ok(!Number.isNaN(Date.parse(e!.time)), 'a missing time becomes now');
});

test('time line: VRRP transitions and real-server events, newest first, no duplicates', () => {
  const rsDown = { kind: 'rs-state', time: '2026-12-04T10:03:00.000Z', vs: 'v', rs: 'r', state: 'DOWN' };
  const tl = m.timeline(m.instancesOf(status()), [rsDown, { ...rsDown }, { kind: 'reload', time: 'z' }]);
  assert.deepEqual(
    tl.map((e) => `${e.time.slice(11, 16)} ${e.subject} ${e.from ?? '-'}>${e.to}`),
    ['10:05 VI_1 BACKUP>MASTER', '10:03 v r ->down', '10:00 VI_1 INIT>BACKUP'],
  );
});

test('language: stored choice, else the browser preference, else English; every key in both', () => {
  assert.equal(i18n.pickLanguage('zh', ['en-US']), 'zh');
  assert.equal(i18n.pickLanguage(null, ['fr-FR', 'zh-CN', 'en']), 'zh');
  assert.equal(i18n.pickLanguage('klingon', ['de', 'en-GB']), 'en');
  assert.equal(i18n.pickLanguage(null, ['ja']), 'en');
  assert.deepEqual(Object.keys(i18n.STRINGS.zh).sort(), Object.keys(i18n.STRINGS.en).sort());
  for (const [k, v] of Object.entries(i18n.STRINGS.en)) {
    const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((x) => x[1]!).sort();
    assert.deepEqual(placeholders(i18n.STRINGS.zh[k]!), placeholders(v), `${k}: same placeholders`);
  }
  assert.equal(
    i18n.translate('zh', 'peer', { address: '10.0.0.1', priority: 150 }),
    '10.0.0.1（优先级 150）',
  );
  assert.equal(i18n.translate('en', 'cluster'), 'Cluster');
  assert.equal(i18n.translate('en', 'updated', {}), 'updated {time}', 'a missing value stays visible');
});

test("apiTarget: the status labels become the API's names (protocol, fwmark, group, IPv6 brackets)", () => {
  assert.deepEqual(m.apiTarget('192.168.1.100:80/TCP', '192.168.1.21:80'), {
    vs: 'tcp:192.168.1.100:80',
    rs: '192.168.1.21:80',
  });
  assert.deepEqual(m.apiTarget('[2001:db8::100]:53/UDP', '2001:db8::2:53'), {
    vs: 'udp:[2001:db8::100]:53',
    rs: '[2001:db8::2]:53',
  });
  assert.deepEqual(m.apiTarget('[2001:db8::100]:53/UDP', '[2001:db8::2]:53')?.rs, '[2001:db8::2]:53');
  assert.deepEqual(m.apiTarget('fwmark 7/TCP', '10.0.0.2:0'), { vs: 'fwm:7', rs: '10.0.0.2:0' });
  assert.deepEqual(m.apiTarget('group web/TCP', '10.0.0.2:80'), { vs: 'group:web', rs: '10.0.0.2:80' });
  assert.equal(m.apiTarget('10.0.0.1:80/TCP', 'nonsense'), null);
});

test('the peer last heard: read from the status when well formed, and how long ago in short words', () => {
  const st = (lastAdvert: unknown): unknown => ({
    children: { vrrp: { status: { instances: [{ name: 'VI_1', state: 'BACKUP', lastAdvert }] } } },
  });
  const at = '2026-12-07T21:00:00.000Z';
  assert.deepEqual(m.instancesOf(st({ address: '10.0.0.1', priority: 150, at }))[0]?.lastAdvert, {
    address: '10.0.0.1',
    priority: 150,
    at,
  });
  assert.equal(m.instancesOf(st(null))[0]?.lastAdvert, null);
  assert.equal(m.instancesOf(st({ address: 7 }))[0]?.lastAdvert, null);
  const t0 = Date.parse(at);
  assert.equal(m.ago(at, t0 + 800), '0.8 s');
  assert.equal(m.ago(at, t0 + 42_000), '42 s');
  assert.equal(m.ago(at, t0 + 180_000), '3 min');
  assert.equal(m.ago(at, t0 + 7_200_000), '2 h');
  assert.equal(m.ago(at, t0 - 500), '0.0 s', 'a clock a little behind is not a negative age');
});
