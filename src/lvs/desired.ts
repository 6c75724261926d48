// The services to program: the configuration's virtual servers with the real servers health
// allows (removed when down, weight 0 when inhibit_on_failure), the sorry server when quorum is
// lost, and runtime weight overrides. Pure: the checker process feeds it health.
import type { DestSpec, Forwarding, ServiceKey, ServiceState } from '../dataplane/engine.js';
import type { Config, LbKind, RealServer, Tunnel, VirtualServer } from '../config/model.js';
import { rangeAddresses } from '../config/group-range.js';
import { evaluateQuorum, type QuorumResult } from './quorum.js';
import { effectiveDests } from './sorry.js';
import type { RsHealth } from '../check/runner.js';

const FORWARDING: Record<LbKind, Forwarding> = { NAT: 'nat', DR: 'dr', TUN: 'tun', FULLNAT: 'fullnat' };

/** A real server's tunnel settings for the engine (TUN only; ipip without options adds nothing). */
function tunnelSpec(t: Tunnel | undefined, kind: LbKind): Partial<DestSpec> {
  if (kind !== 'TUN' || !t) return {};
  return {
    tunnelType: t.type,
    ...(t.port !== undefined ? { tunnelPort: t.port } : {}),
    ...(t.csum !== 'nocsum' ? { tunnelCsum: t.csum } : {}),
  };
}

/** The service keys one virtual_server stands for (a group expands to its members). */
export function serviceKeys(vs: VirtualServer, c: Config): ServiceKey[] {
  const proto = vs.protocol.toLowerCase() as 'tcp' | 'udp' | 'sctp';
  if (vs.key.kind === 'addr')
    return [
      { kind: 'addr', family: vs.key.family, address: vs.key.address, port: vs.key.port, protocol: proto },
    ];
  if (vs.key.kind === 'fwmark') return [{ kind: 'fwmark', family: vs.ipFamily ?? 4, fwmark: vs.key.fwmark }];
  const name = vs.key.group;
  const g = c.virtualServerGroups.find((x) => x.name === name);
  const keys: ServiceKey[] = [];
  for (const m of g?.members ?? []) {
    if (m.kind === 'fwmark') {
      keys.push({ kind: 'fwmark', family: vs.ipFamily ?? 4, fwmark: m.fwmark });
      continue;
    }
    for (const address of rangeAddresses(m.address, m.last, m.family))
      keys.push({ kind: 'addr', family: m.family, address, port: m.port ?? 0, protocol: proto });
  }
  return keys;
}

/**
 * An operator's runtime change to one real server (the API): a weight, drained (weight 0, its
 * connections kept), disabled (out of the table). Laid over the configuration and the checks.
 */
export interface RsOverride {
  weight?: number;
  drained?: boolean;
  disabled?: boolean;
}

export interface DesiredOptions {
  health: (vs: VirtualServer, rs: RealServer) => RsHealth;
  override?: (vs: VirtualServer, rs: RealServer) => RsOverride | undefined;
  /** Quorum state per virtual server label, carried between evaluations for hysteresis. */
  quorumUp: Map<string, boolean>;
  /** Told when a virtual server's quorum changes (`init`: on its first evaluation, from up). */
  onQuorum?: (vs: VirtualServer, q: QuorumResult, init: boolean) => void;
}

export function desiredServices(c: Config, o: DesiredOptions): ServiceState[] {
  const out: ServiceState[] = [];
  for (const vs of c.virtualServers) {
    const real: DestSpec[] = [];
    const alive: number[] = [];
    for (const rs of vs.realServers) {
      const h = o.health(vs, rs);
      const ov = o.override?.(vs, rs);
      // A disabled server is out as a failed one is (it counts against quorum), but it stays out
      // even under inhibit_on_failure: the operator asked for it to leave.
      if (ov?.disabled) continue;
      const weight = ov?.drained ? 0 : (ov?.weight ?? h.weight ?? rs.weight);
      if (h.alive) alive.push(weight);
      const inhibit = rs.inhibitOnFailure ?? vs.inhibitOnFailure;
      if (!h.alive && !inhibit) continue;
      real.push({
        address: rs.address,
        port: rs.port ?? 0,
        forwarding: FORWARDING[rs.lvsMethod ?? vs.lbKind],
        ...tunnelSpec(rs.lvsMethod ? rs.tunnel : vs.tunnel, rs.lvsMethod ?? vs.lbKind),
        weight: h.alive ? weight : 0,
        upperThreshold: rs.uthreshold ?? 0,
        lowerThreshold: rs.lthreshold ?? 0,
      });
    }
    const was = o.quorumUp.get(vs.label);
    const q = evaluateQuorum({
      aliveWeights: alive,
      quorum: vs.quorum,
      hysteresis: vs.hysteresis,
      wasUp: was ?? true,
    });
    o.quorumUp.set(vs.label, q.up);
    if (q.changed) o.onQuorum?.(vs, q, was === undefined);
    const sorry: DestSpec | undefined = vs.sorryServer
      ? {
          address: vs.sorryServer.address,
          port: vs.sorryServer.port ?? (vs.key.kind === 'addr' ? vs.key.port : 0),
          forwarding: FORWARDING[vs.sorryServerLvsMethod ?? vs.lbKind],
          weight: 1,
          upperThreshold: 0,
          lowerThreshold: 0,
        }
      : undefined;
    const dests = effectiveDests({
      real,
      ...(sorry ? { sorry } : {}),
      quorumUp: q.up,
      inhibit: vs.sorryServerInhibit,
    });
    for (const key of serviceKeys(vs, c)) {
      out.push({
        key,
        scheduler: vs.lbAlgo,
        ...(vs.persistenceTimeout !== undefined ? { persistenceTimeout: vs.persistenceTimeout } : {}),
        ...(vs.persistenceGranularity !== undefined ? { persistenceNetmask: vs.persistenceGranularity } : {}),
        flags: {
          ops: vs.ops,
          fallback: vs.flags.shFallback || vs.flags.mhFallback,
          port: vs.flags.shPort || vs.flags.mhPort,
        },
        dests: dests.map((d) => ({ ...d })),
      });
    }
  }
  return out;
}
