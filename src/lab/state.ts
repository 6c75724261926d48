// Where a running `vigil lab up NAME` is recorded, so `status` and `down` work from any shell:
// /run/vigil/lab/NAME/state.json next to the directors' configs, logs and runtime dirs. /run is
// a tmpfs, so a reboot (which also ends the namespaces) forgets it.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { DirectorNode, LabService } from './scenarios.js';

export const LAB_ROOT = '/run/vigil/lab';

export interface LabState {
  name: string;
  /** The lab's namespace prefix (vg…). */
  id: string;
  summary: string;
  startedAt: string;
  advertInt: number;
  engine: string;
  /** The data plane the directors chose, and why (`vigil run`'s own words), when it answered. */
  dataPlane?: string;
  /** Node name -> its addresses (CIDR). */
  nodes: Record<string, string[]>;
  directors: Record<DirectorNode, { pid: number; dir: string; conf: string; log: string }>;
  masters: Record<string, DirectorNode>;
  services: LabService[];
  /** Dashboard URLs per director (when the daemon serves its API). */
  dashboards: Partial<Record<DirectorNode, string>>;
  /** The host-side dashboard relays (src/lab/dashboard-forward.ts), stopped by `down`. */
  relayPids?: number[];
}

export const labDir = (name: string): string => join(LAB_ROOT, name);
const stateFile = (name: string): string => join(labDir(name), 'state.json');

export function writeLabState(s: LabState): void {
  const f = stateFile(s.name);
  writeFileSync(`${f}.tmp`, JSON.stringify(s, null, 2) + '\n');
  renameSync(`${f}.tmp`, f);
}

/** The recorded state, null when none; throws a one-line error when the file is not one. */
export function readLabState(name: string): LabState | null {
  const f = stateFile(name);
  let text: string;
  try {
    text = readFileSync(f, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${f}: ${(e as Error).message}`);
  }
  let s: unknown;
  try {
    s = JSON.parse(text);
  } catch {
    throw new Error(`${f}: not JSON; remove ${labDir(name)} by hand if no lab is running`);
  }
  const o = s as Partial<LabState>;
  if (typeof o !== 'object' || o === null || o.name !== name || typeof o.id !== 'string' || !o.directors)
    throw new Error(`${f}: not a vigil lab state file`);
  return o as LabState;
}
