import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DestSpec, Forwarding, ServiceState } from '../../../src/dataplane/engine.js';
import {
  decodeDest,
  decodeService,
  describeApproximation,
  encodeDest,
  encodeService,
  maglevTable,
  renderBase,
  renderFull,
  renderServiceChange,
  RenderError,
  wrrSequence,
  type NftContext,
} from '../../../src/dataplane/nft/ruleset.js';
import {
  countConnections,
  parseCounters,
  parseListing,
  planTransaction,
} from '../../../src/dataplane/nft/engine.js';

const dest = (address: string, weight: number, forwarding: Forwarding = 'nat', port = 80): DestSpec => ({
  address,
  port,
  forwarding,
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
});

const tcp80 = (scheduler: string, dests: DestSpec[], extra: Partial<ServiceState> = {}): ServiceState => ({
  key: { kind: 'addr', family: 4, address: '10.0.0.1', port: 80, protocol: 'tcp' },
  scheduler,
  flags: {},
  dests,
  ...extra,
});

const ctx: NftContext = {
  dr: { ifname: 'eth0', mac: '02:00:00:00:00:01' },
  macs: new Map([
    ['10.0.0.5', '02:00:00:00:00:05'],
    ['10.0.0.6', '02:00:00:00:00:06'],
  ]),
  fullnat: { address4: '10.0.0.9', ports: [40000, 49999] },
};

/** Slot -> dest address from `mod N vmap { a-b : goto chain, ... }` or `mod N map { a-b : addr . port }`. */
function slotsOf(rule: string): string[] {
  const m = /mod (\d+) v?map \{ (.*?) \}/.exec(rule);
  assert.ok(m, `no slot map in ${rule}`);
  const slots = new Array<string>(Number(m[1]));
  for (const part of (m[2] ?? '').split(', ')) {
    const [range, target = ''] = part.split(' : ');
    const [lo, hi] = (range ?? '').split('-').map(Number);
    const addr = target.startsWith('goto ')
      ? (target.split('__')[1]?.replace(/_\d+$/, '').replace(/_/g, '.') ?? '')
      : (target.split(' . ')[0] ?? '');
    for (let i = lo ?? 0; i <= (hi ?? lo ?? 0); i++) slots[i] = addr;
  }
  assert.equal(slots.filter((s) => s !== undefined).length, slots.length, 'every slot mapped');
  return slots;
}

const count = (xs: string[], x: string): number => xs.filter((y) => y === x).length;

describe('nft ruleset: scheduling tables', () => {
  it('wrr follows the kernel interleaving and proportions', () => {
    assert.deepEqual(wrrSequence([3, 1]), [0, 0, 0, 1]);
    assert.deepEqual(wrrSequence([4, 3, 2]), [0, 0, 1, 0, 1, 2, 0, 1, 2]);
    assert.deepEqual(wrrSequence([2, 0, 2]), [0, 2]);
    assert.deepEqual(wrrSequence([0, 0]), []);
  });

  it('Maglev table is weighted and moves only a leaving server’s slots', () => {
    const names = ['a', 'b', 'c', 'd'];
    const t = maglevTable(names, [1, 1, 1, 1]);
    assert.equal(t.length, 251);
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(count(t.map(String), String(i)) - 251 / 4) < 15);
    const w = maglevTable(names, [3, 1, 0, 0]);
    assert.ok(count(w.map(String), '0') > 2.5 * count(w.map(String), '1'));
    const without = maglevTable(names, [1, 1, 0, 1]);
    const moved = t.filter((v, i) => v !== 2 && without[i] !== v).length;
    assert.ok(moved < 251 * 0.1, `only ${moved} foreign slots moved`);
  });

  it('Maglev table is the same whatever order the servers are listed in (two directors agree)', () => {
    const t = maglevTable(['10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80'], [2, 1, 1]);
    const r = maglevTable(['10.0.0.4:80', '10.0.0.2:80', '10.0.0.3:80'], [1, 2, 1]);
    const byName = (slots: number[], names: string[]): string[] => slots.map((i) => names[i]!);
    assert.deepEqual(
      byName(r, ['10.0.0.4:80', '10.0.0.2:80', '10.0.0.3:80']),
      byName(t, ['10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80']),
    );
  });
});

describe('nft ruleset: rendering', () => {
  it('wrr 3:1 renders one DNAT through a numgen inc slot map, the specs in comments', () => {
    const lines = renderServiceChange(
      undefined,
      tcp80('wrr', [dest('10.0.0.2', 3), dest('10.0.0.3', 1)]),
      ctx,
    );
    const sched = lines.find((l) => l.includes('numgen inc')) ?? '';
    assert.match(
      sched,
      /^add rule inet vigil s4t_10_0_0_1_80 meta l4proto tcp dnat ip addr \. port to numgen inc mod 4 map/,
    );
    assert.deepEqual(slotsOf(sched), ['10.0.0.2', '10.0.0.2', '10.0.0.2', '10.0.0.3']);
    assert.match(sched, /comment "vigil svc k=tcp\/10.0.0.1\/80 s=wrr"/);
    assert.ok(
      lines.includes('add element inet vigil svc4 { 10.0.0.1 . tcp . 80 : goto s4t_10_0_0_1_80 }'),
      'dispatch',
    );
    // No chain per server (chains make big tables slow to change); the servers' specs follow the
    // DNAT in rules that never run.
    assert.equal(lines.filter((l) => l.startsWith('add chain')).length, 1);
    assert.match(
      lines[lines.indexOf(sched) + 1] ?? '',
      /continue comment "vigil dest a=10.0.0.2 p=80 w=3 f=nat/,
    );
  });

  it('persistent services get a chain per server (the chosen server is recorded there)', () => {
    const s = tcp80('wrr', [dest('10.0.0.2', 3), dest('10.0.0.3', 1)], { persistenceTimeout: 60 });
    const lines = renderServiceChange(undefined, s, ctx);
    assert.deepEqual(slotsOf(lines.find((l) => l.includes('numgen inc')) ?? ''), [
      '10.0.0.2',
      '10.0.0.2',
      '10.0.0.2',
      '10.0.0.3',
    ]);
    const rule = lines.find((l) => l.startsWith('add rule inet vigil s4t_10_0_0_1_80__10_0_0_2_80 ')) ?? '';
    assert.match(rule, /dnat ip to 10.0.0.2:80 comment "vigil dest a=10.0.0.2 p=80 w=3 f=nat/);
  });

  it('sh hashes the client address, with the port flag the source port too', () => {
    const [sh] = renderServiceChange(
      undefined,
      tcp80('sh', [dest('10.0.0.2', 1), dest('10.0.0.3', 1)]),
      ctx,
    ).filter((l) => l.includes('jhash'));
    assert.match(sh ?? '', /jhash ip saddr mod 2 seed 0x76696731 map/);
    const [shp] = renderServiceChange(
      undefined,
      tcp80('sh', [dest('10.0.0.2', 1), dest('10.0.0.3', 1)], { flags: { port: true } }),
      ctx,
    ).filter((l) => l.includes('jhash'));
    assert.match(shp ?? '', /jhash ip saddr \. th sport mod 2/);
  });

  it('lc/wlc become weighted random; fo goes to the heaviest; no live server drops', () => {
    const wlc = renderServiceChange(undefined, tcp80('wlc', [dest('10.0.0.2', 2), dest('10.0.0.3', 1)]), ctx);
    assert.equal(wlc.filter((l) => /numgen random mod 3 map/.test(l)).length, 1);
    const fo = renderServiceChange(undefined, tcp80('fo', [dest('10.0.0.2', 2), dest('10.0.0.3', 5)]), ctx);
    assert.equal(
      fo.filter((l) => /s4t_10_0_0_1_80 meta l4proto tcp dnat ip to 10.0.0.3:80 comment "vigil svc/.test(l))
        .length,
      1,
    );
    const none = renderServiceChange(undefined, tcp80('rr', [dest('10.0.0.2', 0)]), ctx);
    assert.equal(none.filter((l) => /s4t_10_0_0_1_80 drop comment/.test(l)).length, 1);
    assert.equal(none.filter((l) => l.includes('w=0')).length, 1, 'weight-0 server kept for read-back');
  });

  it('persistence: one timeout set per server keyed by the masked client address', () => {
    const s = tcp80('rr', [dest('10.0.0.2', 1), dest('10.0.0.3', 1)], {
      persistenceTimeout: 300,
      persistenceNetmask: '255.255.255.0',
    });
    const lines = renderServiceChange(undefined, s, ctx);
    assert.ok(
      lines.some((l) =>
        /add set inet vigil p_s4t_10_0_0_1_80__10_0_0_2_80 \{ type ipv4_addr;.*flags timeout/.test(l),
      ),
    );
    assert.ok(lines.some((l) => l.includes('ip saddr & 255.255.255.0 @p_s4t_10_0_0_1_80__10_0_0_2_80 goto')));
    assert.ok(
      lines.some((l) =>
        l.includes('update @p_s4t_10_0_0_1_80__10_0_0_3_80 { ip saddr & 255.255.255.0 timeout 300s }'),
      ),
    );
    // lookups come before the scheduler
    const lookup = lines.findIndex((l) => l.includes('@p_s4t_10_0_0_1_80__10_0_0_2_80 goto'));
    const sched = lines.findIndex((l) => l.includes('numgen'));
    assert.ok(lookup < sched);
  });

  it('IPv6 fwmark service with a /64 persistence prefix and a keep-port real server', () => {
    const s: ServiceState = {
      key: { kind: 'fwmark', family: 6, fwmark: 7 },
      scheduler: 'rr',
      flags: {},
      persistenceTimeout: 60,
      persistenceNetmask: '64',
      dests: [dest('2001:db8::2', 1, 'nat', 0)],
    };
    const lines = renderServiceChange(undefined, s, ctx);
    assert.ok(lines.some((l) => l.includes('ip6 saddr & ffff:ffff:ffff:ffff:0:0:0:0 timeout 60s')));
    assert.ok(lines.some((l) => l.includes('dnat ip6 to [2001:db8::2] comment')));
    assert.ok(lines.includes('add element inet vigil mark6 { 7 : goto m6_7 }'));
  });

  it('full NAT labels the connection; the base SNATs labelled ones to the dedicated range', () => {
    const lines = renderServiceChange(undefined, tcp80('rr', [dest('10.0.0.2', 1, 'fullnat')]), ctx);
    assert.equal(lines.filter((l) => l === 'add rule inet vigil s4t_10_0_0_1_80 ct label set 100').length, 1);
    const mixed = renderServiceChange(
      undefined,
      tcp80('rr', [dest('10.0.0.2', 1, 'fullnat'), dest('10.0.0.3', 1)]),
      ctx,
    );
    assert.equal(
      mixed.filter((l) => l.includes('ct label set 100 meta l4proto tcp dnat ip to 10.0.0.2:80')).length,
      1,
    );
    assert.equal(
      mixed.filter((l) => l.includes('counter meta l4proto tcp dnat ip to 10.0.0.3:80')).length,
      1,
    );
    assert.match(
      renderBase(ctx),
      /ct label 100 meta l4proto \{ tcp, udp, sctp \} snat ip to 10.0.0.9:40000-49999/,
    );
  });

  it('DR rewrites both MACs and forwards in the netdev table, hashed per flow', () => {
    const s = tcp80('wrr', [dest('10.0.0.5', 1, 'dr'), dest('10.0.0.6', 1, 'dr')]);
    const lines = renderServiceChange(undefined, s, ctx);
    assert.ok(
      lines.some((l) =>
        l.includes('ether saddr set 02:00:00:00:00:01 ether daddr set 02:00:00:00:00:05 fwd to "eth0"'),
      ),
    );
    const sched = lines.find((l) => l.includes('jhash ip saddr . th sport mod 251'));
    assert.ok(sched?.startsWith('add rule netdev vigil_dr_eth0 '));
    assert.ok(
      lines.includes('add element netdev vigil_dr_eth0 svc4 { 10.0.0.1 . tcp . 80 : goto s4t_10_0_0_1_80 }'),
    );
    assert.match(renderBase(ctx), /ingress \{ type filter hook ingress device "eth0"/);
  });

  it('refuses what it cannot do, naming the service', () => {
    assert.throws(
      () => renderServiceChange(undefined, tcp80('rr', [dest('10.0.0.7', 1, 'dr')]), ctx),
      (e: Error) =>
        e instanceof RenderError &&
        /TCP 10.0.0.1:80: no MAC address known for DR real server 10.0.0.7/.test(e.message),
    );
    assert.throws(
      () =>
        renderServiceChange(undefined, tcp80('rr', [dest('10.0.0.5', 1, 'dr'), dest('10.0.0.2', 1)]), ctx),
      /mix DR/,
    );
    assert.throws(
      () => renderServiceChange(undefined, tcp80('rr', [dest('10.0.0.2', 1, 'tun')]), ctx),
      /TUN/,
    );
    assert.throws(
      () => renderServiceChange(undefined, tcp80('rr', [dest('2001:db8::2', 1)]), ctx),
      /not IPv4/,
    );
  });
});

describe('nft ruleset: incremental transactions', () => {
  // Persistent: a chain per server, so changes are sized to one server.
  const a = tcp80('wrr', [dest('10.0.0.2', 3), dest('10.0.0.3', 1)], { persistenceTimeout: 60 });
  const other = { ...tcp80('rr', [dest('10.0.0.4', 1)]), key: { ...a.key, port: 81 } } as ServiceState;

  it('a weight change rewrites one server chain and the scheduler, nothing else', () => {
    const change = { op: 'edit-dest' as const, key: a.key, dest: dest('10.0.0.3', 3) };
    const { script } = planTransaction([a, other], [change], ctx, false);
    const lines = script.trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split(' ').slice(0, 2).join(' ')),
      ['flush chain', 'flush chain', 'add rule', 'add rule', 'add rule', 'add rule'],
      script,
    );
    assert.equal(
      lines.filter((l) => l.includes('10_0_0_2_80 counter')).length,
      0,
      'unchanged server untouched',
    );
    assert.equal(lines.filter((l) => l.includes('_81')).length, 0, 'other service untouched');
    assert.match(script, /numgen inc mod 2/);
  });

  it('a compact service is rewritten as its own chain only', () => {
    const c = tcp80('wrr', [dest('10.0.0.2', 3), dest('10.0.0.3', 1)]);
    const { script } = planTransaction(
      [c, other],
      [{ op: 'edit-dest', key: c.key, dest: dest('10.0.0.3', 3) }],
      ctx,
      false,
    );
    const lines = script.trim().split('\n');
    assert.equal(lines[0], 'flush chain inet vigil s4t_10_0_0_1_80');
    assert.equal(lines.length, 4, script);
    assert.ok(
      lines.slice(1).every((l) => l.startsWith('add rule inet vigil s4t_10_0_0_1_80 ')),
      script,
    );
  });

  it('removing a server deletes its chain after the scheduler stops referring to it', () => {
    const change = { op: 'del-dest' as const, key: a.key, address: '10.0.0.3', port: 80 };
    const lines = planTransaction([a], [change], ctx, false).script.trim().split('\n');
    const flushSvc = lines.indexOf('flush chain inet vigil s4t_10_0_0_1_80');
    const del = lines.indexOf('delete chain inet vigil s4t_10_0_0_1_80__10_0_0_3_80');
    assert.ok(flushSvc >= 0 && del > flushSvc, lines.join('\n'));
    const svc = lines.filter((l) =>
      l.startsWith('add rule inet vigil s4t_10_0_0_1_80 goto s4t_10_0_0_1_80__10_0_0_2_80'),
    );
    assert.equal(svc.length, 1, lines.join('\n'));
  });

  it('deleting a service removes its dispatch element first and all its objects', () => {
    const lines = renderServiceChange(a, undefined, ctx);
    assert.equal(lines[0], 'delete element inet vigil svc4 { 10.0.0.1 . tcp . 80 }');
    assert.equal(lines.at(-1), 'delete chain inet vigil s4t_10_0_0_1_80');
  });

  it('rejects changes against the wrong state with the service named', () => {
    assert.throws(
      () => planTransaction([a], [{ op: 'add-service', service: a }], ctx, false),
      /TCP 10.0.0.1:80: service already exists/,
    );
    assert.throws(
      () => planTransaction([a], [{ op: 'del-dest', key: a.key, address: '10.0.0.9', port: 80 }], ctx, false),
      /real server 10.0.0.9:80: no such real server/,
    );
    assert.throws(
      () => planTransaction([], [{ op: 'del-service', key: a.key }], ctx, false),
      /no such service/,
    );
  });
});

describe('nft ruleset: comments and read-back', () => {
  it('service and dest specs survive their comments', () => {
    const s = tcp80('sh', [], {
      persistenceTimeout: 30,
      persistenceNetmask: '255.255.0.0',
      flags: { port: true, fallback: true },
    });
    const { dests: _d, ...spec } = s;
    assert.deepEqual(decodeService(encodeService(s)), spec);
    const d: DestSpec = { ...dest('10.0.0.2', 5, 'fullnat', 8080), upperThreshold: 100, lowerThreshold: 10 };
    assert.deepEqual(decodeDest(encodeDest(d)), d);
    assert.ok(
      encodeService({
        ...s,
        key: {
          kind: 'addr',
          family: 6,
          address: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
          port: 65535,
          protocol: 'sctp',
        },
      }).length <= 128,
    );
  });

  it('parses nft -j listings into services with their servers', () => {
    const rule = (chain: string, comment: string): object => ({
      rule: { family: 'inet', table: 'vigil', chain, comment, expr: [] },
    });
    const s = tcp80('wrr', [dest('10.0.0.2', 3), dest('10.0.0.3', 0)]);
    const listing = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6' } },
        rule('s4t_10_0_0_1_80__10_0_0_2_80', encodeDest(s.dests[0] as DestSpec)),
        rule('s4t_10_0_0_1_80__10_0_0_3_80', encodeDest(s.dests[1] as DestSpec)),
        rule('s4t_10_0_0_1_80', encodeService(s)),
        rule('prerouting', 'not ours'),
      ],
    });
    assert.deepEqual(parseListing([listing]), [s]);
  });

  it('states the approximations', () => {
    assert.equal(describeApproximation('wrr', 'nat'), null);
    assert.match(describeApproximation('wlc', 'nat') ?? '', /weighted random/);
    assert.match(describeApproximation('rr', 'dr') ?? '', /Maglev/);
    assert.match(describeApproximation('rr', 'tun') ?? '', /not supported/);
  });

  it('renders a whole state as one script starting with the base', () => {
    const script = renderFull([tcp80('rr', [dest('10.0.0.2', 1)])], ctx);
    assert.ok(script.startsWith('add table inet vigil\n'));
    assert.ok(script.endsWith('goto s4t_10_0_0_1_80 }\n'));
  });
});

describe('nft engine: figures', () => {
  it('sums rule counters per chain', () => {
    const doc = JSON.stringify({
      nftables: [
        { rule: { chain: 'a__x', expr: [{ counter: { packets: 3, bytes: 180 } }, { dnat: {} }] } },
        { rule: { chain: 'a__x', expr: [{ counter: { packets: 1, bytes: 60 } }] } },
        { rule: { chain: 'b', expr: [{ accept: null }] } },
      ],
    });
    assert.deepEqual([...parseCounters([doc])], [['a__x', { packets: 4, bytes: 240 }]]);
  });

  it('counts live connections per real server from conntrack (active = TCP established)', () => {
    const ct = [
      'ipv4     2 tcp      6 431999 ESTABLISHED src=10.71.0.10 dst=10.71.0.100 sport=40000 dport=80 src=10.72.0.21 dst=10.71.0.10 sport=80 dport=40000 [ASSURED] mark=0 zone=0 use=2',
      'ipv4     2 tcp      6 110 TIME_WAIT src=10.71.0.10 dst=10.71.0.100 sport=40001 dport=80 src=10.72.0.21 dst=10.71.0.10 sport=80 dport=40001 [ASSURED] mark=0 zone=0 use=2',
      'ipv4     2 udp      17 20 src=10.71.0.10 dst=10.71.0.100 sport=5000 dport=53 src=10.72.0.22 dst=10.72.0.2 sport=53 dport=40002 mark=0 zone=0 use=2',
      'ipv4     2 tcp      6 431999 ESTABLISHED src=10.71.0.10 dst=10.71.0.1 sport=40003 dport=22 src=10.71.0.1 dst=10.71.0.10 sport=22 dport=40003 [ASSURED] mark=0 zone=0 use=2',
    ].join('\n');
    assert.deepEqual(
      [...countConnections(ct)],
      [
        ['10.72.0.21|80', [1, 1]],
        ['10.72.0.22|53', [0, 1]],
      ],
    );
  });
});
