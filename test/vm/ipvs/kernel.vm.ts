// The kernel settings an IPVS NAT director needs, read from a real IPVS kernel (inside the QEMU
// guest only): with net.ipv4.ip_forward 0, or net.ipv4.vs.conntrack 0 under a stateful nftables
// ruleset, `vigil check` warns at the virtual server's line and `vigil run` logs the same at
// start; once both are set, `vigil check` is silent. A FULLNAT virtual server (IPVS has no full
// NAT) is an error in `vigil check`, and the daemon leaves it out and programs the others.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startVigil } from './support.js';

const ns = `vk${Math.random().toString(36).slice(2, 7)}`;
const dir = mkdtempSync(join(tmpdir(), 'vg-kernel-'));
const conf = join(dir, 'nat.conf');
const fullnat = join(dir, 'fullnat.conf');
let daemon: ChildProcess | undefined;

const sh = (script: string) => execFileSync('bash', ['-ec', script], { encoding: 'utf8' });
const sysctl = (kv: string) => sh(`ip netns exec ${ns} sysctl -qw ${kv}`);
const check = (file = conf) =>
  spawnSync(
    'ip',
    ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'check', '-f', file],
    {
      encoding: 'utf8',
    },
  );

const CONFIG = `global_defs {
    lvs_engine ipvs
}
virtual_server 10.0.1.100 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.0.2.2 80 {
        weight 1
    }
}
`;
const FULLNAT = `virtual_server 10.0.1.101 80 {
    lb_kind FULLNAT
    protocol TCP
    real_server 10.0.2.3 80 {
    }
}
`;
const FORWARD = `${conf}:4:1: warning: virtual_server 10.0.1.100:80: NAT through ipvs sends the real servers' replies back through this director, but net.ipv4.ip_forward is 0`;
const CONNTRACK = `${conf}:4:1: warning: virtual_server 10.0.1.100:80: IPVS NAT with net.ipv4.vs.conntrack 0 keeps no conntrack entries for its connections, so the stateful rules of nftables table inet fw`;

before(() => {
  assert.equal(process.env.IPVS_VM, '1', 'these tests run inside scripts/ipvs-vm.sh');
  writeFileSync(conf, CONFIG);
  writeFileSync(fullnat, CONFIG + FULLNAT);
  sh(`modprobe ip_vs; ip netns add ${ns}; ip -n ${ns} link set lo up
    ip netns exec ${ns} nft 'add table inet fw; add chain inet fw forward { type filter hook forward priority 0; }; add rule inet fw forward ct state established,related accept'`);
  sysctl('net.ipv4.ip_forward=0');
  sysctl('net.ipv4.vs.conntrack=0');
});

after(() => {
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
  sh(
    `sleep 0.3; for p in $(ip netns pids ${ns}); do kill -9 $p 2>/dev/null || true; done; ip netns del ${ns} || true`,
  );
  rmSync(dir, { recursive: true, force: true });
});

test('vigil check warns at the virtual server: ip_forward 0, and vs.conntrack 0 under stateful rules', () => {
  const r = check();
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 2, r.stderr);
  assert.ok(lines[0]!.startsWith(FORWARD), r.stderr);
  assert.ok(lines[1]!.startsWith(CONNTRACK), r.stderr);
  assert.match(r.stdout, /configuration OK \(2 warnings\)/);
});

test('FULLNAT on ipvs: vigil check errors at its line; vigil run logs it, leaves it out and programs the rest, with the kernel warnings', async () => {
  const c = check(fullnat);
  assert.equal(c.status, 1, c.stderr);
  assert.match(
    c.stderr,
    new RegExp(
      `${fullnat.replace(/[.]/g, '\\.')}:12:1: error: virtual_server 10\\.0\\.1\\.101:80: FULLNAT cannot run on the ipvs engine`,
    ),
  );
  daemon = startVigil(ns, fullnat, join(dir, 'rt'), 'pipe');
  let log = '';
  const seen = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no warnings within 60 s:\n${log}`)), 60_000);
    const take = (b: Buffer) => {
      log += b.toString();
      if (log.includes('net.ipv4.ip_forward is 0') && log.includes('net.ipv4.vs.conntrack 0')) {
        clearTimeout(t);
        resolve();
      }
    };
    daemon!.stdout!.on('data', take);
    daemon!.stderr!.on('data', take);
  });
  await seen;
  assert.match(
    log,
    new RegExp(`${fullnat.replace(/[.]/g, '\\.')}:4: virtual_server 10\\.0\\.1\\.100:80: NAT through ipvs`),
  );
  assert.match(
    log,
    /fullnat\.conf:12: virtual_server 10\.0\.1\.101:80: FULLNAT cannot run on the ipvs engine/,
  );
  const table = execFileSync('ip', ['netns', 'exec', ns, 'ipvsadm', '-Ln'], { encoding: 'utf8' });
  assert.match(table, /TCP {2}10\.0\.1\.100:80 rr\n {2}-> 10\.0\.2\.2:80 +Masq +1 /);
  assert.doesNotMatch(table, /10\.0\.1\.101/);
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon!.once('exit', r));
});

test('with ip_forward 1 and vs.conntrack 1, vigil check is silent', () => {
  sysctl('net.ipv4.ip_forward=1');
  sysctl('net.ipv4.vs.conntrack=1');
  const r = check();
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
});
