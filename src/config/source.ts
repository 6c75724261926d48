// Reads one configuration file into lines, refusing what cannot be a configuration: oversized
// files, invalid UTF-8 (reported at its byte, then decoded leniently), embedded NUL bytes (the
// line is ignored, as keepalived does).
import { readFileSync, statSync } from 'node:fs';
import type { Diagnostic } from './ast.js';

export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;

export interface SourceText {
  lines: string[];
  diagnostics: Diagnostic[];
}

const fatal = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/** Offset of the first byte that is not valid UTF-8. */
function firstInvalidByte(buf: Uint8Array): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    const n =
      b < 0x80
        ? 0
        : (b & 0xe0) === 0xc0 && b >= 0xc2
          ? 1
          : (b & 0xf0) === 0xe0
            ? 2
            : (b & 0xf8) === 0xf0 && b <= 0xf4
              ? 3
              : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (((buf[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    try {
      fatal.decode(buf.subarray(i, i + n + 1));
    } catch {
      return i;
    }
    i += n + 1;
  }
  return -1;
}

export function splitSource(file: string, buf: Uint8Array): SourceText {
  const diagnostics: Diagnostic[] = [];
  let text: string;
  try {
    text = fatal.decode(buf);
  } catch {
    const at = firstInvalidByte(buf);
    const before = lenient.decode(buf.subarray(0, Math.max(at, 0)));
    const line = before.split('\n').length;
    const col = before.length - before.lastIndexOf('\n');
    diagnostics.push({
      severity: 'error',
      message: `invalid UTF-8 byte 0x${(buf[at] ?? 0).toString(16).padStart(2, '0')}: is this a text file?`,
      loc: { file, line, col },
    });
    text = lenient.decode(buf);
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const nul = lines[i]!.indexOf('\0');
    if (nul >= 0) {
      diagnostics.push({
        severity: 'error',
        message: 'line contains a NUL byte - ignoring the line',
        loc: { file, line: i + 1, col: nul + 1 },
      });
      lines[i] = '';
    }
  }
  return { lines, diagnostics };
}

export function readSource(file: string, maxBytes: number): SourceText | { error: string } {
  try {
    const st = statSync(file);
    if (st.isDirectory()) return { error: `'${file}' is a directory, not a configuration file` };
    if (st.size > maxBytes) {
      return {
        error: `'${file}' is ${(st.size / 1048576).toFixed(1)} MiB, larger than the ${(maxBytes / 1048576).toFixed(0)} MiB a configuration may be`,
      };
    }
    return splitSource(file, readFileSync(file));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message;
    return { error: `cannot read '${file}': ${why}` };
  }
}
