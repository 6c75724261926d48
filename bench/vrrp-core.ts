// Cost of the pure VRRP cores per operation (encode an advert, validate a received one, one
// machine step), to size the 200-instance target (issue 3 §6). Prints figures; asserts nothing.
import { performance } from 'node:perf_hooks';
import { encodeAdvert, encodeIpv4Header, validateAdvert, type AdvertCheck } from '../src/vrrp/packet.js';
import { VrrpMachine } from '../src/vrrp/machine.js';

function bench(name: string, n: number, fn: (i: number) => void): void {
  for (let i = 0; i < Math.min(n, 10_000); i++) fn(i); // warm up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  const us = ((performance.now() - t0) * 1000) / n;
  console.log(`${name.padEnd(44)} ${us.toFixed(2).padStart(8)} µs/op`);
}

const vips = ['192.0.2.10', '192.0.2.11', '192.0.2.12'];
const fields = {
  version: 3 as const,
  vrid: 51,
  priority: 100,
  intervalCs: 100,
  authType: 0,
  addresses: vips,
};
const opts = { family: 4 as const, source: '192.0.2.1', destination: '224.0.0.18' };
const payload = encodeAdvert(fields, opts);
const ipHeader = encodeIpv4Header({
  source: opts.source,
  destination: opts.destination,
  payloadLength: payload.length,
});
const rx = {
  family: 4 as const,
  payload,
  ipHeader,
  source: opts.source,
  destination: opts.destination,
  ttl: 255,
  multicast: true,
};
const check: AdvertCheck = { version: 3, family: 4, intervalCs: 100, authType: 0, addresses: vips };

const N = 200_000;
bench('encodeAdvert (v3/IPv4, 3 VIPs)', N, () => encodeAdvert(fields, opts));
bench('validateAdvert (v3/IPv4, 3 VIPs, ok)', N, () => validateAdvert(rx, check));
const m = new VrrpMachine({ name: 'b', version: 3, priority: 200, advertIntCs: 100 }, '192.0.2.1');
m.handle({ type: 'start' }, 0);
let now = 0;
bench('machine: master advert timer step', N, () => {
  now = m.nextTimer ?? now;
  m.handle({ type: 'timer', name: 'adver' }, now);
});
const b = new VrrpMachine({ name: 'b', version: 3, priority: 100, advertIntCs: 100 }, '192.0.2.2');
b.handle({ type: 'start' }, 0);
bench('machine: backup receives an advert', N, (i) =>
  b.handle({ type: 'advert', priority: 200, intervalCs: 100, source: '192.0.2.1' }, i),
);
const perSecond = 200; // 200 instances at advert_int 1: one advert each per second
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  encodeAdvert(fields, opts);
  m.handle({ type: 'timer', name: 'adver' }, (now = m.nextTimer ?? now));
}
const perAdvertUs = ((performance.now() - t0) * 1000) / N;
console.log(
  `200 masters at advert_int 1: ${((perSecond * perAdvertUs) / 1e4).toFixed(4)} % of one core in the cores`,
);
