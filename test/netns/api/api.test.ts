// The HTTP API against a real `vigil run` in a lab: a director with a VRRP instance on its LAN
// and a virtual server with a real server (python's http.server) behind it, the API on a
// separate management link with a token, and a client on that link using curl as an operator
// would. Status, the event stream (a VRRP transition, a real server going down, runtime changes,
// reload), runtime weight / drain / disable / enable as the table and status show them, 401s,
// bad requests that change nothing, and /metrics as Prometheus text with the named series.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { freePort } from '../../support/ports.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import { startVigil, stopDaemon, vigilStatus, waitFor, waitState, type Daemon } from '../vrrpd/harness.js';
import { parseMetrics, sample } from '../../support/prom.js';

const CLI = join(import.meta.dirname, '../../../src/cli/main.ts');
const TOKEN = 'tok-4f2a9c1e';
const API = 'http://10.73.0.1:9273';
const VS = '192.168.73.11:8080';
const RS = '192.168.73.21:8081';
const RS_PATH = `${API}/api/v1/virtual-servers/${encodeURIComponent(VS)}/real-servers/${encodeURIComponent(RS)}`;
const START_MS = 25_000;

const run = promisify(execFile);
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Reply {
  code: number;
  body: string;
  json: Record<string, unknown>;
}

/** curl from the client node: status code and body. */
async function curl(
  lab: Lab,
  url: string,
  opts: { method?: string; token?: string; data?: string } = {},
): Promise<Reply> {
  const argv = ['curl', '-sS', '-m', '10', '-o', '-', '-w', '\n%{http_code}', '-X', opts.method ?? 'GET'];
  if (opts.token) argv.push('-H', `Authorization: Bearer ${opts.token}`);
  if (opts.data !== undefined) argv.push('-H', 'Content-Type: application/json', '--data-binary', '@-');
  argv.push(url);
  const r = await lab.exec('client', argv, opts.data !== undefined ? { input: opts.data } : {});
  const nl = r.stdout.lastIndexOf('\n');
  const body = r.stdout.slice(0, nl);
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    // not JSON (metrics)
  }
  return { code: Number(r.stdout.slice(nl + 1)), body, json };
}

interface Sse {
  events: { event: string; data: Record<string, unknown> }[];
  raw: () => string;
  child: ChildProcess;
}

/** An EventSource-style client: curl -N with ?token=, frames parsed as they arrive. */
function openEvents(lab: Lab): Sse {
  const child = lab.spawn('client', ['curl', '-sSN', `${API}/api/v1/events?token=${TOKEN}`]);
  const sse: Sse = { events: [], raw: () => raw, child };
  let raw = '';
  let buf = '';
  child.stdout!.on('data', (b: Buffer) => {
    raw += b.toString();
    buf += b.toString();
    let end: number;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const ev = /^event: (.+)$/m.exec(frame)?.[1];
      const data = /^data: (.+)$/m.exec(frame)?.[1];
      if (ev && data) sse.events.push({ event: ev, data: JSON.parse(data) as Record<string, unknown> });
    }
  });
  child.stderr!.resume();
  return sse;
}

function eventWhere(sse: Sse, what: string, f: (e: Sse['events'][number]) => boolean, ms = 15_000) {
  return waitFor(what, async () => sse.events.find(f), ms, 50);
}

type Rs = { realServer: string; state: string; weight: number; runtime?: Record<string, unknown> };
const rsOf = (st: object): Rs =>
  (st as { children: { checker: { status: { realServers: Rs[] } } } }).children.checker.status
    .realServers[0]!;

async function table(d: Daemon): Promise<string> {
  const r = await run(process.execPath, ['--import', 'tsx', CLI, 'adm', '-Ln', '--runtime-dir', d.dir], {
    encoding: 'utf8',
  });
  return r.stdout;
}

test('HTTP API: status, events, runtime changes, tokens, bad requests, metrics', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('curl'), commandUnavailable('python3')))
    return;
  const lab = await createLab({
    segments: ['lan', 'mgmt'],
    nodes: [
      {
        name: 'dir',
        interfaces: [
          { segment: 'lan', addresses: ['192.168.73.11/24'] },
          { segment: 'mgmt', addresses: ['10.73.0.1/24'] },
        ],
      },
      { name: 'rs', interfaces: [{ segment: 'lan', addresses: ['192.168.73.21/24'] }] },
      { name: 'client', interfaces: [{ segment: 'mgmt', addresses: ['10.73.0.2/24'] }] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-api-'));
  dirs.push(dir);
  const ddir = join(dir, 'dir');
  mkdirSync(ddir, { recursive: true });
  writeFileSync(join(ddir, 'token'), `${TOKEN}\n`);
  let d: Daemon | undefined;
  try {
    const web = lab.spawn('rs', ['python3', '-m', 'http.server', '8081', '--bind', '192.168.73.21']);
    web.stdout!.resume();
    web.stderr!.resume();
    d = await startVigil(
      lab,
      'dir',
      ddir,
      `global_defs {
  router_id api_test
  lvs_engine userspace
}
api {
  listen 10.73.0.1:9273
  token_file ${join(ddir, 'token')}
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 61
  priority 120
  advert_int 1
  virtual_ipaddress {
    192.168.73.100/24
  }
}
virtual_server 192.168.73.11 8080 {
  delay_loop 0.5
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  real_server 192.168.73.21 8081 {
    weight 2
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`,
    );
    const daemon = d;
    await waitState(daemon, 'VI_1', 'MASTER', START_MS);
    await waitFor('the real server up', async () => rsOf(await vigilStatus(daemon)).state === 'up', START_MS);
    await waitFor(
      'the API',
      async () => (await curl(lab, `${API}/metrics`).catch(() => ({ code: 0 }))).code === 401,
      10_000,
    );
    const sse = openEvents(lab);
    await waitFor('the event stream', async () => sse.raw().includes(': connected'), 10_000);

    // Tokens: none or a wrong one is 401 JSON; the right one lets in.
    for (const token of [undefined, 'wrong']) {
      const r = await curl(lab, `${API}/api/v1/status`, token ? { token } : {});
      assert.equal(r.code, 401, r.body);
      assert.match(String(r.json.error), /token is required/);
      assert.equal((await curl(lab, `${API}/metrics`, token ? { token } : {})).code, 401);
      // The dashboard page holds no data (it asks for the token, then reads the API with it).
      assert.equal(
        (await curl(lab, `${API}/`, token ? { token } : {})).code,
        200,
        'the dashboard page loads',
      );
      const post = await curl(lab, RS_PATH, {
        method: 'POST',
        data: '{"weight":9}',
        ...(token ? { token } : {}),
      });
      assert.equal(post.code, 401);
    }

    // The page takes ?token= (a browser's first load cannot set headers); its static assets need
    // none (a browser cannot add it to <script src>); an unknown asset is 404.
    assert.equal((await curl(lab, `${API}/?token=${TOKEN}`)).code, 200);
    assert.equal((await curl(lab, `${API}/dashboard/app.js`)).code, 200);
    assert.equal((await curl(lab, `${API}/dashboard/nope.js`)).code, 404);
    assert.equal((await curl(lab, `${API}/api/v1/status?token=${TOKEN}`)).code, 200);

    // Status: the object `vigil status --json` prints.
    const st = await curl(lab, `${API}/api/v1/status`, { token: TOKEN });
    assert.equal(st.code, 200);
    const viaSocket = (await vigilStatus(daemon)) as unknown as Record<string, unknown>;
    assert.deepEqual(Object.keys(st.json).sort(), Object.keys(viaSocket).sort());
    assert.equal(st.json.pid, viaSocket.pid);
    const inst = (st.json as { children: { vrrp: { status: { instances: Record<string, unknown>[] } } } })
      .children.vrrp.status.instances[0]!;
    assert.deepEqual(
      [inst.name, inst.state, inst.basePriority, inst.vips],
      ['VI_1', 'MASTER', 120, ['192.168.73.100/24']],
    );
    assert.deepEqual([rsOf(st.json).realServer, rsOf(st.json).state, rsOf(st.json).weight], [RS, 'up', 2]);
    assert.equal(rsOf(st.json).weight, 2, 'the 401 POSTs changed nothing');

    // Runtime changes: in the table, in status, on the event stream.
    const w = await curl(lab, RS_PATH, { method: 'POST', token: TOKEN, data: '{"weight":5}' });
    assert.equal(w.code, 200, w.body);
    assert.equal(w.json.weight, 5);
    assert.match(await table(daemon), /192\.168\.73\.21:8081\s+Masq\s+5\s/);
    assert.equal(rsOf(await vigilStatus(daemon)).weight, 5);
    const ev = await eventWhere(
      sse,
      'runtime event',
      (e) => e.event === 'runtime' && e.data.action === 'weight',
    );
    assert.deepEqual([ev.data.kind, ev.data.vs, ev.data.rs, ev.data.weight], ['runtime', `${VS}/TCP`, RS, 5]);
    assert.ok(!Number.isNaN(Date.parse(String(ev.data.time))));

    assert.equal((await curl(lab, `${RS_PATH}/drain`, { method: 'POST', token: TOKEN })).code, 200);
    assert.match(
      await table(daemon),
      /192\.168\.73\.21:8081\s+Masq\s+0\s/,
      'drained: in the table at weight 0',
    );
    const drained = rsOf(await vigilStatus(daemon));
    assert.deepEqual([drained.weight, drained.runtime], [0, { weight: 5, drained: true }]);
    assert.equal((await curl(lab, `${RS_PATH}/disable`, { method: 'POST', token: TOKEN })).code, 200);
    assert.doesNotMatch(await table(daemon), /192\.168\.73\.21:8081/, 'disabled: out of the table');
    assert.equal(rsOf(await vigilStatus(daemon)).weight, 0);
    const en = await curl(lab, `${RS_PATH}/enable`, { method: 'POST', token: TOKEN });
    assert.deepEqual([en.code, en.json.weight], [200, 5]);
    assert.match(
      await table(daemon),
      /192\.168\.73\.21:8081\s+Masq\s+5\s/,
      'enabled: back at the weight set',
    );
    await eventWhere(sse, 'enable event', (e) => e.event === 'runtime' && e.data.action === 'enable');
    assert.deepEqual(
      sse.events.filter((e) => e.event === 'runtime').map((e) => [e.data.action, e.data.weight]),
      [
        ['weight', 5],
        ['drain', 0],
        ['disable', 0],
        ['enable', 5],
      ],
    );
    // The change is logged.
    assert.match(
      daemon.output(),
      /runtime change: 192\.168\.73\.11:8080\/TCP -> 192\.168\.73\.21:8081 drain \(weight in force 0\)/,
    );

    // Bad requests: clear 4xx JSON errors, nothing changed.
    const bad: [string, Parameters<typeof curl>[2], number, RegExp][] = [
      [RS_PATH, { method: 'POST', token: TOKEN, data: '{"weight":' }, 400, /not JSON/],
      [RS_PATH, { method: 'POST', token: TOKEN, data: '{"weight":70000}' }, 400, /0\.\.65535/],
      [RS_PATH, { method: 'POST', token: TOKEN, data: '{"weight":-1}' }, 400, /0\.\.65535/],
      [RS_PATH, { method: 'POST', token: TOKEN, data: '["weight",1]' }, 400, /JSON object/],
      [
        RS_PATH.replace('192.168.73.21', '192.168.73.29'),
        { method: 'POST', token: TOKEN, data: '{"weight":1}' },
        404,
        /has no real server 192\.168\.73\.29:8081/,
      ],
      [
        RS_PATH.replace('8080', '8089') + '/drain',
        { method: 'POST', token: TOKEN },
        404,
        /no virtual server 192\.168\.73\.11:8089/,
      ],
      [
        `${API}/api/v1/virtual-servers/nonsense/real-servers/${RS}/drain`,
        { method: 'POST', token: TOKEN },
        400,
        /write it as/,
      ],
      [`${RS_PATH}/drain`, { method: 'GET', token: TOKEN }, 405, /takes POST/],
      [`${API}/api/v1/status`, { method: 'POST', token: TOKEN, data: '{}' }, 405, /takes GET/],
      [`${API}/api/v1/nothing`, { token: TOKEN }, 404, /no such endpoint/],
      [
        RS_PATH,
        { method: 'POST', token: TOKEN, data: `{"weight":1,"pad":"${'x'.repeat(70_000)}"}` },
        413,
        /larger than 65536/,
      ],
    ];
    for (const [url, o, code, msg] of bad) {
      const r = await curl(lab, url, o);
      assert.equal(r.code, code, `${o?.method ?? 'GET'} ${url}: ${r.body.slice(0, 200)}`);
      assert.match(String(r.json.error), msg);
    }
    assert.equal(rsOf(await vigilStatus(daemon)).weight, 5, 'no bad request changed anything');
    assert.match(await table(daemon), /192\.168\.73\.21:8081\s+Masq\s+5\s/);

    // Metrics: strict Prometheus text, the named series with the values status has.
    const m = await curl(lab, `${API}/metrics`, { token: TOKEN });
    assert.equal(m.code, 200);
    const samples = parseMetrics(m.body);
    const v = (name: string, labels: Record<string, string> = {}): number => {
      const s = sample(samples, name, labels);
      assert.ok(s, `${name}${JSON.stringify(labels)} in /metrics`);
      return s.value;
    };
    const rsL = { virtual_server: `${VS}/TCP`, real_server: RS };
    assert.equal(v('vigil_vrrp_state', { instance: 'VI_1', state: 'MASTER' }), 1);
    assert.equal(v('vigil_vrrp_state', { instance: 'VI_1', state: 'BACKUP' }), 0);
    assert.equal(v('vigil_vrrp_priority', { instance: 'VI_1' }), 120);
    assert.equal(v('vigil_vrrp_effective_priority', { instance: 'VI_1' }), 120);
    assert.ok(v('vigil_vrrp_transitions_total', { instance: 'VI_1' }) >= 2, 'INIT -> BACKUP -> MASTER');
    assert.ok(v('vigil_vrrp_adverts_sent_total', { instance: 'VI_1' }) > 0);
    assert.equal(v('vigil_vrrp_adverts_received_total', { instance: 'VI_1' }), 0);
    assert.equal(v('vigil_vrrp_packets_rejected_total', { instance: 'VI_1', reason: 'ttl' }), 0);
    assert.equal(v('vigil_real_server_up', rsL), 1);
    assert.equal(v('vigil_real_server_weight', rsL), 5);
    assert.equal(v('vigil_real_server_active_connections', rsL), 0);
    assert.ok(v('vigil_real_server_bytes_total', { ...rsL, direction: 'in' }) >= 0);
    const count = v('vigil_check_duration_seconds_count', { ...rsL, checker: 'TCP_CHECK' });
    assert.ok(count > 0);
    assert.equal(
      v('vigil_check_duration_seconds_bucket', { ...rsL, checker: 'TCP_CHECK', le: '+Inf' }),
      count,
    );
    assert.ok(v('vigil_virtual_server_connections_per_second', { virtual_server: `${VS}/TCP` }) >= 0);
    assert.equal(v('vigil_child_restarts_total', { child: 'vrrp' }), 0);
    assert.equal(v('vigil_child_up', { child: 'checker' }), 1);
    assert.ok(v('vigil_event_loop_lateness_seconds', { process: 'supervisor', stat: 'max' }) >= 0);

    // A VRRP transition: the LAN link goes down, the instance goes to FAULT (the API is on mgmt).
    await lab.setLink('dir', 'eth0', false);
    const fault = await eventWhere(
      sse,
      'vrrp-state FAULT',
      (e) => e.event === 'vrrp-state' && e.data.state === 'FAULT',
    );
    assert.deepEqual(
      [fault.data.instance, fault.data.previous, typeof fault.data.priority],
      ['VI_1', 'MASTER', 'number'],
    );
    await lab.setLink('dir', 'eth0', true);
    await eventWhere(
      sse,
      'back to MASTER',
      (e) => e.event === 'vrrp-state' && e.data.state === 'MASTER',
      START_MS,
    );

    // The real server dies: its check takes it down, the stream says so.
    lab.kill(web, 'SIGKILL');
    const down = await eventWhere(
      sse,
      'rs-state DOWN',
      (e) => e.event === 'rs-state' && e.data.state === 'DOWN',
    );
    assert.deepEqual([down.data.vs, down.data.rs], [`${VS}/TCP`, RS]);
    assert.match(String(down.data.reason), /TCP_CHECK/);
    const after = parseMetrics((await curl(lab, `${API}/metrics`, { token: TOKEN })).body);
    assert.equal(sample(after, 'vigil_real_server_up', rsL)?.value, 0);

    // Reload through the API, with a changed priority (a new VRRP runtime resumes the master).
    const confFile = join(ddir, 'vigil.conf');
    writeFileSync(confFile, readFileSync(confFile, 'utf8').replace('priority 120', 'priority 130'));
    const before = sse.events.length;
    const rl = await curl(lab, `${API}/api/v1/reload`, { method: 'POST', token: TOKEN });
    assert.deepEqual([rl.code, rl.json.reloaded], [200, true]);
    await eventWhere(sse, 'reload event', (e) => e.event === 'reload');
    const reloads = (): number => sse.events.filter((e) => e.event === 'reload').length;
    assert.equal(reloads(), 1);
    // A broken configuration is refused with its errors; the running one stays.
    const good = readFileSync(confFile, 'utf8');
    writeFileSync(confFile, good + '\nvrrp_instance {\n');
    const refused = await curl(lab, `${API}/api/v1/reload`, { method: 'POST', token: TOKEN });
    assert.equal(refused.code, 422, refused.body);
    assert.equal(refused.json.reloaded, false);
    assert.ok(Array.isArray(refused.json.errors) && refused.json.errors.length > 0);
    writeFileSync(confFile, good);
    assert.equal(reloads(), 1, 'a refused reload is no reload event');
    // The master resumes across the reload: no state change, so no vrrp-state event.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(
      sse.events.slice(before).filter((e) => e.event === 'vrrp-state'),
      [],
      'a reload that keeps the state reports no transition',
    );
    assert.equal((await waitState(daemon, 'VI_1', 'MASTER', 1000)).basePriority, 130);
    assert.deepEqual(
      rsOf(await vigilStatus(daemon)).runtime,
      { weight: 5 },
      'runtime changes outlive a reload',
    );
    lab.kill(sse.child, 'SIGKILL');
  } finally {
    if (d) await stopDaemon(lab, d);
    await lab.destroy();
  }
});

async function vigilRun(
  args: string[],
  ms: number,
): Promise<{ code: number | null; out: () => string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'run', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, out: () => out, child };
}

test('a network-facing API without a token is refused; a port in use is logged and the daemon runs on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-api-'));
  dirs.push(dir);
  const conf = join(dir, 'k.conf');
  writeFileSync(conf, 'global_defs {\n  router_id api_refuse\n}\n');
  const refused = await vigilRun(
    ['-P', '-f', conf, '--runtime-dir', join(dir, 'r1'), '-l', '--api-listen', '10.255.73.1:9273'],
    20_000,
  );
  assert.equal(refused.code, 1, refused.out());
  assert.match(
    refused.out(),
    /the API on 10\.255\.73\.1:9273 is reachable from the network: give it a token/,
  );

  // Something else holds the port: the daemon logs it and keeps running (status answers).
  const port = await freePort();
  const holder = net.createServer().listen(port, '127.0.0.1');
  await new Promise((r) => holder.once('listening', r));
  try {
    const busy = await vigilRun(
      ['-P', '-f', conf, '--runtime-dir', join(dir, 'r2'), '-l', '--api-listen', `127.0.0.1:${port}`],
      4000,
    );
    try {
      assert.equal(busy.code, null, `still running: ${busy.out()}`);
      await waitFor('the log line', async () => busy.out().includes('cannot serve the API'), 15_000);
      assert.match(
        busy.out(),
        new RegExp(
          `cannot serve the API on 127\\.0\\.0\\.1:${port}: 127\\.0\\.0\\.1:${port} is in use by another program; the daemon runs on without its API`,
        ),
      );
      const st = await run(
        process.execPath,
        ['--import', 'tsx', CLI, 'status', '--json', '--runtime-dir', join(dir, 'r2')],
        { encoding: 'utf8' },
      );
      assert.equal((JSON.parse(st.stdout) as { pid: number }).pid, busy.child.pid);
    } finally {
      busy.child.kill('SIGTERM');
      await new Promise((r) => busy.child.once('exit', r));
    }
  } finally {
    holder.close();
  }
});

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) =>
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject),
  );
}

test('reload re-reads api { }: a new address moves the listener, an unchanged one keeps it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-api-'));
  dirs.push(dir);
  const conf = join(dir, 'k.conf');
  const [p1, p2] = [await freePort(), await freePort()];
  const write = (port: number): void =>
    writeFileSync(conf, `global_defs {\n  router_id api_reload\n}\napi {\n  listen 127.0.0.1:${port}\n}\n`);
  write(p1);
  const d = await vigilRun(['-P', '-f', conf, '--runtime-dir', join(dir, 'r'), '-l'], 1000);
  try {
    await waitFor('the API', async () => (await get(p1, '/api/v1/status').catch(() => 0)) === 200, 20_000);
    d.child.kill('SIGHUP');
    // The children answer the reload before the supervisor looks at api { }: give it a moment.
    await waitFor('first reload', async () => d.out().includes('configuration reloaded'), 15_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await get(p1, '/metrics'), 200, 'same api { }: the same listener');
    assert.equal(d.out().match(/API on http/g)?.length, 1, 'not restarted');
    write(p2);
    d.child.kill('SIGHUP');
    await waitFor(
      'the API on the new port',
      async () => (await get(p2, '/api/v1/status').catch(() => 0)) === 200,
      15_000,
    );
    await assert.rejects(get(p1, '/api/v1/status'), /ECONNREFUSED/);
  } finally {
    d.child.kill('SIGTERM');
    await new Promise((r) => d.child.once('exit', r));
  }
});
