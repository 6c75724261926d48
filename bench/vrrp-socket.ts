// Cost of the VRRP socket path (native addon + TypeScript parsing): adverts sent from one
// namespace and received in another, in one process. Prints process CPU µs per advert (send +
// receive) and send-to-'packet' latency percentiles. 200 instances at advert_int 1 are 200
// adverts/s, so µs/advert × 200 / 1e6 is the CPU share they cost one core.
// Run (root): npx tsx bench/vrrp-socket.ts [adverts=20000] [rate/s=5000]
import { createLab } from '../src/lab/index.js';
import { inNetns } from '../src/os/native.js';
import { VrrpSocket } from '../src/os/vrrp-socket.js';

const total = Number(process.argv[2] ?? 20000);
const rate = Number(process.argv[3] ?? 5000);

const lab = await createLab({
  nodes: [
    { name: 'm', addresses: ['192.168.200.1/24'] },
    { name: 'b', addresses: ['192.168.200.2/24'] },
  ],
});
try {
  const tx = inNetns(
    lab.node('m').nsPath,
    () => new VrrpSocket({ family: 4, ifname: 'eth0', source: '192.168.200.1' }),
  );
  const rx = inNetns(lab.node('b').nsPath, () => new VrrpSocket({ family: 4, ifname: 'eth0' }));
  const advert = Buffer.from('3133640100641c20c0a8c864', 'hex'); // v3-shaped bytes; not validated here
  const sentAt = new Map<number, bigint>();
  const lat: number[] = [];
  let received = 0;
  rx.on('packet', (d) => {
    received++;
    const seq = d.payload.readUInt32BE(d.payload.length - 4);
    const t0 = sentAt.get(seq);
    if (t0 !== undefined) lat.push(Number(process.hrtime.bigint() - t0) / 1000);
  });
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  let seq = 0;
  const perTick = Math.max(1, Math.round(rate / 1000));
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      for (let i = 0; i < perTick && seq < total; i++) {
        const b = Buffer.concat([advert, Buffer.alloc(4)]);
        b.writeUInt32BE(seq, b.length - 4);
        sentAt.set(seq, process.hrtime.bigint());
        tx.send(b);
        seq++;
      }
      if (seq >= total) {
        clearInterval(timer);
        setTimeout(done, 200);
      }
    }, 1);
  });
  const cpu = process.cpuUsage(cpu0);
  const wallS = Number(process.hrtime.bigint() - wall0) / 1e9;
  lat.sort((a, b) => a - b);
  const pct = (p: number): string =>
    (lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? NaN).toFixed(1);
  const us = (cpu.user + cpu.system) / total;
  console.log(
    `adverts sent ${total}, received ${received} in ${wallS.toFixed(2)} s (${(total / wallS).toFixed(0)}/s)`,
  );
  console.log(`process CPU per advert (send + receive + parse): ${us.toFixed(1)} µs`);
  console.log(
    `=> 200 instances at advert_int 1: ${((us * 200) / 1e4).toFixed(3)} % of one core for the socket path`,
  );
  console.log(`send -> 'packet' latency µs: p50 ${pct(50)}, p99 ${pct(99)}, max ${pct(100)}`);
  tx.close();
  rx.close();
} finally {
  await lab.destroy();
}
