// The logical-line reader, after keepalived's read_line(): physical lines from the file stack,
// with comments removed, `@id` conditions applied, `$NAME=` definitions recorded and expanded,
// `~SEQ` / `~LST` generators run, `include`s followed, and braces split off into their own lines.
// Every line keeps the physical line it came from, so tokens get file:line:col.
import { dirname, join } from 'node:path';
import { realpathSync } from 'node:fs';
import type { Diagnostic, Loc, Severity } from './ast.js';
import { decomment } from './decomment.js';
import {
  globPattern,
  INCLUDE_B,
  INCLUDE_M,
  INCLUDE_R,
  INCLUDE_W,
  parseInclude,
  unusableFile,
} from './include.js';
import { Definitions, type Definition } from './macros.js';
import { parseLst, parseSeq, type Generator } from './sequence.js';
import { readSource } from './source.js';

export interface Origin {
  file: string;
  line: number;
  /** The physical line as written. */
  text: string;
}

export interface LogicalLine {
  text: string;
  origin: Origin;
  /** Where in origin.text to look for this line's tokens (0-based). */
  cursor: number;
  /** Column (1-based) to report when a token cannot be found in the physical line. */
  col: number;
}

interface FileFrame {
  path: string;
  lines: string[];
  idx: number;
  /** Real paths of this file and the files that included it, for cycle detection. */
  chain: string[];
}

export interface ReaderOptions {
  configId: string;
  env: Record<string, string | undefined>;
  maxFileBytes: number;
  maxDiagnostics: number;
}

const MAX_INCLUDE_DEPTH = 32;

/** First `{` or `}` outside double quotes at or after `from`, or -1. */
export function findBrace(s: string, from: number): number {
  let quote = false;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quote = !quote;
    else if (!quote && (c === '{' || c === '}')) return i;
  }
  return -1;
}

export class LineReader {
  readonly diagnostics: Diagnostic[] = [];
  readonly files: string[] = [];
  private readonly frames: FileFrame[] = [];
  private residue: LogicalLine | null = null;
  private readonly gens: { gen: Generator; at: LogicalLine }[] = [];
  private readonly queues: { lines: string[]; at: LogicalLine; prevSeqDepth: number }[] = [];
  private seqDepth = 0;
  private collecting: Definition | null = null;
  private includeCheck = 0;
  private readonly defs: Definitions;
  private tooMany = false;

  constructor(private readonly opts: ReaderOptions) {
    this.defs = new Definitions({
      pwd: () => {
        const top = this.frames[this.frames.length - 1];
        return top ? dirname(top.path) : process.cwd();
      },
      instance: opts.configId,
      env: opts.env,
    });
  }

  /** True once the diagnostic limit stopped the reader. */
  get stopped(): boolean {
    return this.tooMany;
  }

  report(severity: Severity, message: string, loc: Loc): void {
    if (this.tooMany) return;
    if (this.diagnostics.length >= this.opts.maxDiagnostics) {
      this.tooMany = true;
      this.diagnostics.push({
        severity: 'error',
        message: `too many problems (${this.opts.maxDiagnostics}); stopping here`,
        loc,
      });
      return;
    }
    this.diagnostics.push({ severity, message, loc });
  }

  /** Starts reading a top-level file or text. */
  open(path: string, lines: string[]): void {
    let real = path;
    try {
      real = realpathSync(path);
    } catch {
      // text without a file
    }
    this.frames.push({ path, lines, idx: 0, chain: [real] });
    this.files.push(path);
  }

  private locOf(l: LogicalLine): Loc {
    return { file: l.origin.file, line: l.origin.line, col: l.col };
  }

  private physical(): LogicalLine | null {
    for (;;) {
      const f = this.frames[this.frames.length - 1];
      if (!f) return null;
      if (f.idx >= f.lines.length) {
        this.frames.pop();
        continue;
      }
      const line = f.idx + 1;
      let raw = f.lines[f.idx++]!;
      if (raw.endsWith('\r')) raw = raw.replace(/\r+$/, '');
      if (raw.length === 0 || /^\s*$/.test(raw)) {
        if (this.collecting) {
          if (this.collecting.lines.length === 0) this.collecting.multiline = false;
          this.collecting = null;
        }
        continue;
      }
      const d = decomment(raw);
      if (d.text === '') continue;
      return { text: d.text, origin: { file: f.path, line, text: raw }, cursor: d.start, col: d.start + 1 };
    }
  }

  private take(): LogicalLine | null {
    if (this.residue) {
      const r = this.residue;
      this.residue = null;
      return r;
    }
    if (this.gens.length > this.seqDepth) {
      const g = this.gens[this.gens.length - 1]!;
      const round = g.gen.rounds[g.gen.next++]!;
      g.gen.names.forEach((n, i) => this.defs.set(n, round[i] ?? ''));
      if (g.gen.next >= g.gen.rounds.length) this.gens.pop();
      return { ...g.at, text: g.gen.text };
    }
    const q = this.queues[this.queues.length - 1];
    if (q) {
      const text = q.lines.shift()!;
      if (q.lines.length === 0) {
        this.queues.pop();
        this.seqDepth = q.prevSeqDepth;
      }
      return { ...q.at, text };
    }
    return this.physical();
  }

  next(): LogicalLine | null {
    while (!this.tooMany) {
      const l = this.take();
      if (!l) return null;
      if (this.collecting) {
        if (!this.defs.continueDefinition(this.collecting, l.text)) this.collecting = null;
        continue;
      }
      let text = l.text;
      if (text[0] === '@') {
        const rev = text[1] === '^';
        const from = rev ? 2 : 1;
        const space = text.slice(from).search(/[ \t]/);
        if (space < 0) continue;
        const id = text.slice(from, from + space);
        if ((id === this.opts.configId) === rev) continue;
        const rest = text.slice(from + space).replace(/^[ \t]+/, '');
        l.cursor += text.length - rest.length;
        l.col = l.cursor + 1;
        text = rest;
      }
      if (text[0] === '$') {
        const def = this.defs.define(text);
        if (def) {
          if (def.multiline) this.collecting = def;
          continue;
        }
      }
      if (text.startsWith('~SEQ') || text.startsWith('~LST')) {
        const r = text[1] === 'S' ? parseSeq(text, (s) => this.defs.expand(s).text) : parseLst(text);
        if ('error' in r) this.report('error', r.error, this.locOf(l));
        else if (r.gen.rounds.length > 0) this.gens.push({ gen: r.gen, at: l });
        continue;
      }
      if (text[0] !== '~' && text.includes('$')) {
        const r = this.defs.expand(text);
        if (r.error) {
          this.report('error', r.error, this.locOf(l));
          continue;
        }
        if (r.changed) {
          text = decomment(r.text).text;
          if (r.more.length > 0) {
            this.queues.push({ lines: r.more, at: l, prevSeqDepth: this.seqDepth });
            this.seqDepth = this.gens.length;
          }
        }
      }
      if (text === '') continue;
      const inc = text.startsWith('include') ? parseInclude(text) : null;
      if (inc) {
        this.include(inc.strict, inc.pattern, l);
        continue;
      }
      if (text.startsWith('include_check') && /^include_check([ \t]|$)/.test(text)) {
        this.setIncludeCheck(text.split(/[ \t]+/).slice(1), l);
        continue;
      }
      l.text = text;
      return this.splitBraces(l);
    }
    return null;
  }

  /** A `{` or `}` becomes a line of its own; the rest of the line comes next. */
  private splitBraces(l: LogicalLine): LogicalLine {
    const text = l.text;
    const p = text[0] === '{' || text[0] === '}' ? 0 : findBrace(text, 0);
    if (p < 0) return l;
    const at = findBrace(l.origin.text, l.cursor);
    const braceCursor = at >= 0 ? at : l.cursor;
    if (p === 0) {
      const rest = text.slice(1).trim();
      if (rest !== '') {
        const restAt = l.origin.text.indexOf(rest[0]!, braceCursor + 1);
        const cursor = restAt >= 0 ? restAt : braceCursor + 1;
        this.residue = { text: rest, origin: l.origin, cursor, col: cursor + 1 };
      }
      return { text: text[0]!, origin: l.origin, cursor: braceCursor, col: braceCursor + 1 };
    }
    this.residue = {
      text: text.slice(p).trim(),
      origin: l.origin,
      cursor: braceCursor,
      col: braceCursor + 1,
    };
    return { ...l, text: text.slice(0, p).trimEnd() };
  }

  private setIncludeCheck(words: string[], l: LogicalLine): void {
    const flags: Record<string, number> = {
      read: INCLUDE_R,
      match: INCLUDE_M,
      wildcard_match: INCLUDE_W,
      brace_match: INCLUDE_B,
    };
    if (words.length === 0) {
      this.includeCheck = INCLUDE_R | INCLUDE_M | INCLUDE_W | INCLUDE_B;
      return;
    }
    words.forEach((w, i) => {
      const sign = w[0] === '+' || w[0] === '-' ? w[0] : '';
      const flag = flags[w.slice(sign.length)];
      if (flag === undefined) {
        this.report(
          'warning',
          `unknown include_check type '${w.slice(sign.length)}' - ignoring`,
          this.locOf(l),
        );
        return;
      }
      if (sign === '+') this.includeCheck |= flag;
      else if (sign === '-') this.includeCheck &= ~flag;
      else if (i === 0) this.includeCheck = INCLUDE_R | flag;
      else this.report('warning', `duplicate include_check '${w}' - ignoring`, this.locOf(l));
    });
  }

  private include(strictness: number, pattern: string, l: LogicalLine): void {
    const strict = strictness | this.includeCheck;
    const sev = (bit: number): Severity => (strict & bit ? 'error' : 'warning');
    const loc = this.locOf(l);
    const parent = this.frames[this.frames.length - 1];
    if (pattern === '') {
      this.report('error', 'include needs a file name or pattern', loc);
      return;
    }
    const full = pattern.startsWith('/') || !parent ? pattern : join(dirname(parent.path), pattern);
    const g = globPattern(full);
    if (g.paths.length === 0) {
      if (!g.hadWildcard) {
        // A named file that is not there is always an error: the operator meant it to be read.
        this.report('error', `include: no such file '${full}'`, loc);
      } else if (g.missing.length > 0) {
        this.report(
          sev(INCLUDE_M),
          `include: no files match '${full}' (no folder ${g.missing.join(', ')})`,
          loc,
        );
      } else {
        this.report(sev(INCLUDE_W), `include: no files match '${full}'`, loc);
      }
      return;
    }
    if (g.missing.length > 0) {
      this.report(
        sev(INCLUDE_B),
        `include: some files of '${full}' are missing: ${g.missing.join(', ')}`,
        loc,
      );
      if (strict & INCLUDE_B) return;
    }
    if ((parent?.chain.length ?? 0) >= MAX_INCLUDE_DEPTH) {
      this.report('error', `include: nested deeper than ${MAX_INCLUDE_DEPTH} files`, loc);
      return;
    }
    const frames: FileFrame[] = [];
    for (const path of g.paths) {
      const bad = unusableFile(path);
      if (bad) {
        this.report(sev(INCLUDE_R), bad, loc);
        continue;
      }
      const real = realpathSync(path);
      const chain = parent?.chain ?? [];
      if (chain.includes(real)) {
        const names = [...chain.slice(chain.indexOf(real)), real];
        this.report('error', `include cycle: ${names.join(' -> ')}`, loc);
        continue;
      }
      const src = readSource(path, this.opts.maxFileBytes);
      if ('error' in src) {
        this.report('error', src.error, loc);
        continue;
      }
      for (const d of src.diagnostics) this.report(d.severity, d.message, d.loc);
      this.files.push(path);
      frames.push({ path, lines: src.lines, idx: 0, chain: [...chain, real] });
    }
    // The first match is read first; each is read whole before the next.
    for (const f of frames.reverse()) this.frames.push(f);
  }
}
