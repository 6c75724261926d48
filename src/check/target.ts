// What every checker factory starts from: where a checker connects (its own connect_ip /
// connect_port, else the real server's), how long it waits, and the socket options keepalived
// sets on its socket; and the shape of a factory's answer.
import type { Checker, Config, RealServer, VirtualServer } from '../config/model.js';
import type { CheckResult } from './result.js';

/** One run of a check; the weight is MISC_CHECK misc_dynamic's or FILE_CHECK's. */
export type Run = (signal: AbortSignal) => Promise<CheckResult & { weight?: number }>;

/** A factory's answer: how to run the checker, or why it cannot run (logged, the server unaffected). */
export type Runner = { run: Run } | { note: string };

/** The connection keywords a checker (or an SMTP_CHECK host { }) may carry. */
export interface ConnKeywords {
  connectIp?: string;
  connectPort?: number;
  bindto?: string;
  bindPort?: number;
  bindIf?: string;
  fwmark?: number;
  connectTimeout?: number;
}

export interface CheckTarget {
  host: string;
  port: number;
  timeoutMs: number;
  /** bindto / bind_port. */
  bind: { bindto?: string; bindPort?: number };
  /** SO_MARK only (UDP_CHECK: keepalived's udp_bind_connect sets no SO_BINDTODEVICE). */
  mark: { fwmark?: number };
  /** SO_BINDTODEVICE and SO_MARK (keepalived's socket_bind_connect). */
  sockopts: { bindIf?: string; fwmark?: number };
}

/** The checker with the real server and virtual server it belongs to, and the whole configuration. */
export interface CheckContext {
  rs: RealServer;
  vs: VirtualServer;
  config: Config;
}

export type CheckerFactory<K extends Checker['kind']> = (
  ch: Extract<Checker, { kind: K }>,
  t: CheckTarget,
  ctx: CheckContext,
) => Runner;

export function targetOf(ch: Checker, { rs, vs }: CheckContext): CheckTarget {
  const c = ch as ConnKeywords;
  return {
    host: c.connectIp ?? rs.address,
    port: c.connectPort ?? rs.port ?? 0,
    timeoutMs: (c.connectTimeout ?? rs.connectTimeout ?? vs.connectTimeout ?? 5) * 1000,
    bind: { ...(c.bindto ? { bindto: c.bindto } : {}), ...(c.bindPort ? { bindPort: c.bindPort } : {}) },
    mark: c.fwmark ? { fwmark: c.fwmark } : {},
    sockopts: {
      ...(c.bindIf !== undefined ? { bindIf: c.bindIf } : {}),
      ...(c.fwmark ? { fwmark: c.fwmark } : {}),
    },
  };
}
