// `include PATTERN` as keepalived resolves it: glob(3) with GLOB_BRACE, relative to the including
// file's folder. Variants say which problems stop the load: `includer` unreadable files,
// `includem` missing files, `includew` a wildcard matching nothing, `includeb` a missing brace
// alternative, `includea` all of them. Plain `include` only reports them.
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const INCLUDE_R = 1;
export const INCLUDE_M = 2;
export const INCLUDE_W = 4;
export const INCLUDE_B = 8;

const VARIANTS: Record<string, number> = {
  include: 0,
  includer: INCLUDE_R,
  includem: INCLUDE_R | INCLUDE_M,
  includew: INCLUDE_R | INCLUDE_M | INCLUDE_W,
  includeb: INCLUDE_R | INCLUDE_B,
  includea: INCLUDE_R | INCLUDE_M | INCLUDE_B | INCLUDE_W,
};

/** `include[rmwba] PATTERN` → its strictness and pattern, or null when the line is not an include. */
export function parseInclude(line: string): { strict: number; pattern: string } | null {
  const m = /^(include[rmwba]?)[ \t]+(.*)$/.exec(line);
  if (!m) return null;
  return { strict: VARIANTS[m[1]!]!, pattern: m[2]!.trim() };
}

/** `a{b,c{d,e}}f` → abf, acdf, acef (as GLOB_BRACE; `\` escapes a brace). */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
    } else if (c === '{') {
      if (depth++ === 0) open = i;
    } else if (c === '}' && depth > 0 && --depth === 0) {
      const inner = pattern.slice(open + 1, i);
      const alts: string[] = [];
      let d = 0;
      let from = 0;
      for (let j = 0; j < inner.length; j++) {
        const ch = inner[j];
        if (ch === '\\') j++;
        else if (ch === '{') d++;
        else if (ch === '}') d--;
        else if (ch === ',' && d === 0) {
          alts.push(inner.slice(from, j));
          from = j + 1;
        }
      }
      alts.push(inner.slice(from));
      const head = pattern.slice(0, open);
      const tail = pattern.slice(i + 1);
      return alts.flatMap((a) => expandBraces(head + a + tail));
    }
  }
  return [pattern];
}

const hasWildcard = (s: string): boolean => /(^|[^\\])[*?[]/.test(s);

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '\\' && i + 1 < seg.length) re += seg[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let set = seg.slice(i + 1, close);
        if (set.startsWith('!')) set = '^' + set.slice(1);
        re += `[${set.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export interface GlobResult {
  paths: string[];
  /** Literal (non-wildcard) paths or folders that do not exist. */
  missing: string[];
  hadWildcard: boolean;
}

/** One brace-free pattern, matched segment by segment; results sorted as glob(3) sorts them. */
function globOne(pattern: string, out: GlobResult): void {
  const absolute = pattern.startsWith('/');
  const segs = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  let current = [absolute ? '/' : ''];
  if (absolute) segs.shift();
  for (const seg of segs) {
    const next: string[] = [];
    if (hasWildcard(seg)) {
      out.hadWildcard = true;
      const re = segmentRegex(seg);
      for (const dir of current) {
        let names: string[];
        try {
          names = readdirSync(dir === '' ? '.' : dir);
        } catch {
          out.missing.push(dir);
          continue;
        }
        for (const n of names.sort()) {
          if (n.startsWith('.') && !seg.startsWith('.')) continue;
          if (re.test(n)) next.push(dir === '' ? n : join(dir, n));
        }
      }
    } else {
      const lit = seg.replace(/\\(.)/g, '$1');
      for (const dir of current) next.push(dir === '' ? lit : join(dir, lit));
    }
    current = next;
  }
  for (const p of current) {
    try {
      lstatSync(p);
      out.paths.push(p);
    } catch {
      out.missing.push(p);
    }
  }
}

export function globPattern(pattern: string): GlobResult {
  const out: GlobResult = { paths: [], missing: [], hadWildcard: false };
  for (const p of expandBraces(pattern)) globOne(p, out);
  return out;
}

/** Why a matched path cannot be a configuration file, or null when it can. */
export function unusableFile(path: string): string | null {
  try {
    const st = statSync(path);
    if (st.isDirectory()) return `configuration file '${path}' is a directory - skipping`;
    if (!st.isFile() || (st.mode & 0o111) !== 0) {
      return `configuration file '${path}' is not a regular non-executable file - skipping`;
    }
    return null;
  } catch (e) {
    return `configuration file '${path}' cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}) - skipping`;
  }
}
