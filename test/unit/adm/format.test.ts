import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAdmArgs, type ListFormat } from '../../../src/adm/args.js';
import {
  formatConnections,
  formatDaemons,
  formatList,
  formatSave,
  type AdmStats,
} from '../../../src/adm/format.js';
import type { AdmTable } from '../../../src/adm/types.js';
import { addressWords, canonicalIpv6, inetAton } from '../../../src/adm/inet.js';
import { names } from './replay.js';

function fmt(line: string): ListFormat {
  const r = parseAdmArgs(line.split(' '), { names });
  assert.ok(r.ok && r.command.cmd === 'list');
  return r.command.format;
}

const key = { kind: 'addr', family: 4, address: '10.0.0.1', port: 80, protocol: 'tcp' } as const;
const dest = (address: string) =>
  ({ address, port: 80, forwarding: 'nat', weight: 1, upperThreshold: 0, lowerThreshold: 0 }) as const;
const table: AdmTable = [{ key, scheduler: 'rr', flags: {}, dests: [dest('10.0.0.2'), dest('10.0.0.3')] }];
const counters = (n: number) => ({
  conns: n,
  inPkts: n * 10,
  outPkts: n * 10,
  inBytes: n * 1000,
  outBytes: n * 1000,
});
const stats: AdmStats[] = [
  {
    key,
    counters: counters(123456789),
    rates: { cps: 5, inPps: 50, outPps: 40, inBps: 123456789012, outBps: 7 },
    dests: [
      {
        address: '10.0.0.2',
        port: 80,
        activeConns: 3,
        inactiveConns: 4,
        counters: counters(99999999),
        persistConns: 2,
        rates: { cps: 1, inPps: 2, outPps: 3, inBps: 4, outBps: 5 },
      },
    ],
  },
];

test('--stats abbreviates as ipvsadm (K, M, G, T) and --exact does not', () => {
  const out = formatList({ table, stats, names }, fmt('-Ln --stats'));
  assert.equal(
    out.split('\n').slice(3, 6).join('\n'),
    // printf("%9llu") below 10^8, then "%8lluK" (thousands), M, G, T.
    'TCP  10.0.0.1:80                   123456K    1234M    1234M     123G     123G\n' +
      '  -> 10.0.0.2:80                  99999999  999999K  999999K   99999M   99999M\n' +
      '  -> 10.0.0.3:80                         0        0        0        0        0',
  );
  const exact = formatList({ table, stats, names }, fmt('-Ln --stats --exact'));
  assert.match(
    exact,
    /^TCP {2}10\.0\.0\.1:80 {18}123456789 1234567890 1234567890 123456789000 123456789000$/m,
  );
});

test('--rate, --persistent-conn and the default view show the live figures', () => {
  const rate = formatList({ table, stats, names }, fmt('-Ln --rate'));
  assert.match(rate, /^TCP {2}10\.0\.0\.1:80 {25}5 {7}50 {7}40 {5}123G {8}7$/m);
  assert.match(rate, /^ {2}-> 10\.0\.0\.2:80 {25}1 {8}2 {8}3 {8}4 {8}5$/m);
  const pc = formatList({ table, stats, names }, fmt('-Ln --persistent-conn'));
  assert.match(pc, /^ {2}-> 10\.0\.0\.2:80 {18}1 {9}2 {11}3 {10}4 {9}$/m);
  const plain = formatList({ table, stats, names }, fmt('-L'));
  assert.match(plain, /^ {2}-> 10\.0\.0\.2:http {16}Masq {4}1 {6}3 {10}4 {9}$/m);
});

test('--nosort lists servers newest first, as the kernel keeps them', () => {
  const out = formatList({ table, names }, fmt('-Ln --nosort'));
  assert.ok(out.indexOf('10.0.0.3:80') < out.indexOf('10.0.0.2:80'));
});

test('-S output, the connection table and the sync daemons', () => {
  assert.equal(
    formatSave({ table, names }, false),
    '-A -t 10.0.0.1:http -s rr\n-a -t 10.0.0.1:http -r 10.0.0.2:http -m -w 1\n-a -t 10.0.0.1:http -r 10.0.0.3:http -m -w 1\n',
  );
  const conns = formatConnections(
    [
      {
        protocol: 'tcp',
        client: '192.168.0.9',
        clientPort: 40000,
        virtual: '10.0.0.1',
        virtualPort: 80,
        dest: '10.0.0.2',
        destPort: 80,
        state: 'ESTABLISHED',
        expiresMs: 899_500,
      },
    ],
    fmt('-Lnc'),
    names,
  );
  assert.equal(
    conns,
    'IPVS connection entries\n' +
      'pro expire state       source             virtual            destination\n' +
      'TCP 14:59  ESTABLISHED 192.168.0.9:40000  10.0.0.1:80        10.0.0.2:80\n',
  );
  assert.equal(
    formatDaemons([
      {
        state: 'backup',
        mcastInterface: 'lo',
        syncid: 3,
        syncMaxlen: 1024,
        mcastGroup: 'ff02::5',
        mcastPort: 9000,
        mcastTtl: 4,
      },
      { state: 'master', mcastInterface: 'eth0', syncid: 1 },
    ]),
    'master sync daemon (mcast=eth0, syncid=1)\n' +
      'backup sync daemon (mcast=lo, syncid=3, maxlen=1024, group=ff02::5, port=9000, ttl=4)\n',
  );
});

test('address helpers: inet_aton forms, canonical IPv6, 32-bit words', () => {
  assert.equal(inetAton('10.1'), 0x0a000001);
  assert.equal(inetAton('0x0a.0.0.010'), 0x0a000008);
  assert.equal(inetAton('1.2.3.256'), undefined);
  assert.equal(inetAton('1.2.3.4.5'), undefined);
  assert.equal(canonicalIpv6('2001:DB8:0:0::1'), '2001:db8::1');
  assert.equal(canonicalIpv6('10.0.0.1'), undefined);
  assert.deepEqual(addressWords('2001:db8::1'), [0x20010db8, 0, 0, 1]);
  assert.deepEqual(addressWords('::ffff:10.0.0.1'), [0, 0, 0xffff, 0x0a000001]);
});

test('CounterBaseline: -Z shows counters since the zero, per service', async () => {
  const { CounterBaseline } = await import('../../../src/adm/baseline.js');
  let n = 100;
  const other = { ...key, port: 81 };
  const src = async () => [
    {
      key,
      counters: counters(n),
      dests: [{ address: '10.0.0.2', port: 80, activeConns: 0, inactiveConns: 0, counters: counters(n) }],
    },
    { key: other, counters: counters(n), dests: [] },
  ];
  const b = new CounterBaseline(src);
  await b.zero(key);
  n = 130;
  const [s1, s2] = await b.stats();
  assert.equal(s1!.counters.conns, 30);
  assert.equal(s1!.dests[0]!.counters.inBytes, 30_000);
  assert.equal(s2!.counters.conns, 130, 'the other service is untouched');
  await b.zero();
  assert.equal((await b.stats())[1]!.counters.conns, 0);
});
