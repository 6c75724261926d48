// The daemon's HTTP API (node:http): status, the event stream (server-sent events), runtime
// changes to real servers, reload, Prometheus metrics, and the dashboard's pages. Every answer
// is JSON except /metrics, the event stream and the dashboard; every error names what is wrong.
import http from 'node:http';
import { listenText } from '../config/listen.js';
import { serveDashboard } from '../dashboard/serve.js';
import type { RuntimeReply, RuntimeRequest } from '../lvs/controller.js';
import type { HistoryReply } from '../lvs/history.js';
import { authorized, realServerBody, route, weightBody, type Route } from './api-routes.js';
import type { ApiSettings } from './api-settings.js';
import type { DaemonEvent, EventBus } from './events.js';
import type { DaemonStatus } from './contract.js';
import type { Logger } from '../base/logger.js';
import { METRICS_CONTENT_TYPE } from './metrics.js';

export const MAX_BODY_BYTES = 64 * 1024;
const KEEPALIVE_MS = 15_000;
const MAX_STREAMS = 64;
const MAX_STREAM_BACKLOG = 1 << 20;

export interface ApiHandlers {
  status(): Promise<DaemonStatus>;
  metrics(): Promise<string>;
  reload(): Promise<{ reloaded: boolean; errors: string[] }>;
  runtime(r: RuntimeRequest): Promise<RuntimeReply>;
  history(r: { vs: string; rs: string }): Promise<HistoryReply>;
  events: EventBus;
  log: Logger;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, head = false): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(head ? undefined : text);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES)
    return Promise.reject(new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** One server-sent event: `event: kind`, one line of JSON, a blank line. */
export function sseFrame(e: DaemonEvent): string {
  return `event: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`;
}

export class ApiServer {
  private readonly streams = new Set<http.ServerResponse>();
  private readonly keepalive: NodeJS.Timeout;

  private constructor(
    readonly settings: ApiSettings,
    private readonly server: http.Server,
    private readonly h: ApiHandlers,
  ) {
    this.keepalive = setInterval(() => {
      for (const s of this.streams) s.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
    this.keepalive.unref();
  }

  /** Listens; rejects with a message an operator can act on (port in use, address not here). */
  static start(settings: ApiSettings, h: ApiHandlers): Promise<ApiServer> {
    const server = http.createServer();
    const api = new ApiServer(settings, server, h);
    server.on('request', (req, res) => void api.handle(req, res));
    // A client that sends garbage gets 400 from node, not a crash.
    server.on('clientError', (_e, socket) => socket.destroy());
    return new Promise((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        api.close();
        const where = listenText(settings.listen);
        const why =
          e.code === 'EADDRINUSE'
            ? `${where} is in use by another program`
            : e.code === 'EADDRNOTAVAIL'
              ? `${settings.listen.host} is not an address of this machine`
              : e.code === 'EACCES'
                ? `no permission to listen on ${where}`
                : e.message;
        reject(new Error(`cannot serve the API on ${where}: ${why}`));
      });
      server.listen(settings.listen.port, settings.listen.host, () => {
        server.removeAllListeners('error');
        server.on('error', (e) => h.log.error(`API: ${e.message}`));
        resolve(api);
      });
    });
  }

  close(): Promise<void> {
    clearInterval(this.keepalive);
    for (const s of this.streams) s.end();
    this.streams.clear();
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://vigil');
    } catch {
      return sendJson(res, 400, { error: `malformed request target '${req.url}'` });
    }
    const head = method === 'HEAD';
    const r = route(method, url.pathname);
    if (!r.ok) {
      if (r.allow) res.setHeader('Allow', r.allow);
      return sendJson(res, r.status, { error: r.error }, head);
    }
    // The page, its scripts and styles are the same in every install and hold no state (a browser
    // cannot add the token to <script src>, and the page asks for the token itself), so they load
    // without it. The data and every action stay behind it.
    const asset = r.route.kind === 'dashboard';
    if (
      !asset &&
      !authorized(this.settings.token, method, req.headers.authorization, url.searchParams.get('token'))
    ) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="vigil"');
      return sendJson(res, 401, { error: 'a valid token is required: Authorization: Bearer TOKEN' }, head);
    }
    try {
      await this.serve(r.route, req, res, head);
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      if (!res.headersSent) sendJson(res, status, { error: (e as Error).message });
      else res.destroy();
      if (status === 413) req.socket.end();
    }
  }

  private async serve(
    rt: Route,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    head: boolean,
  ): Promise<void> {
    switch (rt.kind) {
      case 'dashboard':
        if (!serveDashboard(req, res))
          sendJson(res, 404, { error: 'no dashboard is built into this vigil' }, head);
        return;
      case 'status':
        return sendJson(res, 200, await this.h.status(), head);
      case 'metrics': {
        const text = await this.h.metrics();
        res.writeHead(200, {
          'Content-Type': METRICS_CONTENT_TYPE,
          'Content-Length': Buffer.byteLength(text),
        });
        res.end(head ? undefined : text);
        return;
      }
      case 'events':
        return this.stream(res);
      case 'reload': {
        await readBody(req);
        this.h.log.info(`API: reload requested by ${req.socket.remoteAddress}`);
        // A configuration with errors is refused (the running one stays): 422 with its errors.
        const r = await this.h.reload();
        return sendJson(res, r.reloaded ? 200 : 422, r);
      }
      case 'history': {
        const reply = await this.h.history({ vs: rt.vs, rs: rt.rs });
        if (!reply.ok) return sendJson(res, reply.status, { error: reply.error }, head);
        const { ok: _ok, ...body } = reply;
        return sendJson(res, 200, body, head);
      }
      case 'runtime': {
        const body = await readBody(req);
        let weight: number | undefined;
        let server: Record<string, unknown> | undefined;
        if (rt.action === 'weight') {
          const w = weightBody(body);
          if ('error' in w) throw new HttpError(400, w.error);
          weight = w.weight;
        } else if (rt.action === 'add') {
          const r = realServerBody(body);
          if ('error' in r) throw new HttpError(400, r.error);
          server = r.body;
        }
        this.h.log.info(
          `API: ${rt.action}${weight !== undefined ? ` ${weight}` : ''} for ${rt.vs} -> ${rt.rs} from ${req.socket.remoteAddress}`,
        );
        const reply = await this.h.runtime({
          vs: rt.vs,
          rs: rt.rs,
          action: rt.action,
          ...(weight !== undefined ? { weight } : {}),
          ...(server ? { body: server } : {}),
        });
        if (!reply.ok)
          return sendJson(res, reply.status, {
            error: reply.error,
            ...(reply.field !== undefined ? { field: reply.field } : {}),
          });
        return sendJson(res, 200, reply);
      }
    }
  }

  private stream(res: http.ServerResponse): void {
    if (this.streams.size >= MAX_STREAMS) {
      sendJson(res, 503, { error: `too many event streams open (${MAX_STREAMS})` });
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(': connected\n\n');
    this.streams.add(res);
    const off = this.h.events.subscribe((e) => {
      // A reader that stopped reading must not hold the daemon's memory: drop it, it reconnects.
      if (res.writableLength > MAX_STREAM_BACKLOG) res.destroy();
      else res.write(sseFrame(e));
    });
    res.on('close', () => {
      off();
      this.streams.delete(res);
    });
  }
}
