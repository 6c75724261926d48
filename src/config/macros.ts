// keepalived's configuration definitions: `$NAME=value` (multi-line with a trailing `\`),
// expanded lazily as `$NAME` or `${NAME}`, recursively, undefined names left untouched; plus the
// predefined ${_PWD}, ${_INSTANCE}, ${_RANDOM [min [max]]}, ${_ENV VAR}, ${_HASH}, ${_BANG}.

export interface Definition {
  name: string;
  /** Lines of the value; more than one for a multi-line definition. */
  lines: string[];
  multiline: boolean;
  /** Predefined definitions compute their value. */
  fn?: (params: string[]) => string | null;
  minParams: number;
  maxParams: number;
  numbersOnly: boolean;
}

export interface ExpandResult {
  text: string;
  /** Lines still to come from a multi-line definition used in this line. */
  more: string[];
  changed: boolean;
  error?: string;
}

/** An expansion that grows past this is a definition that refers to itself. */
const MAX_EXPANDED = 64 * 1024;
const MAX_REPLACEMENTS = 10_000;

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

export class Definitions {
  private readonly defs = new Map<string, Definition>();

  constructor(ctx: {
    pwd: () => string;
    instance: string;
    env: Record<string, string | undefined>;
    random?: () => number;
  }) {
    const random = ctx.random ?? Math.random;
    const std = (
      name: string,
      fn: (p: string[]) => string | null,
      min = 0,
      max = 0,
      numbersOnly = false,
    ): void => {
      this.defs.set(name, {
        name,
        lines: [''],
        multiline: false,
        fn,
        minParams: min,
        maxParams: max,
        numbersOnly,
      });
    };
    std('_PWD', () => ctx.pwd());
    std('_INSTANCE', () => ctx.instance);
    std(
      '_RANDOM',
      (p) => {
        const min = p.length > 0 ? Number(p[0]) : 0;
        let max = p.length > 1 ? Number(p[1]) : 32767;
        if (min > max) max = min;
        return String(Math.floor(random() * (max - min + 1)) + min);
      },
      0,
      2,
      true,
    );
    std('_ENV', (p) => ctx.env[p[0]!] ?? null, 1, 1);
    std('_HASH', () => '#');
    std('_BANG', () => '!');
  }

  set(name: string, value: string): void {
    this.defs.set(name, {
      name,
      lines: [value],
      multiline: false,
      minParams: 0,
      maxParams: 0,
      numbersOnly: false,
    });
  }

  /**
   * `$NAME=value` or `$NAME = value`: records the definition and returns it, or null when the
   * line is not a definition. A value ending in `\` starts a multi-line definition.
   */
  define(line: string): Definition | null {
    const m = /^\$([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(.*)$/.exec(line);
    if (!m) return null;
    let value = m[2]!;
    let multiline = false;
    if (value.endsWith('\\')) {
      multiline = true;
      value = value.slice(0, -1).replace(/[ \t]+$/, '');
    }
    const def: Definition = {
      name: m[1]!,
      lines: value === '' && multiline ? [] : [value],
      multiline,
      minParams: 0,
      maxParams: 0,
      numbersOnly: false,
    };
    this.defs.set(def.name, def);
    return def;
  }

  /** Appends a continuation line to a multi-line definition; returns false when it was the last. */
  continueDefinition(def: Definition, line: string): boolean {
    const more = line.endsWith('\\');
    const text = more ? line.slice(0, -1).replace(/[ \t]+$/, '') : line;
    if (text !== '') def.lines.push(text);
    if (!more && def.lines.length === 0) def.multiline = false;
    return more;
  }

  /**
   * Expands every `$NAME` / `${NAME}` / `${NAME params}` in `line`. Replacement text is scanned
   * again, so definitions may use definitions.
   */
  expand(line: string): ExpandResult {
    let text = line;
    let more: string[] = [];
    let changed = false;
    let pos = text.indexOf('$');
    let count = 0;
    while (pos >= 0 && pos + 1 < text.length) {
      const ref = this.reference(text, pos);
      if (!ref) {
        pos = text.indexOf('$', pos + 1);
        continue;
      }
      if ('error' in ref) return { text, more, changed, error: ref.error };
      const def = ref.def;
      let replacement: string;
      if (def.fn) {
        replacement = def.fn(ref.params) ?? '';
      } else if (def.multiline) {
        // The first line replaces the reference (always at the end of the line); the others follow.
        replacement = def.lines[0] ?? '';
        more = [...def.lines.slice(1), ...more];
      } else {
        replacement = def.lines[0] ?? '';
      }
      text = text.slice(0, pos) + replacement + text.slice(ref.end);
      changed = true;
      if (++count > MAX_REPLACEMENTS || text.length > MAX_EXPANDED) {
        return {
          text: line,
          more: [],
          changed: false,
          error: `definition $${def.name} expands without end (does it refer to itself?)`,
        };
      }
      // keepalived stops expanding once a replacement begins a ~SEQ/~LST generator.
      if (replacement.trimStart().startsWith('~')) break;
    }
    return { text, more, changed };
  }

  private reference(
    text: string,
    pos: number,
  ): { def: Definition; params: string[]; end: number } | { error: string } | null {
    let i = pos + 1;
    const braces = text[i] === '{';
    if (braces) i++;
    if (!NAME_START.test(text[i] ?? '')) return null;
    const nameStart = i;
    while (i < text.length && NAME_CHAR.test(text[i]!)) i++;
    const name = text.slice(nameStart, i);
    let params: string[] = [];
    if (braces) {
      const close = text.indexOf('}', i);
      if (close < 0) return null;
      const inner = text.slice(i, close);
      if (!/^[ \t]*([A-Za-z0-9_]+([ \t]+[A-Za-z0-9_]+)*)?$/.test(inner)) return null;
      if (inner !== '' && !/^[ \t]/.test(inner)) return null;
      params = inner.trim() === '' ? [] : inner.trim().split(/[ \t]+/);
      i = close + 1;
    } else {
      const next = text[i];
      if (next !== undefined && next !== ' ' && next !== '\t' && next !== ',' && next !== ')') return null;
    }
    const def = this.defs.get(name);
    if (!def) return null;
    // As in keepalived, a multi-line definition is only expanded at the end of a line.
    if (def.multiline && i !== text.length) return null;
    if (params.length > 0) {
      if (def.maxParams === 0) return null;
      if (def.numbersOnly && params.some((p) => !/^\d+$/.test(p))) {
        return { error: `definition ${name} takes numeric parameters only` };
      }
    }
    if (params.length < def.minParams || params.length > def.maxParams) {
      if (params.length === 0 && def.minParams > 0) {
        return { error: `definition ${name} needs between ${def.minParams} and ${def.maxParams} parameters` };
      }
      if (params.length > 0) {
        return {
          error: `definition ${name} takes between ${def.minParams} and ${def.maxParams} parameters, ${params.length} given`,
        };
      }
    }
    return { def, params, end: i };
  }
}
