// TCP_CHECK, HTTP_GET, SSL_GET and genhash against real servers on loopback: each passes against a
// healthy server and fails with the reason an operator needs against a broken one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpCheck, md5Hex } from '../../../src/check/http.js';
import { tcpCheck } from '../../../src/check/tcp.js';
import { runnerFor } from '../../../src/check/runner.js';
import { loadConfigText } from '../../../src/config/load.js';
import { commandUnavailable, requireSystem } from '../../support/system.js';

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
let port = 0;
let tlsPort = 0;
let rawPort = 0;
let closedPort = 0;
const BODY = 'hello from rs1\n';

function listen(s: net.Server): Promise<number> {
  servers.push(s);
  s.on('connection', (c: net.Socket) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
  });
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)));
}

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url === '/health') res.end(BODY);
  else if (req.url === '/down') {
    res.statusCode = 503;
    res.end('maintenance');
  } else if (req.url === '/slow') {
    res.writeHead(200, { 'content-length': '100' });
    res.write('x'); // then nothing: a stalled body
  } else if (req.url === '/big') res.end(Buffer.alloc(3 << 20, 0x61));
  else if (req.url === '/host') res.end(`host=${req.headers.host}`);
  else {
    res.statusCode = 404;
    res.end();
  }
}

before(async () => {
  port = await listen(http.createServer(handler));
  // A server that resets the connection in the middle of the body.
  rawPort = await listen(
    net.createServer((c) => {
      c.once('data', () => {
        c.write('HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\npartial');
        setTimeout(() => c.resetAndDestroy(), 20);
      });
    }),
  );
  const probe = net.createServer();
  closedPort = await new Promise<number>((r) =>
    probe.listen(0, '127.0.0.1', () => r((probe.address() as net.AddressInfo).port)),
  );
  await new Promise((r) => probe.close(r));
  if (!commandUnavailable('openssl')) {
    const d = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=rs1.test',
        '-keyout',
        join(d, 'key.pem'),
        '-out',
        join(d, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    tlsPort = await listen(
      https.createServer(
        { key: readFileSync(join(d, 'key.pem')), cert: readFileSync(join(d, 'cert.pem')) },
        handler,
      ),
    );
  }
});

after(() => {
  for (const c of sockets) c.destroy();
  for (const s of servers) s.close();
});

const base = () => ({ host: '127.0.0.1', port, ssl: false, timeoutMs: 1000 });

test('TCP_CHECK: connects to a listening port, refused on a closed one', async () => {
  assert.deepEqual(
    (({ ok, reason }) => ({ ok, reason }))(await tcpCheck({ host: '127.0.0.1', port, timeoutMs: 1000 })),
    {
      ok: true,
      reason: 'connected',
    },
  );
  const refused = await tcpCheck({ host: '127.0.0.1', port: closedPort, timeoutMs: 1000 });
  assert.deepEqual([refused.ok, refused.reason], [false, 'connection refused']);
});

test('HTTP_GET: status ranges, digest, regex, virtualhost', async () => {
  const digest = md5Hex(Buffer.from(BODY));
  assert.equal((await httpCheck(base(), [{ path: '/health', statusCodes: [], digest }])).ok, true);
  const down = await httpCheck(base(), [{ path: '/down', statusCodes: [] }]);
  assert.deepEqual([down.ok, down.reason], [false, '/down: status 503']);
  assert.equal(
    (await httpCheck(base(), [{ path: '/down', statusCodes: [{ from: 500, to: 503 }] }])).ok,
    true,
  );
  const wrong = await httpCheck(base(), [{ path: '/health', statusCodes: [], digest: '0'.repeat(32) }]);
  assert.deepEqual([wrong.ok, wrong.reason], [false, `/health: digest mismatch (got ${digest})`]);
  assert.equal((await httpCheck(base(), [{ path: '/health', statusCodes: [], regex: /rs1/ }])).ok, true);
  assert.equal((await httpCheck(base(), [{ path: '/health', statusCodes: [], regex: /rs2/ }])).ok, false);
  assert.equal(
    (
      await httpCheck(base(), [
        { path: '/host', statusCodes: [], regex: /host=www\.example$/, virtualhost: 'www.example' },
      ])
    ).ok,
    true,
  );
  // Every url must pass.
  const two = await httpCheck(base(), [
    { path: '/health', statusCodes: [] },
    { path: '/missing', statusCodes: [] },
  ]);
  assert.deepEqual([two.ok, two.reason], [false, '/missing: status 404']);
});

test('HTTP_GET fails cleanly on a slow body, a body over the limit, a reset mid-body, a refused port', async () => {
  const slow = await httpCheck({ ...base(), timeoutMs: 300 }, [{ path: '/slow', statusCodes: [] }]);
  assert.deepEqual([slow.ok, slow.reason], [false, '/slow: timeout reading the response']);
  const big = await httpCheck({ ...base(), maxBodyBytes: 1 << 20 }, [{ path: '/big', statusCodes: [] }]);
  assert.deepEqual([big.ok, big.reason], [false, `/big: response larger than ${1 << 20} bytes`]);
  const reset = await httpCheck({ ...base(), port: rawPort }, [{ path: '/', statusCodes: [] }]);
  assert.deepEqual([reset.ok, reset.reason], [false, '/: connection reset']);
  const refused = await httpCheck({ ...base(), port: closedPort }, [{ path: '/', statusCodes: [] }]);
  assert.deepEqual([refused.ok, refused.reason], [false, '/: connection refused']);
});

test('SSL_GET against a self-signed server (verification off, as keepalived)', async (t) => {
  if (!requireSystem(t, commandUnavailable('openssl'))) return;
  const r = await httpCheck(
    { host: '127.0.0.1', port: tlsPort, ssl: true, sni: 'rs1.test', timeoutMs: 2000 },
    [{ path: '/health', statusCodes: [], digest: md5Hex(Buffer.from(BODY)) }],
  );
  assert.deepEqual([r.ok, r.reason], [true, 'status ok']);
});

// Asynchronous: the servers answering live in this process.
async function run(cmd: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(cmd, args, { encoding: 'utf8' });
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { status: x.code ?? 1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}
const vigil = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args]);

test('vigil genhash prints what keepalived genhash prints', async (t) => {
  const mine = await vigil('genhash', '-s', '127.0.0.1', '-p', String(port), '-u', '/health');
  assert.equal(mine.status, 0, mine.stderr);
  assert.equal(mine.stdout, `${md5Hex(Buffer.from(BODY))}\n`);
  if (requireSystem(t, commandUnavailable('genhash'))) {
    for (const url of ['/health', '/down', '/host']) {
      const theirs = await run('genhash', ['-s', '127.0.0.1', '-p', String(port), '-u', url]);
      const ours = await vigil('genhash', '-s', '127.0.0.1', '-p', String(port), '-u', url);
      assert.equal(ours.stdout, theirs.stdout, url);
    }
    if (tlsPort) {
      const theirs = await run('genhash', ['-S', '-s', '127.0.0.1', '-p', String(tlsPort), '-u', '/health']);
      const ours = await vigil('genhash', '-S', '-s', '127.0.0.1', '-p', String(tlsPort), '-u', '/health');
      assert.equal(ours.stdout, theirs.stdout);
    }
  }
  const bad = await vigil('genhash', '-s', '127.0.0.1', '-p', String(closedPort), '-u', '/');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /vigil genhash: 127\.0\.0\.1:\d+\/: connection refused/);
  assert.equal((await vigil('genhash', '-s', 'x')).status, 2);
});

test('MISC_CHECK: exit 0 up, other codes down, misc_dynamic weights, killed at its timeout', async () => {
  const { miscCheck } = await import('../../../src/check/misc.js');
  assert.deepEqual(
    (({ ok, reason }) => ({ ok, reason }))(
      await miscCheck({ argv: ['/bin/true'], timeoutMs: 2000, dynamic: false }),
    ),
    {
      ok: true,
      reason: 'exit 0',
    },
  );
  const f = await miscCheck({ argv: ['/bin/sh', '-c', 'exit 1'], timeoutMs: 2000, dynamic: true });
  assert.deepEqual([f.ok, f.reason], [false, 'exit 1']);
  const d = await miscCheck({ argv: ['/bin/sh', '-c', 'exit 12'], timeoutMs: 2000, dynamic: true });
  assert.deepEqual([d.ok, d.weight], [true, 10]);
  const nd = await miscCheck({ argv: ['/bin/sh', '-c', 'exit 12'], timeoutMs: 2000, dynamic: false });
  assert.equal(nd.ok, false);
  const t0 = Date.now();
  const slow = await miscCheck({ argv: ['/bin/sh', '-c', 'sleep 5 & wait'], timeoutMs: 200, dynamic: true });
  assert.deepEqual([slow.ok, slow.reason, slow.weight], [false, 'timeout after 200 ms (killed)', undefined]);
  assert.ok(Date.now() - t0 < 1500);
  const missing = await miscCheck({ argv: ['/nonexistent/check'], timeoutMs: 2000, dynamic: false });
  assert.equal(missing.ok, false);
  assert.match(missing.reason, /cannot run \/nonexistent\/check/);
});

test('SSL_GET presents the root SSL { } block client certificate (password-protected key), as keepalived', async (t) => {
  if (!requireSystem(t, commandUnavailable('openssl'))) return;
  const d = mkdtempSync(join(tmpdir(), 'vigil-tls-client-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', cwd: d });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-passout',
    'pass:s3cret',
    '-subj',
    '/CN=checker',
    '-keyout',
    'c.key',
    '-out',
    'c.csr',
  );
  ssl(
    'x509',
    '-req',
    '-in',
    'c.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-out',
    'c.pem',
  );
  // The server accepts only clients with a certificate from that CA.
  const server = https.createServer(
    {
      key: readFileSync(join(d, 'ca.key')),
      cert: readFileSync(join(d, 'ca.pem')),
      ca: readFileSync(join(d, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (_req, res) => res.end('ok'),
  );
  const p = await listen(server);
  const conf = (block: string) =>
    loadConfigText(
      `${block}virtual_server 127.0.0.1 443 {\n  protocol TCP\n  real_server 127.0.0.1 ${p} {\n    SSL_GET {\n      url {\n        path /\n        status_code 200\n      }\n      connect_timeout 2\n    }\n  }\n}\n`,
      'k.conf',
    ).config;
  const check = async (block: string): Promise<[boolean, string]> => {
    const c = conf(block);
    const vs = c.virtualServers[0]!;
    const rs = vs.realServers[0]!;
    const r = runnerFor(rs.checkers[0]!, rs, vs, c);
    if ('note' in r) return [false, r.note];
    const x = await r.run(new AbortController().signal);
    return [x.ok, x.reason];
  };
  const block = (password: string) =>
    `SSL {\n  password ${password}\n  ca ${join(d, 'ca.pem')}\n  certificate ${join(d, 'c.pem')}\n  key ${join(d, 'c.key')}\n}\n`;
  assert.deepEqual(await check(block('s3cret')), [true, 'status ok']);
  assert.equal((await check(''))[0], false, 'without the block the server refuses the handshake');
  assert.equal((await check(block('wrong')))[0], false);
  assert.match(
    (await check('SSL {\n  certificate /nonexistent.pem\n}\n'))[1],
    /SSL certificate \/nonexistent\.pem: ENOENT/,
  );
});
