// keepalived's line generators: `~SEQ(var, [start,] [step,] end) text` repeats `text` with $var
// counting (`~SEQx` in hex, for IPv6 addresses), `~LST(var, a, b …) text` or
// `~LST({v1, v2}, {a1, a2}, {b1, b2}) text` repeats it for each value (set).

export interface Generator {
  /** Values for each round: each round assigns names[i] = values[round][i]. */
  names: string[];
  rounds: string[][];
  next: number;
  text: string;
}

export type GeneratorParse = { gen: Generator } | { error: string };

/** C's strtol(…, 0): decimal, 0x hex or leading-0 octal, optional sign. */
function parseLong(s: string): number | null {
  const t = s.trim();
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(t);
  if (!m) return null;
  const body = m[2]!;
  const v =
    body.startsWith('0x') || body.startsWith('0X')
      ? parseInt(body, 16)
      : body.startsWith('0') && body.length > 1
        ? parseInt(body, 8)
        : Number(body);
  return m[1] === '-' ? -v : v;
}

/** Sequences longer than this are a mistake (and would exhaust memory). */
const MAX_ROUNDS = 1_000_000;

export function parseSeq(line: string, expand: (s: string) => string): GeneratorParse {
  const m = /^~SEQ(x?)[ \t]*\([ \t]*([^ \t,)]+)[ \t]*,([^)]*)\)[ \t]*(.*)$/.exec(line);
  if (!m || m[2]!.startsWith('{')) return { error: `invalid ~SEQ definition '${line}'` };
  const hex = m[1] === 'x';
  const nums = expand(m[3]!).split(',').map(parseLong);
  if (nums.length > 3 || nums.some((n) => n === null)) return { error: `invalid ~SEQ definition '${line}'` };
  const [one, two, three] = nums as number[];
  let start: number;
  let step: number;
  let end: number;
  if (nums.length === 1) {
    end = one!;
    step = end < 1 ? -1 : 1;
    start = end < 0 ? -1 : 1;
  } else if (nums.length === 2) {
    start = one!;
    end = two!;
    step = start <= end ? 1 : -1;
  } else {
    start = one!;
    step = two!;
    end = three!;
    if (step === 0 || (start < end && step < 0) || (start > end && step > 0)) {
      return { error: `invalid ~SEQ values '${line}'` };
    }
  }
  if (hex && (start < 0 || end < 0)) return { error: `~SEQx is only valid for positive numbers '${line}'` };
  const count = Math.floor((end - start) / step) + 1;
  if (count > MAX_ROUNDS) return { error: `~SEQ would generate ${count} lines, more than ${MAX_ROUNDS}` };
  const rounds: string[][] = [];
  for (let v = start; step > 0 ? v <= end : v >= end; v += step)
    rounds.push([hex ? v.toString(16) : String(v)]);
  return { gen: { names: [m[2]!], rounds, next: 0, text: m[4]! } };
}

/** Splits `a, {b, c}, d` at top-level commas into items, braces marking a set. */
function items(s: string): { set: boolean; values: string[] }[] | null {
  const out: { set: boolean; values: string[] }[] = [];
  let i = 0;
  const skip = (): void => {
    while (s[i] === ' ' || s[i] === '\t') i++;
  };
  for (;;) {
    skip();
    if (s[i] === '{') {
      const close = s.indexOf('}', i);
      if (close < 0) return null;
      out.push({
        set: true,
        values: s
          .slice(i + 1, close)
          .split(',')
          .map((v) => v.trim()),
      });
      i = close + 1;
    } else {
      let j = i;
      while (j < s.length && s[j] !== ',') j++;
      out.push({ set: false, values: [s.slice(i, j).trim()] });
      i = j;
    }
    skip();
    if (i >= s.length) return out;
    if (s[i] !== ',') return null;
    i++;
  }
}

export function parseLst(line: string): GeneratorParse {
  const m = /^~LST[ \t]*\((.*?)\)[ \t]*(.*)$/.exec(line);
  const parts = m ? items(m[1]!) : null;
  if (!m || !parts || parts.length < 2) return { error: `invalid ~LST specification '${line}'` };
  const names = parts[0]!.values;
  if (names.some((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)))
    return { error: `invalid ~LST specification '${line}'` };
  const rounds: string[][] = [];
  for (const p of parts.slice(1)) {
    if (p.values.length > names.length) return { error: `~LST specification has too many values '${line}'` };
    rounds.push(names.map((_, i) => p.values[i] ?? ''));
  }
  return { gen: { names, rounds, next: 0, text: m[2]! } };
}
