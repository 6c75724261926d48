// Cross-block checks: what no single keyword can know. Each finding names the place to fix.
import type { Config, RealServer, VirtualServer, VrrpInstance } from './model.js';
import { isLoopback, listenText } from './listen.js';
import type { Ctx } from './schema/block.js';
import { closest } from './schema/suggest.js';
import { holdersOf } from './vip-holders.js';
import { rsLabel } from './listen.js';
import { weightedTracking } from './tracking-weights.js';

function checkInstance(v: VrrpInstance, c: Config, ctx: Ctx): void {
  const where = `vrrp_instance ${v.name}`;
  if (!v.interface) ctx.error(`${where} has no 'interface'`, v.loc);
  if (v.virtualRouterId === undefined && !v.other.virtual_router_id)
    ctx.error(`${where} has no 'virtual_router_id' (1-255)`, v.loc);
  const first = v.virtualIpaddress[0];
  v.family = first?.family ?? (v.unicastSrcIp?.includes(':') ? 6 : 4);
  if (v.version === 2 && v.family === 6 && (v.strictMode ?? c.globalDefs.vrrpStrict)) {
    ctx.warn(
      `${where}: cannot use IPv6 with VRRP version 2; strict mode sets version 3, as keepalived does`,
      v.loc,
    );
    v.version = 3;
  }
  if (v.version === 2 && v.family === 6) {
    ctx.error(
      `${where}: VRRP version 2 cannot carry IPv6 addresses (${first?.address}); use version 3`,
      first?.loc ?? v.loc,
    );
  }
  v.effectiveVersion = v.version ?? (v.family === 6 ? 3 : c.globalDefs.vrrpVersion);
  if (v.vmacXmitBase && !v.useVmac) {
    ctx.warn(
      `${where}: vmac_xmit_base is only valid with a vmac: ignored, as keepalived does`,
      v.keywordLocs.vmac_xmit_base ?? v.loc,
    );
    v.vmacXmitBase = false;
  }
  for (const vip of v.virtualIpaddress.slice(1)) {
    if (vip.family !== v.family) {
      ctx.warn(
        `${where}: ${vip.address} is IPv${vip.family} but the instance's first address is IPv${v.family}; an advert carries one family, so it is handled like virtual_ipaddress_excluded`,
        vip.loc,
      );
    }
  }
  if (v.effectiveVersion === 2 && !Number.isInteger(v.advertInt)) {
    ctx.error(
      `${where}: advert_int ${v.advertInt} is not whole seconds, which VRRP version 2 needs (version 3 allows centiseconds)`,
      v.keywordLocs.advert_int ?? v.loc,
    );
  }
  if (v.effectiveVersion === 3 && v.advertInt > 40.95) {
    ctx.error(
      `${where}: advert_int ${v.advertInt} is more than VRRP version 3 allows (40.95 s)`,
      v.keywordLocs.advert_int ?? v.loc,
    );
  }
  applyStrictMode(v, c, ctx);
  const strict = v.strictMode ?? c.globalDefs.vrrpStrict;
  if (v.priority !== 255 && !(v.accept ?? !strict) && v.virtualIpaddress.length > 0) {
    const lift =
      strict && v.effectiveVersion === 2
        ? "strict mode with VRRP version 2 allows no 'accept'"
        : "'accept' lets it through";
    ctx.warn(
      `${where}: no_accept is in force${v.accept === undefined ? " (vrrp_strict's default)" : ''}: while MASTER, packets to and from its VIPs are dropped (nftables table inet vigil_vrrp, keepalived's firewall), so they answer neither ping nor local services; ${lift}`,
      v.keywordLocs.accept ?? v.loc,
    );
  }
  if (v.unicastTtl !== undefined && v.unicastPeer.length === 0) {
    ctx.warn(
      `${where}: unicast_ttl needs unicast_peer; ignored (multicast adverts always have TTL 255)`,
      v.keywordLocs.unicast_ttl ?? v.loc,
    );
    v.unicastTtl = undefined;
  }
  if (v.effectiveVersion === 3 && v.authentication) {
    ctx.warn(
      `${where}: VRRP version 3 has no authentication; the authentication block is ignored`,
      v.authentication.loc,
    );
  }
  if (v.state === 'MASTER' && v.nopreempt) {
    ctx.warn(
      `${where}: nopreempt has no effect with 'state MASTER' (the instance starts as BACKUP, as keepalived does); use 'state BACKUP'`,
      v.keywordLocs.nopreempt ?? v.loc,
    );
  }
  if (v.state === 'MASTER' && v.preemptDelay > 0) {
    ctx.warn(
      `${where}: preempt_delay only works with 'state BACKUP'; with 'state MASTER' it is ignored`,
      v.keywordLocs.preempt_delay ?? v.loc,
    );
  }
  if (v.nopreempt && v.preemptDelay > 0) {
    ctx.warn(
      `${where}: preempt_delay has no effect with nopreempt (the instance never preempts)`,
      v.keywordLocs.preempt_delay ?? v.loc,
    );
  }
  checkNotifyArgs(v, ctx);
  if (v.virtualIpaddress.length === 0)
    ctx.warn(`${where} has no virtual_ipaddress: it will move no address`, v.loc);
  const refs: [string, { name: string; loc: VrrpInstance['loc'] }[], string[]][] = [
    ['track_script', v.trackScript, c.vrrpScripts.map((x) => x.name)],
    ['track_file', v.trackFile, c.trackFiles.map((x) => x.name)],
    ['track_process', v.trackProcess, c.trackProcesses.map((x) => x.name)],
  ];
  for (const [kw, list, known] of refs) {
    for (const r of list) {
      if (known.includes(r.name)) continue;
      const guess = closest(r.name, known);
      const def =
        kw === 'track_script' ? 'vrrp_script' : kw === 'track_file' ? 'track_file' : 'vrrp_track_process';
      ctx.error(
        `${where}: ${kw} '${r.name}' is not defined (no ${def} ${r.name} { … })${guess ? `; did you mean '${guess}'?` : ''}`,
        r.loc,
      );
    }
  }
}

/**
 * vrrp_strict / strict_mode, as keepalived 2.2.7's vrrp_complete_instance applies it: what it
 * refuses is an error, what it resets is a warning at the keyword's line and reset here, so the
 * rest of vigil sees the configuration keepalived runs.
 */
function applyStrictMode(v: VrrpInstance, c: Config, ctx: Ctx): void {
  if (!(v.strictMode ?? c.globalDefs.vrrpStrict)) return;
  const where = `vrrp_instance ${v.name}`;
  const owner = v.priority === 255;
  if (v.virtualIpaddress.length === 0)
    ctx.error(`${where}: strict mode needs at least one virtual_ipaddress (as keepalived)`, v.loc);
  if (v.stateSet && (v.state === 'MASTER') !== owner) {
    const want = owner ? 'MASTER' : 'BACKUP';
    ctx.warn(
      `${where}: strict mode: 'state ${v.state}' must match being the address owner (priority 255); it starts as ${want}, as keepalived does`,
      v.keywordLocs.state ?? v.loc,
    );
    v.state = want;
  }
  if (v.authentication) {
    ctx.warn(
      `${where}: strict mode does not support authentication: ignored, adverts are sent and expected without it (as keepalived does)`,
      v.authentication.loc,
    );
    v.authentication = undefined;
  }
  const first = v.virtualIpaddress[0];
  if (first && v.family === 6 && v.unicastPeer.length === 0 && !/^fe[89ab]/i.test(first.address))
    ctx.warn(
      `${where}: strict mode: the first IPv6 VIP should be link-local (keepalived reports it too)`,
      first.loc,
    );
  if (v.unicastPeer.length > 0)
    ctx.error(
      `${where}: unicast peers are not supported in strict mode (keepalived refuses them too); remove unicast_peer or vrrp_strict`,
      v.unicastPeer[0]!.loc,
    );
  if (v.preemptDelay > 0 && v.state !== 'MASTER') {
    ctx.warn(
      `${where}: preempt_delay is incompatible with strict mode: reset to 0, as keepalived does`,
      v.keywordLocs.preempt_delay ?? v.loc,
    );
    v.preemptDelay = 0;
  }
  if (v.vmacXmitBase && v.useVmac) {
    ctx.warn(
      `${where}: vmac_xmit_base is incompatible with strict mode: reset, adverts leave from the vmac (as keepalived does)`,
      v.keywordLocs.vmac_xmit_base ?? v.loc,
    );
    v.vmacXmitBase = false;
  }
  if (v.accept === true && !owner && v.effectiveVersion === 2) {
    ctx.warn(
      `${where}: accept mode with VRRP version 2 does not comply with RFC 3768: reset to no_accept in strict mode, as keepalived does`,
      v.keywordLocs.accept ?? v.loc,
    );
    v.accept = false;
  }
}

/** The weights a failing tracker can take off this instance (negative numbers). */
function trackerDrops(v: VrrpInstance, c: Config): { name: string; drop: number }[] {
  const out: { name: string; drop: number }[] = [];
  for (const r of v.trackScript) {
    const s = c.vrrpScripts.find((x) => x.name === r.name);
    if (!s) continue;
    const w = r.weight ?? s.weight;
    // weight 0: a failing script puts the instance in FAULT, which always releases the VIP.
    if (w !== 0) out.push({ name: r.name, drop: w < 0 ? w : -w });
  }
  return out;
}

/**
 * Users' most common HA mistake: a track_script whose weight cannot bring the master's priority
 * below the backup's, so the VIP never moves when the service dies. Compared across every
 * instance sharing a VRID on the same interface (in this file or the peers' files).
 */
export function checkTrackWeights(instances: { v: VrrpInstance; config: Config }[], ctx: Ctx): void {
  const byVrid = new Map<string, { v: VrrpInstance; config: Config }[]>();
  for (const x of instances) {
    if (x.v.virtualRouterId === undefined) continue;
    const k = `${x.v.virtualRouterId}/${x.v.family}`;
    byVrid.set(k, [...(byVrid.get(k) ?? []), x]);
  }
  for (const group of byVrid.values()) {
    if (group.length < 2) continue;
    for (const m of group) {
      const others = group.filter((o) => o !== m && o.v.priority < m.v.priority);
      if (others.length === 0) continue;
      const best = others.reduce((a, b) => (b.v.priority > a.v.priority ? b : a));
      const gap = m.v.priority - best.v.priority;
      for (const t of trackerDrops(m.v, m.config)) {
        if (-t.drop > gap) continue;
        const loc = m.v.trackScript.find((r) => r.name === t.name)?.loc ?? m.v.loc;
        ctx.warn(
          `vrrp_instance ${m.v.name}: when '${t.name}' fails the priority drops ${m.v.priority} → ${m.v.priority + t.drop}, ` +
            `which is not below ${best.v.name}'s ${best.v.priority}${best.config !== m.config ? ` (${best.v.loc.file})` : ''}: the VIP will not move. ` +
            `Use a weight below -${gap} (e.g. weight -${gap + 10}) or lower the backup's priority`,
          loc,
        );
      }
    }
  }
}

const vsPortOf = (vs: VirtualServer): number | undefined =>
  vs.key.kind === 'addr' ? vs.key.port : undefined;

/**
 * One real server of `vs` against the rest of the configuration (its port defaults to the virtual
 * server's). Also what the API's runtime-added real servers must pass.
 */
export function checkRealServer(r: RealServer, vs: VirtualServer, c: Config, ctx: Ctx): void {
  const where = `virtual_server ${vs.label}`;
  const vsPort = vsPortOf(vs);
  if (r.port === undefined && vsPort !== undefined) r.port = vsPort;
  const label = rsLabel(r);
  const kind = r.lvsMethod ?? vs.lbKind;
  if ((kind === 'DR' || kind === 'TUN') && vsPort !== undefined && vsPort !== 0 && r.port !== vsPort) {
    ctx.warn(
      `${where}: real_server ${label} uses ${kind}, which cannot change the port: it will receive port ${vsPort}`,
      r.loc,
    );
  }
  if (c.vrrpInstances.length > 0 && vs.key.kind === 'addr' && r.address === vs.key.address) {
    ctx.error(`${where}: the real server is the virtual address itself`, r.loc);
  }
  for (const ch of r.checkers) {
    if (ch.kind === 'FILE_CHECK' && ch.trackFile && !c.trackFiles.some((t) => t.name === ch.trackFile)) {
      ctx.error(`${where}: FILE_CHECK track_file '${ch.trackFile}' is not defined`, ch.loc);
    }
    if ('connectPort' in ch || ch.kind === 'TCP_CHECK' || ch.kind === 'HTTP_GET' || ch.kind === 'SSL_GET') {
      const cp = (ch as { connectPort?: number }).connectPort;
      if (cp === undefined && (r.port === undefined || r.port === 0) && ch.kind !== 'PING_CHECK') {
        ctx.error(
          `${where}: ${ch.kind} of real_server ${r.address} has no port to check (add connect_port)`,
          ch.loc,
        );
      }
    }
  }
}

function checkVirtualServer(vs: VirtualServer, c: Config, ctx: Ctx): void {
  const where = `virtual_server ${vs.label}`;
  if (vs.key.kind === 'group') {
    const name = vs.key.group;
    if (!c.virtualServerGroups.some((g) => g.name === name)) {
      ctx.error(`${where}: virtual_server_group '${name}' is not defined`, vs.loc);
    }
  }
  if (vs.key.kind !== 'fwmark' && !vs.protocolSet) {
    ctx.warn(
      `${where}: no 'protocol' set; keepalived then uses UDP (add 'protocol TCP' for a TCP service)`,
      vs.loc,
    );
  }
  if (vs.key.kind === 'fwmark' && vs.protocolSet) {
    ctx.warn(`${where}: 'protocol' is ignored for a fwmark service`, vs.keywordLocs.protocol ?? vs.loc);
  }
  if (vs.ops && vs.protocol !== 'UDP')
    ctx.warn(`${where}: 'ops' (one-packet scheduling) only applies to UDP`, vs.keywordLocs.ops ?? vs.loc);
  if (vs.realServers.length === 0 && !vs.sorryServer) ctx.warn(`${where} has no real_server`, vs.loc);
  if (vs.haSuspend && vs.key.kind === 'fwmark') {
    ctx.warn(
      `${where}: ha_suspend has no effect on a fwmark service (no address to hold); keepalived clears it`,
      vs.loc,
    );
  } else if (vs.haSuspend && c.vrrpInstances.length > 0 && holdersOf(c, vs).length === 0) {
    ctx.warn(
      `${where}: ha_suspend: no vrrp_instance has its address among its VIPs, so its checks always run`,
      vs.loc,
    );
  }
  const vsPort = vsPortOf(vs);
  const seen = new Map<string, RealServer>();
  for (const r of vs.realServers) {
    if (r.port === undefined && vsPort !== undefined) r.port = vsPort;
    const label = rsLabel(r);
    const prev = seen.get(label);
    if (prev) {
      ctx.error(`${where}: real_server ${label} is listed twice (first at line ${prev.loc.line})`, r.loc);
      continue;
    }
    seen.set(label, r);
    checkRealServer(r, vs, c, ctx);
  }
  if (vs.sorryServer) {
    const sorry = vs.sorryServer;
    const same = vs.realServers.find(
      (r) => r.address === sorry.address && (sorry.port === undefined || r.port === sorry.port),
    );
    if (same) {
      ctx.warn(
        `${where}: the sorry_server ${sorry.address} is also a real_server (line ${same.loc.line}): when the real servers are down it is likely down too`,
        sorry.loc,
      );
    }
  }
  if (vs.quorum > 1) {
    const total = vs.realServers.reduce((n, r) => n + r.weight, 0);
    if (vs.quorum > total) {
      ctx.warn(
        `${where}: quorum ${vs.quorum} is more than the total weight of its real servers (${total}): it can never be met`,
        vs.loc,
      );
    }
  }
}

const STATES = ['master', 'backup', 'fault', 'stop'];

/** notify scripts usually get the state as an argument; a misspelt one ('faild') never matches. */
function checkNotifyArgs(v: VrrpInstance, ctx: Ctx): void {
  for (const n of [v.notifyMaster, v.notifyBackup, v.notifyFault, v.notifyStop, v.notify]) {
    for (const a of n?.argv.slice(1) ?? []) {
      const w = a.toLowerCase();
      if (w.length < 4 || STATES.includes(w)) continue;
      const guess = closest(w, STATES);
      if (guess)
        ctx.warn(
          `vrrp_instance ${v.name}: notify argument '${a}' looks like a misspelt state; did you mean '${guess}'?`,
          n!.loc,
        );
    }
  }
}

function checkGlobals(c: Config, ctx: Ctx): void {
  const g = c.globalDefs;
  for (const e of g.notificationEmail) {
    // A bare local user ('root') is deliverable; a host name or URL is not an address.
    if (!e.includes('@') && e.includes('.'))
      ctx.warn(
        `notification_email '${e}' is not an email address`,
        g.loc ?? { file: c.files[0] ?? '', line: 1, col: 1 },
      );
  }
  if (g.notificationEmail.length > 0 && !g.smtpServer) {
    ctx.warn(
      'notification_email is set but no smtp_server: no mail will be sent',
      g.loc ?? { file: c.files[0] ?? '', line: 1, col: 1 },
    );
  }
}

export function validate(c: Config, ctx: Ctx): void {
  checkGlobals(c, ctx);
  if (c.api && !c.api.tokenFile && !isLoopback(c.api.listen.host))
    ctx.warn(
      `api listen ${listenText(c.api.listen)} is reachable from the network without a token_file: vigil run refuses it (add token_file PATH, or --api-token-file)`,
      c.api.loc,
    );
  const names = new Map<string, VrrpInstance>();
  for (const v of c.vrrpInstances) {
    const prev = names.get(v.name);
    if (prev) ctx.error(`vrrp_instance ${v.name} is defined twice (first at line ${prev.loc.line})`, v.loc);
    names.set(v.name, v);
    checkInstance(v, c, ctx);
  }
  // keepalived's rule for weighted trackers in sync groups and on the address owner.
  for (const v of c.vrrpInstances)
    for (const w of weightedTracking(c, v).warnings) ctx.warn(w.message, w.loc);
  const vrids = new Map<string, VrrpInstance>();
  for (const v of c.vrrpInstances) {
    if (v.virtualRouterId === undefined || !v.interface) continue;
    const k = `${v.interface}/${v.virtualRouterId}/${v.family}`;
    const prev = vrids.get(k);
    if (prev) {
      ctx.error(
        `vrrp_instance ${v.name}: virtual_router_id ${v.virtualRouterId} is already used on ${v.interface} by ${prev.name} (line ${prev.loc.line}); each instance on a segment needs its own VRID`,
        v.loc,
      );
    } else vrids.set(k, v);
  }
  for (const g of c.syncGroups) {
    for (const m of g.group) {
      if (!names.has(m.name)) {
        const guess = closest(m.name, names.keys());
        ctx.error(
          `vrrp_sync_group ${g.name}: instance '${m.name}' is not defined${guess ? `; did you mean '${guess}'?` : ''}`,
          m.loc,
        );
      }
    }
  }
  legacySyncDaemon(c, ctx);
  const sync = c.globalDefs.lvsSyncDaemon;
  if (sync && !names.has(sync.instance)) {
    ctx.error(`lvs_sync_daemon: vrrp_instance '${sync.instance}' is not defined`, sync.loc);
  }
  const ct = c.globalDefs.conntrackSync;
  if (ct && !names.has(ct.instance)) {
    const guess = closest(ct.instance, names.keys());
    ctx.error(
      `conntrack_sync: vrrp_instance '${ct.instance}' is not defined${guess ? `; did you mean '${guess}'?` : ''}`,
      ct.loc,
    );
  }
  checkTrackWeights(
    c.vrrpInstances.map((v) => ({ v, config: c })),
    ctx,
  );
  checkServiceAddresses(c, ctx);
  const vsSeen = new Map<string, VirtualServer>();
  for (const vs of c.virtualServers) {
    const k = `${vs.label}/${vs.protocol}`;
    const prev = vsSeen.get(k);
    if (prev)
      ctx.error(`virtual_server ${vs.label} is defined twice (first at line ${prev.loc.line})`, vs.loc);
    vsSeen.set(k, vs);
    checkVirtualServer(vs, c, ctx);
  }
}

/**
 * keepalived's pre-1.2.19 `lvs_sync_daemon_interface IFNAME` in a vrrp_instance means
 * `lvs_sync_daemon IFNAME <that instance>`; the first one counts, and never over the global form.
 */
function legacySyncDaemon(c: Config, ctx: Ctx): void {
  for (const v of c.vrrpInstances) {
    const old = v.lvsSyncDaemonInterface;
    if (!old) continue;
    const taken = c.globalDefs.lvsSyncDaemon;
    if (taken) {
      ctx.warn(
        `vrrp_instance ${v.name}: lvs_sync_daemon_interface ignored, lvs_sync_daemon is already ${taken.interface} ${taken.instance} (line ${taken.loc.line})`,
        old.loc,
      );
      continue;
    }
    ctx.warn(
      `vrrp_instance ${v.name}: lvs_sync_daemon_interface is deprecated (as in keepalived); write 'lvs_sync_daemon ${old.ifname} ${v.name}' in global_defs`,
      old.loc,
    );
    c.globalDefs.lvsSyncDaemon = { interface: old.ifname, instance: v.name, loc: old.loc };
  }
}

/**
 * A virtual_server whose address no vrrp_instance moves (nor static_ipaddress sets) is usually a
 * typo: clients would reach a director that does not hold the address.
 */
function checkServiceAddresses(c: Config, ctx: Ctx): void {
  if (c.vrrpInstances.length === 0) return;
  const held = new Set(
    [
      ...c.vrrpInstances.flatMap((v) => [...v.virtualIpaddress, ...v.virtualIpaddressExcluded]),
      ...c.staticAddresses.addresses,
    ].map((a) => a.address),
  );
  for (const vs of c.virtualServers) {
    if (vs.key.kind !== 'addr' || held.has(vs.key.address)) continue;
    const vips = [...held].join(', ') || 'none';
    ctx.warn(
      `virtual_server ${vs.label}: ${vs.key.address} is not a virtual_ipaddress of any vrrp_instance (they are: ${vips}); the director will not hold the address clients connect to`,
      vs.loc,
    );
  }
}
