// The planner: desired state (config + health + runtime changes) against what the engine reports
// gives the smallest ordered change set. Deletes of real servers come before deletes of services,
// services are added before their real servers, and anything present on both sides is edited in
// place, so adopting what an earlier vigil programmed disturbs no live connection. Pure.
import type { Change, DestSpec, ServiceKey, ServiceSpec, ServiceState } from '../dataplane/engine.js';
import { destId, serviceId } from '../dataplane/keys.js';

export interface PlanOptions {
  /**
   * Which programmed services vigil may change (default: all). A service it rejects is never
   * touched, not even when `desired` names it: someone else owns it.
   */
  owned?: (key: ServiceKey) => boolean;
}

function sameService(a: ServiceSpec, b: ServiceSpec): boolean {
  const persistent = (s: ServiceSpec) => (s.persistenceTimeout ?? 0) > 0;
  return (
    a.scheduler === b.scheduler &&
    (a.persistenceTimeout ?? 0) === (b.persistenceTimeout ?? 0) &&
    // The granularity only matters on a persistent service.
    (!persistent(a) || (a.persistenceNetmask ?? '') === (b.persistenceNetmask ?? '')) &&
    !!a.flags.ops === !!b.flags.ops &&
    !!a.flags.fallback === !!b.flags.fallback &&
    !!a.flags.port === !!b.flags.port
  );
}

function sameDest(a: DestSpec, b: DestSpec): boolean {
  const tunnel = (d: DestSpec) =>
    d.forwarding === 'tun' ? `${d.tunnelType ?? 'ipip'}/${d.tunnelPort ?? 0}/${d.tunnelCsum ?? ''}` : '';
  return (
    a.forwarding === b.forwarding &&
    a.weight === b.weight &&
    a.upperThreshold === b.upperThreshold &&
    a.lowerThreshold === b.lowerThreshold &&
    tunnel(a) === tunnel(b)
  );
}

function specOf(s: ServiceState): ServiceSpec {
  const { dests: _dests, ...spec } = s;
  return spec;
}

function byId(states: readonly ServiceState[]): Map<string, ServiceState> {
  // Later entries win, so a desired list with repeats behaves like successive edits.
  return new Map(states.map((s) => [serviceId(s.key), s]));
}

function destsById(dests: readonly DestSpec[]): Map<string, DestSpec> {
  return new Map(dests.map((d) => [destId(d), d]));
}

export function plan(
  desired: readonly ServiceState[],
  actual: readonly ServiceState[],
  opts: PlanOptions = {},
): Change[] {
  const owned = opts.owned ?? (() => true);
  const want = byId(desired);
  const have = byId(actual);
  const delDests: Change[] = [];
  const delServices: Change[] = [];
  const editServices: Change[] = [];
  const addServices: Change[] = [];
  const editDests: Change[] = [];
  const addDests: Change[] = [];

  for (const [id, a] of have) {
    if (!want.has(id) && owned(a.key)) delServices.push({ op: 'del-service', key: a.key });
  }
  for (const [id, d] of want) {
    if (!owned(d.key)) continue;
    const a = have.get(id);
    const wantDests = destsById(d.dests);
    if (!a) {
      addServices.push({ op: 'add-service', service: specOf(d) });
      for (const dest of wantDests.values()) addDests.push({ op: 'add-dest', key: d.key, dest });
      continue;
    }
    if (!sameService(d, a)) editServices.push({ op: 'edit-service', service: specOf(d) });
    const haveDests = destsById(a.dests);
    for (const [did, dest] of haveDests) {
      if (!wantDests.has(did))
        delDests.push({ op: 'del-dest', key: d.key, address: dest.address, port: dest.port });
    }
    for (const [did, dest] of wantDests) {
      const cur = haveDests.get(did);
      if (!cur) addDests.push({ op: 'add-dest', key: d.key, dest });
      else if (!sameDest(dest, cur)) editDests.push({ op: 'edit-dest', key: d.key, dest });
    }
  }
  return [...delDests, ...delServices, ...editServices, ...addServices, ...editDests, ...addDests];
}

/**
 * Applies changes to a state as an engine would (a model for tests and for engines that keep
 * their table in memory). Rejects, naming the service or server, what IPVS would refuse.
 */
export function applyChanges(state: readonly ServiceState[], changes: readonly Change[]): ServiceState[] {
  const table = new Map(state.map((s) => [serviceId(s.key), { ...s, dests: [...s.dests] }]));
  const get = (key: ServiceKey): ServiceState => {
    const s = table.get(serviceId(key));
    if (!s) throw new Error(`no such service ${serviceId(key)}`);
    return s;
  };
  for (const c of changes) {
    switch (c.op) {
      case 'add-service': {
        const id = serviceId(c.service.key);
        if (table.has(id)) throw new Error(`service ${id} already exists`);
        table.set(id, { ...c.service, dests: [] });
        break;
      }
      case 'edit-service': {
        const s = get(c.service.key);
        table.set(serviceId(c.service.key), { ...c.service, dests: s.dests });
        break;
      }
      case 'del-service':
        get(c.key);
        table.delete(serviceId(c.key));
        break;
      case 'add-dest': {
        const s = get(c.key);
        if (s.dests.some((d) => destId(d) === destId(c.dest))) {
          throw new Error(`destination ${destId(c.dest)} already exists in service ${serviceId(c.key)}`);
        }
        s.dests.push({ ...c.dest });
        break;
      }
      case 'edit-dest':
      case 'del-dest': {
        const s = get(c.key);
        const id = c.op === 'edit-dest' ? destId(c.dest) : destId(c);
        const i = s.dests.findIndex((d) => destId(d) === id);
        if (i < 0) throw new Error(`no destination ${id} in service ${serviceId(c.key)}`);
        if (c.op === 'edit-dest') s.dests[i] = { ...c.dest };
        else s.dests.splice(i, 1);
        break;
      }
    }
  }
  return [...table.values()];
}
