// The daemon's check of an `adm` control request: the JSON must be an AdmCommand before it may
// touch the table. Answers the command or a message naming what is wrong.
import type { AdmCommand } from './args.js';

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown, min: number, max: number) =>
  typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;

function keyError(k: unknown, where: string): string | undefined {
  if (!isObj(k)) return `${where}: missing service key`;
  if (k.family !== 4 && k.family !== 6) return `${where}: family must be 4 or 6`;
  if (k.kind === 'fwmark') return isInt(k.fwmark, 1, 0xffffffff) ? undefined : `${where}: bad fwmark`;
  if (k.kind !== 'addr') return `${where}: key kind must be addr or fwmark`;
  if (typeof k.address !== 'string' || k.address === '') return `${where}: bad address`;
  if (!isInt(k.port, 0, 65535)) return `${where}: bad port`;
  if (!['tcp', 'udp', 'sctp'].includes(k.protocol as string)) return `${where}: bad protocol`;
  return undefined;
}

function destError(d: unknown, where: string): string | undefined {
  if (!isObj(d)) return `${where}: missing real server`;
  if (typeof d.address !== 'string' || d.address === '') return `${where}: bad real server address`;
  if (!isInt(d.port, 0, 65535)) return `${where}: bad real server port`;
  if (!['nat', 'dr', 'tun', 'fullnat'].includes(d.forwarding as string)) return `${where}: bad forwarding`;
  for (const f of ['weight', 'upperThreshold', 'lowerThreshold'])
    if (!isInt(d[f], 0, 2147483647)) return `${where}: bad ${f}`;
  return undefined;
}

function commandError(c: unknown, where: string): string | undefined {
  if (!isObj(c) || typeof c.cmd !== 'string') return `${where}: missing "cmd"`;
  switch (c.cmd) {
    case 'list':
      if (!['services', 'connections', 'timeout', 'daemon'].includes(c.view as string))
        return `${where}: bad view`;
      if (!isObj(c.format)) return `${where}: missing format`;
      return c.key === undefined ? undefined : keyError(c.key, where);
    case 'save':
    case 'flush':
    case 'help':
    case 'version':
      return undefined;
    case 'restore': {
      if (!Array.isArray(c.commands)) return `${where}: restore needs "commands"`;
      if (c.lines !== undefined && !(Array.isArray(c.lines) && c.lines.every((n) => isInt(n, 1, 2 ** 31))))
        return `${where}: bad restore "lines"`;
      for (const [i, x] of c.commands.entries()) {
        const e = commandError(x, `${where} command ${i + 1}`);
        if (e) return e;
      }
      return undefined;
    }
    case 'add-service':
    case 'edit-service': {
      const s = c.service;
      if (!isObj(s)) return `${where}: missing service`;
      if (typeof s.scheduler !== 'string') return `${where}: bad scheduler`;
      if (!isObj(s.flags)) return `${where}: missing flags`;
      if (s.persistenceTimeout !== undefined && !isInt(s.persistenceTimeout, 1, 86400 * 31))
        return `${where}: bad persistence timeout`;
      return keyError(s.key, where);
    }
    case 'delete-service':
      return keyError(c.key, where);
    case 'zero':
      return c.key === undefined ? undefined : keyError(c.key, where);
    case 'add-server':
    case 'edit-server':
      return keyError(c.key, where) ?? destError(c.dest, where);
    case 'delete-server':
      return (
        keyError(c.key, where) ??
        destError({ ...c, forwarding: 'dr', weight: 0, upperThreshold: 0, lowerThreshold: 0 }, where)
      );
    case 'set-timeout':
      return ['tcp', 'tcpfin', 'udp'].every((k) => isInt(c[k], 0, 86400 * 31))
        ? undefined
        : `${where}: bad timeouts`;
    case 'start-daemon': {
      const d = c.daemon;
      if (!isObj(d) || (d.state !== 'master' && d.state !== 'backup')) return `${where}: bad daemon state`;
      return typeof d.mcastInterface === 'string' && isInt(d.syncid, 0, 255)
        ? undefined
        : `${where}: bad daemon`;
    }
    case 'stop-daemon':
      return c.state === 'master' || c.state === 'backup' ? undefined : `${where}: bad daemon state`;
    default:
      return `${where}: unknown command '${c.cmd}'`;
  }
}

/** Validates the `args` of a `{cmd: 'adm'}` control request. */
export function checkAdmRequest(args: unknown): { command: AdmCommand } | { error: string } {
  const e = commandError(args, 'adm request');
  return e ? { error: e } : { command: args as AdmCommand };
}
