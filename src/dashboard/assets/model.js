// What the dashboard shows, computed from the daemon's status (GET /api/v1/status, the object
// `vigil status --json` prints) and its events (GET /api/v1/events). No DOM here: app.js draws.

/**
 * @typedef {{ at: string, from: string, to: string }} Transition
 * @typedef {{
 *   name: string, state: string, iface: string, vrid: number, basePriority: number,
 *   effectivePriority: number, masterAddress: string | null, masterPriority: number | null,
 *   source: string, vips: string[], syncGroup: string | null, faults: string[],
 *   transitions: Transition[], lastAdvert: PeerAdvert | null
 * }} InstanceView
 * @typedef {{ address: string, priority: number, at: string }} PeerAdvert
 * @typedef {{ activeConns: number, inactiveConns: number, conns: number, bytes: number }} RsCounters
 * @typedef {{
 *   id: string, vs: string, rs: string, state: string, weight: number, lastChange: string | null,
 *   counters: RsCounters | null, flags: string[]
 * }} RealServerView
 * @typedef {{ name: string, realServers: RealServerView[] }} ServiceView
 * @typedef {{ time: string, kind: string, subject: string, from: string | null, to: string }} TimelineEntry
 * @typedef {Record<string, unknown>} Obj
 */

/** @param {unknown} v @returns {v is Obj} */
function isObj(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** @param {unknown} v @returns {unknown[]} */
function list(v) {
  return Array.isArray(v) ? v : [];
}

/** @param {unknown} v @returns {number | null} */
function num(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** @param {unknown} v @returns {string | null} */
function str(v) {
  return typeof v === 'string' ? v : null;
}

/**
 * A child's own status, or its error (child not running, not answering).
 * @param {unknown} status @param {'vrrp' | 'checker'} kind
 * @returns {{ present: boolean, status: Obj | null, error: string | null }}
 */
export function childOf(status, kind) {
  const children = isObj(status) && isObj(status.children) ? status.children : {};
  const c = children[kind];
  if (!isObj(c)) return { present: false, status: null, error: null };
  const st = isObj(c.status) ? c.status : null;
  const error = st && typeof st.error === 'string' ? st.error : null;
  return { present: true, status: error ? null : st, error };
}

/** @param {unknown} status @returns {InstanceView[]} */
export function instancesOf(status) {
  const vrrp = childOf(status, 'vrrp').status;
  return list(vrrp?.instances)
    .filter(isObj)
    .map((i) => ({
      name: String(i.name),
      state: String(i.state),
      iface: String(i.interface ?? ''),
      vrid: num(i.vrid) ?? 0,
      basePriority: num(i.basePriority) ?? 0,
      effectivePriority: num(i.effectivePriority) ?? 0,
      masterAddress: str(i.masterAddress),
      masterPriority: num(i.masterPriority),
      source: String(i.source ?? ''),
      vips: list(i.vips).map(String),
      syncGroup: str(i.syncGroup),
      faults: isObj(i.tracking) ? list(i.tracking.faults).map(String) : [],
      transitions: list(i.transitions)
        .filter(isObj)
        .map((t) => ({ at: String(t.at), from: String(t.from), to: String(t.to) })),
      lastAdvert: peerAdvert(i.lastAdvert),
    }));
}

/** @param {unknown} v @returns {PeerAdvert | null} */
function peerAdvert(v) {
  if (!isObj(v) || typeof v.address !== 'string' || typeof v.at !== 'string') return null;
  return { address: v.address, priority: num(v.priority) ?? 0, at: v.at };
}

/**
 * How long ago, in words an operator reads at a glance: `0.8 s`, `42 s`, `3 min`, `2 h`.
 * @param {string} iso
 * @param {number} now ms since the epoch
 */
export function ago(iso, now) {
  const ms = Math.max(0, now - Date.parse(iso));
  if (Number.isNaN(ms)) return '?';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

/**
 * Who is master for an instance, as this node knows it: itself, a peer it hears, or nobody yet.
 * @param {InstanceView} i
 * @returns {{ self: true, address: string } | { self: false, address: string, priority: number | null } | null}
 */
export function masterOf(i) {
  if (i.state === 'MASTER') return { self: true, address: i.source };
  if (i.masterAddress) return { self: false, address: i.masterAddress, priority: i.masterPriority };
  return null;
}

/**
 * A real server's connection and traffic figures: the status's `live` object (activeConns,
 * inactiveConns, conns, inBytes, outBytes, as the data plane counts them), or the same fields
 * under `counters` or on the server itself. Null when the data plane keeps none.
 * @param {Obj} rs
 * @returns {RsCounters | null}
 */
export function countersOf(rs) {
  const c = isObj(rs.live) ? rs.live : isObj(rs.counters) ? rs.counters : rs;
  const active = num(c.activeConns) ?? num(rs.activeConns);
  const inactive = num(c.inactiveConns) ?? num(rs.inactiveConns);
  const conns = num(c.conns);
  const inBytes = num(c.inBytes);
  const outBytes = num(c.outBytes);
  if (active === null && conns === null && inBytes === null) return null;
  return {
    activeConns: active ?? 0,
    inactiveConns: inactive ?? 0,
    conns: conns ?? 0,
    bytes: (inBytes ?? 0) + (outBytes ?? 0),
  };
}

/**
 * What an operator changed at run time (the API's drain / disable / weight, or the server added
 * through the API: `added`), as short words.
 * @param {unknown} o the real server's `runtime` override
 * @param {unknown} [added] the real server's `added` ('runtime' when the API added it)
 * @returns {string[]}
 */
export function runtimeFlags(o, added) {
  const out = added === 'runtime' ? ['added'] : [];
  if (!isObj(o)) return out;
  if (o.disabled === true) out.push('disabled');
  if (o.drained === true) out.push('drained');
  if (typeof o.weight === 'number') out.push('reweighted');
  return out;
}

/** @param {unknown} status @returns {ServiceView[]} */
export function servicesOf(status) {
  const checker = childOf(status, 'checker').status;
  /** @type {Map<string, ServiceView>} */
  const byName = new Map();
  for (const rs of list(checker?.realServers).filter(isObj)) {
    const vs = String(rs.virtualServer);
    let svc = byName.get(vs);
    if (!svc) byName.set(vs, (svc = { name: vs, realServers: [] }));
    const name = String(rs.realServer);
    svc.realServers.push({
      id: `${vs} ${name}`,
      vs,
      rs: name,
      state: String(rs.state),
      weight: num(rs.weight) ?? 0,
      lastChange: str(rs.lastChange),
      counters: countersOf(rs),
      flags: runtimeFlags(rs.runtime, rs.added),
    });
  }
  return [...byName.values()];
}

/**
 * Each virtual service's rates as the daemon estimates them (status `virtualServers[].rates`:
 * cps, inBps, outBps in bytes per second), by service name.
 * @param {unknown} status
 * @returns {Map<string, { cps: number, inBps: number, outBps: number }>}
 */
export function serviceRates(status) {
  const checker = childOf(status, 'checker').status;
  const out = new Map();
  for (const v of list(checker?.virtualServers).filter(isObj)) {
    const r = isObj(v.rates) ? v.rates : null;
    if (!r) continue;
    out.set(String(v.virtualServer), {
      cps: num(r.cps) ?? 0,
      inBps: num(r.inBps) ?? 0,
      outBps: num(r.outBps) ?? 0,
    });
  }
  return out;
}

/**
 * Rates between successive status polls, per real server, for the sparklines. A counter that
 * goes down (the data plane restarted or was zeroed) starts the series again rather than
 * drawing a negative rate.
 */
export class TrafficHistory {
  /** @param {number} [size] points kept per real server */
  constructor(size = 40) {
    this.size = size;
    /** @type {Map<string, { t: number, c: RsCounters }>} */
    this.last = new Map();
    /** @type {Map<string, { bytes: number[], conns: number[] }>} */
    this.series = new Map();
  }

  /** @param {number} t ms @param {ServiceView[]} services */
  record(t, services) {
    const seen = new Set();
    for (const svc of services)
      for (const rs of svc.realServers) {
        seen.add(rs.id);
        if (!rs.counters) continue;
        const prev = this.last.get(rs.id);
        this.last.set(rs.id, { t, c: rs.counters });
        if (!prev || t <= prev.t) continue;
        let s = this.series.get(rs.id);
        if (!s) this.series.set(rs.id, (s = { bytes: [], conns: [] }));
        const dt = (t - prev.t) / 1000;
        const db = rs.counters.bytes - prev.c.bytes;
        const dc = rs.counters.conns - prev.c.conns;
        if (db < 0 || dc < 0) {
          s.bytes.length = 0;
          s.conns.length = 0;
          continue;
        }
        s.bytes.push(db / dt);
        s.conns.push(dc / dt);
        if (s.bytes.length > this.size) s.bytes.shift();
        if (s.conns.length > this.size) s.conns.shift();
      }
    // Real servers no longer configured: forget them.
    for (const id of [...this.last.keys()])
      if (!seen.has(id)) {
        this.last.delete(id);
        this.series.delete(id);
      }
  }

  /** @param {string} id */
  bytesPerSecond(id) {
    return this.series.get(id)?.bytes ?? [];
  }

  /** @param {string} id */
  connsPerSecond(id) {
    return this.series.get(id)?.conns ?? [];
  }
}

/**
 * An SVG polyline `points` value for a sparkline w x h, the highest value at the top.
 * @param {readonly number[]} values @param {number} w @param {number} h
 */
export function sparkPoints(values, w, h) {
  if (values.length === 0) return '';
  const max = Math.max(...values, 1e-9);
  const step = values.length > 1 ? w / (values.length - 1) : 0;
  const y = (/** @type {number} */ v) => (h - 1 - (v / max) * (h - 2)).toFixed(1);
  return values.map((v, i) => `${(i * step).toFixed(1)},${y(v)}`).join(' ');
}

/** @param {number} v bytes per second */
export function formatRate(v) {
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s'];
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

/**
 * A parsed server-sent event: its kind and fields, or null when the data is not a JSON object
 * (the page shows what it understands and ignores the rest).
 * @param {string} kind the SSE `event:` name @param {string} data
 * @returns {Obj & { kind: string, time: string } | null}
 */
export function parseEvent(kind, data) {
  let v;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObj(v)) return null;
  const k = typeof v.kind === 'string' ? v.kind : kind;
  const time = typeof v.time === 'string' ? v.time : new Date().toISOString();
  return { ...v, kind: k, time };
}

/**
 * The time line: VRRP transitions from the status (they survive a page reload) and real-server
 * changes from the event stream, newest first, without duplicates.
 * @param {InstanceView[]} instances @param {readonly Obj[]} events
 * @returns {TimelineEntry[]}
 */
export function timeline(instances, events) {
  /** @type {TimelineEntry[]} */
  const out = [];
  for (const i of instances)
    for (const t of i.transitions)
      out.push({ time: t.at, kind: 'vrrp-state', subject: i.name, from: t.from, to: t.to });
  for (const e of events) {
    if (e.kind === 'rs-state')
      out.push({
        time: String(e.time),
        kind: 'rs-state',
        subject: `${String(e.vs)} ${String(e.rs)}`,
        from: null,
        // Events say UP/DOWN, the status up/down: one word per state on the page.
        to: String(e.state).toLowerCase(),
      });
  }
  const seen = new Set();
  return out
    .filter((e) => {
      const key = `${e.kind}|${e.subject}|${e.to}|${e.time}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
}

/**
 * The API's names (src/lvs/targets.ts) of a real server the status lists: the status labels a
 * service `VIP:PORT/TCP`, `[IPv6]:PORT/UDP`, `fwmark N/TCP` or `group NAME/TCP`, and a real
 * server `ADDR:PORT`, where an IPv6 address needs brackets for the API.
 * @param {string} vsLabel
 * @param {string} rsLabel
 * @returns {{ vs: string, rs: string } | null} null when a label is not one of those forms
 */
export function apiTarget(vsLabel, rsLabel) {
  const slash = vsLabel.lastIndexOf('/');
  const base = slash < 0 ? vsLabel : vsLabel.slice(0, slash);
  const proto = slash < 0 ? '' : vsLabel.slice(slash + 1).toLowerCase();
  if (!base) return null;
  let vs;
  if (/^fwmark \d+$/.test(base)) vs = `fwm:${base.slice(7)}`;
  else if (base.startsWith('group ')) vs = `group:${base.slice(6)}`;
  else vs = /^(tcp|udp|sctp)$/.test(proto) ? `${proto}:${base}` : base;
  const m = /^(.+):(\d+)$/.exec(rsLabel);
  if (!m) return null;
  const host = /** @type {string} */ (m[1]);
  const rs = host.includes(':') && !host.startsWith('[') ? `[${host}]:${m[2]}` : rsLabel;
  return { vs, rs };
}
