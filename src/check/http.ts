// HTTP_GET and SSL_GET as keepalived sends them: one HTTP/1.0 (or 1.1) GET per url, the status
// checked against the url's codes, the body's MD5 against its digest (as genhash prints it), a
// regex against the body. A body larger than the limit, a slow body or a reset all fail cleanly.
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { onAbort } from './abort.js';
import { connectWithSockopts } from './native-socket.js';
import { needsSockopts, type CheckSockopts } from './sockopts.js';
import { describeError, type CheckResult } from './result.js';
import { readFileSync } from 'node:fs';
import type { Config } from '../config/model.js';
import type { CheckerFactory } from './target.js';

export interface HttpUrlCheck {
  path: string;
  digest?: string;
  /** Inclusive ranges; empty means 200-299. */
  statusCodes: { from: number; to: number }[];
  regex?: RegExp;
  regexNoMatch?: boolean;
  virtualhost?: string;
}

export interface HttpCheckOptions extends CheckSockopts {
  host: string;
  port: number;
  ssl: boolean;
  /** SNI name (SSL_GET with enable_sni / sni_name). */
  sni?: string;
  /**
   * The root SSL { } block: a client certificate and key (with its password), and CAs loaded
   * as keepalived loads them, without verifying the server (keepalived sets no SSL_VERIFY_PEER).
   */
  client?: { cert?: Buffer; key?: Buffer; passphrase?: string; ca?: Buffer };
  virtualhost?: string;
  /** '1.0' (default), '1.0C' (1.0 with Connection: close) or '1.1'. */
  httpProtocol?: string;
  bindto?: string;
  bindPort?: number;
  /** Connect timeout, and the longest silence allowed while reading. */
  timeoutMs: number;
  /** Bodies larger than this fail (keepalived reads a bounded buffer too). */
  maxBodyBytes?: number;
}

export interface HttpResponse {
  status: number;
  header: Buffer;
  body: Buffer;
}

const DEFAULT_MAX_BODY = 1 << 20;

function hostHeader(host: string, port: number, ssl: boolean, vhost?: string): string {
  if (vhost) return vhost;
  const h = net.isIPv6(host) ? `[${host}]` : host;
  return port === (ssl ? 443 : 80) ? h : `${h}:${port}`;
}

export function requestText(o: HttpCheckOptions, path: string, vhost?: string): string {
  const proto = o.httpProtocol ?? '1.0';
  const minor = proto === '1.1' ? 1 : 0;
  const close = proto === '1.0' ? '' : 'Connection: close\r\n';
  return `GET ${path} HTTP/1.${minor}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${hostHeader(o.host, o.port, o.ssl, vhost ?? o.virtualhost)}\r\n\r\n`;
}

/** One GET; rejects with a reason an operator can act on. */
export function httpGet(
  o: HttpCheckOptions,
  path: string,
  vhost?: string,
  signal?: AbortSignal,
): Promise<HttpResponse> {
  if (!needsSockopts(o)) return getOn(o, null, path, vhost, signal);
  // bind_if / fwmark: the connection is made natively, then used as Node's would be.
  return connectWithSockopts(o, signal).then((raw) =>
    typeof raw === 'string' ? Promise.reject(new Error(raw)) : getOn(o, raw, path, vhost, signal),
  );
}

/** The GET on a connection made here (raw null) or on an already connected one. */
function getOn(
  o: HttpCheckOptions,
  raw: net.Socket | null,
  path: string,
  vhost?: string,
  signal?: AbortSignal,
): Promise<HttpResponse> {
  const max = o.maxBodyBytes ?? DEFAULT_MAX_BODY;
  return new Promise((resolve, reject) => {
    const base = raw
      ? { socket: raw }
      : {
          host: o.host,
          port: o.port,
          ...(o.bindto !== undefined ? { localAddress: o.bindto } : {}),
          ...(o.bindPort !== undefined ? { localPort: o.bindPort } : {}),
        };
    const sock: net.Socket = o.ssl
      ? tls.connect({
          ...base,
          ...o.client,
          rejectUnauthorized: false,
          ...(o.sni ? { servername: o.sni } : {}),
        })
      : (raw ?? net.connect(base as net.NetConnectOpts));
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      sock.destroy();
      reject(new Error(reason));
    };
    const unsubscribe = onAbort(signal, () => fail('aborted'));
    let timer = setTimeout(() => fail('timeout connecting'), o.timeoutMs);
    const rearm = (what: string): void => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(what), o.timeoutMs);
    };
    const send = (): void => {
      rearm('timeout waiting for the response');
      sock.write(requestText(o, path, vhost));
    };
    if (raw && !o.ssl) send();
    else sock.once(o.ssl ? 'secureConnect' : 'connect', send);
    sock.on('data', (d: Buffer) => {
      size += d.length;
      if (size > max + 64 * 1024) return fail(`response larger than ${max} bytes`);
      chunks.push(d);
      rearm('timeout reading the response');
    });
    sock.once('error', (e: NodeJS.ErrnoException) => fail(describeError(e)));
    sock.once('end', () => {
      if (settled) return;
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      if (split < 0) return fail(all.length ? 'malformed response (no end of header)' : 'empty response');
      const header = all.subarray(0, split + 4);
      const m = /^HTTP\/\d\.\d (\d{3})/.exec(header.toString('latin1'));
      if (!m) return fail('malformed response (no HTTP status line)');
      const body = all.subarray(split + 4);
      if (body.length > max) return fail(`response larger than ${max} bytes`);
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      sock.destroy();
      resolve({ status: Number(m[1]), header, body });
    });
  });
}

export function md5Hex(body: Buffer): string {
  return createHash('md5').update(body).digest('hex');
}

function statusOk(status: number, codes: { from: number; to: number }[]): boolean {
  const ranges = codes.length ? codes : [{ from: 200, to: 299 }];
  return ranges.some((r) => status >= r.from && status <= r.to);
}

/** All urls must pass, in order; the first failure is the reason. */
export async function httpCheck(
  o: HttpCheckOptions,
  urls: HttpUrlCheck[],
  signal?: AbortSignal,
): Promise<CheckResult> {
  const start = performance.now();
  const done = (ok: boolean, reason: string): CheckResult => ({
    ok,
    reason,
    latencyMs: performance.now() - start,
  });
  for (const u of urls) {
    let res: HttpResponse;
    try {
      res = await httpGet(o, u.path, u.virtualhost, signal);
    } catch (e) {
      return done(false, `${u.path}: ${(e as Error).message}`);
    }
    if (!statusOk(res.status, u.statusCodes)) return done(false, `${u.path}: status ${res.status}`);
    if (u.digest && md5Hex(res.body) !== u.digest.toLowerCase()) {
      return done(false, `${u.path}: digest mismatch (got ${md5Hex(res.body)})`);
    }
    if (u.regex) {
      const matched = u.regex.test(res.body.toString('latin1'));
      if (matched === Boolean(u.regexNoMatch))
        return done(false, `${u.path}: body ${matched ? 'matches' : 'does not match'} the regex`);
    }
  }
  return done(true, urls.length === 1 ? `status ok` : `${urls.length} urls ok`);
}

/** The root SSL { } block's files, read for SSL_GET; a message when one cannot be read. */
function sslClient(ssl: NonNullable<Config['ssl']>): NonNullable<HttpCheckOptions['client']> | string {
  const out: NonNullable<HttpCheckOptions['client']> = {};
  for (const [field, path] of [
    ['cert', ssl.certificate],
    ['key', ssl.key],
    ['ca', ssl.ca],
  ] as const) {
    if (path === undefined) continue;
    try {
      out[field] = readFileSync(path);
    } catch (e) {
      return `SSL ${field === 'cert' ? 'certificate' : field} ${path}: ${(e as Error).message}`;
    }
  }
  if (ssl.password !== undefined) out.passphrase = ssl.password;
  return out;
}

/** HTTP_GET / SSL_GET: every url { } fetched, its status, digest or regex checked. */
export const httpFactory: CheckerFactory<'HTTP_GET' | 'SSL_GET'> = (ch, t, { rs, vs, config }) => {
  const urls = ch.urls.map((u) => ({
    path: u.path ?? '/',
    statusCodes: u.statusCode,
    ...(u.digest ? { digest: u.digest } : {}),
    ...(u.regex ? { regex: new RegExp(u.regex), regexNoMatch: u.regexNoMatch } : {}),
    ...(u.virtualhost ? { virtualhost: u.virtualhost } : {}),
  }));
  const vhost = ch.virtualhost ?? rs.virtualhost ?? vs.virtualhost;
  const opts: HttpCheckOptions = {
    host: t.host,
    port: t.port,
    ssl: ch.kind === 'SSL_GET',
    timeoutMs: t.timeoutMs,
    ...t.bind,
    ...t.sockopts,
    ...(vhost ? { virtualhost: vhost } : {}),
    ...(ch.kind === 'SSL_GET' && ch.enableSni ? { sni: ch.sniName ?? vhost ?? t.host } : {}),
    ...(ch.httpProtocol ? { httpProtocol: ch.httpProtocol } : {}),
  };
  if (ch.kind === 'SSL_GET' && config.ssl) {
    const client = sslClient(config.ssl);
    if (typeof client === 'string') return { note: client };
    opts.client = client;
  }
  return { run: (signal) => httpCheck(opts, urls, signal) };
};
