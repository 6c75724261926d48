// IpvsEngine against the real kernel IPVS (inside the QEMU guest only: scripts/ipvs-vm.sh, driven
// by test/netns/ipvs/ipvs-vm.test.ts). Every write is read back by vigil and by Debian's ipvsadm.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { release } from 'node:os';
import { after, before, beforeEach, test } from 'node:test';
import type { Change, DestSpec, ServiceKey, ServiceState } from '../../../src/dataplane/engine.js';
import { IpvsEngine } from '../../../src/dataplane/ipvs/engine.js';
import { plan } from '../../../src/lvs/plan.js';
import { canonical, expectedSave, ipvsadm, ipvsadmSave, ipvsadmThresholds } from './support.js';

let engine: IpvsEngine;
before(async () => {
  assert.equal(process.env.IPVS_VM, '1', 'these tests run inside scripts/ipvs-vm.sh');
  execFileSync('modprobe', ['ip_vs']);
  engine = await IpvsEngine.open();
});
after(() => engine?.close());
beforeEach(() => engine.flush());

const tcp = (address: string, port: number): ServiceKey => ({
  kind: 'addr',
  family: 4,
  address,
  port,
  protocol: 'tcp',
});
const dest = (address: string, port: number, more: Partial<DestSpec> = {}): DestSpec => ({
  address,
  port,
  forwarding: 'nat',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...more,
});

/** Applies the plan from what the kernel has to `desired`, then checks both readers agree. */
async function converge(desired: ServiceState[]): Promise<Change[]> {
  const changes = plan(desired, await engine.read());
  await engine.apply(changes);
  const got = await engine.read();
  assert.deepEqual(canonical(got), canonical(desired));
  assert.deepEqual(ipvsadmSave(), expectedSave(desired));
  assert.deepEqual(plan(desired, got), [], 'a converged table plans nothing');
  return changes;
}

test('probe, info and the tcp/tcpfin/udp timeouts', async () => {
  const p = await IpvsEngine.probe();
  assert.ok(p.ok, JSON.stringify(p));
  assert.match(p.detail, /^IPVS 1\.2\.1, \d+ connection slots$/);
  const before = await engine.timeouts();
  await engine.setTimeouts({ tcp: 1234, tcpFin: 56, udp: 78 });
  assert.deepEqual(await engine.timeouts(), { tcp: 1234, tcpFin: 56, udp: 78 });
  assert.match(ipvsadm('-L', '--timeout'), /Timeout \(tcp tcpfin udp\): 1234 56 78/);
  await engine.setTimeouts(before);
});

test('create, edit and delete services and destinations, read back by vigil and ipvsadm', async () => {
  const k = tcp('10.0.1.100', 80);
  const table: ServiceState[] = [
    {
      key: k,
      scheduler: 'wrr',
      flags: {},
      dests: [dest('10.0.2.2', 80, { weight: 3 }), dest('10.0.2.3', 8080)],
    },
  ];
  assert.equal((await converge(table)).length, 3);
  // edit the service (scheduler, persistence) and one destination (weight), delete the other
  table[0] = {
    ...table[0]!,
    scheduler: 'lc',
    persistenceTimeout: 120,
    dests: [dest('10.0.2.2', 80, { weight: 7 })],
  };
  assert.deepEqual(
    (await converge(table)).map((c) => c.op),
    ['del-dest', 'edit-service', 'edit-dest'],
  );
  assert.match(ipvsadm('-Ln'), /TCP {2}10\.0\.1\.100:80 lc persistent 120\n {2}-> 10\.0\.2\.2:80 +Masq +7 /);
  assert.deepEqual(
    (await converge([])).map((c) => c.op),
    ['del-service'],
  );
  assert.equal(ipvsadm('-Sn'), '');
});

test('every scheduler the kernel ships, by its module list', async () => {
  const dir = `/lib/modules/${release()}/kernel/net/netfilter/ipvs`;
  const schedulers = readdirSync(dir)
    .map((f) => /^ip_vs_(\w+)\.ko/.exec(f)?.[1])
    .filter((s): s is string => !!s && s !== 'ftp' && !s.startsWith('pe_'))
    .sort();
  // Debian's 6.1 has these 13 (twos arrived in 6.2)
  assert.deepEqual(schedulers, [
    'dh',
    'fo',
    'lblc',
    'lblcr',
    'lc',
    'mh',
    'nq',
    'ovf',
    'rr',
    'sed',
    'sh',
    'wlc',
    'wrr',
  ]);
  await converge(
    schedulers.map((scheduler, i) => ({
      key: tcp('10.0.3.1', 1000 + i),
      scheduler,
      flags: {},
      dests: [dest('10.0.4.1', 80, { weight: i })],
    })),
  );
});

test('fwmark, IPv6, UDP one-packet, SCTP, sh/mh flags, persistence with netmask', async () => {
  await converge([
    {
      key: { kind: 'fwmark', family: 4, fwmark: 1 },
      scheduler: 'rr',
      flags: {},
      dests: [dest('10.0.2.2', 0, { forwarding: 'dr' })],
    },
    {
      key: { kind: 'fwmark', family: 6, fwmark: 0xfffffffe },
      scheduler: 'sh',
      flags: { fallback: true, port: true },
      dests: [dest('2001:db8::2', 0, { forwarding: 'dr' })],
    },
    { key: { kind: 'fwmark', family: 4, fwmark: 7 }, scheduler: 'mh', flags: { port: true }, dests: [] },
    {
      key: { kind: 'addr', family: 6, address: '2001:db8::1', port: 53, protocol: 'udp' },
      scheduler: 'wlc',
      persistenceTimeout: 30,
      persistenceNetmask: '64',
      flags: {},
      dests: [dest('2001:db8::53', 53)],
    },
    {
      key: { kind: 'addr', family: 4, address: '10.0.1.100', port: 53, protocol: 'udp' },
      scheduler: 'rr',
      flags: { ops: true },
      dests: [],
    },
    {
      key: tcp('10.0.1.100', 443),
      scheduler: 'wlc',
      persistenceTimeout: 3600,
      persistenceNetmask: '255.255.255.0',
      flags: {},
      dests: [],
    },
    { key: tcp('10.0.1.100', 444), scheduler: 'wlc', persistenceTimeout: 5, flags: {}, dests: [] },
    {
      key: { kind: 'addr', family: 4, address: '10.0.1.100', port: 9, protocol: 'sctp' },
      scheduler: 'rr',
      flags: {},
      dests: [dest('10.0.2.9', 9)],
    },
  ]);
});

test('thresholds and the NAT, DR and tunnel (ipip, gue, gre) forwarding methods', async () => {
  const table: ServiceState[] = [
    {
      key: tcp('10.0.1.100', 80),
      scheduler: 'wlc',
      flags: {},
      dests: [
        dest('10.0.2.2', 80, { upperThreshold: 100, lowerThreshold: 10 }),
        dest('10.0.2.3', 80, { forwarding: 'dr', weight: 0, upperThreshold: 65535 }),
        dest('10.0.2.4', 80, { forwarding: 'tun', tunnelType: 'ipip' }),
        dest('10.0.2.5', 80, { forwarding: 'tun', tunnelType: 'gue', tunnelPort: 5555 }),
        dest('10.0.2.6', 80, { forwarding: 'tun', tunnelType: 'gre' }),
      ],
    },
  ];
  await converge(table);
  const th = ipvsadmThresholds();
  assert.deepEqual(th.get('10.0.2.2:80'), [100, 10]);
  assert.deepEqual(th.get('10.0.2.3:80'), [65535, 0]);
  // switching a real server from NAT to a GUE tunnel and changing its thresholds is one edit
  table[0]!.dests[0] = dest('10.0.2.2', 80, {
    forwarding: 'tun',
    tunnelType: 'gue',
    tunnelPort: 6080,
    upperThreshold: 5,
    lowerThreshold: 1,
  });
  assert.deepEqual(
    (await converge(table)).map((c) => c.op),
    ['edit-dest'],
  );
  assert.deepEqual(ipvsadmThresholds().get('10.0.2.2:80'), [5, 1]);
  // checksum flags on, changed, and off again: an absent TUN_FLAGS must reset the kernel's
  for (const tunnelCsum of ['csum', 'remcsum', undefined] as const) {
    table[0]!.dests[0] = dest('10.0.2.2', 80, {
      forwarding: 'tun',
      tunnelType: 'gue',
      tunnelPort: 6080,
      ...(tunnelCsum ? { tunnelCsum } : {}),
    });
    table[0]!.dests[4] = dest('10.0.2.6', 80, {
      forwarding: 'tun',
      tunnelType: 'gre',
      ...(tunnelCsum === 'csum' ? { tunnelCsum } : {}),
    });
    await converge(table);
  }
});

test('planner round trip on a mixed table, then a partial change', async () => {
  const desired: ServiceState[] = [];
  for (let s = 0; s < 20; s++) {
    desired.push({
      key: s % 5 === 4 ? { kind: 'fwmark', family: 4, fwmark: 100 + s } : tcp('10.1.0.1', 1000 + s),
      scheduler: ['rr', 'wrr', 'wlc', 'sh'][s % 4]!,
      ...(s % 3 === 0 ? { persistenceTimeout: 60 + s } : {}),
      flags: {},
      dests: Array.from({ length: s % 6 }, (_, d) =>
        dest(`10.2.${s}.${d + 1}`, s % 5 === 4 ? 0 : 80, { weight: d, forwarding: d % 2 ? 'dr' : 'nat' }),
      ),
    });
  }
  assert.equal((await converge(desired)).length, 20 + desired.reduce((n, s) => n + s.dests.length, 0));
  desired.splice(3, 2); // two services go
  desired[0]!.dests.push(dest('10.9.9.9', 80));
  desired[5]!.dests.pop();
  desired[6]!.dests[0]!.weight = 42;
  desired[7]!.scheduler = 'lc';
  const ops = (await converge(desired)).map((c) => c.op).sort();
  assert.deepEqual(ops, ['add-dest', 'del-dest', 'del-service', 'del-service', 'edit-dest', 'edit-service']);
});

test('what ipvsadm writes, vigil reads', async () => {
  const rules = [
    '-A -t 10.0.1.100:80 -s wrr -p 60 -M 255.255.0.0',
    '-a -t 10.0.1.100:80 -r 10.0.2.2:80 -m -w 3 -x 50 -y 5',
    '-a -t 10.0.1.100:80 -r 10.0.2.3:80 -i -w 1 --tun-type gue --tun-port 5555',
    '-A -f 7 -6 -s mh -b mh-fallback',
    '-a -f 7 -6 -r [2001:db8::2]:0 -g -w 2',
    '-A -u 10.0.1.100:53 -s sed -o',
  ];
  execFileSync('ipvsadm', ['-R'], { input: rules.join('\n') + '\n' });
  assert.deepEqual(canonical(await engine.read()), [
    {
      key: { kind: 'fwmark', family: 6, fwmark: 7 },
      scheduler: 'mh',
      flags: { fallback: true },
      dests: [dest('2001:db8::2', 0, { forwarding: 'dr', weight: 2 })],
    },
    {
      key: tcp('10.0.1.100', 80),
      scheduler: 'wrr',
      persistenceTimeout: 60,
      persistenceNetmask: '255.255.0.0',
      flags: {},
      dests: [
        dest('10.0.2.2', 80, { weight: 3, upperThreshold: 50, lowerThreshold: 5 }),
        dest('10.0.2.3', 80, { forwarding: 'tun', tunnelType: 'gue', tunnelPort: 5555 }),
      ],
    },
    {
      key: { kind: 'addr', family: 4, address: '10.0.1.100', port: 53, protocol: 'udp' },
      scheduler: 'sed',
      flags: { ops: true },
      dests: [],
    },
  ]);
});

test('kernel errors name the service or destination and leave the table as the applied prefix', async () => {
  const k = tcp('10.0.1.100', 80);
  const base: ServiceState[] = [{ key: k, scheduler: 'rr', flags: {}, dests: [dest('10.0.2.2', 80)] }];
  await converge(base);
  const cases: [Change[], RegExp][] = [
    [
      [{ op: 'add-service', service: { key: k, scheduler: 'rr', flags: {} } }],
      /^ipvs: add-service tcp\|10\.0\.1\.100:80: the service already exists \(EEXIST\)$/,
    ],
    [
      [{ op: 'add-service', service: { key: tcp('10.0.1.100', 81), scheduler: 'nosuch', flags: {} } }],
      /add-service tcp\|10\.0\.1\.100:81: unknown scheduler 'nosuch' .*\(ENOENT\)/,
    ],
    [
      [{ op: 'add-dest', key: k, dest: dest('10.0.2.2', 80) }],
      /add-dest 10\.0\.2\.2:80 in tcp\|10\.0\.1\.100:80: the destination already exists \(EEXIST\)/,
    ],
    [
      [{ op: 'del-dest', key: k, address: '10.0.2.99', port: 80 }],
      /del-dest 10\.0\.2\.99:80 in tcp\|10\.0\.1\.100:80: no such destination \(ENOENT\)/,
    ],
    [
      [{ op: 'edit-dest', key: tcp('10.0.1.1', 1), dest: dest('10.0.2.2', 80) }],
      /edit-dest 10\.0\.2\.2:80 in tcp\|10\.0\.1\.1:1: no such service \(ESRCH\)/,
    ],
    [
      [{ op: 'del-service', key: { kind: 'fwmark', family: 4, fwmark: 99 } }],
      /del-service fwmark\|4\|99: no such service \(ESRCH\)/,
    ],
  ];
  for (const [changes, re] of cases) {
    await assert.rejects(engine.apply(changes), (err: Error) => (assert.match(err.message, re), true));
    assert.deepEqual(canonical(await engine.read()), canonical(base));
  }
  // in flight together (the default): the kernel applies what follows a failure, and says so
  const batch = (a: string, b: string): Change[] => [
    { op: 'add-dest', key: k, dest: dest(a, 80) },
    { op: 'add-dest', key: k, dest: dest(a, 80) },
    { op: 'add-dest', key: k, dest: dest(b, 80) },
  ];
  await assert.rejects(engine.apply(batch('10.0.2.3', '10.0.2.4')), {
    message:
      'ipvs: add-dest 10.0.2.3:80 in tcp|10.0.1.100:80: the destination already exists (EEXIST); 1 later change already sent took effect',
  });
  // one at a time: nothing after the failure is sent
  const serial = await IpvsEngine.open({ window: 1 });
  try {
    await assert.rejects(serial.apply(batch('10.0.2.5', '10.0.2.6')), {
      message: 'ipvs: add-dest 10.0.2.5:80 in tcp|10.0.1.100:80: the destination already exists (EEXIST)',
    });
  } finally {
    await serial.close();
  }
  const want = ['10.0.2.2', '10.0.2.3', '10.0.2.4', '10.0.2.5'].map((a) => dest(a, 80));
  assert.deepEqual(canonical(await engine.read()), canonical([{ ...base[0]!, dests: want }]));
  // what cannot be encoded fails before anything is sent
  await assert.rejects(
    engine.apply([
      { op: 'del-dest', key: k, address: '10.0.2.2', port: 80 },
      { op: 'add-dest', key: k, dest: dest('10.0.2.7', 80, { forwarding: 'fullnat' }) },
    ]),
    { message: 'ipvs: add-dest 10.0.2.7:80 in tcp|10.0.1.100:80: IPVS has no full-NAT forwarding' },
  );
  assert.equal((await engine.read())[0]!.dests.length, 4);
});

test('dumps and applies issued at once all succeed (the checker polls stats while health changes apply)', async () => {
  const svc = (n: number): ServiceState => ({
    key: tcp('10.7.0.1', 1000 + n),
    scheduler: 'rr',
    flags: {},
    dests: [dest('10.7.1.1', 80), dest('10.7.1.2', 80)],
  });
  await engine.apply(plan([0, 1, 2, 3].map(svc), []));
  const ops: Promise<unknown>[] = [];
  for (let i = 0; i < 8; i++) {
    ops.push(engine.stats(), engine.read());
    const key = svc(i % 4).key;
    ops.push(engine.apply([{ op: 'edit-dest', key, dest: dest('10.7.1.1', 80, { weight: 2 + i }) }]));
  }
  await Promise.all(ops);
  assert.equal((await engine.read()).length, 4);
});
