// GET /metrics: the daemon's status model (the same one `vigil status --json` prints) as
// Prometheus text, built with prom-client at scrape time. A fresh registry per scrape, so a
// real server or instance a reload removed disappears from the output instead of going stale.
import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import { REJECT_REASONS } from '../vrrp/packet.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

const VRRP_STATES = ['INIT', 'BACKUP', 'MASTER', 'FAULT', 'STOP'];

export interface Lateness {
  p50: number;
  p99: number;
  max: number;
}

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * A histogram whose buckets were counted elsewhere (the checker process): prom-client formats any
 * metric that answers get(), so the counts are presented as they are rather than re-observed.
 */
function histogramOf(
  reg: Registry,
  name: string,
  help: string,
  series: { labels: Record<string, string>; h: Obj }[],
): void {
  const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
  for (const { labels, h } of series) {
    const buckets = Array.isArray(h.buckets) ? (h.buckets as number[]) : [];
    const counts = Array.isArray(h.counts) ? (h.counts as number[]) : [];
    buckets.forEach((le, i) =>
      values.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: num(counts[i]) }),
    );
    values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: num(h.count) });
    values.push({ metricName: `${name}_sum`, labels, value: num(h.sum) });
    values.push({ metricName: `${name}_count`, labels, value: num(h.count) });
  }
  const metric = {
    name,
    help,
    type: 'histogram',
    get: () => Promise.resolve({ name, help, type: 'histogram', values, aggregator: 'sum' }),
  };
  reg.registerMetric(metric as unknown as Metric);
}

function lateness(g: Gauge, proc: string, l: unknown): void {
  if (!isObj(l)) return;
  for (const stat of ['p50', 'p99', 'max'] as const) g.set({ process: proc, stat }, num(l[stat]) / 1000);
}

/** Renders the status model; `supervisorLateness` in milliseconds, as the children report theirs. */
export async function renderMetrics(status: unknown, supervisorLateness: Lateness): Promise<string> {
  const reg = new Registry();
  const registers = [reg];
  const gauge = (name: string, help: string, labelNames: string[] = []): Gauge =>
    new Gauge({ name, help, labelNames, registers });
  const counter = (name: string, help: string, labelNames: string[] = []): Counter =>
    new Counter({ name, help, labelNames, registers });
  const st = isObj(status) ? status : {};
  const children = isObj(st.children) ? st.children : {};

  // The daemon itself.
  counter('vigil_reloads_total', 'Configuration reloads since the daemon started.').inc(num(st.reloads));
  const restarts = counter('vigil_child_restarts_total', 'Restarts of a child process after it ended.', [
    'child',
  ]);
  const up = gauge('vigil_child_up', 'Whether the child process runs (1) or not (0).', ['child']);
  const late = gauge(
    'vigil_event_loop_lateness_seconds',
    'Event-loop lateness per process over the last minute (p50, p99, max).',
    ['process', 'stat'],
  );
  lateness(late, 'supervisor', supervisorLateness);
  for (const [kind, c] of Object.entries(children)) {
    if (!isObj(c)) continue;
    restarts.inc({ child: kind }, num(c.restarts));
    up.set({ child: kind }, typeof c.pid === 'number' ? 1 : 0);
    if (isObj(c.status)) lateness(late, kind, c.status.loopLatenessMs);
  }

  // VRRP instances.
  const vrrp = isObj(children.vrrp) && isObj(children.vrrp.status) ? children.vrrp.status : {};
  const instances = arr(vrrp.instances);
  const state = gauge('vigil_vrrp_state', 'VRRP instance state: 1 for the state it is in.', [
    'instance',
    'state',
  ]);
  const base = gauge('vigil_vrrp_priority', 'Configured (base) priority.', ['instance']);
  const eff = gauge(
    'vigil_vrrp_effective_priority',
    'Priority in force after tracked scripts, interfaces and files.',
    ['instance'],
  );
  const trans = counter('vigil_vrrp_transitions_total', 'State transitions.', ['instance']);
  const sent = counter('vigil_vrrp_adverts_sent_total', 'Advertisements sent.', ['instance']);
  const rcvd = counter('vigil_vrrp_adverts_received_total', 'Advertisements received and accepted.', [
    'instance',
  ]);
  const rejected = counter('vigil_vrrp_packets_rejected_total', 'Received packets rejected, by reason.', [
    'instance',
    'reason',
  ]);
  for (const i of instances) {
    const instance = String(i.name);
    for (const s of VRRP_STATES) state.set({ instance, state: s }, i.state === s ? 1 : 0);
    base.set({ instance }, num(i.basePriority));
    eff.set({ instance }, num(i.effectivePriority));
    trans.inc({ instance }, num(i.transitionsTotal));
    sent.inc({ instance }, num(i.advertsSent));
    rcvd.inc({ instance }, num(i.advertsReceived));
    const r = isObj(i.rejected) ? i.rejected : {};
    for (const reason of REJECT_REASONS) rejected.inc({ instance, reason }, num(r[reason]));
  }

  // Real servers and virtual services.
  const checker = isObj(children.checker) && isObj(children.checker.status) ? children.checker.status : {};
  const rsLabels = ['virtual_server', 'real_server'];
  const rsUp = gauge('vigil_real_server_up', 'Real server health: 1 up, 0 down.', rsLabels);
  const weight = gauge(
    'vigil_real_server_weight',
    'Weight in force (configuration, checks and runtime changes; 0 when out of the table).',
    rsLabels,
  );
  const active = gauge('vigil_real_server_active_connections', 'Active connections.', rsLabels);
  const inactive = gauge('vigil_real_server_inactive_connections', 'Inactive connections.', rsLabels);
  const rsConns = counter('vigil_real_server_connections_total', 'Connections scheduled to it.', rsLabels);
  const rsPkts = counter('vigil_real_server_packets_total', 'Packets, by direction.', [
    ...rsLabels,
    'direction',
  ]);
  const rsBytes = counter('vigil_real_server_bytes_total', 'Bytes, by direction.', [
    ...rsLabels,
    'direction',
  ]);
  const latency: { labels: Record<string, string>; h: Obj }[] = [];
  for (const rs of arr(checker.realServers)) {
    const l = { virtual_server: String(rs.virtualServer), real_server: String(rs.realServer) };
    rsUp.set(l, rs.state === 'up' ? 1 : 0);
    weight.set(l, num(rs.weight));
    if (isObj(rs.live)) {
      active.set(l, num(rs.live.activeConns));
      inactive.set(l, num(rs.live.inactiveConns));
      rsConns.inc(l, num(rs.live.conns));
      rsPkts.inc({ ...l, direction: 'in' }, num(rs.live.inPkts));
      rsPkts.inc({ ...l, direction: 'out' }, num(rs.live.outPkts));
      rsBytes.inc({ ...l, direction: 'in' }, num(rs.live.inBytes));
      rsBytes.inc({ ...l, direction: 'out' }, num(rs.live.outBytes));
    }
    for (const c of arr(rs.checkers))
      if (isObj(c.latency)) latency.push({ labels: { ...l, checker: String(c.kind) }, h: c.latency });
  }
  histogramOf(reg, 'vigil_check_duration_seconds', 'Health check duration.', latency);

  const vsL = ['virtual_server'];
  const vsConns = counter('vigil_virtual_server_connections_total', 'Connections.', vsL);
  const vsBytes = counter('vigil_virtual_server_bytes_total', 'Bytes, by direction.', [...vsL, 'direction']);
  const vsPkts = counter('vigil_virtual_server_packets_total', 'Packets, by direction.', [
    ...vsL,
    'direction',
  ]);
  const cps = gauge(
    'vigil_virtual_server_connections_per_second',
    'Connection rate (IPVS estimator: 2 s samples, EWMA).',
    vsL,
  );
  const bps = gauge('vigil_virtual_server_bytes_per_second', 'Byte rate by direction (IPVS estimator).', [
    ...vsL,
    'direction',
  ]);
  const pps = gauge('vigil_virtual_server_packets_per_second', 'Packet rate by direction (IPVS estimator).', [
    ...vsL,
    'direction',
  ]);
  for (const vs of arr(checker.virtualServers)) {
    const l = { virtual_server: String(vs.virtualServer) };
    if (isObj(vs.live)) {
      vsConns.inc(l, num(vs.live.conns));
      vsBytes.inc({ ...l, direction: 'in' }, num(vs.live.inBytes));
      vsBytes.inc({ ...l, direction: 'out' }, num(vs.live.outBytes));
      vsPkts.inc({ ...l, direction: 'in' }, num(vs.live.inPkts));
      vsPkts.inc({ ...l, direction: 'out' }, num(vs.live.outPkts));
    }
    if (isObj(vs.rates)) {
      cps.set(l, num(vs.rates.cps));
      bps.set({ ...l, direction: 'in' }, num(vs.rates.inBps));
      bps.set({ ...l, direction: 'out' }, num(vs.rates.outBps));
      pps.set({ ...l, direction: 'in' }, num(vs.rates.inPps));
      pps.set({ ...l, direction: 'out' }, num(vs.rates.outPps));
    }
  }
  return reg.metrics();
}
