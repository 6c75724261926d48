// Real traffic through the kernel's IPVS programmed by IpvsEngine (inside the QEMU guest only):
// client netns -> director (this namespace, IPVS NAT) -> two real-server namespaces; and DR on one
// L2 segment (a bridge here: client and two real servers with the VIP on lo), with every scheduler.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DestSpec, ServiceKey, ServiceState, ServiceStats } from '../../../src/dataplane/engine.js';
import { IpvsEngine } from '../../../src/dataplane/ipvs/engine.js';
import { plan } from '../../../src/lvs/plan.js';
import { SCHEDULERS } from '../../../src/adm/table.js';

const id = `vg${Math.random().toString(36).slice(2, 7)}`;
const ns = { c: `${id}c`, r1: `${id}r1`, r2: `${id}r2`, dc: `${id}xc`, r3: `${id}r3`, r4: `${id}r4` };
const links = [`${id}dc`, `${id}d1`, `${id}d2`, `${id}b`];
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
  // DR: bridge 10.0.4.1/24 with the VIP 10.0.4.100; client 10.0.4.2, real servers .3 and .4
  script += `ip link add ${links[3]} type bridge; ip link set ${links[3]} up
    ip addr add 10.0.4.1/24 dev ${links[3]}; ip addr add 10.0.4.100/32 dev ${links[3]}\n`;
  for (const [n, i] of [
    [ns.dc, 2],
    [ns.r3, 3],
    [ns.r4, 4],
  ] as const) {
    script += `ip netns add ${n}; ip link add ${id}p${i} type veth peer name eth0 netns ${n}
      ip link set ${id}p${i} master ${links[3]} up
      ip -n ${n} addr add 10.0.4.${i}/24 dev eth0; ip -n ${n} link set eth0 up; ip -n ${n} link set lo up\n`;
    if (i === 2) continue;
    execFileSync('mkdir', ['-p', join(dir, `www${i}`)]);
    writeFileSync(join(dir, `www${i}`, 'index.html'), `real server ${i}\n`);
    script += `ip netns exec ${n} sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
      ip -n ${n} addr add 10.0.4.100/32 dev lo
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
  sh(`for n in ${ns.r1} ${ns.r2} ${ns.r3} ${ns.r4}; do for p in $(ip netns pids $n 2>/dev/null); do kill $p; done; done
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
/** n requests in one curl (busybox httpd closes each connection, so one connection each). */
const fetchN = (n: number, client = ns.c, vipAddr = '10.0.1.100') =>
  execFileSync(
    'ip',
    [
      'netns',
      'exec',
      client,
      'curl',
      '-sS',
      '--max-time',
      '5',
      ...Array<string>(n).fill(`http://${vipAddr}/`),
    ],
    {
      encoding: 'utf8',
    },
  ).split(/(?<=\n)/);
const get = () => fetchN(1)[0]!;

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

// Every scheduler the kernel ships, through a NAT and a DR service set up together (weights 1
// and 2), 3 requests each (one curl, a connection each): all answered, and the cheap visible
// properties (rr alternates, wrr 1:2, fo takes the heavier server, the source/destination hashes
// keep one client on one server).
const STICKY = new Set(['dh', 'sh', 'mh']);

function property(s: string, mode: string, got: string[], [light, heavy]: [string, string]): void {
  const what = `${mode} ${s}: ${JSON.stringify(got)}`;
  assert.equal(got.length, 3, what);
  for (const b of got) assert.ok(b === light || b === heavy, what);
  if (s === 'rr') assert.ok(got[0] !== got[1] && got[1] !== got[2], `rr alternates: ${what}`);
  if (s === 'wrr') assert.deepEqual([...got].sort(), [light, heavy, heavy].sort(), `wrr 1:2: ${what}`);
  if (s === 'fo') assert.deepEqual(got, [heavy, heavy, heavy], `fo: all to the highest weight: ${what}`);
  if (STICKY.has(s)) assert.equal(new Set(got).size, 1, `keeps one client on one server: ${what}`);
}

test('NAT and DR: every scheduler carries requests through the VIP', async (t) => {
  const drKey: ServiceKey = { ...vip, address: '10.0.4.100' };
  const dr = (i: number, weight: number): DestSpec => ({
    ...rs(1, weight),
    address: `10.0.4.${i}`,
    forwarding: 'dr',
  });
  const have = [...SCHEDULERS].filter((s) => {
    try {
      execFileSync('modprobe', [`ip_vs_${s}`], { stdio: 'ignore' });
      return true;
    } catch {
      t.diagnostic(`scheduler ${s}: the guest's kernel lacks ip_vs_${s}, skipped`);
      return false;
    }
  });
  for (const s of have) {
    await engine.flush();
    await converge([
      { key: vip, scheduler: s, flags: {}, dests: [rs(1, 1), rs(2, 2)] },
      { key: drKey, scheduler: s, flags: {}, dests: [dr(3, 1), dr(4, 2)] },
    ]);
    property(s, 'NAT', fetchN(3), ['real server 1\n', 'real server 2\n']);
    property(s, 'DR', fetchN(3, ns.dc, '10.0.4.100'), ['real server 3\n', 'real server 4\n']);
  }
  await engine.flush();
});
