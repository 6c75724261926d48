// Applying a block's statements to its model object through a table of keyword handlers.
// Unknown keywords are warnings (keepalived ignores them too) with a suggestion when close.
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
  /** Keywords keepalived has that vigil accepts without acting on (stored in `other` when the target has it). */
  accepted?: readonly string[];
}

export function applyBlock<T>(spec: BlockSpec<T>, stmts: Stmt[], target: T, ctx: Ctx): void {
  for (const s of stmts) {
    const word = s.keyword.text;
    const canonical = spec.synonyms?.[word] ?? word;
    const handler = spec.keywords[canonical];
    if (handler) {
      handler(s, target, ctx);
      continue;
    }
    if (spec.accepted?.includes(word)) {
      const other = (target as { other?: Record<string, string[]> }).other;
      if (other) other[word] = s.args.map((a) => a.text);
      continue;
    }
    const known = [
      ...Object.keys(spec.keywords),
      ...Object.keys(spec.synonyms ?? {}),
      ...(spec.accepted ?? []),
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
