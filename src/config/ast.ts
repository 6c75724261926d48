// The syntax tree the lexer/parser produce and every schema reads.
// keepalived's parser is line oriented: each logical line is a keyword and its arguments,
// a `{` opens a block under the preceding keyword, `}` closes it.

/** Where a token came from; `file` is the path as the operator named it (relative to cwd or absolute). */
export interface Loc {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
}

export interface Token {
  /** Text after macro expansion, quotes removed. */
  text: string;
  loc: Loc;
  /** True when the token was written in double quotes. */
  quoted: boolean;
}

/** One statement: `keyword arg arg ... [{ children }]`. */
export interface Stmt {
  keyword: Token;
  args: Token[];
  /** Present when the statement opened a block (possibly empty). */
  block?: Stmt[];
  /**
   * The logical line after macro expansion but before tokenizing, from the keyword on,
   * for keywords that keepalived re-reads with shell-like quoting (script, notify*, misc_path …).
   */
  raw: string;
  loc: Loc;
}

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  message: string;
  loc: Loc;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.loc.file}:${d.loc.line}:${d.loc.col}: ${d.severity}: ${d.message}`;
}
