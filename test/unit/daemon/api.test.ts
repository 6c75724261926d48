// The API's pure parts: routes and methods, the weight body, the token rule, api { } / flag
// resolution, how virtual and real servers are named, and what each runtime action leaves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authorized, realServerBody, route, weightBody } from '../../../src/daemon/api-routes.js';
import { resolveApi, sameApi } from '../../../src/daemon/api-settings.js';
import { parseDaemonArgs } from '../../../src/daemon/options.js';
import { isLoopback, parseListen } from '../../../src/config/listen.js';
import { loadConfigText } from '../../../src/config/load.js';
import { findRealServer, parseVsTarget } from '../../../src/lvs/targets.js';
import { nextOverride } from '../../../src/lvs/controller.js';
import { formatRealServers } from '../../../src/cli/status.js';
import { desiredServices } from '../../../src/lvs/desired.js';

test('routes: fixed endpoints, methods (405 with Allow), real-server actions, 404', () => {
  assert.deepEqual(route('GET', '/api/v1/status'), { ok: true, route: { kind: 'status' } });
  assert.deepEqual(route('HEAD', '/metrics'), { ok: true, route: { kind: 'metrics' } });
  assert.deepEqual(route('GET', '/dashboard/app.js'), { ok: true, route: { kind: 'dashboard' } });
  assert.deepEqual(route('POST', '/api/v1/status'), {
    ok: false,
    status: 405,
    error: '/api/v1/status takes GET',
    allow: 'GET',
  });
  const r = route(
    'POST',
    '/api/v1/virtual-servers/tcp%3A10.0.0.1%3A80/real-servers/%5B2001%3Adb8%3A%3A2%5D%3A80/drain',
  );
  assert.deepEqual(r, {
    ok: true,
    route: { kind: 'runtime', vs: 'tcp:10.0.0.1:80', rs: '[2001:db8::2]:80', action: 'drain' },
  });
  assert.equal(
    (
      route('POST', '/api/v1/virtual-servers/10.0.0.1:80/real-servers/10.0.0.2:80') as {
        route: { action: string };
      }
    ).route.action,
    'weight',
  );
  assert.equal(
    (
      route('GET', '/api/v1/virtual-servers/10.0.0.1:80/real-servers/10.0.0.2:80/enable') as {
        status: number;
      }
    ).status,
    405,
  );
  assert.equal(
    (
      route('POST', '/api/v1/virtual-servers/10.0.0.1:80/real-servers/10.0.0.2:80/explode') as {
        status: number;
      }
    ).status,
    404,
  );
  assert.equal(
    (route('POST', '/api/v1/virtual-servers/%E0%A4%A/real-servers/10.0.0.2:80') as { status: number }).status,
    404,
  );
  assert.equal((route('GET', '/api/v2/status') as { status: number }).status, 404);
  // A real server's traffic history: GET only.
  assert.deepEqual(
    route('GET', '/api/v1/virtual-servers/tcp%3A10.0.0.1%3A80/real-servers/10.0.0.2%3A80/history'),
    {
      ok: true,
      route: { kind: 'history', vs: 'tcp:10.0.0.1:80', rs: '10.0.0.2:80' },
    },
  );
  assert.equal(
    (
      route('POST', '/api/v1/virtual-servers/10.0.0.1:80/real-servers/10.0.0.2:80/history') as {
        status: number;
      }
    ).status,
    405,
  );
});

test('weight body: an object with an integer 0..65535 and nothing else', () => {
  assert.deepEqual(weightBody('{"weight":0}'), { weight: 0 });
  assert.deepEqual(weightBody('{"weight":65535}'), { weight: 65535 });
  for (const bad of [
    '{"weight":65536}',
    '{"weight":-1}',
    '{"weight":1.5}',
    '{"weight":"3"}',
    '{}',
    '[1]',
    'null',
    '{"weight":1,"x":2}',
  ])
    assert.ok('error' in weightBody(bad), bad);
  assert.match((weightBody('{"weight":') as { error: string }).error, /not JSON/);
});

test('token: Bearer header for everything, ?token= for GETs only; none configured lets all in', () => {
  assert.equal(authorized(undefined, 'POST', undefined, null), true);
  assert.equal(authorized('s3cret', 'POST', 'Bearer s3cret', null), true);
  assert.equal(authorized('s3cret', 'GET', 'bearer s3cret', null), true);
  assert.equal(
    authorized('s3cret', 'GET', 'Bearer wrong', 's3cret'),
    false,
    'a wrong header is not overridden',
  );
  assert.equal(authorized('s3cret', 'GET', undefined, 's3cret'), true);
  assert.equal(authorized('s3cret', 'POST', undefined, 's3cret'), false);
  assert.equal(authorized('s3cret', 'GET', undefined, null), false);
  assert.equal(authorized('s3cret', 'GET', 'Basic czNjcmV0', null), false);
});

test('api settings: defaults, flags over api { }, non-loopback needs a token, token file errors', () => {
  const none = { noApi: false };
  const files: Record<string, string> = { '/t': 'abc\n', '/empty': '\n' };
  const read = (p: string): string => {
    if (p in files) return files[p]!;
    throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  };
  assert.deepEqual(resolveApi(none, undefined, read), {
    off: false,
    settings: { listen: { host: '127.0.0.1', port: 9273 } },
  });
  assert.deepEqual(resolveApi({ noApi: true }, { listen: { host: '10.0.0.1', port: 1 } }, read), {
    off: true,
  });
  const cfg = { listen: { host: '10.0.0.1', port: 8080 }, tokenFile: '/t' };
  assert.deepEqual(resolveApi(none, cfg, read), {
    off: false,
    settings: { listen: { host: '10.0.0.1', port: 8080 }, token: 'abc', tokenFile: '/t' },
  });
  const flagged = resolveApi(
    { ...none, apiListen: '[::1]:9000' },
    { listen: { host: '10.0.0.1', port: 8080 } },
    read,
  );
  assert.deepEqual(flagged, { off: false, settings: { listen: { host: '::1', port: 9000 } } });
  assert.match(
    (resolveApi(none, { listen: { host: '10.0.0.1', port: 8080 } }, read) as { error: string }).error,
    /reachable from the network: give it a token/,
  );
  assert.match(
    (resolveApi({ ...none, apiTokenFile: '/missing' }, undefined, read) as { error: string }).error,
    /\/missing: ENOENT/,
  );
  assert.match(
    (resolveApi({ ...none, apiTokenFile: '/empty' }, undefined, read) as { error: string }).error,
    /is empty/,
  );
  const a = { listen: { host: '127.0.0.1', port: 1 } };
  assert.equal(sameApi(a, { listen: { host: '127.0.0.1', port: 1 } }), true);
  assert.equal(sameApi(a, { ...a, token: 'x' }), false);
  assert.equal(sameApi(a, null), false);
});

test('listen addresses and the run flags', () => {
  assert.deepEqual(parseListen('0.0.0.0:80'), { host: '0.0.0.0', port: 80 });
  assert.deepEqual(parseListen('[fd00::1]:9273'), { host: 'fd00::1', port: 9273 });
  for (const bad of ['fd00::1:9273', '1.2.3.4:0', '1.2.3.4:70000', '1.2.3:80', 'host:80', '[1.2.3.4]:80'])
    assert.equal(parseListen(bad), null, bad);
  assert.equal(isLoopback('127.3.0.1'), true);
  assert.equal(isLoopback('::1'), true);
  assert.equal(isLoopback('0.0.0.0'), false);
  assert.equal(isLoopback('::'), false);
  const r = parseDaemonArgs(['--api-listen', '10.0.0.1:1', '--api-token-file=/t', '--no-api']);
  assert.ok(r.ok);
  assert.deepEqual(
    [r.options.apiListen, r.options.apiTokenFile, r.options.noApi],
    ['10.0.0.1:1', '/t', true],
  );
  const bad = parseDaemonArgs(['--api-listen', 'localhost']);
  assert.ok(!bad.ok);
  assert.match(bad.error, /--api-listen must be ADDRESS:PORT.*'localhost'/);
});

const conf = `
virtual_server 10.0.0.1 80 {
    protocol TCP
    real_server 10.0.0.2 80 { weight 3 }
    real_server 10.0.0.3 80 { weight 1 }
}
virtual_server 10.0.0.1 80 {
    protocol UDP
    real_server 10.0.0.2 80 { }
}
virtual_server 2001:db8::1 443 {
    protocol TCP
    real_server 2001:db8::2 443 { }
}
virtual_server fwmark 7 {
    protocol TCP
    real_server 10.0.0.4 0 { }
}
`;

test('naming virtual and real servers: protocol when ambiguous, IPv6 in brackets, fwm:N', () => {
  const { config, diagnostics } = loadConfigText(conf, 'k.conf');
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const ok = (vs: string, rs: string): string => {
    const f = findRealServer(config, vs, rs);
    assert.ok('vs' in f, `${vs} ${rs}: ${'error' in f ? f.error : ''}`);
    return `${f.vs.label}/${f.vs.protocol} ${f.rs.address}:${f.rs.port}`;
  };
  assert.equal(ok('tcp:10.0.0.1:80', '10.0.0.3:80'), '10.0.0.1:80/TCP 10.0.0.3:80');
  assert.equal(ok('UDP:10.0.0.1:80', '10.0.0.2:80'), '10.0.0.1:80/UDP 10.0.0.2:80');
  assert.equal(ok('[2001:0db8::1]:443', '[2001:db8:0::2]:443'), '[2001:db8::1]:443/TCP 2001:db8::2:443');
  assert.equal(ok('fwm:7', '10.0.0.4:0'), 'fwmark 7/TCP 10.0.0.4:0');
  const amb = findRealServer(config, '10.0.0.1:80', '10.0.0.2:80');
  assert.deepEqual(
    ['status' in amb && amb.status, 'error' in amb && /ambiguous.*tcp:10\.0\.0\.1:80/.test(amb.error)],
    [400, true],
  );
  const unknown = findRealServer(config, 'tcp:10.0.0.1:80', '10.0.0.9:80');
  assert.deepEqual('status' in unknown && unknown.status, 404);
  assert.deepEqual('status' in findRealServer(config, 'tcp:10.0.0.9:80', '10.0.0.2:80') && 404, 404);
  assert.equal((findRealServer(config, '10.0.0.1', '10.0.0.2:80') as { status: number }).status, 400);
  assert.equal((findRealServer(config, 'fwm:7', '10.0.0.4') as { status: number }).status, 400);
  assert.equal(parseVsTarget('fwm:0'), null);
  assert.deepEqual(parseVsTarget('group:web'), { kind: 'group', group: 'web' });
});

test('runtime actions: weight clears a drain, enable clears drain and disable, the table follows', () => {
  let o = nextOverride({}, 'weight', 5);
  assert.deepEqual(o, { weight: 5 });
  o = nextOverride(o, 'drain');
  assert.deepEqual(o, { weight: 5, drained: true });
  o = nextOverride(o, 'disable');
  assert.deepEqual(o, { weight: 5, drained: true, disabled: true });
  assert.deepEqual(nextOverride(o, 'enable'), { weight: 5 });
  assert.deepEqual(nextOverride({ drained: true }, 'weight', 2), { weight: 2 });

  const { config } = loadConfigText(conf, 'k.conf');
  const tcp = config.virtualServers[0]!;
  const weights = (ov: Record<string, { weight?: number; drained?: boolean; disabled?: boolean }>): string =>
    desiredServices(config, {
      health: () => ({ alive: true }),
      override: (vs, rs) => (vs === tcp ? ov[rs.address] : undefined),
      quorumUp: new Map(),
    })[0]!
      .dests.map((d) => `${d.address}=${d.weight}`)
      .join(' ');
  assert.equal(weights({}), '10.0.0.2=3 10.0.0.3=1');
  assert.equal(weights({ '10.0.0.2': { weight: 9 } }), '10.0.0.2=9 10.0.0.3=1');
  assert.equal(
    weights({ '10.0.0.2': { weight: 9, drained: true } }),
    '10.0.0.2=0 10.0.0.3=1',
    'drained: in the table at weight 0',
  );
  assert.equal(weights({ '10.0.0.3': { disabled: true } }), '10.0.0.2=3', 'disabled: out of the table');
});

test('vigil status shows the weight in force and the runtime change behind it', () => {
  const lines = formatRealServers([
    {
      virtualServer: '10.0.0.1:80/TCP',
      realServer: '10.0.0.2:80',
      state: 'up',
      weight: 0,
      runtime: { weight: 5, drained: true },
      checkers: [],
    },
    { virtualServer: '10.0.0.1:80/TCP', realServer: '10.0.0.3:80', state: 'up', weight: 1, checkers: [] },
  ]);
  assert.deepEqual(lines, [
    'virtual server 10.0.0.1:80/TCP',
    '  10.0.0.2:80 up weight 0 [runtime: weight 5, drained]',
    '  10.0.0.3:80 up weight 1',
  ]);
});

test('PUT adds, DELETE removes, POST weighs a real server at one path; other verbs 405 with Allow', () => {
  const path = '/api/v1/virtual-servers/10.0.0.1:80/real-servers/10.0.0.9:80';
  const action = (m: string) => (route(m, path) as { route?: { action: string } }).route?.action;
  assert.equal(action('PUT'), 'add');
  assert.equal(action('DELETE'), 'remove');
  assert.equal(action('POST'), 'weight');
  assert.deepEqual(route('PATCH', path), {
    ok: false,
    status: 405,
    error: `${path} takes POST, PUT or DELETE`,
    allow: 'POST, PUT, DELETE',
  });
  assert.equal((route('PUT', `${path}/drain`) as { status: number }).status, 405);
  assert.deepEqual(realServerBody('{"weight":2,"TCP_CHECK":{}}'), { body: { weight: 2, TCP_CHECK: {} } });
  assert.match((realServerBody('{"weight":') as { error: string }).error, /^the body is not JSON/);
  assert.match((realServerBody('[1]') as { error: string }).error, /JSON object of real_server keywords/);
  assert.match((realServerBody('') as { error: string }).error, /not JSON/);
});

test('vigil status marks a real server the API added', () => {
  const lines = formatRealServers([
    {
      virtualServer: '10.0.0.1:80/TCP',
      realServer: '10.0.0.9:80',
      state: 'up',
      weight: 2,
      added: 'runtime',
      runtime: { drained: true },
      checkers: [],
    },
  ]);
  assert.deepEqual(lines, [
    'virtual server 10.0.0.1:80/TCP',
    '  10.0.0.9:80 up weight 2 [runtime: added, drained]',
  ]);
});

test('vigil check warns about a network-facing api { } without a token_file', () => {
  const warn = (text: string): string[] =>
    loadConfigText(text, 'k.conf')
      .diagnostics.filter((d) => d.severity === 'warning')
      .map((d) => d.message);
  assert.deepEqual(warn('api {\n  listen 0.0.0.0:9273\n}\n').length, 1);
  assert.match(
    warn('api {\n  listen 0.0.0.0:9273\n}\n')[0]!,
    /reachable from the network without a token_file/,
  );
  assert.deepEqual(warn('api {\n  listen 0.0.0.0:9273\n  token_file /etc/vigil/token\n}\n'), []);
  assert.deepEqual(warn('api {\n  listen [::1]:9273\n}\n'), []);
});
