// Log lines for the daemon and its children: text like keepalived's by default, JSON with a flag;
// to the console (-l), a file (--log-file) and syslog (-S facility, on unless -G, as keepalived).
import { appendFileSync } from 'node:fs';
import type { Level, Logger } from '../base/logger.js';
import type { DaemonOptions } from './options.js';
import { SyslogWriter } from './syslog.js';

export interface LogSink {
  console: boolean;
  file?: string;
  json: boolean;
  detail: boolean;
  syslog?: { facility: number; socket?: string };
}

/** The sink the daemon's options ask for (the supervisor and both children log alike). */
export function sinkOf(o: DaemonOptions): LogSink {
  return {
    console: o.logConsole,
    ...(o.logFile ? { file: o.logFile } : {}),
    json: o.logJson,
    detail: o.logDetail,
    ...(o.syslog
      ? { syslog: { facility: o.logFacility, ...(o.syslogSocket ? { socket: o.syslogSocket } : {}) } }
      : {}),
  };
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

/** The part of a syslog record after `ident[pid]: ` (syslog adds its own time stamp). */
export function syslogMessage(
  level: Level,
  msg: string,
  fields: Record<string, unknown> | undefined,
  json: boolean,
): string {
  if (json) return JSON.stringify({ level, msg, ...fields });
  const extra = fields && Object.keys(fields).length ? ' ' + JSON.stringify(fields) : '';
  return `${level === 'info' ? '' : `${level}: `}${msg}${extra}`;
}

export function createLogger(ident: string, sink: LogSink): Logger {
  const syslog = sink.syslog ? new SyslogWriter(sink.syslog.facility, sink.syslog.socket) : undefined;
  const write = (level: Level, msg: string, fields?: Record<string, unknown>): void => {
    if (level === 'debug' && !sink.detail) return;
    const now = new Date();
    syslog?.write(level, ident, syslogMessage(level, msg, fields, sink.json), now);
    const line = formatLine(level, ident, msg, fields, sink.json, now);
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
