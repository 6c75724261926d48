// The daemon's logs as an operator configures them: keepalived's -S facility to syslog (here a
// datagram socket the test binds in place of /dev/log), --log-file with text or JSON lines, and
// systemd's notify protocol (READY, RELOADING on SIGHUP as ExecReload sends it, STOPPING).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DgramListener } from '../../support/unix-dgram.js';
import { freePort } from '../../support/ports.js';

const daemons: ChildProcess[] = [];
const listeners: DgramListener[] = [];
const dirs: string[] = [];
after(() => {
  for (const d of daemons) if (d.pid && d.exitCode === null) d.kill('SIGKILL');
  for (const l of listeners) l.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A checker-only daemon whose one real server is down (a port nothing listens on). */
async function start(
  extra: string[],
  globalDefs = '',
): Promise<{ syslog: DgramListener; notify: DgramListener; proc: ChildProcess; conf: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-log-'));
  dirs.push(dir);
  const [vport, rport] = [await freePort(), await freePort()];
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(
    conf,
    `global_defs {
    lvs_engine userspace${globalDefs}
}
virtual_server 127.0.0.21 ${vport} {
    delay_loop 0.3
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.2 ${rport} {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
`,
  );
  const syslog = new DgramListener(join(dir, 'log.sock'));
  const notify = new DgramListener(join(dir, 'notify.sock'));
  listeners.push(syslog, notify);
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'run',
      '-C',
      '-f',
      conf,
      '--runtime-dir',
      join(dir, 'run'),
      '--syslog-socket',
      syslog.path,
      ...extra,
    ],
    { stdio: 'ignore', env: { ...process.env, NOTIFY_SOCKET: notify.path } },
  );
  daemons.push(proc);
  return { syslog, notify, proc, conf };
}

async function stop(proc: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  proc.kill('SIGTERM');
  return exited;
}

const RFC3164 =
  /^<(\d+)>(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d ([\w-]+)\[(\d+)\]: (.*)$/s;

test('-S local3 with --log-json: RFC 3164 syslog records with facility and severity, JSON lines in --log-file, sd_notify', async () => {
  const logDir = mkdtempSync(join(tmpdir(), 'vigil-log-'));
  dirs.push(logDir);
  const file = join(logDir, 'vigil.jsonl');
  const { syslog, notify, proc } = await start(['-S', 'local3', '--log-json', '--log-file', file]);
  const ready = await notify.waitFor(/^READY=1/, 20_000);
  assert.equal(ready.text, `READY=1\nMAINPID=${proc.pid}`);

  const started = RFC3164.exec((await syslog.waitFor(/vigil\[\d+\]: .*started/, 10_000)).text)!;
  assert.ok(started, 'an RFC 3164 record');
  assert.equal(Number(started[1]), 19 * 8 + 6, 'local3 (19) . info (6)');
  assert.equal(started[3], 'vigil');
  assert.equal(Number(started[4]), proc.pid);
  const body = JSON.parse(started[5]!) as { level: string; msg: string };
  assert.equal(body.level, 'info');
  assert.match(body.msg, /^started \(children: checker/);
  // The checker child logs too, with its own ident, pid and a warning's severity.
  const lost = RFC3164.exec((await syslog.waitFor(/vigil-checker\[\d+\]: .*quorum lost/, 15_000)).text)!;
  assert.equal(Number(lost[1]), 19 * 8 + 4, 'local3 . warning');
  assert.notEqual(Number(lost[4]), proc.pid);

  // ExecReload's SIGHUP: a reload, told to systemd and logged.
  process.kill(proc.pid!, 'SIGHUP');
  const reloading = await notify.waitFor(/^RELOADING=1$/, 10_000, ready.index + 1);
  await notify.waitFor(/^READY=1$/, 10_000, reloading.index + 1);
  await syslog.waitFor(/reloading configuration/, 5_000);
  assert.equal(await stop(proc), 0);
  await notify.waitFor(/^STOPPING=1$/, 5_000);
  // --log-json: every line of the file is one JSON object with time, level, ident, pid, msg.
  const entries = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { time: string; level: string; ident: string; pid: number; msg: string });
  assert.ok(entries.every((e) => !Number.isNaN(Date.parse(e.time)) && typeof e.pid === 'number'));
  assert.deepEqual(entries[0] && [entries[0].ident, entries[0].level, entries[0].pid], [
    'vigil',
    'info',
    proc.pid,
  ]);
  assert.ok(
    entries.some((e) => e.ident === 'vigil-checker' && e.level === 'warning' && /quorum lost/.test(e.msg)),
  );
  assert.ok(entries.some((e) => e.ident === 'vigil' && e.msg === 'reloading configuration'));
  assert.equal(entries.at(-1)!.msg, 'stopped');
});

test('text logs by default: --log-file lines and syslog records; -S 0 is local0; bad -S exits 2', async () => {
  const dirFile = mkdtempSync(join(tmpdir(), 'vigil-log-'));
  dirs.push(dirFile);
  const file = join(dirFile, 'vigil.log');
  const { syslog, notify, proc } = await start(['-S', '0', '--log-file', file]);
  await notify.waitFor(/^READY=1/, 20_000);
  const rec = RFC3164.exec((await syslog.waitFor(/quorum lost/, 15_000)).text)!;
  assert.equal(Number(rec[1]), 16 * 8 + 4, 'local0 . warning');
  assert.match(rec[5]!, /^warning: virtual_server 127\.0\.0\.21:\d+: quorum lost/);
  assert.equal(await stop(proc), 0);
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  assert.match(
    lines[0]!,
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z vigil\[\d+\]: started \(children: checker/,
  );
  assert.ok(lines.some((l) => /vigil-checker\[\d+\]: warning: virtual_server .*quorum lost/.test(l)));
  assert.match(lines.at(-1)!, /vigil\[\d+\]: stopped$/);

  const bad = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'run', '-S', 'local9', '-f', '/dev/null'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  bad.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => bad.once('exit', r));
  assert.equal(code, 2);
  assert.match(
    err,
    /option -S needs a syslog facility: 0\.\.7 \(local0\.\.local7\) or one of .*; got 'local9'/,
  );
});

test("the configuration's warnings are logged once at start and once per reload, at FILE:LINE:COL", async () => {
  const logDir = mkdtempSync(join(tmpdir(), 'vigil-log-'));
  dirs.push(logDir);
  const file = join(logDir, 'vigil.log');
  const { syslog, notify, proc, conf } = await start(
    ['-S', '0', '--log-file', file],
    '\n    enable_snmp_checker',
  );
  const ready = await notify.waitFor(/^READY=1/, 20_000);
  const rec = RFC3164.exec((await syslog.waitFor(/enable_snmp_checker/, 10_000)).text)!;
  assert.equal(Number(rec[1]), 16 * 8 + 4, 'local0 . warning');
  assert.equal(rec[3], 'vigil', 'the supervisor logs it, not a child');
  assert.equal(
    rec[5],
    `warning: ${conf}:3:5: 'enable_snmp_checker' is not implemented in vigil: SNMP is not implemented: no AgentX subagent, no traps`,
  );
  process.kill(proc.pid!, 'SIGHUP');
  const reloading = await notify.waitFor(/^RELOADING=1$/, 10_000, ready.index + 1);
  await notify.waitFor(/^READY=1$/, 10_000, reloading.index + 1);
  assert.equal(await stop(proc), 0);
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const warned = lines.filter((l) => l.includes('enable_snmp_checker'));
  assert.equal(warned.length, 2, lines.join('\n'));
  for (const l of warned)
    assert.match(l, new RegExp(`vigil\\[${proc.pid}\\]: warning: .*:3:5: 'enable_snmp_checker'`));
  // Once at start, after 'started'; once after 'reloading configuration'.
  const idx = (re: RegExp): number => lines.findIndex((l) => re.test(l));
  assert.ok(idx(/started \(children/) < lines.indexOf(warned[0]!));
  assert.ok(idx(/reloading configuration/) < lines.indexOf(warned[1]!));
});
