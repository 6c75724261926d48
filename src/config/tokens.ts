// keepalived's alloc_strvec(): a logical line split at whitespace, a double-quoted string kept
// whole (without its quotes), a word also ending where a quote begins.

export interface RawToken {
  text: string;
  quoted: boolean;
  /** Offset (0-based) of the token's first character in the line, its opening quote if quoted. */
  offset: number;
  /** The token as written, quotes included, to find it again in the source line. */
  source: string;
}

export type TokenizeResult = { tokens: RawToken[]; unmatchedQuoteAt?: number };

/** space, \t, \n, \v, \f, \r */
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);
const QUOTE = 34;

export function tokenize(line: string): TokenizeResult {
  const tokens: RawToken[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && isSpace(line.charCodeAt(i))) i++;
    if (i >= line.length) break;
    const start = i;
    if (line.charCodeAt(i) === QUOTE) {
      const close = line.indexOf('"', i + 1);
      if (close < 0) {
        // keepalived stops at an unmatched quote: the rest of the line is lost.
        return { tokens, unmatchedQuoteAt: start };
      }
      tokens.push({
        text: line.slice(i + 1, close),
        quoted: true,
        offset: start,
        source: line.slice(start, close + 1),
      });
      i = close + 1;
    } else {
      while (i < line.length && !isSpace(line.charCodeAt(i)) && line.charCodeAt(i) !== QUOTE) i++;
      const text = line.slice(start, i);
      tokens.push({ text, quoted: false, offset: start, source: text });
    }
  }
  return { tokens };
}
