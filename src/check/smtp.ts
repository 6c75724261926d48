// SMTP_CHECK: the banner must be 220, HELO must get 250, then QUIT (keepalived's dialogue).
import net from 'node:net';
import { attempt } from './attempt.js';
import { connectWithSockopts } from './native-socket.js';
import { describeError, type CheckResult } from './result.js';
import { needsSockopts, type CheckSockopts } from './sockopts.js';
import type { CheckerFactory, ConnKeywords } from './target.js';

export interface SmtpCheckOptions extends CheckSockopts {
  host: string;
  port: number;
  heloName: string;
  timeoutMs: number;
  bindto?: string;
  bindPort?: number;
}

export function smtpCheck(o: SmtpCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  if (!needsSockopts(o)) return dialogue(o, null, signal);
  // bind_if / fwmark: the connection is made natively, then the dialogue runs on it.
  const t0 = performance.now();
  return connectWithSockopts(o, signal).then((raw) =>
    typeof raw === 'string'
      ? { ok: false, reason: raw, latencyMs: performance.now() - t0 }
      : dialogue(o, raw, signal).then((r) => ({ ...r, latencyMs: performance.now() - t0 })),
  );
}

/** The SMTP dialogue on a connection made here (raw null) or on an already connected one. */
function dialogue(o: SmtpCheckOptions, raw: net.Socket | null, signal?: AbortSignal): Promise<CheckResult> {
  return attempt(
    o.timeoutMs,
    raw ? 'timeout waiting for the banner' : 'timeout connecting',
    signal,
    ({ finish, rearm }) => {
      const sock =
        raw ??
        net.connect({
          host: o.host,
          port: o.port,
          ...(o.bindto ? { localAddress: o.bindto } : {}),
          ...(o.bindPort ? { localPort: o.bindPort } : {}),
        });
      let buf = '';
      let step: 'banner' | 'helo' | 'quit' = 'banner';
      const waiting = (): string =>
        `timeout waiting for the ${step === 'banner' ? 'banner' : step.toUpperCase() + ' reply'}`;
      sock.once('connect', () => rearm(waiting()));
      sock.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        // A reply is complete at a line whose code is followed by a space (multi-line replies use '-').
        const m = /^(\d{3}) [^\n]*\n/m.exec(buf);
        if (!m) return;
        buf = '';
        const code = Number(m[1]);
        if (step === 'banner') {
          if (code !== 220) return finish(false, `banner ${code}, not 220`);
          step = 'helo';
          rearm(waiting());
          sock.write(`HELO ${o.heloName}\r\n`);
        } else if (step === 'helo') {
          if (code !== 250) return finish(false, `HELO answered ${code}, not 250`);
          step = 'quit';
          sock.write('QUIT\r\n');
          finish(true, 'HELO 250');
        }
      });
      sock.once('error', (e: NodeJS.ErrnoException) => finish(false, describeError(e)));
      sock.once('end', () => finish(false, `connection closed during the ${step}`));
      return () => sock.destroy();
    },
  );
}

/**
 * SMTP_CHECK: each host { } is its own target with its own connection keywords, and all must
 * answer (no host: the checker's own, to the real server).
 */
export const smtpFactory: CheckerFactory<'SMTP_CHECK'> = (ch, t) => {
  const c = ch as ConnKeywords;
  const heloName = ch.heloName ?? 'smtpchecker.keepalived.org';
  const targets = (ch.hosts.length ? ch.hosts : [c]).map((h: ConnKeywords) => ({
    host: h.connectIp ?? t.host,
    port: h.connectPort ?? c.connectPort ?? 25,
    // A host's own connect_timeout, else the checker's timeout (its own, its server's, …).
    timeoutMs: h.connectTimeout !== undefined ? h.connectTimeout * 1000 : t.timeoutMs,
    heloName,
    ...(h.bindto ? { bindto: h.bindto } : {}),
    ...(h.bindPort ? { bindPort: h.bindPort } : {}),
    ...(h.bindIf !== undefined ? { bindIf: h.bindIf } : {}),
    ...(h.fwmark ? { fwmark: h.fwmark } : {}),
  }));
  return {
    run: async (signal) => {
      let last: CheckResult = { ok: true, reason: 'no hosts', latencyMs: 0 };
      for (const target of targets) {
        last = await smtpCheck(target, signal);
        if (!last.ok) return { ...last, reason: `${target.host}:${target.port}: ${last.reason}` };
      }
      return last;
    },
  };
};
