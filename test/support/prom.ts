// A strict reader of the Prometheus text format (0.0.4) for the API tests: every line is a
// comment (# HELP / # TYPE), blank, or `name{label="value",...} number`; anything else throws.
// Each sample's family must have had its # TYPE first.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parseMetrics(text: string): Sample[] {
  const types = new Map<string, string>();
  const out: Sample[] = [];
  text.split('\n').forEach((line, i) => {
    const where = `line ${i + 1} '${line}'`;
    if (line === '') return;
    if (line.startsWith('# HELP ')) return;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (!name || !new RegExp(`^${NAME}$`).test(name) || !TYPES.has(type ?? ''))
        throw new Error(`bad TYPE: ${where}`);
      if (types.has(name)) throw new Error(`TYPE twice: ${where}`);
      types.set(name, type!);
      return;
    }
    if (line.startsWith('#')) throw new Error(`unknown comment: ${where}`);
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample: ${where}`);
    const labels: Record<string, string> = {};
    let rest = m[2] ?? '';
    while (rest !== '') {
      const l = LABEL.exec(rest);
      if (!l) throw new Error(`bad labels: ${where}`);
      if (l[1]! in labels) throw new Error(`label twice: ${where}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(l[0].length);
    }
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value: ${where}`);
    const name = m[1]!;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    const type = types.get(family);
    if (!type) throw new Error(`sample before its TYPE: ${where}`);
    if (type === 'counter' && !name.endsWith('_total')) throw new Error(`counter without _total: ${where}`);
    if (type === 'counter' && value < 0) throw new Error(`negative counter: ${where}`);
    out.push({ name, labels, value });
  });
  return out;
}

/** The sample with exactly these labels. */
export function sample(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): Sample | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want);
}
