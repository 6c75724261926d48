// TCP_CHECK through the native connect prober (native/tcp_probe.c): one call per check, the
// handshake waited for on the prober's own thread, answers delivered in batches. It keeps the
// checker's event loop free for HTTP checks and costs a fraction of a net.Socket per check.
// The same prober makes the connections of checks with bind_if / fwmark (socket options Node
// cannot set): it keeps the connected fd and hands it over (nativeConnect).
import { closeSync } from 'node:fs';
import { constants } from 'node:os';
import { native, type TcpProberHandle } from '../os/native.js';
import { onAbort } from './abort.js';
import { describeError, type CheckResult } from './result.js';
import { stepFailure, type CheckSockopts } from './sockopts.js';

const errnoName = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v, k]));

/** A probe's answer: fd is the kept connection. */
type Answer = CheckResult & { fd?: number };

interface Waiting {
  resolve: (r: Answer) => void;
  unsubscribe: () => void;
  o: NativeTcpOptions;
}

const waiting = new Map<number, Waiting>();
let prober: TcpProberHandle | null | undefined;
let nextId = 1;

function answers(ids: Uint32Array, errs: Int32Array, ms: Float64Array, fds: Int32Array): void {
  for (let i = 0; i < ids.length; i++) {
    const w = waiting.get(ids[i]!);
    if (!w) {
      // Aborted meanwhile: a kept connection has no one to take it.
      if (fds[i]! >= 0) closeSync(fds[i]!);
      continue;
    }
    waiting.delete(ids[i]!);
    w.unsubscribe();
    const err = errs[i]!;
    w.resolve({
      ok: err === 0,
      reason: err === 0 ? 'connected' : err === -1 ? 'timeout' : reasonOf(err, w.o),
      latencyMs: ms[i]!,
      ...(fds[i]! >= 0 ? { fd: fds[i]! } : {}),
    });
  }
}

/** errno | the failed setup step << 16 (native/tcp_probe.c), as an operator reads it. */
function reasonOf(err: number, o: CheckSockopts): string {
  const errno = err & 0xffff;
  const code = errnoName.get(errno) ?? `errno ${errno}`;
  const why = describeError(Object.assign(new Error(code), { code }));
  return stepFailure(err >> 16, why, o);
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

export interface NativeTcpOptions extends CheckSockopts {
  host: string;
  port: number;
  bindto?: string;
  bindPort?: number;
  timeoutMs: number;
}

function probe(o: NativeTcpOptions, keep: boolean, signal?: AbortSignal): Promise<Answer> | null {
  const p = theProber();
  if (!p) return null;
  if (signal?.aborted) return Promise.resolve({ ok: false, reason: 'aborted', latencyMs: 0 });
  const id = nextId;
  const started = native().tcpProbe(
    p,
    id,
    o.host,
    o.port,
    o.timeoutMs,
    o.bindto ?? null,
    o.bindPort ?? 0,
    o.bindIf ?? null,
    o.fwmark ?? 0,
    keep,
  );
  if (!started) return null;
  nextId = nextId === 0xffffffff ? 1 : nextId + 1;
  return new Promise((resolve) => {
    const unsubscribe = onAbort(signal, () => {
      waiting.delete(id);
      resolve({ ok: false, reason: 'aborted', latencyMs: 0 });
    });
    waiting.set(id, { resolve, unsubscribe, o });
  });
}

/** The check's answer, or null when the native prober cannot take it (no addon, a host name). */
export function nativeTcpCheck(o: NativeTcpOptions, signal?: AbortSignal): Promise<CheckResult> | null {
  return probe(o, false, signal);
}

/**
 * A connection made with bind_if / fwmark / bindto set before connect: its fd once connected, or
 * why not; null when the prober cannot take it.
 */
export function nativeConnect(o: NativeTcpOptions, signal?: AbortSignal): Promise<Answer> | null {
  return probe(o, true, signal);
}
