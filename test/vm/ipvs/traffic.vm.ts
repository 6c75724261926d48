// Real traffic through the kernel's IPVS programmed by IpvsEngine (inside the QEMU guest only):
// client netns -> director (this namespace, IPVS NAT) -> two real-server namespaces.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DestSpec, ServiceKey, ServiceState, ServiceStats } from '../../../src/dataplane/engine.js';
import { IpvsEngine } from '../../../src/dataplane/ipvs/engine.js';
import { plan } from '../../../src/lvs/plan.js';

const id = `vg${Math.random().toString(36).slice(2, 7)}`;
const ns = { c: `${id}c`, r1: `${id}r1`, r2: `${id}r2` };
const links = [`${id}dc`, `${id}d1`, `${id}d2`];
const dir = mkdtempSync(join(tmpdir(), 'vg-ipvs-'));
let engine: IpvsEngine;

const sh = (script: string) => execFileSync('bash', ['-ec', script], { encoding: 'utf8' });

before(async () => {
  assert.equal(process.env.IPVS_VM, '1', 'these tests run inside scripts/ipvs-vm.sh');
  let script = `modprobe ip_vs; sysctl -qw net.ipv4.ip_forward=1
    ip netns add ${ns.c}; ip link add ${links[0]} type veth peer name eth0 netns ${ns.c}
    ip addr add 10.0.1.1/24 dev ${links[0]}; ip addr add 10.0.1.100/32 dev ${links[0]}; ip link set ${links[0]} up
    ip -n ${ns.c} addr add 10.0.1.2/24 dev eth0; ip -n ${ns.c} link set eth0 up; ip -n ${ns.c} route add default via 10.0.1.1\n`;
  for (const i of [1, 2]) {
    const n = i === 1 ? ns.r1 : ns.r2;
    execFileSync('mkdir', ['-p', join(dir, `www${i}`)]);
    writeFileSync(join(dir, `www${i}`, 'index.html'), `real server ${i}\n`);
    script += `ip netns add ${n}; ip link add ${links[i]} type veth peer name eth0 netns ${n}
      ip addr add 10.0.${1 + i}.1/24 dev ${links[i]}; ip link set ${links[i]} up
      ip -n ${n} addr add 10.0.${1 + i}.2/24 dev eth0; ip -n ${n} link set eth0 up; ip -n ${n} link set lo up
      ip -n ${n} route add default via 10.0.${1 + i}.1
      ip netns exec ${n} busybox httpd -p 80 -h ${join(dir, `www${i}`)}\n`;
  }
  sh(script);
  engine = await IpvsEngine.open();
  await engine.flush();
});

after(async () => {
  await engine?.flush();
  await engine?.close();
  // the httpd daemons die with their namespaces' processes: kill exactly those (by netns pids)
  sh(`for n in ${ns.r1} ${ns.r2}; do for p in $(ip netns pids $n 2>/dev/null); do kill $p; done; done
    for l in ${links.join(' ')}; do ip link del $l 2>/dev/null || true; done
    for n in ${Object.values(ns).join(' ')}; do ip netns del $n 2>/dev/null || true; done`);
  rmSync(dir, { recursive: true, force: true });
});

const vip: ServiceKey = { kind: 'addr', family: 4, address: '10.0.1.100', port: 80, protocol: 'tcp' };
const rs = (i: number, weight = 1): DestSpec => ({
  address: `10.0.${1 + i}.2`,
  port: 80,
  forwarding: 'nat',
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
});
const get = () =>
  execFileSync('ip', ['netns', 'exec', ns.c, 'curl', '-sS', '--max-time', '5', 'http://10.0.1.100/'], {
    encoding: 'utf8',
  });

/** IPVS folds its per-CPU counters into what it reports every 2 s: wait (bounded) for a figure. */
async function settled(what: (s: ServiceStats[]) => number, want: number): Promise<ServiceStats[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const s = await engine.stats();
    if (what(s) >= want || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function converge(desired: ServiceState[]): Promise<void> {
  await engine.apply(plan(desired, await engine.read()));
}

test('NAT: requests through the VIP reach both real servers (rr) and the counters rise', async () => {
  await converge([{ key: vip, scheduler: 'rr', flags: {}, dests: [rs(1), rs(2)] }]);
  const bodies = [get(), get(), get(), get()].sort();
  assert.deepEqual(bodies, ['real server 1\n', 'real server 1\n', 'real server 2\n', 'real server 2\n']);
  const [svc] = await settled((s) => s[0]?.counters.conns ?? 0, 4);
  assert.ok(svc);
  assert.equal(svc.counters.conns, 4);
  assert.ok(svc.counters.inPkts >= 4 * 5 && svc.counters.outPkts >= 4 * 4, JSON.stringify(svc.counters));
  assert.ok(svc.counters.inBytes > 0 && svc.counters.outBytes > 0);
  for (const d of svc.dests) {
    assert.equal(d.counters.conns, 2, `${d.address} took two connections`);
    assert.equal(d.activeConns + d.inactiveConns, 2, `${d.address}: ${JSON.stringify(d)}`);
  }
  await engine.zero(vip);
  assert.equal((await engine.stats())[0]!.counters.conns, 0);
});

test('health-driven removal and restore of a real server, and weights (wrr)', async () => {
  await converge([{ key: vip, scheduler: 'rr', flags: {}, dests: [rs(1)] }]);
  assert.deepEqual([get(), get(), get()], Array(3).fill('real server 1\n'));
  await converge([{ key: vip, scheduler: 'wrr', flags: {}, dests: [rs(1, 0), rs(2, 1)] }]);
  assert.deepEqual([get(), get(), get()], Array(3).fill('real server 2\n'));
  // counters were zeroed at the end of the first test: three connections each since then
  const conns = (s: ServiceStats[], addr: string) =>
    s[0]!.dests.find((d) => d.address === addr)?.counters.conns;
  const st = await settled((s) => conns(s, '10.0.3.2') ?? 0, 3);
  assert.deepEqual([conns(st, '10.0.2.2'), conns(st, '10.0.3.2')], [3, 3]);
});
