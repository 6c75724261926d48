// Real servers added and removed at run time through the HTTP API, against a real `vigil run`
// (user-space engine) in a lab: PUT …/real-servers/{rs} with a JSON body adds a server with its own
// HTTP_GET checker, client traffic reaches it, its checker takes it out when its HTTP server stops
// and back when it returns, a reload keeps it (and its runtime weight), DELETE removes it and
// traffic stops reaching it. Bad bodies are 400s naming the field; the configuration's own real
// server is 409 for PUT and DELETE; an unknown virtual server is 404.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import { withLab, type Lab } from '../../support/lab.js';
import { startVigil, stopDaemon, vigilStatus, waitFor, type Daemon } from '../vrrpd/harness.js';

const VIP = '10.78.0.1';
const RS1 = '10.78.0.21';
const RS2 = '10.78.0.22';
const API = 'http://127.0.0.1:9273';
const VS = `${VIP}:8080`;
const path = (rs: string, vs = VS) =>
  `${API}/api/v1/virtual-servers/${encodeURIComponent(vs)}/real-servers/${encodeURIComponent(rs)}`;
const server = (name: string, addr: string) =>
  `require('node:http').createServer((q,r)=>r.end('${name}')).listen(8081,'${addr}')`;

interface Rs {
  realServer: string;
  state: string;
  weight: number;
  added?: string;
  runtime?: Record<string, unknown>;
  checkers: { kind: string }[];
}

async function servers(d: Daemon): Promise<Rs[]> {
  const s = (await vigilStatus(d)) as unknown as {
    children: { checker: { status: { realServers: Rs[] } } };
  };
  return s.children.checker.status.realServers;
}

/** One real server's status; undefined also while the daemon is not answering yet. */
const one = async (d: Daemon, rs: string): Promise<Rs | undefined> =>
  (await servers(d).catch(() => [])).find((r) => r.realServer === rs);

/** curl on the director (the API listens on its loopback): status code and JSON body. */
async function api(
  lab: Lab,
  method: string,
  url: string,
  data?: string,
): Promise<{ code: number; json: Record<string, unknown>; body: string }> {
  const argv = ['curl', '-sS', '-m', '10', '-o', '-', '-w', '\n%{http_code}', '-X', method];
  if (data !== undefined) argv.push('-H', 'Content-Type: application/json', '--data-binary', '@-');
  argv.push(url);
  const r = await lab.exec('dir', argv, data !== undefined ? { input: data } : {});
  const nl = r.stdout.lastIndexOf('\n');
  const body = r.stdout.slice(0, nl);
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    // reported by the caller's assertion
  }
  return { code: Number(r.stdout.slice(nl + 1)), json, body };
}

/** 20 requests from the client to the virtual server: which real servers answered, how often. */
async function traffic(lab: Lab): Promise<Record<string, number>> {
  const r = await lab.exec('client', [
    'sh',
    '-c',
    `for i in $(seq 20); do curl -s -m 2 http://${VS}/; echo; done`,
  ]);
  const n: Record<string, number> = {};
  for (const w of r.stdout.split('\n').filter(Boolean)) n[w] = (n[w] ?? 0) + 1;
  return n;
}

test('API: PUT adds a checked real server, a reload keeps it, DELETE removes it', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('curl'))) return;
  const lab = await withLab(t, {
    nodes: [
      { name: 'dir', addresses: [`${VIP}/24`] },
      { name: 'rs1', addresses: [`${RS1}/24`] },
      { name: 'rs2', addresses: [`${RS2}/24`] },
      { name: 'client', addresses: ['10.78.0.5/24'] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rsapi-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const web1 = lab.spawn('rs1', [process.execPath, '-e', server('one', RS1)], { stdio: 'ignore' });
  let web2: ChildProcess = lab.spawn('rs2', [process.execPath, '-e', server('two', RS2)], {
    stdio: 'ignore',
  });
  const d = await startVigil(
    lab,
    'dir',
    join(dir, 'run'),
    `global_defs {
  lvs_engine userspace
}
api {
  listen 127.0.0.1:9273
}
virtual_server ${VIP} 8080 {
  delay_loop 0.3
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${RS1} 8081 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`,
    ['-C'],
  );
  t.after(() => stopDaemon(lab, d));
  try {
    await waitFor('rs1 up', async () => (await one(d, `${RS1}:8081`))?.state === 'up', 25_000);
    await waitFor(
      'the API',
      async () => (await api(lab, 'GET', `${API}/api/v1/status`)).code === 200,
      10_000,
    );
    assert.deepEqual(await traffic(lab), { one: 20 }, 'only the configured server before the PUT');

    // PUT: a new real server with its own HTTP_GET checker; in status as added at run time.
    const body = {
      weight: 1,
      HTTP_GET: {
        url: { path: '/', status_code: 200 },
        connect_timeout: 1,
        retry: 0,
        delay_before_retry: 0.2,
      },
    };
    const put = await api(lab, 'PUT', path(`${RS2}:8081`), JSON.stringify(body));
    assert.equal(put.code, 200, put.body);
    assert.deepEqual([put.json.action, put.json.rs, put.json.vs], ['add', `${RS2}:8081`, `${VS}/TCP`]);
    const added = await waitFor(
      'rs2 checked up',
      async () => {
        const r = await one(d, `${RS2}:8081`);
        return r?.state === 'up' ? r : undefined;
      },
      10_000,
    );
    assert.equal(added.added, 'runtime');
    assert.deepEqual(
      added.checkers.map((c) => c.kind),
      ['HTTP_GET'],
    );
    const both = await traffic(lab);
    assert.ok(both.one! > 0 && both.two! > 0, `traffic reaches both: ${JSON.stringify(both)}`);
    const text = await lab.exec('dir', [
      process.execPath,
      '--import',
      'tsx',
      'src/cli/main.ts',
      'status',
      '--runtime-dir',
      d.dir,
    ]);
    assert.match(text.stdout, new RegExp(`${RS2}:8081 up weight 1 .*\\[runtime: added\\]`));

    // Its checker takes it out when its HTTP server stops, and back when it returns.
    lab.kill(web2, 'SIGKILL');
    await waitFor('rs2 checked down', async () => (await one(d, `${RS2}:8081`))?.state === 'down', 10_000);
    assert.deepEqual(await traffic(lab), { one: 20 }, 'a server down gets no traffic');
    web2 = lab.spawn('rs2', [process.execPath, '-e', server('two', RS2)], { stdio: 'ignore' });
    await waitFor('rs2 back up', async () => (await one(d, `${RS2}:8081`))?.state === 'up', 10_000);

    // A runtime weight on it, then a reload: both kept.
    const w = await api(lab, 'POST', path(`${RS2}:8081`), '{"weight":3}');
    assert.equal(w.code, 200, w.body);
    const rl = await api(lab, 'POST', `${API}/api/v1/reload`);
    assert.deepEqual([rl.code, rl.json.reloaded], [200, true], rl.body);
    const kept = await waitFor(
      'rs2 up after the reload',
      async () => {
        const r = await one(d, `${RS2}:8081`);
        return r?.state === 'up' ? r : undefined;
      },
      10_000,
    );
    assert.deepEqual([kept.added, kept.weight, kept.runtime], ['runtime', 3, { weight: 3 }]);
    const afterReload = await traffic(lab);
    assert.ok(afterReload.two! > 0, `traffic reaches it after the reload: ${JSON.stringify(afterReload)}`);

    // Bad requests: 4xx naming what is wrong, nothing changed.
    const bad: [string, string, string | undefined, number, RegExp, string?][] = [
      ['PUT', path(`${RS2}:9000`), '{"weight":"heavy"}', 400, /weight/, 'weight'],
      [
        'PUT',
        path(`${RS2}:9000`),
        '{"TCP_CHECK":{"conect_timeout":1}}',
        400,
        /connect_timeout/,
        'TCP_CHECK.conect_timeout',
      ],
      [
        'PUT',
        path(`${RS2}:9000`),
        '{"HTTP_GET":{"url":{"path":"/","status_code":999}}}',
        400,
        /status code/,
        'HTTP_GET.url.status_code',
      ],
      ['PUT', path(`${RS2}:9000`), '{"notify_up":"/bin/sh -c id"}', 400, /scripts/, 'notify_up'],
      ['PUT', path(`${RS2}:9000`), '{"weight":', 400, /not JSON/],
      ['PUT', path(`${RS2}:9000`), '[1]', 400, /JSON object/],
      ['PUT', path(`${RS1}:8081`), '{}', 409, /in its configuration/],
      ['DELETE', path(`${RS1}:8081`), undefined, 409, /in the configuration/],
      ['PUT', path(`${RS2}:9000`, `${VIP}:9999`), '{}', 404, /no virtual server/],
      ['DELETE', path(`${RS2}:9000`), undefined, 404, /has no real server/],
      ['PATCH', path(`${RS2}:9000`), '{}', 405, /takes POST, PUT or DELETE/],
    ];
    for (const [method, url, data, code, msg, field] of bad) {
      const r = await api(lab, method, url, data);
      assert.equal(r.code, code, `${method} ${url} ${data ?? ''}: ${r.body}`);
      assert.match(String(r.json.error), msg, r.body);
      if (field) assert.equal(r.json.field, field, r.body);
      assert.doesNotMatch(r.body, /<api>|\.ts:\d|at \w+ \(/, 'no synthetic file, no stack');
    }
    assert.deepEqual(
      (await servers(d)).map((r) => r.realServer),
      [`${RS1}:8081`, `${RS2}:8081`],
      'no bad request changed anything',
    );

    // DELETE: out of status and the data plane; traffic stops reaching it.
    const del = await api(lab, 'DELETE', path(`${RS2}:8081`));
    assert.equal(del.code, 200, del.body);
    assert.equal(del.json.action, 'remove');
    assert.equal(await one(d, `${RS2}:8081`), undefined);
    assert.deepEqual(await traffic(lab), { one: 20 }, 'no traffic to a removed server');
    assert.match(d.output(), new RegExp(`runtime change: ${VS}/TCP -> ${RS2}:8081 removed`));
  } finally {
    lab.kill(web1, 'SIGKILL');
    lab.kill(web2, 'SIGKILL');
  }
});
