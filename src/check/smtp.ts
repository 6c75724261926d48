// SMTP_CHECK: the banner must be 220, HELO must get 250, then QUIT (keepalived's dialogue).
import net from 'node:net';
import { describeError, type CheckResult } from './result.js';

export interface SmtpCheckOptions {
  host: string;
  port: number;
  heloName: string;
  timeoutMs: number;
  bindto?: string;
}

export function smtpCheck(o: SmtpCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  const start = performance.now();
  return new Promise((resolve) => {
    const sock = net.connect({ host: o.host, port: o.port, ...(o.bindto ? { localAddress: o.bindto } : {}) });
    let buf = '';
    let step: 'banner' | 'helo' | 'quit' = 'banner';
    let done = false;
    const finish = (ok: boolean, reason: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve({ ok, reason, latencyMs: performance.now() - start });
    };
    const onAbort = (): void => finish(false, 'aborted');
    signal?.addEventListener('abort', onAbort);
    let timer = setTimeout(() => finish(false, 'timeout connecting'), o.timeoutMs);
    const rearm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          finish(
            false,
            `timeout waiting for the ${step === 'banner' ? 'banner' : step.toUpperCase() + ' reply'}`,
          ),
        o.timeoutMs,
      );
    };
    sock.once('connect', rearm);
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
        rearm();
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
  });
}
