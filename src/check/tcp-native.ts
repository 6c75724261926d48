// TCP_CHECK through the native connect prober (native/tcp_probe.c): one call per check, the
// handshake waited for on the prober's own thread, answers delivered in batches. It keeps the
// checker's event loop free for HTTP checks and costs a fraction of a net.Socket per check.
import { constants } from 'node:os';
import { native, type TcpProberHandle } from '../os/native.js';
import { onAbort } from './abort.js';
import { describeError, type CheckResult } from './result.js';

const errnoName = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v, k]));

interface Waiting {
  resolve: (r: CheckResult) => void;
  unsubscribe: () => void;
}

const waiting = new Map<number, Waiting>();
let prober: TcpProberHandle | null | undefined;
let nextId = 1;

function answers(ids: Uint32Array, errs: Int32Array, ms: Float64Array): void {
  for (let i = 0; i < ids.length; i++) {
    const w = waiting.get(ids[i]!);
    if (!w) continue; // aborted meanwhile
    waiting.delete(ids[i]!);
    w.unsubscribe();
    const err = errs[i]!;
    w.resolve({
      ok: err === 0,
      reason: err === 0 ? 'connected' : err === -1 ? 'timeout' : reasonOf(err),
      latencyMs: ms[i]!,
    });
  }
}

function reasonOf(errno: number): string {
  const code = errnoName.get(errno) ?? `errno ${errno}`;
  return describeError(Object.assign(new Error(code), { code }));
}

/** The process's prober, started on first use; null where the addon cannot provide one. */
function theProber(): TcpProberHandle | null {
  if (prober === undefined) {
    try {
      prober = native().tcpProber(answers);
    } catch {
      prober = null;
    }
  }
  return prober;
}

export interface NativeTcpOptions {
  host: string;
  port: number;
  bindto?: string;
  bindPort?: number;
  timeoutMs: number;
}

/** The check's answer, or null when the native prober cannot take it (no addon, a host name). */
export function nativeTcpCheck(o: NativeTcpOptions, signal?: AbortSignal): Promise<CheckResult> | null {
  const p = theProber();
  if (!p) return null;
  if (signal?.aborted) return Promise.resolve({ ok: false, reason: 'aborted', latencyMs: 0 });
  const id = nextId;
  if (!native().tcpProbe(p, id, o.host, o.port, o.timeoutMs, o.bindto ?? null, o.bindPort ?? 0)) return null;
  nextId = nextId === 0xffffffff ? 1 : nextId + 1;
  return new Promise((resolve) => {
    const unsubscribe = onAbort(signal, () => {
      waiting.delete(id);
      resolve({ ok: false, reason: 'aborted', latencyMs: 0 });
    });
    waiting.set(id, { resolve, unsubscribe });
  });
}
