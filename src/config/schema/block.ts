// Applying a block's statements to its model object through a table of keyword handlers.
// Unknown keywords are warnings (keepalived ignores them too) with a suggestion when close.
// No keyword keepalived knows is taken in silence: one vigil does not act on is warned at its
// own location with what will not happen.
import type { Loc, Stmt } from '../ast.js';
import { closest } from './suggest.js';

export interface Ctx {
  error(message: string, loc: Loc): void;
  warn(message: string, loc: Loc): void;
}

export type Handler<T> = (s: Stmt, target: T, ctx: Ctx) => void;

export interface BlockSpec<T> {
  /** How messages name the block: 'vrrp_instance', 'virtual_server' … */
  name: string;
  keywords: Record<string, Handler<T>>;
  /** Older or alternative spellings → the keyword they mean. */
  synonyms?: Record<string, string>;
  /** Keywords keepalived acts on and vigil does not → what will not happen (a warning). */
  unimplemented?: Record<string, string>;
  /** Keywords keepalived 2.2.7 itself ignores or has deprecated → keepalived's own word (a warning). */
  ignored?: Record<string, string>;
}

/** The warning for a keyword of `spec` vigil does not act on, or undefined when it does. */
export function unimplementedWarning(spec: BlockSpec<unknown>, word: string): string | undefined {
  const missing = spec.unimplemented?.[word];
  if (missing !== undefined) return `'${word}' is not implemented in vigil: ${missing}`;
  const ignored = spec.ignored?.[word];
  return ignored === undefined ? undefined : `'${word}' in ${spec.name}: ${ignored}`;
}

export function applyBlock<T>(spec: BlockSpec<T>, stmts: Stmt[], target: T, ctx: Ctx): void {
  for (const s of stmts) {
    const word = s.keyword.text;
    const canonical = spec.synonyms?.[word] ?? word;
    const handler = spec.keywords[canonical];
    if (handler) {
      handler(s, target, ctx);
      // Where each keyword was written, for later diagnostics about it (the last one is in force).
      const locs = (target as { keywordLocs?: Record<string, Loc> }).keywordLocs;
      if (locs) locs[canonical] = s.keyword.loc;
      continue;
    }
    const warning = unimplementedWarning(spec as BlockSpec<unknown>, word);
    if (warning !== undefined) {
      ctx.warn(warning, s.keyword.loc);
      continue;
    }
    const known = [
      ...Object.keys(spec.keywords),
      ...Object.keys(spec.synonyms ?? {}),
      ...Object.keys(spec.unimplemented ?? {}),
      ...Object.keys(spec.ignored ?? {}),
    ];
    const guess = closest(word, known);
    ctx.warn(
      `unknown keyword '${word}' in ${spec.name}${guess ? `; did you mean '${guess}'?` : ' - ignoring it'}`,
      s.keyword.loc,
    );
  }
}

/** The statement's block, or an error naming the missing '{'. */
export function blockOf(s: Stmt, ctx: Ctx): Stmt[] {
  if (s.block) return s.block;
  const head = [s.keyword, ...s.args].map((a) => a.text).join(' ');
  ctx.error(`missing '{' after '${head}': its settings go in a block, '${head} { … }'`, s.keyword.loc);
  return [];
}
