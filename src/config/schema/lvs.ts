// The load-balancer side: virtual_server_group, virtual_server, real_server, sorry_server.
import { isIP } from 'node:net';
import type { Stmt, Token } from '../ast.js';
import { parseGroupAddress } from '../group-range.js';
import type { LbKind, RealServer, Tunnel, VirtualServer, VirtualServerGroup } from '../model.js';
import { applyBlock, blockOf, type BlockSpec, type Ctx } from './block.js';
import { CHECKER_KINDS, linkLocalReachable, readChecker } from './checkers.js';
import { closest } from './suggest.js';
import { arg, flag, int, intText, notifyCommand, parseIp, port, seconds, text } from './values.js';

export const LB_ALGOS = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'sh',
  'mh',
  'dh',
  'fo',
  'ovf',
  'lblcr',
  'sed',
  'nq',
  'twos',
] as const;
export const LB_KINDS: readonly LbKind[] = ['NAT', 'DR', 'TUN', 'FULLNAT'];

function lbKind(s: Stmt, ctx: Ctx): LbKind | undefined {
  const t = arg(s, 0, ctx, `one of ${LB_KINDS.join(', ')}`);
  if (!t) return undefined;
  if ((LB_KINDS as readonly string[]).includes(t.text)) return t.text as LbKind;
  const guess = LB_KINDS.find((k) => k === t.text.toUpperCase()) ?? closest(t.text, LB_KINDS);
  ctx.error(
    `unknown ${s.keyword.text} '${t.text}' (NAT, DR, TUN or FULLNAT)${guess ? `; did you mean '${guess}'?` : ''}`,
    t.loc,
  );
  return undefined;
}

/**
 * keepalived's options after TUN: `type ipip|gue|gre`, `port N` (gue only, and required there),
 * `nocsum|csum|remcsum` (not with ipip; gre has no remcsum). keepalived reports a mistake and
 * keeps TUN with its default encapsulation (ipip): a warning here, the same outcome.
 */
function tunnelOptions(s: Stmt, ctx: Ctx): Tunnel | undefined {
  const t: Tunnel = { type: 'ipip', csum: 'nocsum' };
  const opts = s.args.slice(1);
  const warn = (m: string, at = s.keyword.loc): undefined => {
    ctx.warn(`${s.keyword.text} TUN: ${m}; the tunnel stays ipip`, at);
    return undefined;
  };
  if (opts.length === 0) return undefined;
  if (s.args[0]?.text !== 'TUN') {
    ctx.warn(
      `${s.keyword.text} ${s.args[0]?.text ?? ''}: '${opts[0]!.text}' is an option of TUN only; ignored`,
      opts[0]!.loc,
    );
    return undefined;
  }
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i]!;
    if (o.text === 'type') {
      const v = opts[++i];
      if (!v) return warn('missing tunnel type', o.loc);
      if (v.text !== 'ipip' && v.text !== 'gue' && v.text !== 'gre')
        return warn(`unknown tunnel type '${v.text}' (ipip, gue or gre)`, v.loc);
      t.type = v.text;
    } else if (o.text === 'port') {
      const v = opts[++i];
      const n = v && /^\d+$/.test(v.text) ? Number(v.text) : NaN;
      if (!(n >= 1 && n <= 65535)) return warn(`invalid gue tunnel port '${v?.text ?? ''}'`, (v ?? o).loc);
      t.port = n;
    } else if (o.text === 'nocsum' || o.text === 'csum' || o.text === 'remcsum') t.csum = o.text;
    else return warn(`invalid tunnel option '${o.text}'`, o.loc);
  }
  if ((t.type === 'gue') !== (t.port !== undefined))
    return warn('gue tunnels require port, otherwise cannot have port');
  if (t.type === 'ipip' && t.csum !== 'nocsum') return warn('ipip tunnels do not support checksum option');
  if (t.type === 'gre' && t.csum === 'remcsum')
    return warn('gre tunnels do not support remote checksum option');
  return t;
}

/** `ADDRESS [PORT]` for real_server and sorry_server. */
function addrPort(s: Stmt, ctx: Ctx): { address: string; family: 4 | 6; port?: number } | undefined {
  const a = arg(s, 0, ctx, 'an address and a port');
  if (!a) return undefined;
  const ip = parseIp(a.text);
  if (!ip || ip.prefix !== undefined) {
    ctx.error(`${s.keyword.text}: '${a.text}' is not an IP address`, a.loc);
    return undefined;
  }
  const p = s.args[1] ? port(s.args[1], s.keyword.text, ctx) : undefined;
  return p === undefined
    ? { address: ip.address, family: ip.family }
    : { address: ip.address, family: ip.family, port: p };
}

const SNMP = 'SNMP is not implemented: the name is not published';
const NB_GET_RETRY =
  "keepalived 2.2.7 does not know it here and ignores it; vigil ignores it too (write 'retry')";

export const RS_SPEC: BlockSpec<RealServer> = {
  name: 'real_server',
  unimplemented: { snmp_name: SNMP, BFD_CHECK: 'no BFD session runs, so this checker never runs' },
  ignored: {
    nb_get_retry: NB_GET_RETRY,
    // keepalived 2.2.7 logs "Unknown keyword 'lb_kind'" here: a real server's own method is lvs_method.
    lb_kind:
      "keepalived 2.2.7 does not know it here and ignores it; vigil ignores it too (write 'lvs_method')",
  },
  keywords: {
    weight: (s, r, ctx) => (r.weight = int(s, ctx, 0, 2147483647) ?? r.weight),
    lvs_method: (s, r, ctx) => {
      r.lvsMethod = lbKind(s, ctx);
      const t = tunnelOptions(s, ctx);
      if (t) r.tunnel = t;
      else delete r.tunnel;
    },
    uthreshold: (s, r, ctx) => (r.uthreshold = int(s, ctx, 0, 2147483647)),
    lthreshold: (s, r, ctx) => (r.lthreshold = int(s, ctx, 0, 2147483647)),
    inhibit_on_failure: (s, r, ctx) => (r.inhibitOnFailure = flag(s, ctx)),
    notify_up: (s, r, ctx) => (r.notifyUp = notifyCommand(s, ctx)),
    notify_down: (s, r, ctx) => (r.notifyDown = notifyCommand(s, ctx)),
    alpha: (s, r, ctx) => (r.alpha = flag(s, ctx)),
    retry: (s, r, ctx) => (r.retry = int(s, ctx, 0, 1_000_000)),
    delay_before_retry: (s, r, ctx) => (r.delayBeforeRetry = seconds(s, ctx, 0, 86400)),
    warmup: (s, r, ctx) => (r.warmup = seconds(s, ctx, 0, 86400)),
    delay_loop: (s, r, ctx) => (r.delayLoop = seconds(s, ctx, 0.001, 86400)),
    connect_timeout: (s, r, ctx) => (r.connectTimeout = seconds(s, ctx, 0.001, 3600)),
    smtp_alert: (s, r, ctx) => (r.smtpAlert = flag(s, ctx)),
    virtualhost: (s, r, ctx) => (r.virtualhost = text(s, ctx)),
    ...Object.fromEntries(
      CHECKER_KINDS.map((k) => [
        k,
        (s: Stmt, r: RealServer, ctx: Ctx) => {
          const c = readChecker(s, ctx);
          if (c && linkLocalReachable(c, r.address, ctx)) r.checkers.push(c);
        },
      ]),
    ),
  },
};

export function readRealServer(s: Stmt, ctx: Ctx): RealServer | undefined {
  const ap = addrPort(s, ctx);
  if (!ap) return undefined;
  const r: RealServer = { ...ap, weight: 1, checkers: [], loc: s.keyword.loc };
  applyBlock(RS_SPEC, s.block ?? [], r, ctx);
  return r;
}

function granularity(t: Token, ctx: Ctx): string | undefined {
  if (/^\d+$/.test(t.text) && Number(t.text) <= 128) return t.text;
  const ip = parseIp(t.text);
  if (ip && ip.family === 4 && ip.prefix === undefined) return ip.address;
  ctx.error(
    `persistence_granularity must be an IPv4 netmask (255.255.255.0) or an IPv6 prefix length, not '${t.text}'`,
    t.loc,
  );
  return undefined;
}

export const VS_SPEC: BlockSpec<VirtualServer> = {
  name: 'virtual_server',
  synonyms: { lvs_sched: 'lb_algo', lvs_method: 'lb_kind' },
  unimplemented: {
    snmp_name: SNMP,
    hashed: 'the flag is not passed to IPVS (the kernel keeps its own)',
    'flag-1': 'the scheduler flag is not passed: write sh-fallback or mh-fallback',
    'flag-2': 'the scheduler flag is not passed: write sh-port or mh-port',
    'flag-3': 'the scheduler flag is not passed to the kernel',
    weight: 'real servers without their own weight keep weight 1',
    persistence_engine: 'no persistence engine (such as sip) is set on the service',
  },
  ignored: { nb_get_retry: NB_GET_RETRY },
  keywords: {
    delay_loop: (s, v, ctx) => (v.delayLoop = seconds(s, ctx, 0.001, 86400) ?? v.delayLoop),
    lb_algo: (s, v, ctx) => {
      const t = arg(s, 0, ctx, 'a scheduler name');
      if (!t) return;
      if ((LB_ALGOS as readonly string[]).includes(t.text)) {
        v.lbAlgo = t.text;
        return;
      }
      const guess = closest(t.text, LB_ALGOS);
      ctx.error(
        `unknown ${s.keyword.text} '${t.text}' (${LB_ALGOS.join(' ')})${guess ? `; did you mean '${guess}'?` : ''}`,
        t.loc,
      );
    },
    lb_kind: (s, v, ctx) => {
      v.lbKind = lbKind(s, ctx) ?? v.lbKind;
      const t = tunnelOptions(s, ctx);
      if (t) v.tunnel = t;
      else delete v.tunnel;
    },
    protocol: (s, v, ctx) => {
      const t = arg(s, 0, ctx, 'TCP, UDP or SCTP');
      if (!t) return;
      const p = t.text.toUpperCase();
      if (p === 'TCP' || p === 'UDP' || p === 'SCTP') {
        v.protocol = p;
        v.protocolSet = true;
      } else ctx.error(`unknown protocol '${t.text}' (TCP, UDP or SCTP)`, t.loc);
    },
    persistence_timeout: (s, v, ctx) =>
      (v.persistenceTimeout = s.args.length ? int(s, ctx, 1, 2678400) : 360),
    persistence_granularity: (s, v, ctx) => {
      const t = arg(s, 0, ctx, 'a netmask');
      if (t) v.persistenceGranularity = granularity(t, ctx);
    },
    ops: (s, v, ctx) => (v.ops = flag(s, ctx)),
    'sh-port': (s, v) => (v.flags.shPort = true),
    'sh-fallback': (s, v) => (v.flags.shFallback = true),
    'mh-port': (s, v) => (v.flags.mhPort = true),
    'mh-fallback': (s, v) => (v.flags.mhFallback = true),
    ha_suspend: (s, v, ctx) => (v.haSuspend = flag(s, ctx)),
    virtualhost: (s, v, ctx) => (v.virtualhost = text(s, ctx)),
    alpha: (s, v, ctx) => (v.alpha = flag(s, ctx)),
    omega: (s, v, ctx) => (v.omega = flag(s, ctx)),
    quorum: (s, v, ctx) => (v.quorum = int(s, ctx, 1, 2147483647) ?? v.quorum),
    hysteresis: (s, v, ctx) => (v.hysteresis = int(s, ctx, 0, 2147483647) ?? v.hysteresis),
    quorum_up: (s, v, ctx) => (v.quorumUp = notifyCommand(s, ctx)),
    quorum_down: (s, v, ctx) => (v.quorumDown = notifyCommand(s, ctx)),
    sorry_server: (s, v, ctx) => {
      const ap = addrPort(s, ctx);
      if (ap) v.sorryServer = { address: ap.address, port: ap.port, loc: s.keyword.loc };
    },
    sorry_server_inhibit: (s, v, ctx) => (v.sorryServerInhibit = flag(s, ctx)),
    sorry_server_lvs_method: (s, v, ctx) => (v.sorryServerLvsMethod = lbKind(s, ctx)),
    inhibit_on_failure: (s, v, ctx) => (v.inhibitOnFailure = flag(s, ctx)),
    retry: (s, v, ctx) => (v.retry = int(s, ctx, 0, 1_000_000)),
    delay_before_retry: (s, v, ctx) => (v.delayBeforeRetry = seconds(s, ctx, 0, 86400)),
    warmup: (s, v, ctx) => (v.warmup = seconds(s, ctx, 0, 86400)),
    connect_timeout: (s, v, ctx) => (v.connectTimeout = seconds(s, ctx, 0.001, 3600)),
    smtp_alert: (s, v, ctx) => (v.smtpAlert = flag(s, ctx)),
    ip_family: (s, v, ctx) => {
      const t = text(s, ctx);
      if (t === 'inet') v.ipFamily = 4;
      else if (t === 'inet6') v.ipFamily = 6;
      else if (t !== undefined) ctx.error(`ip_family must be inet or inet6, not '${t}'`, s.args[0]!.loc);
    },
    real_server: (s, v, ctx) => {
      const r = readRealServer(s, ctx);
      if (r) v.realServers.push(r);
    },
  },
};

export function readVirtualServer(s: Stmt, ctx: Ctx): VirtualServer | undefined {
  const [a0, a1] = s.args;
  let key: VirtualServer['key'];
  let label: string;
  if (!a0) {
    ctx.error("'virtual_server' needs ADDRESS PORT, 'fwmark N' or 'group NAME'", s.keyword.loc);
    return undefined;
  }
  if (a0.text === 'fwmark' || a0.text === 'group') {
    if (!a1) {
      ctx.error(
        `virtual_server ${a0.text} needs ${a0.text === 'fwmark' ? 'a mark number' : 'a group name'}`,
        a0.loc,
      );
      return undefined;
    }
    if (a0.text === 'fwmark') {
      const m = intText(a1, 'virtual_server fwmark', ctx, 1, 0xffffffff);
      if (m === undefined) return undefined;
      key = { kind: 'fwmark', fwmark: m };
      label = `fwmark ${m}`;
    } else {
      key = { kind: 'group', group: a1.text };
      label = `group ${a1.text}`;
    }
  } else {
    const ip = parseIp(a0.text);
    if (!ip || ip.prefix !== undefined) {
      ctx.error(
        `virtual_server: '${a0.text}' is not an IP address (ADDRESS PORT, fwmark N or group NAME)`,
        a0.loc,
      );
      return undefined;
    }
    const p = a1 ? port(a1, 'virtual_server', ctx) : 0;
    if (p === undefined) return undefined;
    key = { kind: 'addr', address: ip.address, family: ip.family, port: p };
    label = ip.family === 6 ? `[${ip.address}]:${p}` : `${ip.address}:${p}`;
  }
  const v: VirtualServer = {
    key,
    label,
    delayLoop: 60,
    lbAlgo: 'wlc',
    lbKind: 'NAT',
    protocolSet: false,
    protocol: 'UDP',
    ops: false,
    flags: { shPort: false, shFallback: false, mhPort: false, mhFallback: false },
    haSuspend: false,
    alpha: false,
    omega: false,
    quorum: 1,
    hysteresis: 0,
    sorryServerInhibit: false,
    inhibitOnFailure: false,
    realServers: [],
    keywordLocs: {},
    loc: s.keyword.loc,
  };
  applyBlock({ ...VS_SPEC, name: `virtual_server ${label}` }, blockOf(s, ctx), v, ctx);
  return v;
}

export function readVirtualServerGroup(s: Stmt, ctx: Ctx): VirtualServerGroup {
  const name = arg(s, 0, ctx, 'a name')?.text ?? '';
  const g: VirtualServerGroup = { name, members: [], loc: s.keyword.loc };
  for (const st of blockOf(s, ctx)) {
    if (st.keyword.text === 'fwmark') {
      const t = arg(st, 0, ctx, 'a mark number');
      const m = t ? intText(t, 'fwmark', ctx, 1, 0xffffffff) : undefined;
      if (m !== undefined) g.members.push({ kind: 'fwmark', fwmark: m, loc: st.keyword.loc });
      continue;
    }
    // ADDRESS, ADDRESS-LAST, ADDRESS-ADDRESS or ADDRESS/PREFIX, then PORT (keepalived's forms)
    const ip = parseGroupAddress(st.keyword.text);
    if (!ip.ok) {
      if (ip.tooLarge) ctx.error(`virtual_server_group ${name}: ${ip.message}`, st.keyword.loc);
      else if (isIP(st.keyword.text.split(/[-/]/)[0]!))
        // an address with a bad range: keepalived skips the entry and runs
        ctx.warn(`virtual_server_group ${name}: ${ip.message}; entry skipped`, st.keyword.loc);
      else
        ctx.error(
          `virtual_server_group ${name}: '${st.keyword.text}' is not ADDRESS[-END|/PREFIX] PORT or fwmark N`,
          st.keyword.loc,
        );
      continue;
    }
    const p = st.args[0] ? port(st.args[0], 'virtual_server_group', ctx) : undefined;
    g.members.push({
      kind: 'addr',
      address: ip.address,
      family: ip.family,
      ...(p !== undefined ? { port: p } : {}),
      ...(ip.last !== undefined ? { last: ip.last } : {}),
      loc: st.keyword.loc,
    });
  }
  return g;
}
