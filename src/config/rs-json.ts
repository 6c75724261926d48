// The API's JSON for a runtime-added real server (PUT …/real-servers/{rs}) read as the
// configuration's own `real_server ADDR PORT { … }` block: the JSON is written out as config text
// and read by the schema (src/config/schema/lvs.ts, checkers.ts) and checkRealServer, so keywords,
// defaults, ranges and messages are the configuration's. Each line of that text remembers the JSON
// field it came from, so a message names the field, never a line of a file nobody wrote. Pure.
import type { Diagnostic, Loc } from './ast.js';
import type { Config, RealServer, VirtualServer } from './model.js';
import { parseText } from './parse.js';
import { readRealServer } from './schema/lvs.js';
import { checkRealServer } from './validate.js';

/** A field's path in the body: `weight`, `HTTP_GET.url[1].status_code`; '' is the body itself. */
export type FieldError = { field: string; error: string };

/** Config text and, per line (index = line - 1), the JSON field it was written from. */
export interface RsText {
  text: string;
  fields: string[];
}

/**
 * Keywords that run a program: refused through the API, since whoever can reach it (anyone on the
 * host when it listens on loopback without a token) would run commands as vigil's user, root.
 */
const SCRIPTS: Record<string, string> = {
  notify_up: 'runs a script',
  notify_down: 'runs a script',
  MISC_CHECK: 'runs a script',
};

const KEYWORD = /^[A-Za-z][A-Za-z0-9_-]*$/;
/** What could end the line, open or close a block, or comment the rest out in config text. */
const UNSAFE = /[\n\r\0{}]/;

const SYNTHETIC = '<api>';

/** What the body is, for the message about one that is not a JSON object. */
export const RS_BODY_SHAPE = 'a JSON object of real_server keywords, e.g. {"weight": 2, "TCP_CHECK": {}}';

function child(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** The body as `real_server ADDR PORT { … }` text, or the first field that cannot be written. */
export function realServerText(address: string, port: number, body: unknown): RsText | FieldError {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return {
      field: '',
      error: `the body must be ${RS_BODY_SHAPE}`,
    };
  const lines: string[] = [`real_server ${address} ${port} {`];
  const fields: string[] = [''];
  const problem = writeBlock(body as Record<string, unknown>, '', 1, lines, fields, true);
  if (problem) return problem;
  lines.push('}');
  fields.push('');
  return { text: lines.join('\n') + '\n', fields };
}

function writeBlock(
  o: Record<string, unknown>,
  path: string,
  depth: number,
  lines: string[],
  fields: string[],
  top: boolean,
): FieldError | undefined {
  const pad = '  '.repeat(depth);
  for (const [key, value] of Object.entries(o)) {
    const field = child(path, key);
    if (!KEYWORD.test(key) || key === 'include')
      return { field, error: `"${key}" is not a real_server keyword` };
    if (top && SCRIPTS[key])
      return {
        field,
        error: `${key} ${SCRIPTS[key]}: scripts come from the configuration only, not through the API`,
      };
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0) return { field, error: 'an empty list: give one value or leave the field out' };
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const at = Array.isArray(value) ? `${field}[${i}]` : field;
      if (v !== null && typeof v === 'object') {
        if (Array.isArray(v)) return { field: at, error: 'a list inside a list' };
        lines.push(`${pad}${key} {`);
        fields.push(at);
        const p = writeBlock(v as Record<string, unknown>, at, depth + 1, lines, fields, false);
        if (p) return p;
        lines.push(`${pad}}`);
        fields.push(at);
        continue;
      }
      let text: string;
      if (v === true) text = '';
      else if (v === false) text = ' false';
      else if (typeof v === 'number') {
        if (!Number.isFinite(v)) return { field: at, error: `${String(v)} is not a number` };
        text = ` ${String(v)}`;
      } else if (typeof v === 'string') {
        if (UNSAFE.test(v) || v.endsWith('\\'))
          return { field: at, error: 'a value cannot hold a line break, { or }, nor end with \\' };
        text = v === '' ? '' : ` ${v}`;
      } else return { field: at, error: `null is not a value: leave the field out` };
      lines.push(`${pad}${key}${text}`);
      fields.push(at);
    }
  }
  return undefined;
}

/** The field a diagnostic's line was written from. */
function fieldAt(t: RsText, loc: Loc): string {
  return loc.file === SYNTHETIC ? (t.fields[loc.line - 1] ?? '') : '';
}

function describe(t: RsText, d: Diagnostic): FieldError {
  const field = fieldAt(t, d.loc);
  return { field, error: field ? `"${field}": ${d.message}` : d.message };
}

/**
 * The real server the body describes, read as the configuration would read it inside `vs`, or
 * the first problem with the field it comes from. Warnings refuse it too: the configuration would
 * run with them, but an API caller asked for exactly this and should hear what would not happen.
 */
export function readRealServerJson(
  config: Config,
  vs: VirtualServer,
  target: { address: string; port: number },
  body: unknown,
): { rs: RealServer } | FieldError {
  const t = realServerText(target.address, target.port, body);
  if ('error' in t) return t;
  const parsed = parseText(t.text, SYNTHETIC, { env: {}, configId: '' });
  const found: Diagnostic[] = [...parsed.diagnostics];
  const ctx = {
    error: (message: string, loc: Loc) => found.push({ severity: 'error', message, loc }),
    warn: (message: string, loc: Loc) => found.push({ severity: 'warning', message, loc }),
  };
  const stmt = parsed.stmts[0];
  const rs = stmt && found.length === 0 ? readRealServer(stmt, ctx) : undefined;
  if (rs && found.length === 0) checkRealServer(rs, vs, config, ctx);
  const first = found.find((d) => d.severity === 'error') ?? found[0];
  if (first) return describe(t, first);
  if (!rs) return { field: '', error: 'the body does not describe a real server' };
  return { rs };
}
