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
  assert.deepEqual(parseDaemonArgs(['-n=1']), { ok: false, error: "unknown option '-=' (in '-n=1')" });
});

// Every flag keepalived 2.2.7's parse_cmdline accepts (core/main.c), read as getopt_long reads it.
test('grouped short flags, attached values and unambiguous long prefixes, as getopt_long', () => {
  const r = parseDaemonArgs(['-lnD', '-f/a.conf', '-ilb02', '-Sdaemon', '--use=/b.conf', '--dont-f']);
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.equal(r.options.logConsole && r.options.dontFork && r.options.logDetail, true);
  assert.equal(r.options.configFile, '/b.conf', 'the last -f wins');
  assert.equal(r.options.configId, 'lb02');
  assert.deepEqual(r.warnings, []);
  const amb = parseDaemonArgs(['--dont']);
  assert.ok(!amb.ok);
  assert.match(amb.error, /option '--dont' is ambiguous; possibilities: .*--dont-release-vrrp.*--dont-fork/);
});

test('flags vigil acts on: -R -V -I -u -p -r -c -b -e -B --all -G -g -d', () => {
  const r = parseDaemonArgs([
    '-R',
    '-V',
    '-I',
    '-u',
    '0027',
    '-p',
    '/run/k.pid',
    '--vrrp_pid=/run/v.pid',
    '--checkers_pid',
    '/run/c.pid',
    '-b',
    '/run/b.pid',
    '-e',
    '-B',
    '--all',
    '-G',
    '-g/var/log/k.log',
    '-d',
  ]);
  assert.ok(r.ok, r.ok ? '' : r.error);
  const o = r.options;
  assert.equal(o.dontRespawn, true);
  assert.equal(o.dontReleaseVrrp, true);
  assert.equal(o.dontReleaseIpvs, true);
  assert.equal(o.umask, 0o027);
  assert.equal(o.pidFile, '/run/k.pid');
  assert.equal(o.vrrpPidFile, '/run/v.pid');
  assert.equal(o.checkersPidFile, '/run/c.pid');
  assert.equal(o.syslog, false);
  assert.equal(o.logFile, '/var/log/k.log');
  assert.equal(o.dumpConf, true);
  assert.deepEqual(r.warnings, [], 'nothing here is ignored');
  assert.equal((parseDaemonArgs(['-u', '0x1f']) as { options: { umask: number } }).options.umask, 0x1f);
  assert.equal((parseDaemonArgs(['--umask=63']) as { options: { umask: number } }).options.umask, 63);
  // keepalived's -g without a file: keepalived.log in the temporary directory.
  const g = parseDaemonArgs(['-g', '-D']);
  assert.ok(g.ok);
  assert.match(g.options.logFile ?? '', /\/keepalived\.log$/);
  const d = parseDaemonArgs([]);
  assert.ok(d.ok);
  assert.equal(d.options.dontRespawn || d.options.dontReleaseVrrp || d.options.dontReleaseIpvs, false);
  assert.equal(d.options.umask, undefined);
});

test('flags vigil does not act on are accepted with one warning each, naming what does not happen', () => {
  const cases: [string[], RegExp][] = [
    [['-X'], /option -X: not implemented: VIPs are not dropped/],
    [['--release-vips'], /option --release-vips: not implemented/],
    [['-a'], /option -a: not implemented: address additions/],
    [['-x'], /option -x: not implemented: vigil has no SNMP subagent/],
    [['-A', '/s'], /option -A: not implemented: vigil has no SNMP/],
    [['-m'], /option -m: not implemented: the core-dump size limit/],
    [['-M'], /option -M: not implemented: kernel\.core_pattern/],
    [['--core-dump-pattern=core.%p'], /option --core-dump-pattern: not implemented/],
    [['-s', 'blue'], /option -s blue: not implemented: vigil runs in the network namespace it is started in/],
    [['--namespace=blue'], /option --namespace blue: not implemented/],
    [['-L'], /option -L: a keepalived debugging option/],
    [['--no-mem-check'], /a keepalived debugging option/],
    [['--perf'], /a keepalived debugging option/],
    [['--debug=x'], /a keepalived debugging option/],
    [['--config-fd', '5'], /option --config-fd: keepalived's internal option/],
  ];
  for (const [argv, re] of cases) {
    const r = parseDaemonArgs(argv);
    assert.ok(r.ok, `${argv.join(' ')}: ${r.ok ? '' : r.error}`);
    assert.equal(r.warnings.length, 1, argv.join(' '));
    assert.match(r.warnings[0]!, re);
  }
  // Debian's unit (`keepalived --dont-fork $DAEMON_ARGS`) and Red Hat's KEEPALIVED_OPTIONS="-D".
  for (const argv of [['--dont-fork'], ['-D'], ['--dont-fork', '-D', '-S', '0']]) {
    const r = parseDaemonArgs(argv);
    assert.ok(r.ok && r.warnings.length === 0, argv.join(' '));
  }
});

test('actions: -h, -v, --signum, -t, -T (the rest of the line is genhash)', () => {
  const act = (argv: string[]): unknown => {
    const r = parseDaemonArgs(argv);
    assert.ok(r.ok, r.ok ? '' : r.error);
    return r.action;
  };
  assert.deepEqual(act(['-h']), { kind: 'help' });
  assert.deepEqual(act(['-D', '--version']), { kind: 'version' });
  assert.deepEqual(act(['--signum=JSON']), { kind: 'signum', name: 'JSON' });
  assert.deepEqual(act(['--signum', 'STATS']), { kind: 'signum', name: 'STATS' });
  assert.deepEqual(act(['-f', '/a', '-t']), { kind: 'config-test', files: ['/a'] });
  assert.deepEqual(act(['-t', '-D', '-f/a', '--use-file', '/peer']), {
    kind: 'config-test',
    files: ['/a', '/peer'],
  });
  assert.deepEqual(act(['--config-test']), {
    kind: 'config-test',
    files: ['/etc/keepalived/keepalived.conf'],
  });
  assert.deepEqual(act(['-T', '-s', '10.0.0.1', '-p', '80', '-u', '/']), {
    kind: 'genhash',
    argv: ['-s', '10.0.0.1', '-p', '80', '-u', '/'],
  });
  assert.equal(act(['-D']), undefined);
});

test('bad flags and values: a clear error naming the flag', () => {
  const err = (argv: string[]): string => {
    const r = parseDaemonArgs(argv);
    assert.ok(!r.ok, argv.join(' '));
    return r.error;
  };
  assert.equal(err(['-Z']), "unknown option '-Z'");
  assert.equal(err(['-lZ']), "unknown option '-Z' (in '-lZ')");
  assert.equal(err(['-u', 'abc']), "option -u needs a file mode mask from 0 to 0777 (e.g. 0077), not 'abc'");
  assert.equal(
    err(['-u', '01000']),
    "option -u needs a file mode mask from 0 to 0777 (e.g. 0077), not '01000'",
  );
  assert.equal(err(['--pid']), 'option --pid needs a value');
  assert.equal(err(['--pid=']), 'option --pid needs a value');
  assert.equal(err(['--dont-fork=yes']), "option --dont-fork takes no value (got '--dont-fork=yes')");
  assert.equal(err(['--signum']), 'option --signum needs a value');
  assert.equal(err(['keepalived.conf']), "unexpected argument 'keepalived.conf' (options start with '-')");
});
