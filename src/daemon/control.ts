// The control socket: one JSON request line in, one JSON reply line out, over a unix socket in
// the runtime dir. `vigil status`, `vigil adm` and the API all speak it.
import net from 'node:net';
import { unlinkSync } from 'node:fs';

export interface ControlRequest {
  cmd: string;
  args?: unknown;
}
export type ControlReply = { ok: true; result: unknown } | { ok: false; error: string };
export type ControlHandler = (req: ControlRequest) => Promise<unknown>;

/** A request larger than this is refused: the socket is root-only but must not be a memory sink. */
const MAX_REQUEST_BYTES = 1 << 20;

export function controlSocketPath(runtimeDir: string): string {
  return `${runtimeDir}/vigil.ctl`;
}

export function serveControl(path: string, handler: ControlHandler): Promise<net.Server> {
  try {
    unlinkSync(path); // a socket file left by a crashed run
  } catch {
    // none
  }
  const server = net.createServer((conn) => {
    let buf = '';
    const reply = (r: ControlReply): void => {
      conn.end(JSON.stringify(r) + '\n');
    };
    conn.setEncoding('utf8');
    conn.on('error', () => conn.destroy());
    conn.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_REQUEST_BYTES) {
        reply({ ok: false, error: 'request too large' });
        return;
      }
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      conn.pause();
      let req: ControlRequest;
      try {
        const parsed: unknown = JSON.parse(buf.slice(0, nl));
        if (
          typeof parsed !== 'object' ||
          parsed === null ||
          typeof (parsed as ControlRequest).cmd !== 'string'
        )
          throw new Error('missing "cmd"');
        req = parsed as ControlRequest;
      } catch (e) {
        reply({ ok: false, error: `bad request: ${(e as Error).message}` });
        return;
      }
      handler(req).then(
        (result) => reply({ ok: true, result }),
        (e: unknown) => reply({ ok: false, error: e instanceof Error ? e.message : String(e) }),
      );
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Sends one request to the daemon; rejects with a message an operator can act on. */
export function controlRequest(path: string, req: ControlRequest, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = net.createConnection(path);
    let buf = '';
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`no answer from the daemon on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.setEncoding('utf8');
    conn.on('connect', () => conn.write(JSON.stringify(req) + '\n'));
    conn.on('data', (c: string) => (buf += c));
    conn.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why =
        e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
          ? `no vigil daemon is listening on ${path} (is it running? see --runtime-dir)`
          : `cannot reach the daemon on ${path}: ${e.message}`;
      reject(new Error(why));
    });
    conn.on('end', () => {
      clearTimeout(timer);
      try {
        const r = JSON.parse(buf) as ControlReply;
        if (r.ok) resolve(r.result);
        else reject(new Error(r.error));
      } catch {
        reject(new Error(`malformed answer from the daemon on ${path}`));
      }
    });
  });
}
