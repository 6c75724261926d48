import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDaemonArgs } from '../../../src/daemon/options.js';
import { formatSyslog, parseFacility } from '../../../src/daemon/syslog.js';
import { syslogMessage } from '../../../src/daemon/log.js';

test('-S takes keepalived facilities: 0..7 mean local0..local7, or a name', () => {
  assert.equal(parseFacility('0'), 16);
  assert.equal(parseFacility('7'), 23);
  assert.equal(parseFacility('local5'), 21);
  assert.equal(parseFacility('daemon'), 3);
  assert.equal(parseFacility('USER'), 1);
  assert.equal(parseFacility('8'), null);
  assert.equal(parseFacility('local8'), null);
  assert.equal(parseFacility(''), null);
});

test('daemon options: syslog on with facility daemon by default; -S, --log-facility=, -G', () => {
  const d = parseDaemonArgs([]);
  assert.ok(d.ok);
  assert.equal(d.options.syslog, true);
  assert.equal(d.options.logFacility, 3);
  const s = parseDaemonArgs(['-S', 'local2', '--syslog-socket', '/tmp/x.sock']);
  assert.ok(s.ok);
  assert.equal(s.options.logFacility, 18);
  assert.equal(s.options.syslogSocket, '/tmp/x.sock');
  const l = parseDaemonArgs(['--log-facility=4']);
  assert.ok(l.ok);
  assert.equal(l.options.logFacility, 20);
  const g = parseDaemonArgs(['-G']);
  assert.ok(g.ok);
  assert.equal(g.options.syslog, false);
  const bad = parseDaemonArgs(['-S', 'kernel']);
  assert.ok(!bad.ok);
  assert.match(
    bad.error,
    /option -S needs a syslog facility: 0\.\.7 \(local0\.\.local7\) or one of kern, user, .*; got 'kernel'/,
  );
  const none = parseDaemonArgs(['-S']);
  assert.ok(!none.ok);
  assert.match(none.error, /option -S needs a syslog facility/);
});

test('RFC 3164 records: <facility*8+severity>, local-time stamp with a space-padded day, ident[pid]', () => {
  const t = new Date(2026, 0, 4, 9, 5, 7); // local time, as syslog(3) writes it
  assert.equal(
    formatSyslog(19, 'info', 'vigil', 42, 'started', t),
    '<158>Jan  4 09:05:07 vigil[42]: started',
  );
  assert.equal(formatSyslog(16, 'error', 'vigil-vrrp', 7, 'x', t), '<131>Jan  4 09:05:07 vigil-vrrp[7]: x');
  assert.equal(
    formatSyslog(3, 'debug', 'v', 1, 'a\nb', new Date(2026, 11, 24, 23, 0, 0)),
    '<31>Dec 24 23:00:00 v[1]: a b',
  );
  assert.equal(formatSyslog(3, 'warning', 'v', 1, 'w', t).slice(0, 4), '<28>');
});

test('syslog message bodies: text with the level tag and fields, or one JSON object', () => {
  assert.equal(syslogMessage('info', 'up', undefined, false), 'up');
  assert.equal(
    syslogMessage('warning', 'down', { rs: '10.0.0.1:80' }, false),
    'warning: down {"rs":"10.0.0.1:80"}',
  );
  assert.deepEqual(JSON.parse(syslogMessage('error', 'bad', { n: 1 }, true)), {
    level: 'error',
    msg: 'bad',
    n: 1,
  });
});
