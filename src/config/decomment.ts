// keepalived's decomment(): strips `!` / `#` comments outside double quotes, un-escapes `\!` and
// `\#`, trims whitespace, and keeps a trailing `\` (the multi-line definition marker).

export interface Decommented {
  text: string;
  /** Column (0-based, in the input) where `text` starts. */
  start: number;
  /** The line ended in `\` (kept as the last character of `text`). */
  continued: boolean;
  /** Column (0-based) where a comment begins, or -1. */
  commentAt: number;
}

const SPECIAL = /[!#"\\]/;

export function decomment(line: string): Decommented {
  let start = 0;
  while (start < line.length && (line[start] === ' ' || line[start] === '\t')) start++;
  // Most lines have nothing to strip or unescape: no need to copy them character by character.
  if (!SPECIAL.test(line))
    return { text: line.slice(start).trimEnd(), start, continued: false, commentAt: -1 };
  let out = '';
  let quote = false;
  let continued = false;
  let commentAt = -1;
  let i = start;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') {
      quote = !quote;
      out += c;
    } else if (c === '\\') {
      const next = line[i + 1];
      if (next === undefined) {
        continued = true;
        break;
      }
      if (!quote && (next === '#' || next === '!')) out += next;
      else out += c + next;
      i++;
    } else if (!quote && (c === '!' || c === '#')) {
      commentAt = i;
      break;
    } else {
      out += c;
    }
  }
  out = out.replace(/[ \t]+$/, '');
  if (continued) out += '\\';
  return { text: out, start, continued, commentAt };
}
