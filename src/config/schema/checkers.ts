// Real-server checkers: HTTP_GET, SSL_GET, TCP_CHECK, MISC_CHECK, SMTP_CHECK, DNS_CHECK,
// UDP_CHECK, PING_CHECK, FILE_CHECK (BFD_CHECK is warned by real_server: no BFD in vigil).
import type { Stmt } from '../ast.js';
import type { CheckCommon, Checker, HttpUrl } from '../model.js';
import { applyBlock, blockOf, type BlockSpec, type Ctx, type Handler } from './block.js';
import { command, flag, int, intText, ip, seconds, text, userGroup } from './values.js';

export const CHECKER_KINDS = [
  'HTTP_GET',
  'SSL_GET',
  'TCP_CHECK',
  'MISC_CHECK',
  'SMTP_CHECK',
  'DNS_CHECK',
  'UDP_CHECK',
  'PING_CHECK',
  'FILE_CHECK',
] as const;

function common<T extends CheckCommon>(): Record<string, Handler<T>> {
  return {
    connect_ip: (s, c, ctx) => (c.connectIp = ip(s, ctx)?.address),
    connect_port: (s, c, ctx) => (c.connectPort = int(s, ctx, 1, 65535)),
    bindto: (s, c, ctx) => (c.bindto = ip(s, ctx)?.address),
    bind_port: (s, c, ctx) => (c.bindPort = int(s, ctx, 1, 65535)),
    connect_timeout: (s, c, ctx) => (c.connectTimeout = seconds(s, ctx, 0.001, 3600)),
    // SO_MARK on the check's socket (0: none, as keepalived).
    fwmark: (s, c, ctx) => (c.fwmark = int(s, ctx, 0, 0xffffffff)),
    // SO_BINDTODEVICE on the check's socket; what reaches an IPv6 link-local connect_ip.
    bind_if: (s, c, ctx) => {
      const name = text(s, ctx);
      if (name === undefined) return;
      // The kernel's IFNAMSIZ: keepalived refuses longer names too ("Interface name … is too long").
      if (name.length > 15 || /[\s/]/.test(name))
        ctx.error(
          `bind_if: '${name}' is not an interface name (at most 15 characters, no '/')`,
          s.args[0]!.loc,
        );
      else c.bindIf = name;
    },
    retry: (s, c, ctx) => (c.retry = int(s, ctx, 0, 1_000_000)),
    delay_before_retry: (s, c, ctx) => (c.delayBeforeRetry = seconds(s, ctx, 0, 86400)),
    warmup: (s, c, ctx) => (c.warmup = seconds(s, ctx, 0, 86400)),
    delay_loop: (s, c, ctx) => (c.delayLoop = seconds(s, ctx, 0.001, 86400)),
    alpha: (s, c, ctx) => (c.alpha = flag(s, ctx)),
  };
}
/** Keywords of every checker that vigil does not act on. */
const COMMON_UNIMPLEMENTED: Record<string, string> = {
  log_all_failures: "only changes of the checker's state are logged, not every failed check",
};
/** keepalived 2.2.7 knows nb_get_retry only in HTTP_GET and SSL_GET. */
const COMMON_IGNORED: Record<string, string> = {
  nb_get_retry: "keepalived 2.2.7 does not know it here and ignores it; vigil ignores it too (write 'retry')",
};

/** A checker block's keyword table: the common keywords and the kind's own. */
function checkerSpec<T extends CheckCommon>(
  name: string,
  own: Record<string, Handler<T>>,
  extra: Pick<BlockSpec<T>, 'unimplemented' | 'ignored'> = {},
): BlockSpec<T> {
  return {
    name,
    // A kind where keepalived takes a common keyword and does nothing with it lists it as ignored.
    keywords: Object.fromEntries(
      Object.entries({ ...common<T>(), ...own }).filter(([k]) => k in own || !(k in (extra.ignored ?? {}))),
    ),
    unimplemented: { ...COMMON_UNIMPLEMENTED, ...extra.unimplemented },
    // A kind that handles a common ignored keyword itself (nb_get_retry in HTTP_GET) takes it.
    ignored: Object.fromEntries(
      Object.entries({ ...COMMON_IGNORED, ...extra.ignored }).filter(([k]) => !(k in own)),
    ),
  };
}

/** `status_code 200 301-302 …`. */
function statusCodes(s: Stmt, ctx: Ctx): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (const t of s.args) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(t.text);
    const from = m ? Number(m[1]) : NaN;
    const to = m?.[2] ? Number(m[2]) : from;
    if (!m || from < 100 || to > 599 || to < from)
      ctx.error(`status_code: '${t.text}' is not an HTTP status code or range (100-599)`, t.loc);
    else out.push({ from, to });
  }
  if (s.args.length === 0)
    ctx.error("'status_code' needs one or more codes or ranges (e.g. 200 301-302)", s.keyword.loc);
  return out;
}

const REGEX_OPTION = "the regex is matched by JavaScript's RegExp on the whole body, without PCRE2 options";

export const URL_SPEC: BlockSpec<HttpUrl> = {
  name: 'url',
  keywords: {
    path: (st, x, c) => (x.path = text(st, c)),
    digest: (st, x, c) => {
      const d = text(st, c);
      if (d !== undefined && !/^[0-9a-fA-F]{32}$/.test(d))
        c.error(`digest must be 32 hex digits (an MD5 as genhash prints it), not '${d}'`, st.args[0]!.loc);
      else x.digest = d?.toLowerCase();
    },
    status_code: (st, x, c) => x.statusCode.push(...statusCodes(st, c)),
    regex: (st, x, c) => (x.regex = text(st, c)),
    regex_no_match: (st, x, c) => (x.regexNoMatch = flag(st, c)),
    virtualhost: (st, x, c) => (x.virtualhost = text(st, c)),
  },
  unimplemented: {
    regex_options: REGEX_OPTION,
    regex_min_offset: REGEX_OPTION,
    regex_max_offset: REGEX_OPTION,
    regex_stack: REGEX_OPTION,
  },
};

function readUrl(s: Stmt, ctx: Ctx): HttpUrl {
  const u: HttpUrl = { statusCode: [], regexNoMatch: false, loc: s.keyword.loc };
  applyBlock<HttpUrl>(URL_SPEC, blockOf(s, ctx), u, ctx);
  if (!u.path) ctx.error('url has no path', s.keyword.loc);
  if (u.statusCode.length === 0) u.statusCode = [{ from: 200, to: 299 }];
  return u;
}

type Of<K extends Checker['kind']> = Extract<Checker, { kind: K }>;

const HTTP_KEYWORDS: Record<string, Handler<Of<'HTTP_GET' | 'SSL_GET'>>> = {
  url: (st, x, cx) => x.urls.push(readUrl(st, cx)),
  virtualhost: (st, x, cx) => (x.virtualhost = text(st, cx)),
  http_protocol: (st, x, cx) => {
    const p = text(st, cx);
    if (p !== undefined && !['1.0', '1.1', '1.0C', '1.0c'].includes(p))
      cx.error(`http_protocol must be 1.0, 1.0C or 1.1, not '${p}'`, st.args[0]!.loc);
    else x.httpProtocol = p;
  },
  enable_sni: (st, x, cx) => (x.enableSni = flag(st, cx)),
  sni_name: (st, x, cx) => (x.sniName = text(st, cx)),
  // keepalived 2.2.7 still takes it in HTTP_GET / SSL_GET, with its own deprecation warning.
  nb_get_retry: (st, x, cx) => {
    cx.warn("nb_get_retry is deprecated - please use 'retry'", st.keyword.loc);
    x.retry = int(st, cx, 0, 1_000_000);
  },
};
const HTTP_EXTRA = {
  unimplemented: {
    fast_recovery:
      'a checker that is down with no URL failed (its first runs) waits its delay for the next check instead of checking again at once',
    tls_compliant: 'TLS connections are closed the way Node.js closes them',
  },
  ignored: {},
};

/** Each checker block's keyword table, by its keyword. */
export const CHECKER_SPECS = {
  TCP_CHECK: checkerSpec<Of<'TCP_CHECK' | 'PING_CHECK'>>('TCP_CHECK', {}),
  // keepalived's icmp_connect_thread sets neither option on its ICMP socket.
  PING_CHECK: checkerSpec<Of<'TCP_CHECK' | 'PING_CHECK'>>(
    'PING_CHECK',
    {},
    {
      ignored: {
        bind_if: "keepalived 2.2.7 does not bind PING_CHECK's socket to an interface; vigil does not either",
        fwmark: "keepalived 2.2.7 does not mark PING_CHECK's packets (SO_MARK); vigil does not either",
      },
    },
  ),
  HTTP_GET: checkerSpec('HTTP_GET', HTTP_KEYWORDS, HTTP_EXTRA),
  SSL_GET: checkerSpec('SSL_GET', HTTP_KEYWORDS, HTTP_EXTRA),
  MISC_CHECK: checkerSpec<Of<'MISC_CHECK'>>('MISC_CHECK', {
    misc_path: (st, x, cx) => (x.miscPath = command(st, cx)),
    misc_timeout: (st, x, cx) => (x.miscTimeout = seconds(st, cx, 0.001, 86400)),
    misc_dynamic: (st, x, cx) => (x.miscDynamic = flag(st, cx)),
    user: (st, x, cx) => (x.user = userGroup(st, cx)),
  }),
  SMTP_CHECK: checkerSpec<Of<'SMTP_CHECK'>>('SMTP_CHECK', {
    helo_name: (st, x, cx) => (x.heloName = text(st, cx)),
    host: (st, x, cx) => {
      // keepalived's words, once per checker.
      if (x.hosts.length === 0)
        cx.warn(
          'The SMTP_CHECK host block is deprecated. Please define additional checkers.',
          st.keyword.loc,
        );
      const h: CheckCommon & { loc: Stmt['loc'] } = { loc: st.keyword.loc };
      applyBlock(SMTP_HOST_SPEC, blockOf(st, cx), h, cx);
      x.hosts.push(h);
    },
  }),
  DNS_CHECK: checkerSpec<Of<'DNS_CHECK'>>('DNS_CHECK', {
    type: (st, x, cx) => {
      const t = text(st, cx)?.toUpperCase();
      if (t !== undefined && !DNS_TYPES.includes(t))
        cx.error(
          `DNS_CHECK type must be one of ${DNS_TYPES.join(', ')}, not '${st.args[0]!.text}'`,
          st.args[0]!.loc,
        );
      else if (t) x.type = t;
    },
    name: (st, x, cx) => (x.name = text(st, cx) ?? x.name),
  }),
  UDP_CHECK: checkerSpec<Of<'UDP_CHECK'>>(
    'UDP_CHECK',
    {
      // keepalived joins the words: `payload 01 02 03` is three bytes
      payload: (st, x, cx) =>
        (x.payload = st.args.length ? st.args.map((a) => a.text).join(' ') : text(st, cx)),
      require_reply: (st, x) =>
        (x.requireReply = st.args.length ? st.args.map((a) => a.text).join(' ') : true),
      min_reply_length: (st, x, cx) => (x.minReplyLength = int(st, cx, 0, 65535)),
      max_reply_length: (st, x, cx) => (x.maxReplyLength = int(st, cx, 0, 65535)),
    },
    // keepalived's udp_bind_connect sets SO_MARK and binds, but never SO_BINDTODEVICE.
    {
      ignored: {
        bind_if:
          "keepalived 2.2.7 does not bind UDP_CHECK's socket to an interface (fwmark and bindto apply); vigil does not either",
      },
    },
  ),
  FILE_CHECK: {
    name: 'FILE_CHECK',
    keywords: {
      track_file: (st, x, cx) => (x.trackFile = text(st, cx)),
      weight: (st, x, cx) => {
        const t = st.args[0];
        if (!t) cx.error("'weight' needs a value", st.keyword.loc);
        else x.weight = intText(t, 'FILE_CHECK weight', cx, -254, 254);
        x.weightReverse = st.args[1]?.text === 'reverse';
      },
    },
  } satisfies BlockSpec<Of<'FILE_CHECK'>>,
};

const DNS_TYPES = ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'];
export const SMTP_HOST_SPEC: BlockSpec<CheckCommon> = checkerSpec('host', {});

/** The kinds whose socket keepalived binds to bind_if (layer4.c socket_bind_connect). */
const BINDS_TO_IF = new Set<string>(['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'SMTP_CHECK', 'DNS_CHECK']);

/**
 * keepalived's check_conn_opts: an IPv6 link-local target is reached only through bind_if; a
 * checker without it is reported and dropped (keepalived runs without it, so a warning here).
 * True when the checker is to be kept.
 */
export function linkLocalReachable(c: Checker, rsAddress: string, ctx: Ctx): boolean {
  if (!BINDS_TO_IF.has(c.kind) || (c.kind === 'SMTP_CHECK' && c.hosts.length)) return true;
  const co = c as CheckCommon;
  const dst = co.connectIp ?? rsAddress;
  if (!/^fe[89ab][0-9a-f]:/i.test(dst) || co.bindIf !== undefined) return true;
  ctx.warn(
    `Checker link local address ${dst} requires a bind_if: this ${c.kind} is not run (keepalived drops it too)`,
    c.loc,
  );
  return false;
}

export function readChecker(s: Stmt, ctx: Ctx): Checker | undefined {
  const kind = s.keyword.text as (typeof CHECKER_KINDS)[number];
  const loc = s.keyword.loc;
  const stmts = blockOf(s, ctx);
  switch (kind) {
    case 'TCP_CHECK':
    case 'PING_CHECK': {
      const c: Of<'TCP_CHECK' | 'PING_CHECK'> = { kind, loc };
      applyBlock(CHECKER_SPECS[kind], stmts, c, ctx);
      return c;
    }
    case 'HTTP_GET':
    case 'SSL_GET': {
      const c: Of<'HTTP_GET' | 'SSL_GET'> = { kind, urls: [], enableSni: kind === 'SSL_GET', loc };
      applyBlock(CHECKER_SPECS[kind], stmts, c, ctx);
      if (c.urls.length === 0) ctx.error(`${kind} has no url { path … } to check`, loc);
      return c;
    }
    case 'MISC_CHECK': {
      const c: Of<'MISC_CHECK'> = { kind, miscDynamic: false, loc };
      applyBlock(CHECKER_SPECS[kind], stmts, c, ctx);
      if (!c.miscPath) ctx.error('MISC_CHECK has no misc_path to run', loc);
      return c;
    }
    case 'SMTP_CHECK': {
      const c: Of<'SMTP_CHECK'> = { kind, hosts: [], loc };
      applyBlock(CHECKER_SPECS[kind], stmts, c, ctx);
      return c;
    }
    case 'DNS_CHECK': {
      const c: Of<'DNS_CHECK'> = { kind, type: 'SOA', name: '.', loc };
      applyBlock(CHECKER_SPECS[kind], stmts, c, ctx);
      return c;
    }
    case 'UDP_CHECK': {
      const c: Of<'UDP_CHECK'> = { kind, loc };
      applyBlock(CHECKER_SPECS[kind], stmts, c, ctx);
      if ((c.minReplyLength ?? 0) > (c.maxReplyLength ?? 255))
        ctx.warn(
          `UDP_CHECK min_reply_length ${c.minReplyLength} > max_reply_length ${c.maxReplyLength ?? '255 (the default)'}: the check will always fail`,
          loc,
        );
      return c;
    }
    case 'FILE_CHECK': {
      const c: Of<'FILE_CHECK'> = { kind, weightReverse: false, loc };
      applyBlock(CHECKER_SPECS[kind], stmts, c, ctx);
      if (!c.trackFile) ctx.error('FILE_CHECK names no track_file', loc);
      return c;
    }
    default:
      return undefined;
  }
}
