// Log lines for the daemon and its children: text like keepalived's by default, JSON with a flag.
import { appendFileSync } from 'node:fs';

export type Level = 'error' | 'warning' | 'info' | 'debug';

export interface LogSink {
  console: boolean;
  file?: string;
  json: boolean;
  detail: boolean;
}

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

export function formatLine(
  level: Level,
  ident: string,
  msg: string,
  fields: Record<string, unknown> | undefined,
  json: boolean,
  now: Date,
): string {
  if (json)
    return JSON.stringify({ time: now.toISOString(), level, ident, pid: process.pid, msg, ...fields });
  const extra = fields && Object.keys(fields).length ? ' ' + JSON.stringify(fields) : '';
  const tag = level === 'info' ? '' : `${level}: `;
  return `${now.toISOString()} ${ident}[${process.pid}]: ${tag}${msg}${extra}`;
}

export function createLogger(ident: string, sink: LogSink): Logger {
  const write = (level: Level, msg: string, fields?: Record<string, unknown>): void => {
    if (level === 'debug' && !sink.detail) return;
    const line = formatLine(level, ident, msg, fields, sink.json, new Date());
    if (sink.console) process.stderr.write(line + '\n');
    if (sink.file) {
      try {
        appendFileSync(sink.file, line + '\n');
      } catch {
        // A full disk or a removed log folder must not take the daemon down.
      }
    }
  };
  return {
    error: (m, f) => write('error', m, f),
    warn: (m, f) => write('warning', m, f),
    info: (m, f) => write('info', m, f),
    debug: (m, f) => write('debug', m, f),
  };
}
