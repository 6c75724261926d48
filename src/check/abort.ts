// Abort callbacks for checks in flight. Every check of a checker process shares the runner's one
// AbortSignal, and Node's EventTarget scans its listener list on each addEventListener (duplicate
// check): with 10,000 checks in flight that scan was the checker's largest cost. Here each signal
// gets one real listener and the checks wait in a Set.
const waiting = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `fn` once when `signal` aborts; returns the unsubscribe to call when the check ends. */
export function onAbort(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal) return () => {};
  let set = waiting.get(signal);
  if (!set) {
    const s = new Set<() => void>();
    set = s;
    waiting.set(signal, s);
    signal.addEventListener(
      'abort',
      () => {
        waiting.delete(signal);
        for (const f of s) f();
      },
      { once: true },
    );
  }
  set.add(fn);
  const s = set;
  return () => void s.delete(fn);
}
