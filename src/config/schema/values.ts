// Reading keyword values with errors that name the keyword, the value and the accepted range.
import { isIP } from 'node:net';
import type { Loc, Stmt, Token } from '../ast.js';
import { splitArgv } from '../argv.js';
import type { IpPrefix, Notify } from '../model.js';
import type { Ctx } from './block.js';

export function arg(s: Stmt, i: number, ctx: Ctx, what = 'a value'): Token | undefined {
  const t = s.args[i];
  if (!t) ctx.error(`'${s.keyword.text}' needs ${what}`, s.keyword.loc);
  return t;
}

function describeRange(min: number, max: number): string {
  return `from ${min} to ${max}`;
}

/** An integer in [min, max] from argument i. */
export function int(s: Stmt, ctx: Ctx, min: number, max: number, i = 0): number | undefined {
  const t = arg(s, i, ctx, `a number ${describeRange(min, max)}`);
  if (!t) return undefined;
  return intText(t, s.keyword.text, ctx, min, max);
}

/** keepalived.conf has no statement terminator; a copied ';' is a common slip. */
export function semicolonHint(value: string): string {
  return value.endsWith(';') ? " (remove the ';': keepalived.conf lines take none)" : '';
}

export function intText(t: Token, keyword: string, ctx: Ctx, min: number, max: number): number | undefined {
  if (!/^[+-]?\d+$/.test(t.text)) {
    ctx.error(
      `${keyword} must be a whole number ${describeRange(min, max)}, not '${t.text}'${semicolonHint(t.text)}`,
      t.loc,
    );
    return undefined;
  }
  const v = Number(t.text);
  if (v < min || v > max) {
    ctx.error(`${keyword} ${t.text} is out of range: it must be ${describeRange(min, max)}`, t.loc);
    return undefined;
  }
  return v;
}

/** A decimal number of seconds (`1`, `0.5`) in [min, max]. */
export function seconds(s: Stmt, ctx: Ctx, min: number, max: number, i = 0): number | undefined {
  const t = arg(s, i, ctx, `a time in seconds ${describeRange(min, max)}`);
  if (!t) return undefined;
  if (!/^\d+(\.\d+)?$/.test(t.text)) {
    ctx.error(
      `${s.keyword.text} must be a number of seconds ${describeRange(min, max)}, not '${t.text}'${semicolonHint(t.text)}`,
      t.loc,
    );
    return undefined;
  }
  const v = Number(t.text);
  if (v < min || v > max) {
    ctx.error(
      `${s.keyword.text} ${t.text} is out of range: it must be ${describeRange(min, max)} seconds`,
      t.loc,
    );
    return undefined;
  }
  return v;
}

export function text(s: Stmt, ctx: Ctx, i = 0): string | undefined {
  return arg(s, i, ctx)?.text;
}

/** A flag keyword: true when written alone; `on/off`, `true/false`, `yes/no` also accepted. */
export function flag(s: Stmt, ctx: Ctx): boolean {
  const t = s.args[0];
  if (!t) return true;
  const v = t.text.toLowerCase();
  if (['on', 'true', 'yes', 'enable', 'enabled'].includes(v)) return true;
  if (['off', 'false', 'no', 'disable', 'disabled'].includes(v)) return false;
  ctx.error(`${s.keyword.text} takes no value or one of on/off, true/false, yes/no, not '${t.text}'`, t.loc);
  return true;
}

export function parseIp(textValue: string): IpPrefix | null {
  const [addr, prefix, ...rest] = textValue.split('/');
  if (rest.length > 0 || addr === undefined) return null;
  const family = isIP(addr);
  if (family !== 4 && family !== 6) return null;
  if (prefix === undefined) return { address: addr, family };
  if (!/^\d+$/.test(prefix)) return null;
  const p = Number(prefix);
  if (p > (family === 4 ? 32 : 128)) return null;
  return { address: addr, family, prefix: p };
}

/** An IP address (no prefix) from a token, with an error naming it. */
export function ipToken(t: Token, keyword: string, ctx: Ctx): IpPrefix | undefined {
  const ip = parseIp(t.text);
  if (!ip || ip.prefix !== undefined) {
    ctx.error(`${keyword}: '${t.text}' is not an IP address`, t.loc);
    return undefined;
  }
  return ip;
}

export function ip(s: Stmt, ctx: Ctx, i = 0): IpPrefix | undefined {
  const t = arg(s, i, ctx, 'an IP address');
  return t ? ipToken(t, s.keyword.text, ctx) : undefined;
}

export function port(t: Token, keyword: string, ctx: Ctx): number | undefined {
  return intText(t, `${keyword} port`, ctx, 0, 65535);
}

/** The rest of the line after the keyword, split like a shell (script, notify*, misc_path …). */
export function command(s: Stmt, ctx: Ctx): Notify | undefined {
  const rest = s.raw.slice(s.raw.indexOf(s.keyword.text) + s.keyword.text.length);
  const r = splitArgv(rest);
  if ('error' in r) {
    ctx.error(`${s.keyword.text}: ${r.error}`, s.keyword.loc);
    return undefined;
  }
  if (r.argv.length === 0) {
    ctx.error(`'${s.keyword.text}' needs a command`, s.keyword.loc);
    return undefined;
  }
  // keepalived accepts the whole command in one quoted string: "cmd arg arg".
  const argv = r.argv.length === 1 && /\s/.test(r.argv[0]!) ? splitWords(r.argv[0]!) : r.argv;
  return { argv, loc: s.keyword.loc };
}

/**
 * A notify-style script line as keepalived reads it (notify_script_init): the first word is the
 * command (a quoted "cmd arg arg" is split again), the words after it are `USER [GROUP]` to run
 * it as. notify*, notify_up/down, quorum_up/down, *_fifo_script, startup/shutdown_script.
 */
export function notifyCommand(s: Stmt, ctx: Ctx): Notify | undefined {
  const rest = s.raw.slice(s.raw.indexOf(s.keyword.text) + s.keyword.text.length);
  const r = splitArgv(rest);
  if ('error' in r) {
    ctx.error(`${s.keyword.text}: ${r.error}`, s.keyword.loc);
    return undefined;
  }
  const [cmd, user, group, ...extra] = r.argv;
  if (cmd === undefined) {
    ctx.error(`'${s.keyword.text}' needs a command`, s.keyword.loc);
    return undefined;
  }
  const n: Notify = { argv: /\s/.test(cmd) ? splitWords(cmd) : [cmd], loc: s.keyword.loc };
  if (user !== undefined) n.user = group !== undefined ? { user, group } : { user };
  if (extra.length)
    ctx.warn(
      `${s.keyword.text}: '${extra.join(' ')}' ignored: after the script come only USER [GROUP] (quote the script with its arguments: "${[cmd, user, group, ...extra].join(' ')}")`,
      s.keyword.loc,
    );
  return n;
}

function splitWords(x: string): string[] {
  const r = splitArgv(x);
  return 'error' in r ? [x] : r.argv;
}

/** `user USERNAME [GROUPNAME]`. */
export function userGroup(s: Stmt, ctx: Ctx): { user: string; group?: string } | undefined {
  const u = arg(s, 0, ctx, 'a user name');
  if (!u) return undefined;
  const g = s.args[1]?.text;
  return g ? { user: u.text, group: g } : { user: u.text };
}

export function locOf(s: Stmt): Loc {
  return s.keyword.loc;
}
