// The "Health checkers" section of keepalived 2.2.7's keepalived_check.data (check_api.c
// dump_checker and each checker's dump function: check_tcp.c, check_http.c, check_misc.c,
// check_smtp.c, check_dns.c, check_udp.c, check_ping.c, check_file.c). One entry per checker in
// configuration order, with the timing vigil really uses. Pure: the checks' state comes in.
import type { Checker, Config, HttpUrl, RealServer, VirtualServer } from '../config/model.js';
import { retryDefaults, timingOf } from '../check/runner.js';
import { ctime, epochUs } from '../config/dump-time.js';
import { formatRs, formatVs } from '../alert/message.js';

/** What the checker process knows of one checker now (the runner's CheckerStatus). */
export interface CheckerNow {
  up: boolean;
  consecutiveFailures: number;
  lastResult?: { ok: boolean; reason: string; at: string };
}

const US = 1_000_000;

/** `[ADDR]:PORT` (inet_sockaddrtopair). */
function pair(address: string, port: number): string {
  return `[${address}]:${port}`;
}

/** HTTP status codes as keepalived lists them from its bitmap: merged, ascending ranges. */
function statusRanges(url: HttpUrl): string[] {
  const given = url.statusCode.length ? url.statusCode : [{ from: 200, to: 299 }];
  const sorted = [...given].sort((a, b) => a.from - b.from);
  const merged: { from: number; to: number }[] = [];
  for (const r of sorted) {
    const last = merged.at(-1);
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else merged.push({ ...r });
  }
  return merged.map((r) => `       ${r.from === r.to ? r.from : `${r.from}-${r.to}`}`);
}

function httpLines(
  ch: Extract<Checker, { kind: 'HTTP_GET' | 'SSL_GET' }>,
  regexUses: Map<string, number>,
): string[] {
  const p = ch.httpProtocol?.toUpperCase() === '1.0C' ? '1.0C' : ch.httpProtocol === '1.1' ? '1.1' : '1.0';
  const out = [`   Keepalive method = ${ch.kind}, http protocol ${p}`];
  if (ch.virtualhost) out.push(`   Virtualhost = ${ch.virtualhost}`);
  out.push(`   Enable SNI ${ch.enableSni ? '' : 'un'}set`, '   Fast recovery unset');
  for (const u of ch.urls) {
    out.push(`   Checked url = ${u.path ?? ''}`);
    if (u.digest) out.push(`     digest = ${u.digest.toLowerCase()}`);
    out.push('     HTTP Status Code(s)', ...statusRanges(u));
    if (u.virtualhost) out.push(`     Virtual host = ${u.virtualhost}`);
    if (u.regex !== undefined) {
      out.push(`     Regex = "${u.regex}"`);
      if (u.regexNoMatch) out.push('     Regex no match');
      // keepalived shares one compiled regex between the URLs with the same pattern.
      out.push('     Regex options:', `     Regex ref count = ${regexUses.get(u.regex) ?? 1}`);
    }
  }
  return out;
}

/** MISC_CHECK's exit status from the check's result, as far as it says. */
function exitStatus(now: CheckerNow | undefined): number {
  const m = /\bexit (\d+)$/.exec(now?.lastResult?.reason ?? ''); // src/check/misc.ts: 'exit N'
  if (m) return Number(m[1]);
  return now?.lastResult && !now.lastResult.ok ? 1 : 0;
}

function methodLines(
  ch: Checker,
  config: Config,
  now: CheckerNow | undefined,
  regexUses: Map<string, number>,
): string[] {
  switch (ch.kind) {
    case 'TCP_CHECK':
      return ['   Keepalive method = TCP_CHECK'];
    case 'PING_CHECK':
      return ['   Keepalive method = PING_CHECK'];
    case 'HTTP_GET':
    case 'SSL_GET':
      return httpLines(ch, regexUses);
    case 'MISC_CHECK': {
      const ran = now?.lastResult ? Date.parse(now.lastResult.at) / 1000 : 0;
      return [
        '   Keepalive method = MISC_CHECK',
        `   script = ${ch.miscPath ? ch.miscPath.argv.map((a) => `'${a}'`).join(' ') : ''}`,
        `   timeout = ${Math.floor(ch.miscTimeout ?? 0)}`,
        `   dynamic = ${ch.miscDynamic ? 'YES' : 'NO'}`,
        '   uid:gid = 0:0',
        `   Last ran = ${epochUs(ran)} (${ctime(ran)}.${epochUs(ran).split('.')[1]})`,
        `   Last status = ${exitStatus(now)}`,
      ];
    }
    case 'SMTP_CHECK':
      return ['   Keepalive method = SMTP_CHECK', `   helo = ${ch.heloName ?? 'smtpchecker.keepalived.org'}`];
    case 'DNS_CHECK':
      return ['   Keepalive method = DNS_CHECK', `   Type = ${ch.type}`, `   Name = ${ch.name}`];
    case 'UDP_CHECK': {
      const out = ['   Keepalive method = UDP_CHECK'];
      const hexLen = (h: string): number => h.replace(/[^0-9a-fA-F?]/g, '').length >> 1;
      out.push(ch.payload ? `   Payload len = ${hexLen(ch.payload)}` : '   Payload specified = no');
      out.push(`   Require reply = ${ch.requireReply !== undefined ? 'yes' : 'no'}`);
      if (ch.requireReply !== undefined) {
        const data = typeof ch.requireReply === 'string' ? ch.requireReply : '';
        out.push(
          `     Min reply length = ${ch.minReplyLength ?? 0}`,
          `     Max reply length = ${ch.maxReplyLength ?? 255}`,
          `     Reply data len = ${hexLen(data)}`,
        );
        if (data) out.push(`     Reply data mask = ${data.includes('?') ? 'yes' : 'no'}`);
      }
      return out;
    }
    case 'FILE_CHECK': {
      const tf = config.trackFiles.find((t) => t.name === ch.trackFile);
      return [
        '   Keepalive method = FILE_CHECK',
        `     Tracked file = ${tf?.name ?? ch.trackFile ?? ''}`,
        '     Reloaded = No',
      ];
    }
    case 'BFD_CHECK':
      return [];
  }
}

function checkerLines(
  config: Config,
  vs: VirtualServer,
  rs: RealServer,
  ch: Checker,
  now: CheckerNow | undefined,
  regexUses: Map<string, number>,
): string[] {
  // misc_dynamic: an exit status of 2..255 adds status - 2 to the weight (keepalived's cur_weight).
  const status = exitStatus(now);
  const dynamic =
    ch.kind === 'MISC_CHECK' && ch.miscDynamic && now?.lastResult?.ok && status >= 2 ? status - 2 : 0;
  const out = [
    ` ${formatVs(vs)} -> ${formatRs(rs, vs)}`,
    // ha_suspend pauses checkers while the VIP is elsewhere; vigil keeps them listed as enabled.
    '   Enabled = yes',
    `   Up = ${(now?.up ?? true) ? 'yes' : 'no'}`,
    `   Has run = ${now?.lastResult ? 'yes' : 'no'}`,
    `   Current weight = ${dynamic}`,
  ];
  if (ch.kind !== 'FILE_CHECK' && ch.kind !== 'BFD_CHECK') {
    // The timing the check runs with (keepalived's defaults per checker type, warmup the delay_loop).
    const t = timingOf(ch, rs, vs);
    const us = (ms: number): number => Math.round(ms * 1000);
    out.push(
      `   Alpha = ${t.alpha ? 'yes' : 'no'}`,
      `   Delay loop = ${us(t.delayLoopMs)} us`,
      `   Warmup = ${us(t.warmupMs)} us`,
      `   Retries = ${t.retry}`,
    );
    if (t.retry) {
      // keepalived's retry_it: failed tries in the current round (all of them before the first run).
      const it = now?.lastResult ? now.consecutiveFailures % (t.retry + 1) : t.retry;
      out.push(`   Delay before retry = ${us(t.delayBeforeRetryMs)} us`, `   Retries iterations = ${it}`);
    }
    // keepalived keeps 0 for DNS_CHECK's default (it means: the delay_loop).
    out.push(`   Default delay before retry = ${retryDefaults(ch.kind, 0).delayBeforeRetry * US} us`);
  }
  out.push('   Log all failures = no');
  if (ch.kind !== 'MISC_CHECK' && ch.kind !== 'FILE_CHECK' && ch.kind !== 'BFD_CHECK') {
    const timeout = ch.connectTimeout ?? rs.connectTimeout ?? vs.connectTimeout ?? 5;
    out.push(
      '   Connection',
      `     Dest = ${pair(ch.connectIp ?? rs.address, ch.connectPort ?? rs.port ?? 0)}`,
    );
    if (ch.bindto) out.push(`     Bind to = ${pair(ch.bindto, ch.bindPort ?? 0)}`);
    // bind_if is warned (not acted on): no 'Bind i/f' line.
    if (ch.fwmark) out.push(`     Mark = ${ch.fwmark}`);
    out.push(`     Timeout = ${timeout.toFixed(6)}`);
  }
  out.push(...methodLines(ch, config, now, regexUses));
  return out;
}

/** What the checker process knows of a real server: each checker's state. */
export interface RsCheckers {
  checkers?: CheckerNow[];
}

/** The lines of the "Health checkers" section with its heading (none without checkers). */
export function checkersData(
  config: Config,
  now: (vs: VirtualServer, rs: RealServer) => RsCheckers | undefined,
): string[] {
  const regexUses = new Map<string, number>();
  for (const vs of config.virtualServers)
    for (const rs of vs.realServers)
      for (const ch of rs.checkers)
        if (ch.kind === 'HTTP_GET' || ch.kind === 'SSL_GET')
          for (const u of ch.urls)
            if (u.regex !== undefined) regexUses.set(u.regex, (regexUses.get(u.regex) ?? 0) + 1);
  const out: string[] = [];
  for (const vs of config.virtualServers)
    for (const rs of vs.realServers) {
      const n = now(vs, rs);
      rs.checkers.forEach((ch, i) => {
        // BFD sessions are not implemented: vigil runs no such checker.
        if (ch.kind === 'BFD_CHECK') return;
        out.push(...checkerLines(config, vs, rs, ch, n?.checkers?.[i], regexUses));
      });
    }
  return out.length ? ['------< Health checkers >------', ...out] : [];
}
