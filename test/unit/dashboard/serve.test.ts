// serveDashboard behind a real node:http server on loopback, as the API server mounts it:
// the page and its assets with their types, ETag revalidation, and nothing else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { serveDashboard } from '../../../src/dashboard/serve.js';

let server: http.Server;
let base = '';

before(async () => {
  server = http.createServer((req, res) => {
    if (serveDashboard(req, res)) return;
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found (api)\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const asset = (name: string): string =>
  readFileSync(new URL(`../../../src/dashboard/assets/${name}`, import.meta.url), 'utf8');

test('GET / is the page, with the daemon-only content policy', async () => {
  const r = await fetch(`${base}/?token=abc`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(r.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  const body = await r.text();
  assert.equal(body, asset('index.html'));
  // Everything the page loads comes from the daemon: no http(s) URL anywhere in it.
  assert.doesNotMatch(body, /https?:\/\//);
});

test('each asset the page names is served with its type', async () => {
  const page = asset('index.html');
  const refs = [...page.matchAll(/(?:src|href)="(\/dashboard\/[^"]+)"/g)].map((m) => m[1]!);
  assert.deepEqual(refs.sort(), ['/dashboard/app.js', '/dashboard/dashboard.css']);
  const types: Record<string, string> = {
    '/dashboard/app.js': 'text/javascript; charset=utf-8',
    '/dashboard/dashboard.css': 'text/css; charset=utf-8',
    '/dashboard/i18n.js': 'text/javascript; charset=utf-8',
    '/dashboard/model.js': 'text/javascript; charset=utf-8',
  };
  for (const [path, type] of Object.entries(types)) {
    const r = await fetch(base + path);
    assert.equal(r.status, 200, path);
    assert.equal(r.headers.get('content-type'), type, path);
    assert.equal(await r.text(), asset(path.slice('/dashboard/'.length)), path);
  }
  // app.js's own imports are among them.
  for (const m of asset('app.js').matchAll(/from '\.\/([^']+)'/g))
    assert.ok(`/dashboard/${m[1]!}` in types, `app.js imports ${m[1]!}`);
});

test('ETag: a matching If-None-Match gets 304 and no body; HEAD has no body', async () => {
  const first = await fetch(`${base}/dashboard/app.js`);
  const etag = first.headers.get('etag');
  assert.match(etag ?? '', /^"[\w-]+"$/);
  const again = await fetch(`${base}/dashboard/app.js`, { headers: { 'If-None-Match': etag! } });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), '');
  const other = await fetch(`${base}/dashboard/model.js`);
  assert.notEqual(other.headers.get('etag'), etag);
  const head = await fetch(`${base}/dashboard/app.js`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(Number(head.headers.get('content-length')), Buffer.byteLength(asset('app.js')));
});

test('unknown assets and other paths are left to the API (404)', async () => {
  for (const path of [
    '/dashboard/nope.js',
    '/dashboard/',
    '/dashboard/app.ts',
    '/api/v1/status',
    '/favicon.ico',
  ])
    assert.equal((await fetch(base + path)).status, 404, path);
});

test('POST to the page is refused with 405 and Allow', async () => {
  const r = await fetch(`${base}/`, { method: 'POST', body: 'x' });
  assert.equal(r.status, 405);
  assert.equal(r.headers.get('allow'), 'GET, HEAD');
});

/** A raw request line, so the path reaches the server exactly as written (fetch normalises ..). */
function rawGet(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    let out = '';
    c.on('connect', () => c.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    c.on('data', (d: Buffer) => (out += d.toString()));
    c.on('end', () => resolve(out));
    c.on('error', reject);
  });
}

test('no path traversal out of the assets folder', async () => {
  for (const path of [
    '/dashboard/../serve.ts',
    '/dashboard/..%2fserve.ts',
    '/dashboard/%2e%2e/%2e%2e/package.json',
    '/dashboard/../../../../etc/passwd',
    '/dashboard//etc/passwd',
    '/dashboard/assets/app.js',
  ]) {
    const r = await rawGet(path);
    assert.match(r, /^HTTP\/1\.1 404 /, path);
    assert.doesNotMatch(r, /serveDashboard|root:|"name": "vigil"/, path);
  }
});
