// FILE_CHECK: a file holding a number (as track_file): 0 is up; a non-zero value is down, unless
// the checker has a weight, when value × weight becomes the real server's weight (keepalived's
// dynamic FILE_CHECK). A missing or unreadable file is down.
import { readFile } from 'node:fs/promises';
import type { CheckResult } from './result.js';
import type { CheckerFactory } from './target.js';

export interface FileCheckOptions {
  path: string;
  weight?: number;
  reverse: boolean;
}

export async function fileCheck(o: FileCheckOptions): Promise<CheckResult & { weight?: number }> {
  const start = performance.now();
  const done = (ok: boolean, reason: string, weight?: number): CheckResult & { weight?: number } => ({
    ok,
    reason,
    latencyMs: performance.now() - start,
    ...(weight !== undefined ? { weight } : {}),
  });
  let text: string;
  try {
    text = await readFile(o.path, 'utf8');
  } catch (e) {
    return done(false, `cannot read ${o.path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const m = /^\s*(-?\d+)/.exec(text);
  const value = m ? Number(m[1]) : 0;
  if (o.weight === undefined || o.weight === 0)
    return value === 0 ? done(true, 'value 0') : done(false, `value ${value}`);
  const w = (o.reverse ? -value : value) * o.weight;
  return w < 0
    ? done(false, `value ${value} × weight ${o.weight} is negative`)
    : done(true, `value ${value}`, w);
}

/** FILE_CHECK: the track_file's number, weighted (or reversed). */
export const fileFactory: CheckerFactory<'FILE_CHECK'> = (ch, _t, { config }) => {
  const tf = config.trackFiles.find((f) => f.name === ch.trackFile);
  if (!tf?.file) return { note: `FILE_CHECK track_file '${ch.trackFile ?? ''}' is not defined` };
  const o = {
    path: tf.file,
    reverse: ch.weightReverse,
    ...(ch.weight !== undefined ? { weight: ch.weight } : {}),
  };
  return { run: () => fileCheck(o) };
};
