// Virtual-server quorum (keepalived's `quorum`, `hysteresis`, `quorum_up`/`quorum_down`): the
// sum of the weights of the healthy real servers against the quorum, with hysteresis so the
// state flips up only at quorum + hysteresis and down only below quorum - hysteresis.

export interface QuorumInput {
  /** Weights of the real servers whose checks pass (and are not in maintenance). */
  aliveWeights: readonly number[];
  /** keepalived's `quorum` (default 1). */
  quorum: number;
  /** keepalived's `hysteresis` (default 0). */
  hysteresis: number;
  /** Whether quorum was up before this evaluation (keepalived starts with it up). */
  wasUp: boolean;
}

export interface QuorumResult {
  up: boolean;
  aliveWeight: number;
  /** The state changed: run quorum_up / quorum_down and switch to or from the sorry server. */
  changed: boolean;
  /** What aliveWeight was held against: quorum - hysteresis while up, quorum + hysteresis while down. */
  threshold: number;
}

export function evaluateQuorum(i: QuorumInput): QuorumResult {
  const aliveWeight = i.aliveWeights.reduce((s, w) => s + Math.max(0, w), 0);
  const threshold = i.wasUp ? i.quorum - i.hysteresis : i.quorum + i.hysteresis;
  const up = aliveWeight >= threshold;
  return { up, aliveWeight, changed: up !== i.wasUp, threshold };
}
