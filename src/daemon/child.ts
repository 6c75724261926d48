// The runtime every child shares: answers the supervisor's requests, stops cleanly when told to
// or when the supervisor disappears (keepalived's children get SIGTERM on parent death), and
// measures its own event-loop lateness so a slow handler cannot hide.
import { CHILD_OPTIONS_ENV, isParentMessage, type ChildMessage } from './ipc.js';
import { watchLateness, type LoopLateness } from './lateness.js';
import type { DaemonOptions } from './options.js';
import type { Logger } from '../base/logger.js';
import { createLogger, sinkOf } from './log.js';
import { formatDiagnostic } from '../config/ast.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/model.js';
import { systemScriptDeps } from '../scripts/fs.js';
import { secureScripts, type ScriptPart } from '../scripts/secure-config.js';
import { isDumpSignal, listenDumpSignals, type DumpSignal } from './signals.js';
import type { CallHandlers, ChildKind } from './contract.js';

/** A child's handlers: the requests of its contract, plus stop and the relayed events. */
export type ChildHandlers<K extends ChildKind> = CallHandlers<K> & {
  /** keepalived's dump signal, relayed or sent to this process: the files written. */
  signal(s: DumpSignal): string[] | Promise<string[]>;
  stop(): Promise<void>;
  /** Events the supervisor relays from the other child (VRRP states for ha_suspend). */
  event?(e: Record<string, unknown>): void;
};

/** Set by runChild; until then (start-up) a dump signal is ignored rather than fatal. */
let dumpSignal: ((s: DumpSignal) => void) | null = null;

/** Tells the supervisor about a state change (it feeds the API's event stream). */
export function emitEvent(event: { kind: string } & Record<string, unknown>): void {
  const m: ChildMessage = { type: 'event', event: { ...event, time: new Date().toISOString() } };
  if (process.connected) process.send?.(m);
}

export function childOptions(): DaemonOptions {
  const raw = process.env[CHILD_OPTIONS_ENV];
  if (!raw) throw new Error(`${CHILD_OPTIONS_ENV} is not set: children are started by the vigil supervisor`);
  return JSON.parse(raw) as DaemonOptions;
}

/** What runChild gives back: the child's own event-loop lateness, for its status. */
export interface ChildLoop {
  lateness(): LoopLateness;
}

export function runChild<K extends ChildKind>(log: Logger, handlers: ChildHandlers<K>): ChildLoop {
  const lateness = watchLateness(log);

  const send = (m: ChildMessage): void => {
    if (process.connected) process.send?.(m);
  };
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await handlers.stop();
    } catch (e) {
      log.error(`stop failed: ${(e as Error).message}`);
    }
    process.exit(0);
  };

  process.on('message', (m: unknown) => {
    if (!isParentMessage(m)) return;
    if (m.type === 'stop') {
      void stop();
      return;
    }
    if (m.type === 'event') {
      handlers.event?.(m.event);
      return;
    }
    const run = async (): Promise<unknown> => {
      if (m.cmd === 'signal' && !isDumpSignal(m.args))
        throw new Error(`unknown dump signal ${String(m.args)}`);
      // The wire's one untyped step: the supervisor sent `args` for `cmd` by the same contract.
      const handler = (handlers as unknown as Record<string, ((args: unknown) => unknown) | undefined>)[
        m.cmd
      ];
      if (typeof handler !== 'function') throw new Error(`this process does not take '${m.cmd}' requests`);
      return handler.call(handlers, m.args);
    };
    run().then(
      (result) => send({ type: 'reply', id: m.id, result }),
      (e: unknown) => send({ type: 'reply', id: m.id, error: e instanceof Error ? e.message : String(e) }),
    );
  });
  process.on('disconnect', () => {
    log.warn('supervisor went away: stopping');
    void stop();
  });
  process.on('SIGTERM', () => void stop());
  // The supervisor handles ^C for the whole group; a child must not die half-way through it.
  process.on('SIGINT', () => undefined);
  dumpSignal = (sig) => {
    // Some dumps read the OS first (keepalived.data's interfaces): errors arrive either way.
    Promise.resolve()
      .then(() => handlers.signal(sig))
      .catch((e: unknown) => log.error(`${sig} dump: ${(e as Error).message}`));
  };
  send({ type: 'ready' });
  return { lateness };
}

/**
 * What every child starts with: its options from the supervisor, its logger, a loader that logs
 * the configuration's errors and answers null when it cannot run (and settles the child's
 * `scripts`). SIGHUP is the supervisor's (reload): one sent to the whole process group must not
 * end a child. keepalived's dump signals (SIGUSR1, SIGUSR2, SIGJSON, SIGSTATS_CLEAR) are listened
 * for from the first moment.
 */
export function childContext(
  ident: string,
  scripts: ScriptPart,
): {
  options: DaemonOptions;
  log: Logger;
  load: () => Config | null;
} {
  const options = childOptions();
  process.on('SIGHUP', () => undefined);
  const log = createLogger(ident, sinkOf(options));
  const problem = listenDumpSignals((sig) => dumpSignal?.(sig));
  if (problem) log.error(problem);
  const load = (): Config | null => {
    const { config, diagnostics } = loadConfig(options.configFile, { configId: options.configId });
    const errors = diagnostics.filter((d) => d.severity === 'error');
    for (const d of errors) log.error(formatDiagnostic(d));
    if (errors.length) return null;
    // Every start and reload, as keepalived: script users, paths and security (src/scripts).
    for (const d of secureScripts(config, scripts, systemScriptDeps())) log.warn(formatDiagnostic(d));
    return config;
  };
  return { options, log, load };
}
