// keepalived.conf text → statement tree. Never throws: every problem is a Diagnostic with its
// file:line:col, and parsing goes on after it so that one run reports them all.
import { hostname } from 'node:os';
import type { Diagnostic, Loc, Stmt, Token } from './ast.js';
import { LineReader, type LogicalLine } from './lines.js';
import { DEFAULT_MAX_FILE_BYTES, readSource, splitSource } from './source.js';
import { tokenize } from './tokens.js';

export interface ParseOptions {
  /** `@id` lines are kept when id matches; keepalived's default is the short host name. */
  configId?: string;
  /** For ${_ENV VAR}; default process.env. */
  env?: Record<string, string | undefined>;
  /** Default 16 MiB. */
  maxFileBytes?: number;
}

export interface ParseResult {
  stmts: Stmt[];
  diagnostics: Diagnostic[];
  /** Every file read, in the order read. */
  files: string[];
}

const MAX_DEPTH = 256;
const MAX_DIAGNOSTICS = 500;

export function defaultConfigId(): string {
  return hostname().split('.')[0] ?? '';
}

function readerFor(opts: ParseOptions): LineReader {
  return new LineReader({
    configId: opts.configId ?? defaultConfigId(),
    env: opts.env ?? process.env,
    maxFileBytes: opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    maxDiagnostics: MAX_DIAGNOSTICS,
  });
}

export function parseFile(path: string, opts: ParseOptions = {}): ParseResult {
  const reader = readerFor(opts);
  const src = readSource(path, opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
  if ('error' in src) {
    return {
      stmts: [],
      diagnostics: [{ severity: 'error', message: src.error, loc: { file: path, line: 1, col: 1 } }],
      files: [],
    };
  }
  for (const d of src.diagnostics) reader.report(d.severity, d.message, d.loc);
  reader.open(path, src.lines);
  return build(reader);
}

/** Parses text as if it were the file `file` (includes are relative to its folder). */
export function parseText(text: string, file: string, opts: ParseOptions = {}): ParseResult {
  const reader = readerFor(opts);
  const src = splitSource(file, Buffer.from(text, 'utf8'));
  for (const d of src.diagnostics) reader.report(d.severity, d.message, d.loc);
  reader.open(file, src.lines);
  return build(reader);
}

function tokensOf(l: LogicalLine, reader: LineReader): Token[] {
  const { tokens, unmatchedQuoteAt } = tokenize(l.text);
  let cursor = l.cursor;
  const out: Token[] = [];
  const locAt = (source: string): Loc => {
    const idx = l.origin.text.indexOf(source, cursor);
    if (idx < 0) return { file: l.origin.file, line: l.origin.line, col: Math.max(l.col, cursor + 1) };
    cursor = idx + source.length;
    return { file: l.origin.file, line: l.origin.line, col: idx + 1 };
  };
  for (const t of tokens) out.push({ text: t.text, quoted: t.quoted, loc: locAt(t.source) });
  if (unmatchedQuoteAt !== undefined) {
    const loc = locAt(l.text.slice(unmatchedQuoteAt));
    reader.report('error', 'unmatched quote: the string has no closing "', loc);
  }
  return out;
}

interface Frame {
  list: Stmt[];
  opener?: Stmt;
}

function build(reader: LineReader): ParseResult {
  const root: Stmt[] = [];
  const stack: Frame[] = [{ list: root }];
  let last: Stmt | null = null;
  let warnedDepth = false;
  for (let l = reader.next(); l; l = reader.next()) {
    const loc: Loc = { file: l.origin.file, line: l.origin.line, col: l.col };
    if (l.text === '{') {
      if (last && !last.block) {
        last.block = [];
        stack.push({ list: last.block, opener: last });
      } else {
        reader.report('error', "unexpected '{': no keyword opens this block", loc);
        stack.push({ list: [] });
      }
      if (stack.length > MAX_DEPTH && !warnedDepth) {
        warnedDepth = true;
        reader.report('error', `blocks nested deeper than ${MAX_DEPTH} levels`, loc);
      }
      last = null;
      continue;
    }
    if (l.text === '}') {
      if (stack.length === 1) reader.report('error', "extra '}': no block is open here", loc);
      else stack.pop();
      last = null;
      continue;
    }
    const tokens = tokensOf(l, reader);
    const [keyword, ...args] = tokens;
    if (!keyword) continue;
    const stmt: Stmt = { keyword, args, raw: l.text, loc: keyword.loc };
    stack[stack.length - 1]!.list.push(stmt);
    last = stmt;
  }
  // Unclosed blocks, outermost first (usually the one missing its '}'); short for deep nesting.
  const unclosed = stack.length - 1;
  for (const f of stack.slice(1, 4)) {
    if (f.opener) {
      reader.report(
        'error',
        `missing '}': the '${f.opener.keyword.text}' block opened here is never closed`,
        f.opener.loc,
      );
    }
  }
  if (unclosed > 3) {
    reader.report('error', `${unclosed} blocks in all are never closed`, {
      file: reader.files[0] ?? '',
      line: 1,
      col: 1,
    });
  }
  return { stmts: root, diagnostics: reader.diagnostics, files: reader.files };
}
