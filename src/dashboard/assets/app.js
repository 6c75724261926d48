// The dashboard page: polls GET /api/v1/status, listens to GET /api/v1/events, and redraws.
// Every value from the daemon goes into the page as text (textContent), never as markup.
import { pickLanguage, translate } from './i18n.js';
import {
  TrafficHistory,
  ago,
  apiTarget,
  childOf,
  formatRate,
  instancesOf,
  masterOf,
  parseEvent,
  serviceRates,
  servicesOf,
  sparkPoints,
  timeline,
} from './model.js';

/** @typedef {import('./i18n.js').Key} Key */

const POLL_MS = 3000;
const MAX_EVENTS = 200;
const EVENT_KINDS = ['vrrp-state', 'rs-state', 'runtime', 'reload', 'message'];
const LANG_KEY = 'vigil.lang';
const TOKEN_KEY = 'vigil.token';
const NUMERIC = new Set(['weight', 'active', 'inactive']);
/** The runtime actions a real server's row offers, as the API names them (POST …/{action}). */
const ACTIONS = /** @type {const} */ (['drain', 'disable', 'enable', 'weight']);
/** `remove`: DELETE …/real-servers/{rs}, offered on the rows the API added. */
/** @typedef {typeof ACTIONS[number] | 'remove'} Action */

/** @param {Storage} store @param {string} key @returns {string | null} */
function stored(store, key) {
  try {
    return store.getItem(key);
  } catch {
    return null; // storage disabled
  }
}

/** @param {Storage} store @param {string} key @param {string} value */
function keep(store, key, value) {
  try {
    store.setItem(key, value);
  } catch {
    // not remembered; still in use on this page
  }
}

// The API's token: from ?token= or asked for by the page once, then kept for this browser tab's
// session. EventSource cannot send headers: the token goes on its URL, as a Bearer header elsewhere.
let token = new URLSearchParams(location.search).get('token') ?? stored(sessionStorage, TOKEN_KEY);
if (token) keep(sessionStorage, TOKEN_KEY, token);

/** @returns {string | null} */
function storedLang() {
  return stored(localStorage, LANG_KEY);
}

/**
 * The real server whose 15-minute chart is open, and what the daemon last answered for it.
 * @type {{ vs: string, rs: string, stepS: number, points: Array<{ t: number, cps: number, bps: number }> } | null}
 */
let chart = null;

const state = {
  lang: pickLanguage(storedLang(), navigator.languages ?? [navigator.language]),
  /** @type {unknown} */
  status: null,
  /** @type {string | null} */
  updated: null,
  /** @type {'live' | 'polling' | 'offline' | 'unauthorized'} */
  link: 'polling',
  streaming: false,
  /** @type {Array<Record<string, unknown> & { kind: string, time: string }>} newest last */
  events: [],
  history: new TrafficHistory(),
};

/** @param {Key} key @param {Record<string, string | number>} [vars] */
const t = (key, vars) => translate(state.lang, key, vars);

/**
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {Array<Node | string | null>} children
 * @returns {HTMLElement}
 */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null) e.append(c);
  return e;
}

/** @param {string} id */
function byId(id) {
  const e = document.getElementById(id);
  if (!e) throw new Error(`dashboard: #${id} missing from index.html`);
  return e;
}

/** @param {string} iso */
function clock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleTimeString(state.lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
}

/** @param {string} iso */
function timeEl(iso) {
  return el('time', { datetime: iso, title: iso }, clock(iso));
}

/** @param {string} s the daemon's state word; up/down are shown translated */
function badge(s) {
  const text = s === 'up' || s === 'down' ? t(s) : s;
  return el('span', { class: 'badge', 'data-state': s }, text);
}

function renderHeader() {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  for (const e of document.querySelectorAll('[data-t]'))
    e.textContent = t(/** @type {Key} */ (e.getAttribute('data-t')));
  byId('lang').textContent = t('switchTo');
  const s = /** @type {Record<string, unknown> | null} */ (state.status);
  byId('daemon').textContent =
    s && typeof s === 'object'
      ? t('daemon', { pid: String(s.pid), config: String(s.configFile), reloads: Number(s.reloads) })
      : '';
  const link = byId('link');
  link.dataset.state = state.link;
  const word = state.link === 'live' ? t('live') : t(state.link === 'polling' ? 'polling' : state.link);
  link.textContent = state.updated ? `${word} · ${t('updated', { time: clock(state.updated) })}` : word;
  byId('token-form').hidden = state.link !== 'unauthorized';
}

function renderCluster() {
  const box = byId('cluster');
  const vrrp = childOf(state.status, 'vrrp');
  const cards = instancesOf(state.status).map((i) => {
    const m = masterOf(i);
    const master =
      m === null
        ? t('unknown')
        : m.self
          ? t('thisNode', { address: m.address })
          : t('peer', { address: m.address, priority: m.priority ?? '?' });
    /** @type {Array<[Key, string, string]>} */
    const rows = [
      ['master', master, ''],
      ['priority', t('priorityValue', { effective: i.effectivePriority, base: i.basePriority }), 'priority'],
      ['vips', i.vips.join('  ') || '–', 'mono'],
      ['iface', t('ifaceValue', { iface: i.iface, vrid: i.vrid }), ''],
    ];
    if (i.syncGroup) rows.push(['syncGroup', i.syncGroup, '']);
    // The other router as this node last heard it (its adverts): address, priority, how long ago.
    if (i.lastAdvert)
      rows.push([
        'lastAdvert',
        t('lastAdvertValue', {
          address: i.lastAdvert.address,
          priority: i.lastAdvert.priority,
          ago: ago(i.lastAdvert.at, Date.now()),
        }),
        '',
      ]);
    if (i.faults.length) rows.push(['faults', i.faults.join('; '), 'error']);
    return el(
      'article',
      { class: 'card', 'data-instance': i.name },
      el('div', { class: 'card-head' }, el('span', { class: 'name' }, i.name), badge(i.state)),
      el(
        'dl',
        {},
        ...rows.flatMap(([key, value, cls]) => [
          el('dt', {}, t(key)),
          el('dd', { class: cls, 'data-field': key }, value),
        ]),
      ),
    );
  });
  const failed = (
    Array.isArray(vrrp.status?.failed) ? /** @type {Record<string, unknown>[]} */ (vrrp.status.failed) : []
  ).map((f) =>
    el('p', { class: 'error' }, t('notRunning', { name: String(f.name), error: String(f.error) })),
  );
  const notes = [];
  if (vrrp.error) notes.push(el('p', { class: 'error' }, t('vrrpDown', { error: vrrp.error })));
  else if (cards.length === 0 && vrrp.status) notes.push(el('p', { class: 'empty' }, t('noInstances')));
  byId('cluster-section').hidden = !vrrp.present;
  box.replaceChildren(...cards, ...failed, ...notes);
}

/** @param {readonly number[]} values */
function sparkline(values) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', '120');
  svg.setAttribute('height', '24');
  svg.setAttribute('viewBox', '0 0 120 24');
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', sparkPoints(values, 120, 24));
  svg.append(line);
  return svg;
}

function renderServices() {
  const box = byId('services');
  const checker = childOf(state.status, 'checker');
  byId('services-section').hidden = !checker.present;
  if (checker.error) {
    box.replaceChildren(el('p', { class: 'error' }, t('checkerDown', { error: checker.error })));
    return;
  }
  const services = servicesOf(state.status);
  if (services.length === 0) {
    box.replaceChildren(el('p', { class: 'empty' }, checker.status ? t('noServices') : ''));
    return;
  }
  const rates = serviceRates(state.status);
  const engine = typeof checker.status?.engine === 'string' ? checker.status.engine : null;
  const head = el(
    'tr',
    {},
    ...['realServer', 'state', 'weight', 'active', 'inactive', 'traffic', 'actions'].map((k) =>
      el('th', NUMERIC.has(k) ? { class: 'num' } : {}, t(/** @type {Key} */ (k))),
    ),
  );
  box.replaceChildren(
    ...(engine ? [el('p', { class: 'muted' }, t('engine', { engine }))] : []),
    ...services.map((svc) =>
      el(
        'div',
        { class: 'service', 'data-service': svc.name },
        el(
          'h3',
          {},
          svc.name,
          ...(() => {
            const r = rates.get(svc.name);
            return r
              ? [
                  el(
                    'span',
                    { class: 'rates' },
                    t('rates', { cps: r.cps, in: formatRate(r.inBps), out: formatRate(r.outBps) }),
                  ),
                ]
              : [];
          })(),
        ),
        el(
          'table',
          {},
          el('thead', {}, head.cloneNode(true)),
          el(
            'tbody',
            {},
            ...svc.realServers.map((rs) => {
              const c = rs.counters;
              const rates = state.history.bytesPerSecond(rs.id);
              const traffic = c
                ? el(
                    'td',
                    {},
                    sparkline(rates),
                    ' ',
                    el(
                      'span',
                      { class: 'muted rate' },
                      rates.length ? formatRate(rates[rates.length - 1] ?? 0) : '',
                    ),
                    ' ',
                    el('button', { type: 'button', class: 'history', 'data-history': '' }, t('history')),
                  )
                : el('td', { class: 'muted', title: t('noCounters') }, '–');
              return el(
                'tr',
                { 'data-rs': rs.rs, 'data-vs': rs.vs },
                el('td', { class: 'mono' }, rs.rs),
                el(
                  'td',
                  {},
                  badge(rs.state),
                  ...rs.flags.map((f) =>
                    el('span', { class: 'flag', 'data-flag': f }, t(/** @type {Key} */ (f))),
                  ),
                ),
                el('td', { class: 'num' }, String(rs.weight)),
                el('td', { class: 'num' }, c ? String(c.activeConns) : '–'),
                el('td', { class: 'num' }, c ? String(c.inactiveConns) : '–'),
                traffic,
                el(
                  'td',
                  { class: 'actions' },
                  ...[
                    ...ACTIONS,
                    ...(rs.flags.includes('added') ? /** @type {const} */ (['remove']) : []),
                  ].map((a) =>
                    el(
                      'button',
                      { type: 'button', 'data-action': a },
                      t(/** @type {Key} */ (`act${a[0]?.toUpperCase()}${a.slice(1)}`)),
                    ),
                  ),
                ),
              );
            }),
          ),
        ),
        ...(chart && chart.vs === svc.name ? [chartPanel(chart)] : []),
      ),
    ),
  );
}

/**
 * One real server's last 15 minutes as the daemon keeps them: connections per second and bytes
 * per second, each scaled to its own maximum (the legend gives both).
 * @param {NonNullable<typeof chart>} c
 */
function chartPanel(c) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'chart');
  svg.setAttribute('viewBox', '0 0 600 120');
  svg.setAttribute('preserveAspectRatio', 'none');
  for (const [cls, values] of /** @type {Array<[string, number[]]>} */ ([
    ['cps', c.points.map((p) => p.cps)],
    ['bps', c.points.map((p) => p.bps)],
  ])) {
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('class', cls);
    line.setAttribute('points', sparkPoints(values, 600, 120));
    svg.append(line);
  }
  const max = (/** @type {'cps' | 'bps'} */ k) => Math.max(0, ...c.points.map((p) => p[k]));
  return el(
    'div',
    { id: 'chart', 'data-rs': c.rs, 'data-points': String(c.points.length) },
    el(
      'div',
      { class: 'chart-head' },
      el('span', {}, t('historyTitle', { vs: c.vs, rs: c.rs, step: c.stepS })),
      el('button', { type: 'button', id: 'chart-close' }, t('historyClose')),
    ),
    c.points.length ? svg : el('p', { class: 'empty' }, t('historyEmpty', { step: c.stepS })),
    el(
      'p',
      { class: 'muted legend' },
      t('historyLegend', { cps: max('cps').toFixed(1), bps: formatRate(max('bps')) }),
    ),
  );
}

/** Asks the daemon for the open chart's points (each refresh while it is open). */
async function loadChart() {
  if (!chart) return;
  const target = apiTarget(chart.vs, chart.rs);
  if (!target) return;
  const { vs, rs } = chart;
  try {
    const r = await fetch(
      `/api/v1/virtual-servers/${encodeURIComponent(target.vs)}/real-servers/${encodeURIComponent(target.rs)}/history`,
      { headers: authHeaders(), cache: 'no-store' },
    );
    const body = /** @type {Record<string, unknown>} */ (await r.json().catch(() => ({})));
    // The chart may have been closed or switched meanwhile.
    if (!chart || chart.vs !== vs || chart.rs !== rs) return;
    if (!r.ok) {
      notify(
        t('failed', { action: t('history'), rs, error: String(body.error ?? `HTTP ${r.status}`) }),
        'error',
      );
      return;
    }
    chart.stepS = Number(body.stepS) || 10;
    chart.points = Array.isArray(body.points)
      ? body.points.map((/** @type {Record<string, unknown>} */ p) => ({
          t: Number(p.t),
          cps: Number(p.cps),
          bps: Number(p.bps),
        }))
      : [];
    renderServices();
  } catch {
    // the daemon is unreachable: the header says so; the chart keeps its last points
  }
}

function renderTimeline() {
  const entries = timeline(instancesOf(state.status), state.events);
  byId('timeline').replaceChildren(
    ...(entries.length
      ? entries.map((e) =>
          el(
            'li',
            { 'data-kind': e.kind, 'data-subject': e.subject, 'data-to': e.to },
            timeEl(e.time),
            el('span', { class: 'mono' }, e.subject),
            ' ',
            ...(e.from ? [badge(e.from), ' → '] : ['→ ']),
            badge(e.to),
          ),
        )
      : [el('li', { class: 'empty' }, t('noTransitions'))]),
  );
}

/** @param {Record<string, unknown> & { kind: string }} e */
function eventText(e) {
  const s = (/** @type {string} */ k) => (e[k] === undefined || e[k] === null ? '' : String(e[k]));
  switch (e.kind) {
    case 'vrrp-state': {
      const prio = e.priority === undefined ? '' : ` · ${t('evPriority', { priority: s('priority') })}`;
      return `${s('instance')}: ${e.previous ? `${s('previous')} → ` : ''}${s('state')}${prio}`;
    }
    case 'rs-state': {
      const st = e.state === 'UP' ? t('up') : e.state === 'DOWN' ? t('down') : s('state');
      return `${s('vs')} ${s('rs')} → ${st}${e.reason ? ` (${s('reason')})` : ''}`;
    }
    case 'runtime':
      return `${s('vs')} ${s('rs')}: ${s('action')}${e.weight === undefined ? '' : ` · ${t('evWeight', { weight: s('weight') })}`}`;
    case 'reload':
      return t('evReload');
    default: {
      const { kind: _k, time: _t, ...rest } = e;
      return `${JSON.stringify(rest)}`;
    }
  }
}

function renderEvents() {
  const items = [...state.events]
    .reverse()
    .map((e) =>
      el('li', { 'data-kind': e.kind }, timeEl(e.time), el('span', { class: 'kind' }, e.kind), eventText(e)),
    );
  byId('events').replaceChildren(...(items.length ? items : [el('li', { class: 'empty' }, t('noEvents'))]));
}

function render() {
  renderHeader();
  renderCluster();
  renderServices();
  renderTimeline();
  renderEvents();
}

/** @returns {Record<string, string>} */
function authHeaders() {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function refresh() {
  try {
    const r = await fetch('/api/v1/status', { headers: authHeaders(), cache: 'no-store' });
    if (r.status === 401) {
      state.link = 'unauthorized';
    } else if (r.ok) {
      state.status = await r.json();
      state.updated = new Date().toISOString();
      state.history.record(Date.now(), servicesOf(state.status));
      void loadChart();
      state.link = state.streaming ? 'live' : 'polling';
    } else {
      state.link = 'offline';
    }
  } catch {
    state.link = 'offline';
  }
  render();
}

/** @type {ReturnType<typeof setTimeout> | null} */
let soon = null;
/** Events come in bursts (a failover is several): one status fetch per burst. */
function refreshSoon() {
  if (soon) return;
  soon = setTimeout(() => {
    soon = null;
    void refresh();
  }, 150);
}

/** @type {EventSource | null} */
let es = null;

function listen() {
  es?.close();
  const url = `/api/v1/events${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  es = new EventSource(url);
  es.onopen = () => {
    state.streaming = true;
    state.link = 'live';
    renderHeader();
  };
  es.onerror = () => {
    // EventSource reconnects by itself; until then the page keeps polling.
    state.streaming = false;
    if (state.link === 'live') state.link = 'polling';
    renderHeader();
  };
  for (const kind of EVENT_KINDS)
    es.addEventListener(kind, (m) => {
      const e = parseEvent(kind, /** @type {MessageEvent<string>} */ (m).data);
      if (!e) return;
      state.events.push(e);
      if (state.events.length > MAX_EVENTS) state.events.shift();
      renderEvents();
      renderTimeline();
      refreshSoon();
    });
}

/** @type {{ action: Action, vs: string, rs: string } | null} */
let pending = null;

/** @param {string} text @param {'ok' | 'error' | 'busy'} kind */
function notify(text, kind) {
  const n = byId('notice');
  n.textContent = text;
  n.dataset.kind = kind;
  n.hidden = false;
}

/** Asks before a real server is changed: the dialog names the server and what will happen. */
byId('services').addEventListener('click', (ev) => {
  const target = /** @type {HTMLElement} */ (ev.target);
  if (target.closest('#chart-close')) {
    chart = null;
    renderServices();
    return;
  }
  const open = target.closest('button[data-history]')?.closest('tr');
  if (open) {
    chart = { vs: open.dataset.vs ?? '', rs: open.dataset.rs ?? '', stepS: 10, points: [] };
    renderServices();
    void loadChart();
    return;
  }
  const b = /** @type {HTMLElement | null} */ (
    /** @type {HTMLElement} */ (ev.target).closest('button[data-action]')
  );
  const row = b?.closest('tr');
  if (!b || !row) return;
  const action = /** @type {Action} */ (b.dataset.action);
  const vs = row.dataset.vs ?? '';
  const rs = row.dataset.rs ?? '';
  pending = { action, vs, rs };
  const ask = /** @type {Key} */ (`ask${action[0]?.toUpperCase()}${action.slice(1)}`);
  byId('action-text').textContent = t(ask, { vs, rs });
  byId('action-weight-row').hidden = action !== 'weight';
  const w = /** @type {HTMLInputElement} */ (byId('action-weight'));
  w.value = action === 'weight' ? (row.querySelector('td.num')?.textContent ?? '') : '';
  /** @type {HTMLDialogElement} */ (byId('action')).showModal();
});

byId('action').addEventListener('close', () => {
  const d = /** @type {HTMLDialogElement} */ (byId('action'));
  const p = pending;
  pending = null;
  if (!p || d.returnValue !== 'confirm') return;
  const raw = /** @type {HTMLInputElement} */ (byId('action-weight')).value;
  void act(p, raw);
});

/**
 * Sends one runtime change and shows the API's answer, whatever it is.
 * @param {{ action: Action, vs: string, rs: string }} p
 * @param {string} rawWeight the dialog's weight field (the API judges it)
 */
async function act(p, rawWeight) {
  const target = apiTarget(p.vs, p.rs);
  const label = t(/** @type {Key} */ (`act${p.action[0]?.toUpperCase()}${p.action.slice(1)}`)).replace(
    '…',
    '',
  );
  if (!target) {
    notify(t('failed', { action: label, rs: p.rs, error: `${p.vs} ${p.rs}?` }), 'error');
    return;
  }
  const path =
    `/api/v1/virtual-servers/${encodeURIComponent(target.vs)}/real-servers/${encodeURIComponent(target.rs)}` +
    (p.action === 'weight' || p.action === 'remove' ? '' : `/${p.action}`);
  const n = Number(rawWeight);
  const body =
    p.action === 'weight'
      ? JSON.stringify({ weight: rawWeight.trim() !== '' && Number.isFinite(n) ? n : rawWeight })
      : '';
  notify(t('sending'), 'busy');
  try {
    const r = await fetch(path, {
      method: p.action === 'remove' ? 'DELETE' : 'POST',
      headers: { ...authHeaders(), 'Content-Type': 'application/json' },
      body,
    });
    const answer = /** @type {Record<string, unknown>} */ (await r.json().catch(() => ({})));
    if (r.ok) {
      notify(
        p.action === 'remove'
          ? t('removed', { vs: p.vs, rs: p.rs })
          : t('done', { action: label, vs: p.vs, rs: p.rs, weight: String(answer.weight) }),
        'ok',
      );
      refreshSoon();
    } else {
      if (r.status === 401) {
        state.link = 'unauthorized';
        renderHeader();
      }
      notify(
        t('failed', { action: label, rs: p.rs, error: String(answer.error ?? `HTTP ${r.status}`) }),
        'error',
      );
    }
  } catch (e) {
    notify(t('failed', { action: label, rs: p.rs, error: String(e) }), 'error');
  }
}

byId('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const v = /** @type {HTMLInputElement} */ (byId('token-input')).value.trim();
  if (!v) return;
  token = v;
  keep(sessionStorage, TOKEN_KEY, v);
  listen();
  void refresh();
});

byId('lang').addEventListener('click', () => {
  state.lang = state.lang === 'en' ? 'zh' : 'en';
  keep(localStorage, LANG_KEY, state.lang);
  render();
});

render();
void refresh();
setInterval(() => void refresh(), POLL_MS);
listen();
