// keepalived re-reads script lines (`script`, `notify*`, `misc_path`, `quorum_up` …) with
// shell-like quoting: '…' and "…" group words, `\` escapes as in C strings (\n, \t, \x41, \101,
// \cX …). This mirrors alloc_strvec_quoted_escaped() so a command means what it meant there.

export type SplitArgvResult = { argv: string[] } | { error: string };

const SPACE = ' \t\f\n\r\v';
const SIMPLE: Record<string, string> = {
  a: '\x07',
  b: '\b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};
const isHex = (c: string | undefined): c is string => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isOct = (c: string | undefined): c is string => c !== undefined && c >= '0' && c <= '7';

export function splitArgv(raw: string): SplitArgvResult {
  const argv: string[] = [];
  let i = 0;
  while (i < raw.length) {
    while (i < raw.length && SPACE.includes(raw[i]!)) i++;
    if (i >= raw.length) break;
    let word = '';
    let quote: '"' | "'" | null = null;
    for (; i < raw.length; i++) {
      const c = raw[i]!;
      if (c === '\\') {
        const e = raw[++i];
        if (e === undefined) return { error: `missing character after '\\' at the end of: ${raw}` };
        if (e === 'x' && isHex(raw[i + 1])) {
          let v = 0;
          for (let n = 0; n < 2 && isHex(raw[i + 1]); n++) v = v * 16 + parseInt(raw[++i]!, 16);
          word += String.fromCharCode(v);
        } else if (e === 'c' && raw[i + 1] !== undefined) {
          word += String.fromCharCode(raw.charCodeAt(++i) & 0x1f);
        } else if (isOct(e)) {
          let v = Number(e);
          for (let n = 0; n < 2 && isOct(raw[i + 1]); n++) v = v * 8 + Number(raw[++i]);
          word += String.fromCharCode(v & 0xff);
        } else {
          word += SIMPLE[e] ?? e;
        }
        continue;
      }
      if (quote) {
        if (c === quote) quote = null;
        else word += c;
        continue;
      }
      if (c === '"' || c === "'") {
        quote = c;
        continue;
      }
      if (SPACE.includes(c)) break;
      word += c;
    }
    if (quote) return { error: `missing terminating ${quote} in: ${raw}` };
    argv.push(word);
  }
  return { argv };
}
