// What one run of a checker found.
export interface CheckResult {
  ok: boolean;
  /** Why it failed ('timeout', 'connection refused', 'status 503', 'digest mismatch' …) or what passed. */
  reason: string;
  latencyMs: number;
}

/** A socket error as an operator reads it. */
export function describeError(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'EADDRNOTAVAIL':
      return 'bind address not available';
    case 'ENODEV':
      return 'no such device';
    case 'EPERM':
      return 'operation not permitted';
    case 'EPIPE':
      return 'connection closed by the server';
    default:
      return e.code ? `${e.code.toLowerCase()}: ${e.message}` : e.message;
  }
}
