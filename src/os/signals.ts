// keepalived's signals by number, and a way to listen for any of them. Node's process.on() knows
// only the named signals; keepalived's SIGJSON (SIGRTMIN+2) and SIGSTATS_CLEAR (SIGRTMAX-1) are
// real-time signals whose default action ends the process, so they go through the native addon.
import { constants } from 'node:os';
import { native } from './native.js';

/** The C library's real-time range (glibc: 34..64; the kernel's 32 and 33 are its own). */
export function rtRange(): { min: number; max: number } {
  const [min, max] = native().signalRange();
  return { min, max };
}

/** keepalived's SIGFUNC names (`--signum=NAME`) and the signals behind them. */
export type SigFunc = 'STOP' | 'RELOAD' | 'DATA' | 'STATS' | 'STATS_CLEAR' | 'JSON';

export const SIGFUNCS: readonly SigFunc[] = ['STOP', 'RELOAD', 'DATA', 'STATS', 'STATS_CLEAR', 'JSON'];

/** The signal number keepalived 2.2.7 uses for a SIGFUNC (lib/signals.c get_signum). */
export function sigfuncNumber(name: SigFunc, rt: { min: number; max: number }): number {
  const s = constants.signals;
  switch (name) {
    case 'STOP':
      return s.SIGTERM;
    case 'RELOAD':
      return s.SIGHUP;
    case 'DATA':
      return s.SIGUSR1;
    case 'STATS':
      return s.SIGUSR2;
    case 'STATS_CLEAR':
      return rt.max - 1;
    case 'JSON':
      return rt.min + 2;
  }
}

export function isSigFunc(name: string): name is SigFunc {
  return (SIGFUNCS as readonly string[]).includes(name);
}

/**
 * Calls fn whenever signal `signum` arrives; returns the function that stops listening. The
 * listener does not keep the process alive (as process.on does not).
 */
export function onSignal(signum: number, fn: (signum: number) => void): () => void {
  const a = native();
  const h = a.signalWatch(signum, fn);
  return () => a.signalUnwatch(h);
}
