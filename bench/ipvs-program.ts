// Programming the kernel's IPVS through IpvsEngine (generic netlink, one request + ACK per change):
// 1,000 services × 10 real servers from scratch, reading that table back, and one real-server
// change with 10k present — side by side with `ipvsadm -R` of the same table. Needs IPVS, so it
// runs in the QEMU guest: scripts/ipvs-vm.sh -- node --import tsx bench/ipvs-program.ts [svcs] [dests]
// (figures inside the TCG guest are ~8× slower than on real hardware).
// Measured 2026-11-23 in the TCG guest on a loaded 2-core CI host: from scratch 11,000 changes in
// 41.3 s (3.8 ms each; 58.1 s with one change in flight) vs ipvsadm -R 15.3 s (ratio 2.7);
// read-back of 10k destinations 11.0 s; one change with 10k present: plan 1.0 s + apply 22 ms.
import { execFileSync } from 'node:child_process';
import type { ServiceState } from '../src/dataplane/engine.js';
import { IpvsEngine } from '../src/dataplane/ipvs/engine.js';
import { plan } from '../src/lvs/plan.js';

const services = Number(process.argv[2] ?? 1000);
const perService = Number(process.argv[3] ?? 10);

const desired: ServiceState[] = Array.from({ length: services }, (_, s) => ({
  key: { kind: 'addr', family: 4, address: `10.100.${s >> 8}.${s & 255}`, port: 80, protocol: 'tcp' },
  scheduler: 'wlc',
  flags: {},
  dests: Array.from({ length: perService }, (_, d) => ({
    address: `10.${200 + (s >> 8)}.${s & 255}.${d + 1}`,
    port: 8080,
    forwarding: 'nat',
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
  })),
}));

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (x: number) => `${x.toFixed(1)} ms`;

execFileSync('modprobe', ['ip_vs']);
const engine = await IpvsEngine.open();
await engine.flush();
const dests = services * perService;
console.log(
  `IPVS ${(await engine.info()).version}: ${services} services × ${perService} real servers (${dests} destinations)`,
);

let t0 = process.hrtime.bigint();
const changes = plan(desired, await engine.read());
const tPlan = ms(t0);
t0 = process.hrtime.bigint();
await engine.apply(changes);
const tApply = ms(t0);
console.log(
  `from scratch: plan ${fmt(tPlan)}, apply ${changes.length} changes ${fmt(tApply)} (${((tApply * 1000) / changes.length).toFixed(0)} µs/change)`,
);

t0 = process.hrtime.bigint();
const actual = await engine.read();
const tRead = ms(t0);
if (actual.reduce((n, s) => n + s.dests.length, 0) !== dests) throw new Error('read-back does not match');
console.log(`read back ${actual.length} services: ${fmt(tRead)}`);

// One real server's weight changes (a health-check result), the other 9,999 stay.
desired[services >> 1]!.dests[3]!.weight = 0;
t0 = process.hrtime.bigint();
const one = plan(desired, actual);
const tPlan1 = ms(t0);
t0 = process.hrtime.bigint();
await engine.apply(one);
const tApply1 = ms(t0);
if (one.length !== 1) throw new Error(`expected one change, planned ${one.length}`);
console.log(
  `one change with ${dests} present: plan ${fmt(tPlan1)} + apply ${fmt(tApply1)} (a full re-read first would add ${fmt(tRead)})`,
);

// The same table through Debian's ipvsadm -R (one process, one request per rule).
await engine.flush();
const rules: string[] = [];
for (const s of desired) {
  const k = s.key.kind === 'addr' ? `-t ${s.key.address}:${s.key.port}` : '';
  rules.push(`-A ${k} -s ${s.scheduler}`);
  for (const d of s.dests) rules.push(`-a ${k} -r ${d.address}:${d.port} -m -w ${d.weight}`);
}
t0 = process.hrtime.bigint();
execFileSync('ipvsadm', ['-R'], { input: rules.join('\n') + '\n' });
const tRestore = ms(t0);
console.log(
  `ipvsadm -R of the same ${rules.length} rules: ${fmt(tRestore)} (vigil/ipvsadm = ${(tApply / tRestore).toFixed(2)})`,
);
await engine.flush();
await engine.close();
