// Checker bind_if and fwmark on real sockets, from keepalived.conf text to packets. A lab of two
// namespaces joined by two paths: the director reaches the real server's 10.61.9.9 by path a
// (eth0, its route) or by path b (eth1, a second route of higher metric). nftables in the server
// drops what arrives by one path, so a check passes only when its packets took the other: with
// `bind_if eth1` they leave by eth1, as keepalived's SO_BINDTODEVICE makes them. nftables in the
// director drops `meta mark 42`: a check with `fwmark 42` fails, with `fwmark 41` it passes, and
// the rule's counter shows the marked packets. The checks run in the director's namespace (this
// process's main thread moves there); the servers listen in the server's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckRunner, runnerFor } from '../../../src/check/runner.js';
import { loadConfigText } from '../../../src/config/load.js';
import { native } from '../../../src/os/native.js';
import { createLab, inNetns, type Lab } from '../../support/lab.js';
import { commandUnavailable, netnsUnavailable } from '../../support/system.js';

const why = netnsUnavailable() ?? commandUnavailable('nft') ?? commandUnavailable('openssl');
const RS = '10.61.9.9';
const PORTS = { tcp: 18080, http: 18080, ssl: 18443, smtp: 18025, dns: 18053, udp: 18054 };
let lab: Lab | undefined;
const closers: (() => void)[] = [];

/** Sockets listening in the server's namespace: TCP by port alone (bound at once, in there). */
function serve(): void {
  const srv = lab!.node('server').nsPath;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ckbind-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=rs.test'].concat([
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]),
    { stdio: 'ignore' },
  );
  const tlsOpts = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  rmSync(dir, { recursive: true, force: true });
  const ok = (_q: http.IncomingMessage, r: http.ServerResponse): void => void r.end('ok\n');
  const web = http.createServer(ok);
  const tls = https.createServer(tlsOpts, ok);
  const smtp = net.createServer((c) => {
    c.on('error', () => undefined);
    c.write('220 rs.test ESMTP\r\n');
    c.on('data', (d) => c.write(d.toString().startsWith('HELO') ? '250 rs.test\r\n' : '221 bye\r\n'));
  });
  // A DNS answer: the query back as a response, rcode 0, no records.
  const dnsReply = (m: Buffer): Buffer => {
    const r = Buffer.from(m);
    r.writeUInt16BE(0x8180, 2);
    return r;
  };
  const udp = (port: number, reply: (m: Buffer) => Buffer): dgram.Socket => {
    // dgram binds after a lookup, off this thread's namespace: the socket is made here first,
    // bound to the address asked (a reply from another would not reach a connected checker).
    const fd = native().checkSocket(RS, null, 0, RS, port);
    const s = dgram.createSocket('udp4');
    s.bind({ fd });
    s.on('message', (m, from) => s.send(reply(m), from.port, from.address));
    return s;
  };
  inNetns(srv, () => {
    web.listen(PORTS.http);
    tls.listen(PORTS.ssl);
    smtp.listen(PORTS.smtp);
  });
  const sockets = inNetns(srv, () => [udp(PORTS.dns, dnsReply), udp(PORTS.udp, (m) => m)]);
  closers.push(
    () => web.close(),
    () => tls.close(),
    () => smtp.close(),
    ...sockets.map((s) => () => s.close()),
  );
}

before(async () => {
  if (why) return;
  lab = await createLab({
    segments: ['a', 'b'],
    nodes: [
      {
        name: 'director',
        interfaces: [
          { ifname: 'eth0', segment: 'a', addresses: ['10.61.1.1/24'] },
          { ifname: 'eth1', segment: 'b', addresses: ['10.61.2.1/24'] },
        ],
        routes: [`${RS}/32 via 10.61.1.2 dev eth0`, `${RS}/32 via 10.61.2.2 dev eth1 metric 200`],
      },
      {
        name: 'server',
        interfaces: [
          { ifname: 'eth0', segment: 'a', addresses: ['10.61.1.2/24'] },
          { ifname: 'eth1', segment: 'b', addresses: ['10.61.2.2/24'] },
        ],
      },
    ],
  });
  await lab.exec('server', ['ip', 'addr', 'add', `${RS}/32`, 'dev', 'lo']);
  await lab.exec('server', [
    'nft',
    'add table inet paths; add chain inet paths in { type filter hook input priority 0; }',
  ]);
  await lab.exec('director', [
    'nft',
    'add table inet marks; add chain inet marks out { type filter hook output priority 0; }; add rule inet marks out meta mark 42 counter drop',
  ]);
  serve();
  // From here this thread's sockets, and the connect prober's thread it starts, are the director's.
  const fd = openSync(lab.node('director').nsPath, 'r');
  native().setns(fd);
  closeSync(fd);
});

after(async () => {
  for (const c of closers) c();
  await lab?.destroy();
});

/** Drops what reaches the server by this interface ('' drops nothing). */
async function block(ifname: '' | 'eth0' | 'eth1'): Promise<void> {
  await lab!.exec('server', ['nft', 'flush chain inet paths in']);
  if (ifname) await lab!.exec('server', ['nft', `add rule inet paths in iifname "${ifname}" drop`]);
}

/** One checker block in a real server, read from keepalived.conf text, run once. */
async function check(kind: string, lines: string[], rs = RS): Promise<{ ok: boolean; reason: string }> {
  const port = { TCP_CHECK: PORTS.tcp, HTTP_GET: PORTS.http, SSL_GET: PORTS.ssl, SMTP_CHECK: PORTS.smtp }[
    kind
  ];
  const own = {
    DNS_CHECK: [`connect_port ${PORTS.dns}`, 'type A', 'name rs.test'],
    UDP_CHECK: [`connect_port ${PORTS.udp}`, 'payload 01020304', 'require_reply 01020304'],
    HTTP_GET: ['url {', 'path /', '}'],
    SSL_GET: ['url {', 'path /', '}'],
  }[kind] ?? [`connect_port ${port}`];
  const text = [
    `virtual_server 10.61.0.1 80 {`,
    '  protocol TCP',
    `  real_server ${rs} ${port ?? 80} {`,
    `    ${kind} {`,
    '      connect_timeout 1',
    ...[...own, ...lines].map((l) => `      ${l}`),
    '    }',
    '  }',
    '}',
  ].join('\n');
  const { config, diagnostics } = loadConfigText(text + '\n', 'ck.conf');
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
    text,
  );
  const vs = config.virtualServers[0]!;
  const r = runnerFor(vs.realServers[0]!.checkers[0]!, vs.realServers[0]!, vs, config);
  assert.ok('run' in r, JSON.stringify(r));
  const { ok, reason } = await r.run(new AbortController().signal);
  return { ok, reason };
}

const BOUND = ['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'SMTP_CHECK', 'DNS_CHECK'];

/** Every kind's answer, with and without `extra`, run side by side. */
async function all(kinds: string[], extra: string[]): Promise<Record<string, [boolean, boolean]>> {
  const out: Record<string, [boolean, boolean]> = {};
  await Promise.all(
    kinds.map(async (k) => {
      const [withIt, without] = await Promise.all([check(k, extra), check(k, [])]);
      out[k] = [withIt.ok, without.ok];
    }),
  );
  return out;
}

test(
  'bind_if: TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK and DNS_CHECK leave by the named interface; UDP_CHECK, as keepalived, by its route',
  { skip: why ?? false },
  async () => {
    // Path a blocked: only a check bound to eth1 gets through.
    await block('eth0');
    assert.deepEqual(await all([...BOUND, 'UDP_CHECK'], ['bind_if eth1']), {
      TCP_CHECK: [true, false],
      HTTP_GET: [true, false],
      SSL_GET: [true, false],
      SMTP_CHECK: [true, false],
      DNS_CHECK: [true, false],
      // keepalived's udp_bind_connect never sets SO_BINDTODEVICE.
      UDP_CHECK: [false, false],
    });
    // Path b blocked: the bound check fails, the route's path serves the others.
    await block('eth1');
    assert.deepEqual(await all([...BOUND, 'UDP_CHECK'], ['bind_if eth1']), {
      TCP_CHECK: [false, true],
      HTTP_GET: [false, true],
      SSL_GET: [false, true],
      SMTP_CHECK: [false, true],
      DNS_CHECK: [false, true],
      UDP_CHECK: [true, true],
    });
    await block('');
  },
);

test(
  'fwmark: the checks carry the mark (dropped by `meta mark 42`, counted), another mark passes',
  { skip: why ?? false },
  async () => {
    const counted = async (): Promise<number> => {
      const r = await lab!.exec('director', ['nft', '-j', 'list chain inet marks out']);
      const rule = (
        JSON.parse(r.stdout) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] }
      ).nftables
        .flatMap((x) => x.rule?.expr ?? [])
        .find((e) => e.counter);
      return rule?.counter?.packets ?? -1;
    };
    await block('');
    const before = await counted();
    const kinds = [...BOUND, 'UDP_CHECK'];
    assert.deepEqual(
      await all(kinds, ['fwmark 42']),
      Object.fromEntries(kinds.map((k) => [k, [false, true]])),
    );
    assert.ok((await counted()) - before >= kinds.length, 'each marked check sent packets the rule counted');
    assert.deepEqual(
      await all(kinds, ['fwmark 41']),
      Object.fromEntries(kinds.map((k) => [k, [true, true]])),
    );
  },
);

test(
  'bind_if naming no interface: the check fails with why, in keepalived words',
  { skip: why ?? false },
  async () => {
    await block('');
    const results = await Promise.all(BOUND.map((k) => check(k, ['bind_if nosuch0'])));
    for (const [i, r] of results.entries()) {
      assert.equal(r.ok, false, BOUND[i]);
      assert.match(r.reason, /can't bind to device nosuch0: no such device$/, `${BOUND[i]}: ${r.reason}`);
    }
  },
);

test('bind_if reaches an IPv6 link-local real server', { skip: why ?? false }, async () => {
  await block('');
  const ll = await lab!.linkLocal('server', 'eth1');
  // DAD may still hold the address for a moment after the lab comes up.
  let r = { ok: false, reason: '' };
  for (let i = 0; i < 40 && !r.ok; i++) {
    r = await check('HTTP_GET', ['bind_if eth1'], ll);
    if (!r.ok) await new Promise((s) => setTimeout(s, 100));
  }
  assert.deepEqual(r, { ok: true, reason: 'status ok' });
  assert.deepEqual(await check('TCP_CHECK', ['bind_if eth1'], ll), { ok: true, reason: 'connected' });
});

test(
  'checks with the options leave no descriptor open: passed, failed or aborted',
  { skip: why ?? false },
  async () => {
    await block('');
    const open = (): number => readdirSync('/proc/self/fd').length;
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));
    // Warm up what is made once (the prober, TLS contexts).
    await Promise.all([...BOUND, 'UDP_CHECK'].map((k) => check(k, ['fwmark 41'])));
    await settle();
    const before = open();
    for (let round = 0; round < 5; round++) {
      await Promise.all([
        ...[...BOUND, 'UDP_CHECK'].map((k) => check(k, ['fwmark 41'])),
        ...BOUND.map((k) => check(k, ['bind_if nosuch0'])),
      ]);
    }
    // Aborted while the native connect is under way: the connection handed over later is closed.
    const text = `virtual_server 10.61.0.1 80 {\n  real_server ${RS} ${PORTS.http} {\n    HTTP_GET {\n      bind_if eth1\n      url {\n        path /\n      }\n    }\n  }\n}\n`;
    const { config } = loadConfigText(text, 'ck.conf');
    const vs = config.virtualServers[0]!;
    const r = runnerFor(vs.realServers[0]!.checkers[0]!, vs.realServers[0]!, vs, config);
    assert.ok('run' in r);
    const ac = new AbortController();
    const pending = r.run(ac.signal);
    ac.abort();
    assert.equal((await pending).reason, '/: aborted');
    await settle();
    assert.equal(open(), before, 'descriptors open before and after 56 checks');
  },
);

test(
  'fwmark without CAP_NET_ADMIN and CAP_NET_RAW: the check fails with why, in keepalived words',
  { skip: why ?? commandUnavailable('setpriv') ?? false },
  () => {
    // A child without either capability (SO_MARK needs one), checking over loopback.
    const code = [
      "import { tcpCheck } from './src/check/tcp.ts';",
      "import { udpCheck } from './src/check/udp.ts';",
      "const o = { host: '127.0.0.1', port: 9, timeoutMs: 500, fwmark: 7 };",
      'const tcp = await tcpCheck(o);',
      'const udp = await udpCheck({ ...o, payload: Buffer.from([1]) });',
      'console.log(JSON.stringify([tcp.ok, tcp.reason, udp.ok, udp.reason]));',
    ].join('\n');
    const caps = '-net_admin,-net_raw';
    const out = execFileSync(
      'setpriv',
      [`--bounding-set=${caps}`, `--inh-caps=${caps}`, '--', process.execPath, '--import', 'tsx'].concat([
        '--input-type=module',
        '-e',
        code,
      ]),
      { encoding: 'utf8', timeout: 30_000, cwd: join(import.meta.dirname, '..', '..', '..') },
    );
    const why = 'error setting fwmark 7 to socket: operation not permitted';
    assert.deepEqual(JSON.parse(out), [false, why, false, why]);
  },
);

test(
  'a check that cannot set its options is logged once, not every run, and keeps running',
  { skip: why ?? false },
  async () => {
    const text = `virtual_server 10.61.0.1 80 {\n  protocol TCP\n  delay_loop 0.05\n  real_server ${RS} ${PORTS.tcp} {\n    TCP_CHECK {\n      bind_if nosuch0\n      retry 0\n      warmup 0\n    }\n  }\n}\n`;
    const { config } = loadConfigText(text, 'ck.conf');
    const logs: string[] = [];
    const runner = new CheckRunner(config, {
      onChange: () => undefined,
      log: (l, m) => logs.push(`${l} ${m}`),
    });
    runner.start();
    await new Promise((r) => setTimeout(r, 600));
    runner.stop();
    const st = runner.status()[0]!;
    assert.equal(st.state, 'down');
    assert.ok(st.checkers[0]!.consecutiveFailures >= 3, `ran ${st.checkers[0]!.consecutiveFailures} times`);
    assert.deepEqual(
      logs.filter((l) => l.includes('nosuch0')),
      [
        `warning 10.61.0.1:80/TCP -> ${RS}:${PORTS.tcp}: TCP_CHECK can't bind to device nosuch0: no such device`,
        `info 10.61.0.1:80/TCP -> ${RS}:${PORTS.tcp} DOWN (TCP_CHECK can't bind to device nosuch0: no such device)`,
      ],
    );
  },
);
