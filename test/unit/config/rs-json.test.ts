import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import { readRealServerJson, realServerText } from '../../../src/config/rs-json.js';
import type { Config } from '../../../src/config/model.js';

function configOf(text: string): Config {
  const r = loadConfigText(text, 'keepalived.conf', { env: {} });
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return r.config;
}

const CONF = configOf(`
track_file up { file /tmp/vigil-rs-json-up }
virtual_server 10.0.0.1 80 {
  protocol TCP
  delay_loop 3
  real_server 10.0.1.1 80 { TCP_CHECK { connect_timeout 1 } }
}
virtual_server 10.0.0.1 443 {
  protocol TCP
  lb_kind DR
  real_server 10.0.1.1 443 { }
}
`);
const VS = CONF.virtualServers[0]!;
const DR = CONF.virtualServers[1]!;
const AT = { address: '10.0.1.9', port: 8080 };

test('the body is written as a real_server block, each line remembering its field', () => {
  const t = realServerText('10.0.1.9', 8080, {
    weight: 2,
    inhibit_on_failure: true,
    alpha: false,
    HTTP_GET: { url: [{ path: '/a', status_code: 200 }, { path: '/b' }], connect_timeout: 3 },
  });
  assert.ok(!('error' in t));
  assert.equal(
    t.text,
    [
      'real_server 10.0.1.9 8080 {',
      '  weight 2',
      '  inhibit_on_failure',
      '  alpha false',
      '  HTTP_GET {',
      '    url {',
      '      path /a',
      '      status_code 200',
      '    }',
      '    url {',
      '      path /b',
      '    }',
      '    connect_timeout 3',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  assert.equal(t.fields[6], 'HTTP_GET.url[0].path');
  assert.equal(t.fields[12], 'HTTP_GET.connect_timeout');
});

test('a body read with the configuration’s defaults and checkers', () => {
  const r = readRealServerJson(CONF, VS, AT, {
    weight: 2,
    inhibit_on_failure: true,
    HTTP_GET: { url: { path: '/health', status_code: 200, digest: '9b3a0c85a887a256d6939da88aabd8cd' } },
  });
  assert.ok('rs' in r, JSON.stringify(r));
  assert.equal(r.rs.address, '10.0.1.9');
  assert.equal(r.rs.port, 8080);
  assert.equal(r.rs.weight, 2);
  assert.equal(r.rs.inhibitOnFailure, true);
  const ch = r.rs.checkers[0]!;
  assert.equal(ch.kind, 'HTTP_GET');
  assert.equal(ch.kind === 'HTTP_GET' && ch.urls[0]!.path, '/health');
  assert.equal(ch.kind === 'HTTP_GET' && ch.urls[0]!.digest, '9b3a0c85a887a256d6939da88aabd8cd');
  // the config's default weight, and an empty checker block takes the real server's port
  const d = readRealServerJson(CONF, VS, AT, { TCP_CHECK: {} });
  assert.ok('rs' in d);
  assert.equal(d.rs.weight, 1);
  assert.equal(d.rs.checkers[0]!.kind, 'TCP_CHECK');
});

test('every bad field is named by its path in the body, never by a line of a file', () => {
  const bad: [unknown, string, RegExp][] = [
    [{ weight: 'heavy' }, 'weight', /weight/],
    [{ weight: -1 }, 'weight', /./],
    [{ weight: 1.5 }, 'weight', /./],
    [{ wieght: 2 }, 'wieght', /did you mean 'weight'/],
    [{ TCP_CHECK: { connect_timeout: 'soon' } }, 'TCP_CHECK.connect_timeout', /./],
    [{ TCP_CHECK: { conect_port: 81 } }, 'TCP_CHECK.conect_port', /connect_port/],
    [{ HTTP_GET: { url: { path: '/', status_code: 'ok' } } }, 'HTTP_GET.url.status_code', /./],
    [{ HTTP_GET: { url: [{ path: '/' }, { status_code: 200 }] } }, 'HTTP_GET.url[1]', /path/],
    [{ HTTP_GET: { url: { path: '/', digest: 'xyz' } } }, 'HTTP_GET.url.digest', /./],
    [{ HTTP_GET: {} }, 'HTTP_GET', /no url/],
    [{ inhibit_on_failure: 'maybe' }, 'inhibit_on_failure', /on\/off/],
    [{ FILE_CHECK: { track_file: 'nope' } }, 'FILE_CHECK', /track_file 'nope' is not defined/],
    [{ BFD_CHECK: {} }, 'BFD_CHECK', /not implemented/],
    [{ notify_up: '/bin/true' }, 'notify_up', /scripts come from the configuration/],
    [{ MISC_CHECK: { misc_path: '/bin/true' } }, 'MISC_CHECK', /script/],
    [{ include: '/etc/passwd' }, 'include', /not a real_server keyword/],
    [{ 'weight 3\nTCP_CHECK': 1 }, 'weight 3\nTCP_CHECK', /not a real_server keyword/],
    [{ virtualhost: 'a }\nweight 9' }, 'virtualhost', /line break/],
    [{ weight: null }, 'weight', /null/],
    [{ weight: [] }, 'weight', /empty list/],
    [{ url: [[1]] }, 'url[0]', /list inside a list/],
    [{ virtualhost: '"open' }, 'virtualhost', /quote/],
  ];
  for (const [body, field, message] of bad) {
    const r = readRealServerJson(CONF, VS, AT, body);
    assert.ok('error' in r, `${JSON.stringify(body)} was accepted`);
    assert.equal(r.field, field, `${JSON.stringify(body)}: ${r.error}`);
    assert.match(r.error, message, JSON.stringify(body));
    assert.doesNotMatch(r.error, /<api>|\.ts:|at \w+ \(/, r.error);
  }
});

test('the body must be an object; the real server must fit its virtual server', () => {
  for (const body of [null, [], 3, 'weight 2']) {
    const r = readRealServerJson(CONF, VS, AT, body);
    assert.ok('error' in r);
    assert.equal(r.field, '');
    assert.match(r.error, /JSON object/);
  }
  // DR cannot change the port: the configuration warns, the API refuses
  const dr = readRealServerJson(CONF, DR, { address: '10.0.1.9', port: 8443 }, {});
  assert.ok('error' in dr);
  assert.match(dr.error, /cannot change the port/);
  assert.ok('rs' in readRealServerJson(CONF, DR, { address: '10.0.1.9', port: 443 }, {}));
});
