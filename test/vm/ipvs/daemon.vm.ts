// `vigil run` with `lvs_engine ipvs` on a real IPVS kernel (inside the QEMU guest only): the
// director is a network namespace with two real-server namespaces running busybox httpd under
// TCP_CHECK. Proves what users rely on: `vigil adm -Ln` prints what `ipvsadm -Ln` prints on the
// daemon's table (before and after adm edits), and a failing check removes its real server from
// the kernel's table within the configured bound, a passing one restores it.
import assert from 'node:assert/strict';
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { startVigil } from './support.js';
import { until as sharedUntil } from '../../../src/lab/until.js';

const run = promisify(execFile);
const id = `vg${Math.random().toString(36).slice(2, 7)}`;
const ns = { d: `${id}d`, r1: `${id}r1`, r2: `${id}r2` };
const dir = mkdtempSync(join(tmpdir(), 'vg-daemon-'));
const rt = join(dir, 'rt');
let daemon: ChildProcess | undefined;

const sh = (script: string) => execFileSync('bash', ['-ec', script], { encoding: 'utf8' });
const ipvsadmLn = () => execFileSync('ip', ['netns', 'exec', ns.d, 'ipvsadm', '-Ln'], { encoding: 'utf8' });
const adm = async (...args: string[]) =>
  (await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'adm', '--runtime-dir', rt, ...args]))
    .stdout;
const httpd = (i: number) =>
  sh(`ip netns exec ${i === 1 ? ns.r1 : ns.r2} busybox httpd -p 80 -h ${join(dir, `www${i}`)}`);
/** busybox httpd forks into the background: stop it by the pids of its namespace (ours alone). */
const stopHttpd = (n: string) => sh(`for p in $(ip netns pids ${n}); do kill $p; done`);

// Checks every second, one failure is enough: removal within ~2 s, bounded below at 10 s.
const BOUND_MS = 10_000;
const CONFIG = `global_defs {
    router_id ${id}
    lvs_engine ipvs
}
virtual_server 10.0.1.100 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.0.2.2 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
    real_server 10.0.3.2 80 {
        weight 2
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
virtual_server 10.0.1.101 53 {
    lb_algo wlc
    lb_kind DR
    protocol UDP
    real_server 10.0.2.5 53 {
        weight 3
    }
}
virtual_server 10.0.1.102 443 {
    lb_algo sh
    lb_kind TUN
    protocol TCP
    persistence_timeout 300
    persistence_granularity 255.255.255.0
    real_server 10.0.2.6 443 {
        weight 1
    }
    real_server 10.0.2.7 443 {
        weight 0
    }
}
virtual_server fwmark 7 {
    lb_algo wrr
    lb_kind DR
    persistence_timeout 60
    real_server 10.0.2.8 80 {
        weight 5
    }
}
`;

const until = <T>(what: string, f: () => T | undefined, ms: number): Promise<T> =>
  sharedUntil(what, f, ms, { stepMs: 200, detail: ipvsadmLn });

before(async () => {
  assert.equal(process.env.IPVS_VM, '1', 'these tests run inside scripts/ipvs-vm.sh');
  let script = `modprobe ip_vs; ip netns add ${ns.d}; ip -n ${ns.d} link set lo up\n`;
  for (const i of [1, 2]) {
    const n = i === 1 ? ns.r1 : ns.r2;
    mkdirSync(join(dir, `www${i}`));
    writeFileSync(join(dir, `www${i}`, 'index.html'), `real server ${i}\n`);
    script += `ip netns add ${n}; ip -n ${ns.d} link add eth${i} type veth peer name eth0 netns ${n}
      ip -n ${ns.d} addr add 10.0.${1 + i}.1/24 dev eth${i}; ip -n ${ns.d} link set eth${i} up
      ip -n ${n} addr add 10.0.${1 + i}.2/24 dev eth0; ip -n ${n} link set eth0 up; ip -n ${n} link set lo up\n`;
  }
  sh(script);
  httpd(1);
  httpd(2);
  const conf = join(dir, 'vigil.conf');
  writeFileSync(conf, CONFIG);
  daemon = startVigil(ns.d, conf, rt);
  // the table is complete once all four services and both checked servers are in
  await until(
    'the daemon programs its table',
    () => {
      const t = ipvsadmLn();
      return (t.match(/^(TCP|UDP|FWM) /gm) ?? []).length === 4 &&
        t.includes('10.0.2.2:80') &&
        t.includes('10.0.3.2:80')
        ? t
        : undefined;
    },
    60_000,
  );
});

after(() => {
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
  sh(`sleep 0.5; for n in ${Object.values(ns).join(' ')}; do for p in $(ip netns pids $n 2>/dev/null); do kill -9 $p 2>/dev/null || true; done; done
    for n in ${Object.values(ns).join(' ')}; do ip netns del $n 2>/dev/null || true; done`);
  rmSync(dir, { recursive: true, force: true });
});

test('vigil adm -Ln prints byte for byte what ipvsadm -Ln prints on the daemon table', async () => {
  const want = ipvsadmLn();
  assert.match(want, /FWM {2}7 wrr persistent 60/);
  assert.equal(await adm('-Ln'), want);
  assert.equal(
    await adm('-Ln', '-t', '10.0.1.102:443'),
    execFileSync('ip', ['netns', 'exec', ns.d, 'ipvsadm', '-Ln', '-t', '10.0.1.102:443'], {
      encoding: 'utf8',
    }),
  );
});

test('TCP_CHECK failure removes the real server from the kernel table, success restores it', async () => {
  const t0 = Date.now();
  stopHttpd(ns.r1);
  await until('10.0.2.2 removed', () => (ipvsadmLn().includes('10.0.2.2:80') ? undefined : true), BOUND_MS);
  const removed = Date.now() - t0;
  assert.ok(ipvsadmLn().includes('10.0.3.2:80'), 'the healthy server stays');
  httpd(1);
  const t1 = Date.now();
  await until('10.0.2.2 restored', () => (ipvsadmLn().includes('10.0.2.2:80') ? true : undefined), BOUND_MS);
  console.log(`# health: removed after ${removed} ms, restored after ${Date.now() - t1} ms (delay_loop 1)`);
});

test('after vigil adm -a/-e/-d the two listings still agree', async () => {
  await adm('-a', '-t', '10.0.1.100:80', '-r', '10.0.2.9:80', '-m', '-w', '4');
  let want = ipvsadmLn();
  assert.match(want, /10\.0\.2\.9:80 +Masq +4 /);
  assert.equal(await adm('-Ln'), want);
  await adm('-e', '-t', '10.0.1.100:80', '-r', '10.0.2.9:80', '-m', '-w', '7');
  want = ipvsadmLn();
  assert.match(want, /10\.0\.2\.9:80 +Masq +7 /);
  assert.equal(await adm('-Ln'), want);
  await adm('-d', '-u', '10.0.1.101:53', '-r', '10.0.2.5:53');
  want = ipvsadmLn();
  assert.ok(!want.includes('10.0.2.5:53'), want);
  assert.equal(await adm('-Ln'), want);
});
