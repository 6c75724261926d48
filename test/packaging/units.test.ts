// The systemd units vigil ships and writes: systemd's own checker accepts them, and the daemon
// flags they pass are ones `vigil run` takes (a renamed flag would fail the service at boot).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDaemonArgs } from '../../src/daemon/options.js';
import { parseRealserverArgs, persistFiles } from '../../src/realserver/plan.js';
import { commandUnavailable, requireSystem } from '../support/system.js';

const UNIT = readFileSync('packaging/vigil.service', 'utf8');
const DEFAULTS = readFileSync('packaging/vigil.default', 'utf8');
const BIN = resolve('dist/cli/main.js');

function directive(text: string, name: string): string {
  const m = new RegExp(`^${name}=(.*)$`, 'm').exec(text);
  assert.ok(m, `${name}= is set`);
  return m[1]!;
}

/** systemd-analyze verify on a copy whose /usr/bin/vigil is this checkout's build. */
function verify(name: string, text: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-unit-'));
  try {
    const path = join(dir, name);
    writeFileSync(path, text.replaceAll('/usr/bin/vigil', BIN));
    // It exits 0 on directives it ignores ("Failed to parse …"): any word from it is a failure.
    const r = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', `${name}: ${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('vigil.service: Type=notify, SIGHUP reload, stop through the supervisor', () => {
  assert.equal(directive(UNIT, 'Type'), 'notify');
  assert.equal(directive(UNIT, 'ExecReload'), '/bin/kill -HUP $MAINPID');
  assert.equal(directive(UNIT, 'KillMode'), 'mixed');
  assert.equal(directive(UNIT, 'RuntimeDirectory'), 'vigil');
  // ExecStart as systemd expands it with /etc/default/vigil's values: flags `vigil run` takes.
  const env = Object.fromEntries(
    [...DEFAULTS.matchAll(/^(\w+)="?([^"\n]*)"?$/gm)].map((m) => [m[1]!, m[2]!]),
  ) as Record<string, string>;
  const argv = directive(UNIT, 'ExecStart')
    .replace(
      /\$\{(\w+)\}|\$(\w+)/g,
      (_m, a: string | undefined, b: string | undefined) => env[(a ?? b)!] ?? '',
    )
    .split(/\s+/)
    .filter(Boolean);
  assert.deepEqual(argv.slice(0, 2), ['/usr/bin/vigil', 'run']);
  const parsed = parseDaemonArgs(argv.slice(2));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  assert.equal(parsed.options.configFile, '/etc/keepalived/keepalived.conf');
  assert.equal(parsed.options.runtimeDir, '/run/vigil');
  assert.equal(parsed.options.syslog, true, 'logs reach the journal through /dev/log');
});

test('systemd-analyze verify accepts vigil.service and the unit --persist writes', (t) => {
  if (!requireSystem(t, commandUnavailable('systemd-analyze'))) return;
  verify('vigil.service', UNIT);
  const r = parseRealserverArgs(['--vip', '192.168.1.100', '--vip', 'fd00::100']);
  assert.ok(r.ok);
  const unit = persistFiles('/', r.options.mode, r.options.dev, r.options.vips, '/usr/bin/vigil').find((f) =>
    f.path.endsWith('.service'),
  )!;
  verify('vigil-realserver.service', unit.content);
  // What it runs at boot is a valid `vigil realserver` command line.
  const exec = directive(unit.content, 'ExecStart').split(' ');
  assert.deepEqual(exec.slice(0, 2), ['/usr/bin/vigil', 'realserver']);
  assert.ok(parseRealserverArgs(exec.slice(2)).ok);
});
