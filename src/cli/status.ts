// `vigil status [--json] [--runtime-dir DIR]`: asks the running daemon over its control socket.
import { controlRequest, controlSocketPath } from '../daemon/control.js';
import { DEFAULT_RUNTIME_DIR } from '../daemon/options.js';

const USAGE = 'usage: vigil status [--json] [--runtime-dir DIR]';

export async function runStatus(argv: string[]): Promise<number> {
  let json = false;
  let runtimeDir = DEFAULT_RUNTIME_DIR;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--runtime-dir' && argv[i + 1] !== undefined) runtimeDir = argv[++i]!;
    else if (a.startsWith('--runtime-dir=')) runtimeDir = a.slice('--runtime-dir='.length);
    else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      return 0;
    } else {
      console.error(`vigil status: unexpected argument '${a}'\n${USAGE}`);
      return 2;
    }
  }
  let status: unknown;
  try {
    status = await controlRequest(controlSocketPath(runtimeDir), { cmd: 'status' });
  } catch (e) {
    console.error(`vigil status: ${(e as Error).message}`);
    return 1;
  }
  console.log(json ? JSON.stringify(status, null, 2) : formatDaemonStatus(status));
  return 0;
}

/** A compact, indented rendering of the status tree for a terminal. */
export function formatStatus(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return `${indent}${String(value)}`;
  const lines: string[] = [];
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [k, v] of entries) {
    if (v !== null && typeof v === 'object') {
      lines.push(`${indent}${k}:`);
      lines.push(formatStatus(v, indent + '  '));
    } else {
      lines.push(`${indent}${k}: ${String(v)}`);
    }
  }
  return lines.join('\n');
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One line per VRRP instance, e.g. `VI_1 eth0 vrid 51 MASTER prio 100/100 VIPs 10.0.0.100/24`. */
export function formatInstance(i: Obj): string[] {
  const vips = Array.isArray(i.vips) ? (i.vips as string[]).join(' ') : '';
  const parts = [
    `${String(i.name)} ${String(i.interface)} vrid ${String(i.vrid)}`,
    String(i.state),
    `prio ${String(i.effectivePriority)}/${String(i.basePriority)}`,
    `VIPs ${vips || '-'}`,
  ];
  if (i.state !== 'MASTER' && typeof i.masterAddress === 'string')
    parts.push(`master ${i.masterAddress} (prio ${String(i.masterPriority)})`);
  parts.push(`adverts sent ${String(i.advertsSent)} rcvd ${String(i.advertsReceived)}`);
  const rejected = isObj(i.rejected) ? Object.entries(i.rejected) : [];
  if (rejected.length) parts.push(`rejected ${rejected.map(([k, v]) => `${k}:${String(v)}`).join(',')}`);
  const lines = [parts.join(' ')];
  const trackers = Array.isArray(i.trackers) ? (i.trackers as Obj[]) : [];
  const shown = trackers.filter(
    (t) => !(t.kind === 'interface' && t.name === i.interface && t.status === 'up'),
  );
  if (shown.length)
    lines.push(
      `    trackers: ${shown.map((t) => `${String(t.kind)} ${String(t.name)} ${String(t.status)} (weight ${String(t.weight)})`).join('; ')}`,
    );
  const tracking = isObj(i.tracking) ? i.tracking : {};
  if (Array.isArray(tracking.faults) && tracking.faults.length)
    lines.push(`    fault: ${(tracking.faults as string[]).join('; ')}`);
  return lines;
}

/** One line per real server with its checkers' last results, grouped under its virtual server:
 * `  10.0.0.7:80 up weight 1 since 2026-12-04T10:00:00.000Z` then `    TCP_CHECK ok: connected (1.2 ms)`.
 * The weight is the one in force; a runtime change (vigil adm -e -w 7) shows as
 * `weight 7 (runtime override, configured 1)`; one the API added ends in `[runtime: added]`. */
export function formatRealServers(servers: Obj[]): string[] {
  const lines: string[] = [];
  let vs = '';
  for (const rs of servers) {
    if (rs.virtualServer !== vs) {
      vs = String(rs.virtualServer);
      lines.push(`virtual server ${vs}`);
    }
    const since = typeof rs.lastChange === 'string' ? ` since ${rs.lastChange}` : '';
    const paused = rs.suspended === true ? ' (checks suspended: ha_suspend)' : '';
    const override = isObj(rs.override)
      ? ` (${String(rs.override.by)} override, configured ${String(rs.override.configuredWeight)})`
      : '';
    // An operator's runtime change (the API) stays visible until it is undone.
    const rt = isObj(rs.runtime) ? rs.runtime : {};
    const changes = [
      // added through the API, not in the configuration (PUT …/real-servers/{rs})
      ...(rs.added === 'runtime' ? ['added'] : []),
      ...(typeof rt.weight === 'number' ? [`weight ${rt.weight}`] : []),
      ...(rt.drained ? ['drained'] : []),
      ...(rt.disabled ? ['disabled'] : []),
    ];
    const runtime = changes.length ? ` [runtime: ${changes.join(', ')}]` : '';
    lines.push(
      `  ${String(rs.realServer)} ${String(rs.state)} weight ${String(rs.weight)}${override}${since}${paused}${runtime}`,
    );
    for (const c of Array.isArray(rs.checkers) ? (rs.checkers as Obj[]) : []) {
      const last = isObj(c.lastResult) ? c.lastResult : undefined;
      const result = last
        ? `${last.ok ? 'ok' : 'failed'}: ${String(last.reason)} (${String(last.latencyMs)} ms, at ${String(last.at)})`
        : 'not run yet';
      const failures =
        Number(c.consecutiveFailures) > 0 ? `, ${String(c.consecutiveFailures)} consecutive failures` : '';
      const note = typeof c.note === 'string' ? ` [${c.note}]` : '';
      lines.push(`    ${String(c.kind)} ${c.up ? 'up' : 'down'}, last ${result}${failures}${note}`);
    }
  }
  return lines;
}

/** The daemon's status for a terminal: the supervisor, then each child (VRRP instances one a line). */
export function formatDaemonStatus(status: unknown): string {
  if (!isObj(status)) return formatStatus(status);
  const lines = [
    `vigil pid ${String(status.pid)}, config ${String(status.configFile)}, runtime dir ${String(status.runtimeDir)}, reloads ${String(status.reloads)}`,
  ];
  const children = isObj(status.children) ? status.children : {};
  for (const [kind, c] of Object.entries(children)) {
    if (!isObj(c)) continue;
    lines.push(`${kind} child pid ${String(c.pid)} (restarts ${String(c.restarts)})`);
    const st = c.status;
    if (kind === 'vrrp' && isObj(st) && Array.isArray(st.instances)) {
      for (const i of st.instances as Obj[]) lines.push(...formatInstance(i).map((l) => `  ${l}`));
      for (const g of Array.isArray(st.syncGroups) ? (st.syncGroups as Obj[]) : [])
        lines.push(
          `  sync group ${String(g.name)} ${String(g.state)}: ${(g.members as string[]).join(', ')}`,
        );
      for (const f of Array.isArray(st.failed) ? (st.failed as Obj[]) : [])
        lines.push(`  ${String(f.name)} NOT RUNNING: ${String(f.error)}`);
    } else if (kind === 'checker' && isObj(st) && Array.isArray(st.realServers)) {
      // Per-service figures are for /metrics and the dashboard; the lines below name each service.
      const { realServers, virtualServers, ...rest } = st;
      void virtualServers;
      lines.push(formatStatus(rest, '  '));
      lines.push(...formatRealServers(realServers as Obj[]).map((l) => `  ${l}`));
    } else if (isObj(st)) {
      lines.push(formatStatus(st, '  '));
    }
  }
  return lines.join('\n');
}
