// The rise/fall counter of a vrrp_script, as keepalived keeps it (vrrp_scheduler.c
// vrrp_script_child_thread). Pure: the runner reports each exit; this says when the script's
// state flips. `result` runs 0..rise+fall-1: below `rise` the script is down, from it up.

export interface ScriptParams {
  /** `rise`: successes needed to go up (default 1). */
  rise: number;
  /** `fall`: failures needed to go down (default 1). */
  fall: number;
  /** `init_fail`: start as failed instead of "no result yet". */
  initFail?: boolean;
}

export interface ScriptState {
  result: number;
  /** 'init': no result yet (the first result decides); 'failed': init_fail; 'done' afterwards. */
  phase: 'init' | 'failed' | 'done';
}

/** Up, down, or null while no result has come in (phase 'init'). */
export type ScriptStatus = boolean | null;

export function initialScriptState(p: ScriptParams): ScriptState {
  // keepalived: one success is enough to come up from init; init_fail must rise from 0.
  return p.initFail ? { result: 0, phase: 'failed' } : { result: Math.max(0, p.rise - 1), phase: 'init' };
}

export function scriptStatus(p: ScriptParams, s: ScriptState): ScriptStatus {
  if (s.phase === 'init') return null;
  return s.result >= p.rise;
}

/**
 * One exit of the script (success = exit status 0; a timeout or signal is a failure).
 * Returns the new state and the status when it changed (else null).
 */
export function scriptExited(
  p: ScriptParams,
  s: ScriptState,
  success: boolean,
): { state: ScriptState; changed: ScriptStatus | null } {
  const top = p.rise + p.fall - 1;
  let result = s.result;
  let changed: boolean | null = null;
  if (success) {
    if (result < p.rise - 1) result++;
    else if (result !== top) {
      if (result < p.rise) changed = true; // i.e. result was rise - 1
      result = top;
    }
  } else if (result > p.rise) result--;
  else {
    // Down when it was just up, or when the first result is a failure.
    if (result === p.rise || s.phase === 'init') changed = false;
    result = 0;
  }
  return { state: { result, phase: 'done' }, changed };
}
