// Sorry server (keepalived's `sorry_server`): it takes the service only while no real server can,
// i.e. quorum is lost. keepalived removes the real servers' entries then and programs the sorry
// server alone (weight 1), and `inhibit_on_failure` keeps failed servers at weight 0 instead.
// `sorry_server_inhibit` keeps the sorry server in the table at weight 0 while it is not needed
// (enabled, not added, when quorum is lost), unless a real server has its address and port.
import type { DestSpec } from '../dataplane/engine.js';

export interface SorryInput {
  /** Real servers as health makes them (failed ones removed or at weight 0 when inhibited). */
  real: readonly DestSpec[];
  sorry?: DestSpec;
  quorumUp: boolean;
  /** sorry_server_inhibit */
  inhibit?: boolean;
}

/** The destinations to program for a service. */
export function effectiveDests(i: SorryInput): DestSpec[] {
  if (!i.sorry) return [...i.real];
  if (i.quorumUp) {
    const s = i.sorry;
    const duplicate = i.real.some((d) => d.address === s.address && d.port === s.port);
    return i.inhibit && !duplicate ? [...i.real, { ...s, weight: 0 }] : [...i.real];
  }
  return [{ ...i.sorry, weight: i.sorry.weight > 0 ? i.sorry.weight : 1 }];
}
