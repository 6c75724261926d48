// `vigil check` as an operator runs it: a real process, its exit code, stderr and stdout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function vigil(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const STACK = /\n\s+at .+:\d+:\d+/;
const corpus = 'test/fixtures/corpus/seed-configs';

test("the guide's 001-lvs-dr-wlc.conf: every mistake at its line, a summary, exit 1", () => {
  const r = vigil('check', '-f', `${corpus}/001-lvs-dr-wlc.conf`);
  assert.equal(r.code, 1);
  const f = `${corpus}/001-lvs-dr-wlc.conf`;
  assert.deepEqual(r.stderr.trim().split('\n'), [
    `${f}:22:1: warning: virtual_server 172.16.1.100:80: 172.16.1.100 is not a virtual_ipaddress of any vrrp_instance (they are: 172.16.1.3); the director will not hold the address clients connect to`,
    `${f}:30:5: warning: unknown keyword 'perssisstence_timeout' in virtual_server 172.16.1.100:80; did you mean 'persistence_timeout'?`,
    `${f}:36:16: error: weight -30 is out of range: it must be from 0 to 2147483647`,
    `${f}:44:13: warning: 'nb_get_retry' in TCP_CHECK: keepalived 2.2.7 does not know it here and ignores it; vigil ignores it too (write 'retry')`,
    `${f}:46:13: warning: unknown keyword 'delay_beefore_retry' in TCP_CHECK; did you mean 'delay_before_retry'?`,
    `${f}:53:16: error: weight -30 is out of range: it must be from 0 to 2147483647`,
    `${f}:61:13: warning: 'nb_get_retry' in TCP_CHECK: keepalived 2.2.7 does not know it here and ignores it; vigil ignores it too (write 'retry')`,
    `${f}:63:13: warning: unknown keyword 'delay_beefore_retry' in TCP_CHECK; did you mean 'delay_before_retry'?`,
  ]);
  assert.match(r.stdout, /VI_1: eth1 vrid 50 priority 100 MASTER v2 advert 1s VIPs 172\.16\.1\.3/);
  assert.match(r.stdout, /172\.16\.1\.100:80 TCP wlc\/DR/);
  assert.match(r.stdout, /-> 172\.16\.1\.7:80 weight 1: TCP_CHECK:80/);
  assert.match(r.stdout, /2 errors, 6 warnings: vigil would not run this configuration/);
});

test("a good configuration exits 0; keepalived's -t -f form works too", () => {
  const r = vigil('-t', '-f', 'examples/lvs-dr-master.conf');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /configuration OK/);
  assert.match(r.stdout, /data plane: (ipvs|nft|userspace); /);
});

test("keepalived's --config-test=LOG_FILE appends the diagnostics to LOG_FILE, not to stderr", () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ctest-'));
  const log = join(dir, 'check.log');
  writeFileSync(log, 'earlier line\n');
  const f = `${corpus}/001-lvs-dr-wlc.conf`;
  const r = vigil(`--config-test=${log}`, '-f', f);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, '');
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'earlier line');
  assert.equal(
    lines[1],
    `${f}:22:1: warning: virtual_server 172.16.1.100:80: 172.16.1.100 is not a virtual_ipaddress of any vrrp_instance (they are: 172.16.1.3); the director will not hold the address clients connect to`,
  );
  assert.equal(lines.length, 9);
  assert.match(r.stdout, /2 errors, 6 warnings/);
  // keepalived's short form (-tFILE) too; a file that cannot be opened is one clear line and exit 1.
  assert.equal(vigil(`-t${log}`, '-f', 'examples/lvs-dr-master.conf').code, 0);
  const bad = vigil(`--config-test=${join(dir, 'no', 'such.log')}`, '-f', f);
  assert.equal(bad.code, 1);
  assert.equal(
    bad.stderr,
    `vigil: unable to open config-test log file ${join(dir, 'no', 'such.log')}: ENOENT: no such file or directory\n`,
  );
  assert.doesNotMatch(bad.stderr, STACK);
});

test('--json prints the resolved model with keepalived defaults filled in', () => {
  const r = vigil('check', '--json', '-f', `${corpus}/002-lvs-dr-single.conf`);
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout) as {
    vrrpInstances: { advertInt: number; effectiveVersion: number }[];
    virtualServers: { delayLoop: number; realServers: { weight: number }[] }[];
  };
  assert.equal(m.vrrpInstances[0]!.effectiveVersion, 2);
  assert.ok(m.virtualServers[0]!.realServers.length >= 2);
});

test('the classic mistakes each get a message at their place', () => {
  const f = 'test/fixtures/check/mistakes.conf';
  const r = vigil('check', '-f', f);
  assert.equal(r.code, 1);
  for (const line of [
    `${f}:3:5: warning: vrrp_instance VI_1: nopreempt has no effect with 'state MASTER'`,
    `${f}:5:23: error: virtual_router_id 300 is out of range: it must be from 1 to 255`,
    `${f}:10:19: warning: auth_pass '123456789' is longer than 8 characters: only '12345678' is used`,
    `${f}:16:9: error: vrrp_instance VI_1: track_script 'chk_nginx' is not defined`,
    `${f}:24:9: error: vrrp_instance VI_2: VRRP version 2 cannot carry IPv6 addresses`,
    `${f}:35:13: error: unknown lb_algo 'wrrr' (rr wrr lc wlc lblc sh mh dh fo ovf lblcr sed nq twos); did you mean 'wrr'?`,
    `${f}:36:13: error: unknown lb_kind 'DRR' (NAT, DR, TUN or FULLNAT); did you mean 'DR'?`,
    `${f}:41:5: error: virtual_server 192.0.2.100:80: real_server 192.0.2.21:80 is listed twice (first at line 38)`,
    `${f}:45:1: error: vrrp_instance VI_4: virtual_router_id 51 is already used on eth0 by VI_3 (line 27)`,
  ]) {
    assert.ok(r.stderr.includes(line), `missing: ${line}\n--- got:\n${r.stderr}`);
  }
  assert.doesNotMatch(r.stderr, /VI_1 has no 'virtual_router_id'/);
});

test("with the peer's file, a track_script weight too small to move the VIP is named", () => {
  const r = vigil(
    'check',
    '-f',
    'test/fixtures/check/weak-master.conf',
    '-f',
    'test/fixtures/check/weak-backup.conf',
  );
  assert.equal(r.code, 0);
  assert.match(
    r.stderr,
    /weak-master\.conf:16:9: warning: vrrp_instance VI_1: when 'chk_web' fails the priority drops 100 → 95, which is not below VI_1's 90 \(test\/fixtures\/check\/weak-backup\.conf\): the VIP will not move\. Use a weight below -10/,
  );
  // The guides' own pair (weight -20, priorities 100/90) fails over correctly: no warning.
  const ok = vigil(
    'check',
    '-f',
    `${corpus}/000-lvs-dr-master.conf`,
    '-f',
    `${corpus}/000-lvs-dr-backup.conf`,
  );
  assert.doesNotMatch(ok.stderr, /will not move/);
});

test('bad input: a clear diagnostic and a non-zero exit, never a stack trace', () => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-check-'));
  const junk = Buffer.alloc(100_000);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 2654435761) >>> 24;
  writeFileSync(join(d, 'junk.conf'), junk);
  writeFileSync(join(d, 'big.conf'), Buffer.alloc(20 * 1024 * 1024, 0x20));
  writeFileSync(join(d, 'a.conf'), 'include b.conf\n');
  writeFileSync(join(d, 'b.conf'), 'include a.conf\n');
  writeFileSync(join(d, 'missing.conf'), 'include nowhere.conf\n');
  writeFileSync(join(d, 'quote.conf'), 'global_defs {\n  router_id "abc\n}\n');
  writeFileSync(join(d, 'deep.conf'), 'x {\n'.repeat(50_000));
  writeFileSync(join(d, 'latin1.conf'), Buffer.from('global_defs {\n  router_id caf\xe9\n}\n', 'latin1'));
  const cases: [string, RegExp][] = [
    ['junk.conf', /junk\.conf:\d+:\d+: error: /],
    ['big.conf', /big\.conf:1:1: error: .* is 20\.0 MiB, larger than the 16 MiB a configuration may be/],
    ['a.conf', /:1:1: error: include cycle: .*a\.conf -> .*b\.conf -> .*a\.conf/],
    ['missing.conf', /missing\.conf:1:1: error: include: no such file '.*nowhere\.conf'/],
    ['quote.conf', /quote\.conf:2:13: error: unmatched quote/],
    ['deep.conf', /deep\.conf:256:3: error: blocks nested deeper than 256 levels/],
    ['nonexistent.conf', /nonexistent\.conf:1:1: error: cannot read '.*nonexistent\.conf': no such file/],
  ];
  for (const [file, want] of cases) {
    const r = vigil('check', '-f', join(d, file));
    assert.equal(r.code, 1, `${file}: exit ${r.code}`);
    assert.match(r.stderr, want, file);
    assert.doesNotMatch(r.stderr + r.stdout, STACK, file);
  }
  // Latin-1 in a value is read as keepalived reads bytes: a warning at the byte, and it can run.
  const l = vigil('check', '-f', join(d, 'latin1.conf'));
  assert.equal(l.code, 0, l.stderr);
  assert.match(l.stderr, /latin1\.conf:2:16: warning: byte 0xe9 is not UTF-8: vigil reads it as U\+FFFD/);
});

test('bad usage exits 2 and says what is wrong', () => {
  const r = vigil('check', '--frobnicate');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /vigil check: unknown option '--frobnicate'/);
  assert.equal(vigil('check', '-f').code, 2);
});

test("a missing '{' is named at the keyword that needed it", () => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-check-'));
  writeFileSync(join(d, 'k.conf'), 'vrrp_instance VI_1\n    state MASTER\n}\n');
  const r = vigil('check', '-f', join(d, 'k.conf'));
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /k\.conf:1:1: error: missing '\{' after 'vrrp_instance VI_1': its settings go in a block/,
  );
  assert.match(r.stderr, /k\.conf:3:1: error: extra '\}'/);
});

test('a connection synchronisation the engine cannot use is a warning at its line, pointing at the other one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-check-sync-'));
  const conf = (engine: string, sync: string): string => {
    const f = join(dir, `${engine}.conf`);
    writeFileSync(
      f,
      `global_defs {\n    lvs_engine ${engine}\n    ${sync}\n}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    priority 100\n    virtual_ipaddress {\n        10.0.0.100\n    }\n}\n`,
    );
    return f;
  };
  const nft = conf('nft', 'lvs_sync_daemon eth1 VI_1');
  const r = vigil('check', '-f', nft);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `^${nft}:3:5: warning: lvs_sync_daemon synchronises the kernel's IPVS connections, but the data plane is nft: it will do nothing; use 'conntrack_sync eth1 VI_1'`,
    ),
  );
  const ipvs = conf('ipvs', 'conntrack_sync eth1 VI_1');
  const c = vigil('check', '-f', ipvs);
  assert.equal(c.code, 0, c.stderr);
  assert.match(
    c.stderr,
    new RegExp(
      `^${ipvs}:3:5: warning: conntrack_sync replicates conntrack for the nft engine, but the data plane is ipvs: conntrackd will not be started; IPVS keeps its own connection table: use 'lvs_sync_daemon eth1 VI_1'`,
    ),
  );
  // Each in its place: no warning; the summary says what will run.
  const ok = vigil('check', '-f', conf('nft', 'conntrack_sync eth1 VI_1 peer 10.0.1.2'));
  assert.equal(ok.stderr, '');
  assert.match(
    ok.stdout,
    /\nConnection sync: conntrackd \(FTFW\) on eth1 following VI_1, unicast to 10\.0\.1\.2 port 3780\n/,
  );
  assert.equal(vigil('check', '-f', conf('ipvs', 'lvs_sync_daemon eth1 VI_1')).stderr, '');
});
