// Reads one configuration file into lines, refusing what cannot be a configuration: oversized
// files, embedded NUL bytes (the line is ignored, as keepalived does). Bytes that are not UTF-8
// (a GBK or Latin-1 file) are fine in comments, as keepalived reads bytes; outside a comment
// they are a warning at their line:col, since vigil reads them as U+FFFD.
import { readFileSync, statSync } from 'node:fs';
import type { Diagnostic } from './ast.js';
import { decomment } from './decomment.js';

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

/** The lines of a file that is not all UTF-8, each decoded alone, with a warning for each line
 * whose bad bytes are outside its comment. */
function splitLenient(file: string, buf: Uint8Array, diagnostics: Diagnostic[]): string[] {
  const lines: string[] = [];
  let from = 0;
  while (from <= buf.length) {
    let to = buf.indexOf(0x0a, from);
    if (to < 0) to = buf.length;
    const bytes = buf.subarray(from, to);
    const at = firstInvalidByte(bytes);
    const line = lenient.decode(bytes);
    if (at >= 0) {
      const col = lenient.decode(bytes.subarray(0, at)).length;
      const comment = decomment(line).commentAt;
      if (comment < 0 || col < comment) {
        const hex = (bytes[at] ?? 0).toString(16).padStart(2, '0');
        diagnostics.push({
          severity: 'warning',
          message: `byte 0x${hex} is not UTF-8: vigil reads it as U+FFFD, so this value is not the file's bytes (keepalived takes them as they are); write it in UTF-8`,
          loc: { file, line: lines.length + 1, col: col + 1 },
        });
      }
    }
    lines.push(line);
    from = to + 1;
  }
  return lines;
}

export function splitSource(file: string, buf: Uint8Array): SourceText {
  const diagnostics: Diagnostic[] = [];
  let lines: string[];
  try {
    lines = fatal.decode(buf).split('\n');
  } catch {
    lines = splitLenient(file, buf, diagnostics);
  }
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
