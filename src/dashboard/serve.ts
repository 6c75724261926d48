// The dashboard's static files, served by the daemon's API server: GET / is the page, GET
// /dashboard/<file> its scripts and styles. The files ship as they are (no build step, no CDN)
// next to this module, so `npx vigil` from an npm install finds them (dist/ gets a copy at build).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';

const ASSETS = new URL('./assets/', import.meta.url);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Only names like `app.js`: whatever else a URL says, it cannot name a file outside the folder. */
const ASSET_NAME = /^[a-z0-9][a-z0-9-]*\.(html|js|css|svg)$/;

// Everything the page loads is from this origin; the page needs no inline script or style.
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

let cache: Map<string, Asset> | null = null;

/** The files, read once: they are small and only change with the package. */
function assets(): Map<string, Asset> {
  if (cache) return cache;
  const out = new Map<string, Asset>();
  for (const name of readdirSync(ASSETS)) {
    if (!ASSET_NAME.test(name)) continue;
    const body = readFileSync(new URL(name, ASSETS));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    out.set(name, { body, type: TYPES[extname(name)]!, etag });
  }
  cache = out;
  return out;
}

/** The asset a request path names, or undefined (not a dashboard path, or no such file). */
function assetName(pathname: string): string | undefined {
  if (pathname === '/' || pathname === '/index.html') return 'index.html';
  if (!pathname.startsWith('/dashboard/')) return undefined;
  const name = pathname.slice('/dashboard/'.length);
  return ASSET_NAME.test(name) ? name : undefined;
}

/** Whether a path belongs to the dashboard (/, /index.html, /dashboard/...). */
export function isDashboardPath(pathname: string): boolean {
  return pathname === '/' || pathname === '/index.html' || pathname.startsWith('/dashboard/');
}

/**
 * Answers GET/HEAD for the dashboard's files. Returns false when the path is not one of them
 * (the API server then answers 404); true when this function wrote the response.
 */
export function serveDashboard(req: IncomingMessage, res: ServerResponse): boolean {
  const pathname = new URL(req.url ?? '/', 'http://vigil').pathname;
  const name = assetName(pathname);
  const asset = name === undefined ? undefined : assets().get(name);
  if (!asset) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`${req.method ?? '?'} ${pathname}: the dashboard only answers GET and HEAD\n`);
    return true;
  }
  // no-cache: the browser keeps the file but asks each time, so an upgraded daemon's page shows.
  const headers = { ...SECURITY_HEADERS, ETag: asset.etag, 'Cache-Control': 'no-cache' };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  res.writeHead(200, { ...headers, 'Content-Type': asset.type, 'Content-Length': asset.body.length });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
  return true;
}
