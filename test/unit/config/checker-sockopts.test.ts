// A checker's bind_if and fwmark as keepalived 2.2.7 reads them: taken by the checkers whose socket
// carries them, warned where keepalived takes them and does nothing (UDP_CHECK's bind_if,
// PING_CHECK's both), errors at the value when invalid; an IPv6 link-local target without
// bind_if drops the checker, as keepalived's check_conn_opts does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import type { Checker } from '../../../src/config/model.js';

function load(rs: string, body: string): { checkers: Checker[]; diags: string[] } {
  const r = loadConfigText(
    `virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server ${rs} 80 {\n${body}  }\n}\n`,
    'k.conf',
  );
  return {
    checkers: r.config.virtualServers[0]?.realServers[0]?.checkers ?? [],
    diags: r.diagnostics.map((d) => `${d.severity} ${d.loc.line}:${d.loc.col} ${d.message}`),
  };
}

test('bind_if and fwmark are read, without warnings, by TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK and DNS_CHECK', () => {
  for (const kind of ['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'SMTP_CHECK', 'DNS_CHECK']) {
    const url = kind.endsWith('_GET') ? '      url {\n        path /\n      }\n' : '';
    const r = load('10.0.0.2', `    ${kind} {\n      bind_if eth1\n      fwmark 4294967295\n${url}    }\n`);
    assert.deepEqual(r.diags, [], kind);
    const c = r.checkers[0] as { bindIf?: string; fwmark?: number };
    assert.equal(c.bindIf, 'eth1', kind);
    assert.equal(c.fwmark, 0xffffffff, kind);
  }
});

test('UDP_CHECK takes fwmark; its bind_if, and PING_CHECK bind_if and fwmark, are warned as keepalived ignores them', () => {
  const udp = load('10.0.0.2', '    UDP_CHECK {\n      bind_if eth1\n      fwmark 7\n    }\n');
  assert.deepEqual(udp.diags, [
    "warning 5:7 'bind_if' in UDP_CHECK: keepalived 2.2.7 does not bind UDP_CHECK's socket to an interface (fwmark and bindto apply); vigil does not either",
  ]);
  assert.equal((udp.checkers[0] as { fwmark?: number }).fwmark, 7);
  assert.equal((udp.checkers[0] as { bindIf?: string }).bindIf, undefined);
  const ping = load('10.0.0.2', '    PING_CHECK {\n      bind_if eth1\n      fwmark 7\n    }\n');
  assert.deepEqual(ping.diags, [
    "warning 5:7 'bind_if' in PING_CHECK: keepalived 2.2.7 does not bind PING_CHECK's socket to an interface; vigil does not either",
    "warning 6:7 'fwmark' in PING_CHECK: keepalived 2.2.7 does not mark PING_CHECK's packets (SO_MARK); vigil does not either",
  ]);
});

test('an invalid bind_if or fwmark is an error at its value', () => {
  const long = load('10.0.0.2', '    TCP_CHECK {\n      bind_if averyveryverylongname\n    }\n');
  assert.deepEqual(long.diags, [
    "error 5:15 bind_if: 'averyveryverylongname' is not an interface name (at most 15 characters, no '/')",
  ]);
  for (const bad of ['-1', '4294967296', 'seven']) {
    const r = load('10.0.0.2', `    TCP_CHECK {\n      fwmark ${bad}\n    }\n`);
    assert.equal(r.diags.length, 1, bad);
    assert.match(r.diags[0]!, /^error 5:14 /, bad);
  }
  const none = load('10.0.0.2', '    TCP_CHECK {\n      bind_if\n    }\n');
  assert.equal(none.diags.length, 1);
  assert.match(none.diags[0]!, /^error 5:7 /);
});

test('an IPv6 link-local target needs bind_if: without it the checker is dropped with a warning', () => {
  const bare = load('fe80::2', '    TCP_CHECK {\n      connect_port 80\n    }\n');
  assert.deepEqual(bare.diags, [
    'warning 4:5 Checker link local address fe80::2 requires a bind_if: this TCP_CHECK is not run (keepalived drops it too)',
  ]);
  assert.equal(bare.checkers.length, 0);
  const bound = load('fe80::2', '    TCP_CHECK {\n      bind_if eth1\n    }\n');
  assert.deepEqual(bound.diags, []);
  assert.equal(bound.checkers.length, 1);
  const viaConnectIp = load(
    '2001:db8::2',
    '    HTTP_GET {\n      connect_ip fe80::9\n      url {\n        path /\n      }\n    }\n',
  );
  assert.equal(viaConnectIp.checkers.length, 0);
  assert.match(viaConnectIp.diags[0]!, /link local address fe80::9 requires a bind_if/);
});
