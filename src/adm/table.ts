// An ipvsadm command applied to a service table, checked the way the kernel checks it: the
// changes to hand the engine, or the error ipvsadm prints (libipvs's ipvs_strerror wording) with
// nothing changed. -R applies all its lines or none. Pure.
import type { Change, ServiceKey } from '../dataplane/engine.js';
import { applyChanges } from '../lvs/plan.js';
import { destId, serviceId } from '../dataplane/keys.js';
import type { AdmCommand } from './args.js';
import type { AdmDest, AdmService, AdmServiceState, AdmTable } from './types.js';

/** Schedulers vigil's engines implement (IPVS's names). */
export const SCHEDULERS = new Set([
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'sed',
  'nq',
  'fo',
  'ovf',
  'mh',
  'twos',
]);
/** Persistence engines the kernel offers (ip_vs_pe_sip). */
export const PERSISTENCE_ENGINES = new Set(['sip']);

/** ipvsadm exits 255 when the kernel refuses a command. */
export const KERNEL_ERROR_EXIT = 255;

export type TableResult = { changes: Change[] } | { error: string; exitCode: number };

const E = {
  exists: 'Service already exists',
  noSched: 'Scheduler or persistence engine not found',
  noService: 'No such service',
  notDefined: 'Service not defined',
  destExists: 'Destination already exists',
  noDest: 'No such destination',
  range: 'Numerical result out of range',
};

function err(error: string): TableResult {
  return { error, exitCode: KERNEL_ERROR_EXIT };
}

function find(table: AdmTable, key: ServiceKey): AdmServiceState | undefined {
  const id = serviceId(key);
  return table.find((s) => serviceId(s.key) === id) as AdmServiceState | undefined;
}

function checkService(s: AdmService): string | undefined {
  if (!SCHEDULERS.has(s.scheduler)) return E.noSched;
  if (s.pe !== undefined && !PERSISTENCE_ENGINES.has(s.pe)) return E.noSched;
  return undefined;
}

function checkDest(d: AdmDest): string | undefined {
  // The kernel compares even when the upper threshold is 0 (no limit).
  if (d.lowerThreshold > d.upperThreshold) return E.range;
  return undefined;
}

/** Whether a command changes the table (the others read it or act elsewhere). */
export function isTableCommand(cmd: AdmCommand): boolean {
  return [
    'add-service',
    'edit-service',
    'delete-service',
    'flush',
    'add-server',
    'edit-server',
    'delete-server',
    'restore',
  ].includes(cmd.cmd);
}

/** The changes one table command makes, or ipvsadm's error. Non-table commands change nothing. */
export function applyAdm(table: AdmTable, cmd: AdmCommand): TableResult {
  switch (cmd.cmd) {
    case 'add-service': {
      if (find(table, cmd.service.key)) return err(E.exists);
      const bad = checkService(cmd.service);
      if (bad) return err(bad);
      return { changes: [{ op: 'add-service', service: cmd.service }] };
    }
    case 'edit-service': {
      if (!find(table, cmd.service.key)) return err(E.noService);
      const bad = checkService(cmd.service);
      if (bad) return err(bad);
      return { changes: [{ op: 'edit-service', service: cmd.service }] };
    }
    case 'delete-service':
      if (!find(table, cmd.key)) return err(E.noService);
      return { changes: [{ op: 'del-service', key: cmd.key }] };
    case 'flush':
      return {
        changes: [
          ...table.flatMap((s) =>
            s.dests.map((d): Change => ({ op: 'del-dest', key: s.key, address: d.address, port: d.port })),
          ),
          ...table.map((s): Change => ({ op: 'del-service', key: s.key })),
        ],
      };
    case 'add-server':
    case 'edit-server': {
      const s = find(table, cmd.key);
      if (!s) return err(E.notDefined);
      const bad = checkDest(cmd.dest);
      if (bad) return err(bad);
      const present = s.dests.some((d) => destId(d) === destId(cmd.dest));
      if (cmd.cmd === 'add-server') {
        if (present) return err(E.destExists);
        return { changes: [{ op: 'add-dest', key: s.key, dest: cmd.dest }] };
      }
      if (!present) return err(E.noDest);
      return { changes: [{ op: 'edit-dest', key: s.key, dest: cmd.dest }] };
    }
    case 'delete-server': {
      const s = find(table, cmd.key);
      if (!s) return err(E.notDefined);
      if (!s.dests.some((d) => destId(d) === destId(cmd))) return err(E.noDest);
      return { changes: [{ op: 'del-dest', key: s.key, address: cmd.address, port: cmd.port }] };
    }
    case 'restore': {
      let state: AdmTable = table;
      const changes: Change[] = [];
      for (const [i, c] of cmd.commands.entries()) {
        if (!isTableCommand(c)) continue;
        const r = applyAdm(state, c);
        if ('error' in r) {
          const line = cmd.lines?.[i];
          const where = line !== undefined ? `line ${line} of the restore input` : `restore command ${i + 1}`;
          return { ...r, error: `${r.error}\n(${where}; nothing was changed)` };
        }
        state = applyChanges(state, r.changes) as AdmTable;
        changes.push(...r.changes);
      }
      return { changes };
    }
    default:
      return { changes: [] };
  }
}

/** Applies an ipvsadm command to an in-memory table: the new table, or the error. */
export function applyAdmToTable(
  table: AdmTable,
  cmd: AdmCommand,
): { table: AdmTable; changes: Change[] } | { error: string; exitCode: number } {
  const r = applyAdm(table, cmd);
  if ('error' in r) return r;
  return { table: applyChanges(table, r.changes) as AdmTable, changes: r.changes };
}
