// The logger every layer writes to. Only the interface lives here, on the ground floor, so the
// VRRP engine, the OS adapters and the labs can log without importing the daemon that makes the
// real one (src/daemon/log.ts: console, file, syslog, JSON).
export type Level = 'error' | 'warning' | 'info' | 'debug';

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}
