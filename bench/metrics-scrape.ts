// /metrics render time and output size for a large status model: 1,000 virtual servers x 10
// real servers (one checker each, with its latency histogram) and 10 VRRP instances, rendered
// with prom-client as a scrape does. Target: well under Prometheus' default 10 s scrape timeout
// and small next to a 15 s scrape interval. In-process, 7 runs, min/median/max printed.
// Usage: npx tsx bench/metrics-scrape.ts [virtual-servers] [real-servers-each]
// Measured 2026-12-04 on the shared 2-core host (nice): 1,000 x 10: 260,241 samples, 30.4 MiB,
// render median 3.4 s (min 2.2, max 3.8), RSS 193 MB; 100 x 10: 26,241 samples, 3.0 MiB,
// median 245 ms. The check-duration histograms are 60% of the samples.
import { performance } from 'node:perf_hooks';
import { emptyHistogram, observe } from '../src/check/latency.js';
import { renderMetrics } from '../src/daemon/metrics.js';

const vsCount = Number(process.argv[2] ?? 1000);
const rsCount = Number(process.argv[3] ?? 10);

function status(): unknown {
  const realServers = [];
  const virtualServers = [];
  for (let v = 0; v < vsCount; v++) {
    const vs = `10.${(v >> 8) & 255}.${v & 255}.1:80/TCP`;
    const live = { conns: v, inPkts: v * 10, outPkts: v * 9, inBytes: v * 1000, outBytes: v * 9000 };
    virtualServers.push({
      virtualServer: vs,
      live,
      rates: { cps: 1, inPps: 2, outPps: 3, inBps: 4, outBps: 5 },
    });
    for (let r = 0; r < rsCount; r++) {
      const latency = emptyHistogram();
      for (let i = 0; i < 20; i++) observe(latency, i * 3);
      realServers.push({
        virtualServer: vs,
        realServer: `172.16.${v & 255}.${r + 1}:80`,
        state: 'up',
        weight: 1,
        live: { activeConns: r, inactiveConns: 1, ...live },
        checkers: [{ kind: 'TCP_CHECK', latency }],
      });
    }
  }
  const instances = Array.from({ length: 10 }, (_, i) => ({
    name: `VI_${i}`,
    state: 'MASTER',
    basePriority: 100,
    effectivePriority: 100,
    transitionsTotal: 2,
    advertsSent: 1000,
    advertsReceived: 0,
    rejected: {},
  }));
  return {
    reloads: 0,
    children: {
      vrrp: { pid: 1, restarts: 0, status: { instances, loopLatenessMs: { p50: 0, p99: 1, max: 2 } } },
      checker: { pid: 2, restarts: 0, status: { realServers, virtualServers } },
    },
  };
}

const st = status();
const times: number[] = [];
let bytes = 0;
let lines = 0;
for (let i = 0; i < 7; i++) {
  const t0 = performance.now();
  const text = await renderMetrics(st, { p50: 0, p99: 0, max: 0 });
  times.push(performance.now() - t0);
  bytes = Buffer.byteLength(text);
  lines = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
}
times.sort((a, b) => a - b);
const f = (ms: number): string => `${ms.toFixed(0)} ms`;
console.log(
  `${vsCount} virtual servers x ${rsCount} real servers: ${lines.toLocaleString('en')} samples, ` +
    `${(bytes / 1048576).toFixed(1)} MiB; render min ${f(times[0]!)}, median ${f(times[3]!)}, max ${f(times[6]!)}; ` +
    `RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`,
);
