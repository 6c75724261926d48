// The HTTP API's routes, request checks and token rule. Pure: api-server.ts does the I/O.
import { timingSafeEqual } from 'node:crypto';
import type { RuntimeAction } from '../lvs/controller.js';
import { RS_BODY_SHAPE } from '../config/rs-json.js';

export type Route =
  | { kind: 'dashboard' }
  | { kind: 'status' }
  | { kind: 'events' }
  | { kind: 'metrics' }
  | { kind: 'reload' }
  | { kind: 'runtime'; vs: string; rs: string; action: RuntimeAction }
  | { kind: 'history'; vs: string; rs: string };

export type Routed =
  { ok: true; route: Route } | { ok: false; status: 404 | 405; error: string; allow?: string };

const RS_ACTIONS: Record<string, RuntimeAction> = { drain: 'drain', disable: 'disable', enable: 'enable' };

function fixed(path: string): { kind: Route['kind']; method: 'GET' | 'POST' } | undefined {
  switch (path) {
    case '/':
      return { kind: 'dashboard', method: 'GET' };
    case '/api/v1/status':
      return { kind: 'status', method: 'GET' };
    case '/api/v1/events':
      return { kind: 'events', method: 'GET' };
    case '/metrics':
      return { kind: 'metrics', method: 'GET' };
    case '/api/v1/reload':
      return { kind: 'reload', method: 'POST' };
    default:
      return undefined;
  }
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** The route for a method and a path (without its query); HEAD is GET without a body. */
export function route(method: string, path: string): Routed {
  const m = method === 'HEAD' ? 'GET' : method;
  const f = fixed(path);
  if (f) {
    if (m !== f.method)
      return { ok: false, status: 405, error: `${path} takes ${f.method}`, allow: f.method };
    return { ok: true, route: { kind: f.kind } as Route };
  }
  if (path.startsWith('/dashboard/')) {
    if (m !== 'GET') return { ok: false, status: 405, error: `${path} takes GET`, allow: 'GET' };
    return { ok: true, route: { kind: 'dashboard' } };
  }
  // Split before decoding: a virtual server may be written with an encoded '/'.
  const parts = path.split('/');
  if (
    (parts.length === 7 || parts.length === 8) &&
    parts[1] === 'api' &&
    parts[2] === 'v1' &&
    parts[3] === 'virtual-servers' &&
    parts[5] === 'real-servers'
  ) {
    const vs = decode(parts[4]!);
    const rs = decode(parts[6]!);
    const verb = parts[7];
    if (vs && rs && verb === 'history') {
      if (m !== 'GET') return { ok: false, status: 405, error: `${path} takes GET`, allow: 'GET' };
      return { ok: true, route: { kind: 'history', vs, rs } };
    }
    if (vs && rs && verb === undefined) {
      // POST sets the weight; PUT adds (or replaces) a runtime real server, DELETE removes it.
      const action = ({ POST: 'weight', PUT: 'add', DELETE: 'remove' } as const)[m as 'POST'];
      if (!action)
        return {
          ok: false,
          status: 405,
          error: `${path} takes POST, PUT or DELETE`,
          allow: 'POST, PUT, DELETE',
        };
      return { ok: true, route: { kind: 'runtime', vs, rs, action } };
    }
    const action: RuntimeAction | undefined = verb === undefined ? undefined : RS_ACTIONS[verb];
    if (vs && rs && action) {
      if (m !== 'POST') return { ok: false, status: 405, error: `${path} takes POST`, allow: 'POST' };
      return { ok: true, route: { kind: 'runtime', vs, rs, action } };
    }
  }
  return { ok: false, status: 404, error: `no such endpoint: ${path}` };
}

/** A request body that must be one JSON object; `shape` says which ("the body must be SHAPE"). */
function jsonObject(body: string, shape: string): { object: Record<string, unknown> } | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch (e) {
    return { error: `the body is not JSON: ${(e as Error).message}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: `the body must be ${shape}` };
  return { object: v as Record<string, unknown> };
}

/** The body of POST …/real-servers/{rs}: {"weight": 0..65535}. */
export function weightBody(body: string): { weight: number } | { error: string } {
  const parsed = jsonObject(body, 'a JSON object: {"weight": N}');
  if ('error' in parsed) return parsed;
  const v = parsed.object;
  const extra = Object.keys(v).filter((k) => k !== 'weight');
  if (extra.length)
    return { error: `unknown field ${extra.map((k) => `"${k}"`).join(', ')}: the body is {"weight": N}` };
  const w = v.weight;
  if (w === undefined) return { error: 'missing "weight": the body is {"weight": N}' };
  if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 65535)
    return { error: `"weight" must be an integer 0..65535, not ${JSON.stringify(w)}` };
  return { weight: w };
}

/** The body of PUT …/real-servers/{rs}: a JSON object, judged field by field by the checker child. */
export function realServerBody(body: string): { body: Record<string, unknown> } | { error: string } {
  const parsed = jsonObject(body, RS_BODY_SHAPE);
  return 'error' in parsed ? parsed : { body: parsed.object };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * With a token configured every request must carry it: `Authorization: Bearer TOKEN`, or (for
 * GETs, since EventSource and a browser's first page load cannot set headers) `?token=TOKEN`.
 */
export function authorized(
  token: string | undefined,
  method: string,
  authorization: string | undefined,
  queryToken: string | null,
): boolean {
  if (!token) return true;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (m) return same(m[1]!, token);
  return (method === 'GET' || method === 'HEAD') && queryToken !== null && same(queryToken, token);
}
