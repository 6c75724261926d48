// The signals keepalived 2.2.7 handles, for vigil's processes. Parent: SIGHUP reload, SIGTERM /
// SIGINT stop, SIGUSR1 data dump (all processes), SIGUSR2 / SIGSTATS_CLEAR / SIGJSON to the VRRP
// process only (core/main.c propagate_signal). Each child also answers these when signalled
// directly, as keepalived's children do. No signal keepalived handles may end a vigil process.
import { onSignal, rtRange, sigfuncNumber } from '../os/signals.js';

/** The dump signals by keepalived's SIGFUNC name. */
export type DumpSignal = 'DATA' | 'STATS' | 'STATS_CLEAR' | 'JSON';

export const DUMP_SIGNALS: readonly DumpSignal[] = ['DATA', 'STATS', 'STATS_CLEAR', 'JSON'];

export function isDumpSignal(v: unknown): v is DumpSignal {
  return typeof v === 'string' && (DUMP_SIGNALS as readonly string[]).includes(v);
}

/**
 * Calls fn for each dump signal. SIGUSR1/SIGUSR2 go through process.on; the real-time ones
 * through the native addon (their default action is to end the process). Returns what could not
 * be listened for (the addon missing), for the caller to log.
 */
export function listenDumpSignals(fn: (s: DumpSignal) => void): string | null {
  process.on('SIGUSR1', () => fn('DATA'));
  process.on('SIGUSR2', () => fn('STATS'));
  try {
    const rt = rtRange();
    onSignal(sigfuncNumber('JSON', rt), () => fn('JSON'));
    onSignal(sigfuncNumber('STATS_CLEAR', rt), () => fn('STATS_CLEAR'));
    return null;
  } catch (e) {
    return `SIGJSON and SIGSTATS_CLEAR cannot be handled (${(e as Error).message}): they would end the process`;
  }
}
