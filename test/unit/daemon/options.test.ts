import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDaemonArgs } from '../../../src/daemon/options.js';

test('keepalived flags map to daemon options', () => {
  const r = parseDaemonArgs(['-f', '/tmp/k.conf', '-n', '-l', '-D', '-P', '-i', 'lb01', '-p', '/tmp/p']);
  assert.ok(r.ok);
  assert.equal(r.options.configFile, '/tmp/k.conf');
  assert.equal(r.options.dontFork, true);
  assert.equal(r.options.logConsole, true);
  assert.equal(r.options.logDetail, true);
  assert.equal(r.options.vrrp, true);
  assert.equal(r.options.check, false, '-P runs only the VRRP child');
  assert.equal(r.options.configId, 'lb01');
  assert.equal(r.options.pidFile, '/tmp/p');
});

test('long forms with = and the defaults keepalived has', () => {
  const r = parseDaemonArgs(['--use-file=/a.conf', '--runtime-dir', '/tmp/rd', '--dont-fork']);
  assert.ok(r.ok);
  assert.equal(r.options.configFile, '/a.conf');
  assert.equal(r.options.runtimeDir, '/tmp/rd');
  assert.equal(r.options.vrrp && r.options.check, true, 'both children by default');
  const d = parseDaemonArgs([]);
  assert.ok(d.ok);
  assert.equal(d.options.configFile, '/etc/keepalived/keepalived.conf');
  assert.equal(d.options.runtimeDir, '/run/vigil');
});

test('bad arguments are named', () => {
  assert.deepEqual(parseDaemonArgs(['-f']), { ok: false, error: 'option -f needs a value' });
  assert.deepEqual(parseDaemonArgs(['--bogus']), { ok: false, error: "unknown option '--bogus'" });
  assert.deepEqual(parseDaemonArgs(['-n=1']), { ok: false, error: "unknown option '-n=1'" });
});
