// The parent process: starts the VRRP and checker children, restarts a crashed one with back-off,
// serves the control socket, and turns signals into reload / stop / dump.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ApiConfig } from '../config/model.js';
import { listenText } from '../config/listen.js';
import { ApiServer } from './api-server.js';
import { resolveApi, sameApi, type ApiSettings } from './api-settings.js';
import { initialBackoff, restartDelay, type BackoffState } from '../base/backoff.js';
import { EventBus } from './events.js';
import { watchLateness } from './lateness.js';
import { renderMetrics } from './metrics.js';
import { controlSocketPath, serveControl, type ControlRequest } from './control.js';
import {
  CHILD_OPTIONS_ENV,
  isChildMessage,
  isVrrpStateEvent,
  type ChildKind,
  type ChildMessage,
  type VrrpStateEvent,
  type ParentMessage,
} from './ipc.js';
import type { CallArgs, CallName, CallReply, ChildSlotStatus, DaemonStatus } from './contract.js';
import { checkAdmRequest } from '../adm/request.js';
import type { AdmCommand } from '../adm/args.js';
import type { Logger } from '../base/logger.js';
import type { DaemonOptions } from './options.js';
import { sdNotify } from './notify.js';
import { runStartStopScript, type StartStopScript } from '../scripts/start-stop.js';
import { dumpPath, writeDumpFile } from './dump-files.js';
import type { DumpSignal } from './signals.js';
import { removePidFile, runningPid, writePidFile } from './pidfile.js';

/** Validates the configuration before a reload; returns printable errors (empty: fine). */
export type ConfigCheck = (options: DaemonOptions) => string[];
/** The configuration's warnings, each FILE:LINE:COL: MESSAGE (what vigil will not do, typos …). */
export type ConfigWarnings = (options: DaemonOptions) => string[];
/** startup_script / shutdown_script as the configuration sets them, users and security settled. */
export type StartStopLoad = (options: DaemonOptions) => {
  startup?: StartStopScript;
  shutdown?: StartStopScript;
};
/** The configuration's api { } block (undefined: none; the API then runs on its defaults). */
export type ApiConfigLoad = (options: DaemonOptions) => ApiConfig | undefined;
/**
 * keepalived_parent.data's text (the global definitions) and file name (data_use_instance), null
 * when it cannot be made.
 */
export type ParentDataText = (options: DaemonOptions) => { text: string; file: string } | null;

/** What the supervisor reads of the configuration besides its errors; each has a neutral default. */
export interface SupervisorHooks {
  apiConfig?: ApiConfigLoad;
  configWarnings?: ConfigWarnings;
  startStop?: StartStopLoad;
  parentData?: ParentDataText;
}

interface ChildSlot {
  kind: ChildKind;
  proc?: ChildProcess;
  startedAt: number;
  restarts: number;
  backoff: BackoffState;
  restartTimer?: NodeJS.Timeout;
  pidFile: string;
}

const STOP_GRACE_MS = 5000;
const REQUEST_TIMEOUT_MS = 5000;

function childEntry(kind: ChildKind): string {
  // Same extension as this file: .ts under tsx (tests, dev), .js from dist.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./${kind}-child${ext}`, import.meta.url));
}

export class Supervisor {
  private readonly slots = new Map<ChildKind, ChildSlot>();
  private control?: Server;
  private stopping = false;
  private nextId = 1;
  private readonly pending = new Map<number, (r: { result?: unknown; error?: string }) => void>();
  private reloads = 0;
  private readonly vrrpStates = new Map<string, string>();
  /** What the children report (state changes) and the supervisor's own events, for the API. */
  readonly events = new EventBus();
  private api: ApiServer | null = null;
  /** shutdown_script: read at start and at each reload, run after the children have ended. */
  private shutdownScript?: StartStopScript;
  private readonly lateness: () => ReturnType<ReturnType<typeof watchLateness>>;

  constructor(
    private readonly options: DaemonOptions,
    private readonly log: Logger,
    private readonly checkConfig: ConfigCheck,
    private readonly hooks: SupervisorHooks = {},
  ) {
    this.lateness = watchLateness(log);
  }

  private readonly scriptLog = (level: 'info' | 'warning', m: string): void =>
    level === 'info' ? this.log.info(m) : this.log.warn(m);

  get pidFile(): string {
    return this.options.pidFile ?? `${this.options.runtimeDir}/vigil.pid`;
  }

  async start(): Promise<void> {
    mkdirSync(this.options.runtimeDir, { recursive: true });
    const other = runningPid(this.pidFile);
    if (other !== null) throw new Error(`another vigil (pid ${other}) runs with pid file ${this.pidFile}`);
    // A network-facing API without a token is a configuration error: refuse before anything runs.
    const api = resolveApi(this.options, this.hooks.apiConfig?.(this.options));
    if ('error' in api) throw new Error(api.error);
    writePidFile(this.pidFile);
    this.control = await serveControl(controlSocketPath(this.options.runtimeDir), (r) => this.handle(r));
    const scripts = this.hooks.startStop?.(this.options) ?? {};
    this.shutdownScript = scripts.shutdown;
    // keepalived's parent runs the startup script, bounded by its timeout, before any child.
    if (scripts.startup) await runStartStopScript('startup', scripts.startup, this.scriptLog);
    const kinds: ChildKind[] = [];
    if (this.options.vrrp) kinds.push('vrrp');
    if (this.options.check) kinds.push('checker');
    for (const kind of kinds) {
      const pidFile =
        (kind === 'vrrp' ? this.options.vrrpPidFile : this.options.checkersPidFile) ??
        `${this.options.runtimeDir}/${kind}.pid`;
      this.slots.set(kind, { kind, startedAt: 0, restarts: 0, backoff: initialBackoff(), pidFile });
      this.spawn(kind);
    }
    process.on('SIGHUP', () => void this.reload());
    process.on('SIGTERM', () => void this.stop().then(() => process.exit(0)));
    process.on('SIGINT', () => void this.stop().then(() => process.exit(0)));
    this.log.info(`started (children: ${kinds.join(', ')}, runtime dir ${this.options.runtimeDir})`);
    this.logWarnings();
    if (!api.off) await this.serveApi(api.settings);
    sdNotify(`READY=1\nMAINPID=${process.pid}`);
  }

  private spawn(kind: ChildKind): void {
    const slot = this.slots.get(kind)!;
    const proc = fork(childEntry(kind), [], {
      env: { ...process.env, [CHILD_OPTIONS_ENV]: JSON.stringify(this.options) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    slot.proc = proc;
    slot.startedAt = Date.now();
    if (proc.pid) writePidFile(slot.pidFile, proc.pid);
    proc.on('message', (m: unknown) => {
      if (!isChildMessage(m)) return;
      if (m.type === 'reply') {
        this.pending.get(m.id)?.(m);
        this.pending.delete(m.id);
      } else if (
        m.type === 'event' &&
        !(m.event.kind === 'vrrp-state' && m.event.previous === m.event.state)
      ) {
        // A vrrp-state whose state did not change is the re-sync after a reload, for ha_suspend's
        // relay below; the event stream carries transitions only.
        this.events.publish(m.event);
      }
      this.relayVrrpState(kind, m);
    });
    proc.on('exit', (code, signal) => {
      if (proc.pid) removePidFile(slot.pidFile, proc.pid);
      if (slot.proc === proc) slot.proc = undefined;
      if (this.stopping) return;
      if (this.options.dontRespawn) {
        // keepalived -R: a child that dies ends the daemon (for the service manager to act on).
        this.log.error(
          `${kind} child (pid ${proc.pid}) exited (${signal ?? `code ${code}`}); not respawning (-R): stopping`,
        );
        void this.stop().then(() => process.exit(1));
        return;
      }
      const { delayMs, next } = restartDelay(slot.backoff, Date.now() - slot.startedAt);
      slot.backoff = next;
      slot.restarts++;
      this.log.error(
        `${kind} child (pid ${proc.pid}) exited (${signal ?? `code ${code}`}); restarting in ${delayMs} ms`,
      );
      slot.restartTimer = setTimeout(() => this.spawn(kind), delayMs);
    });
  }

  /**
   * ha_suspend: the checker child learns each VRRP instance's state from the VRRP child; the last
   * states are kept so a restarted checker child gets them when it is ready.
   */
  private relayVrrpState(from: ChildKind, m: ChildMessage): void {
    const checker = this.slots.get('checker')?.proc;
    const send = (event: VrrpStateEvent): void => {
      if (checker?.connected) checker.send({ type: 'event', event } satisfies ParentMessage);
    };
    if (from === 'vrrp' && m.type === 'event' && isVrrpStateEvent(m.event)) {
      this.vrrpStates.set(m.event.instance, m.event.state);
      send(m.event);
    } else if (from === 'checker' && m.type === 'ready') {
      for (const [instance, state] of this.vrrpStates) send({ kind: 'vrrp-state', instance, state });
    }
  }

  /** One request of the contract to a child; its reply, or the child's error. */
  private request<K extends ChildKind, C extends CallName<K>>(
    kind: K,
    cmd: C,
    args: CallArgs<K, C>,
  ): Promise<CallReply<K, C>> {
    const proc = this.slots.get(kind)?.proc;
    if (!proc?.connected) return Promise.reject(new Error(`${kind} child is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${kind} child did not answer '${cmd}' within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        if (r.error !== undefined) reject(new Error(r.error));
        // The wire's one untyped step: the child answered `cmd` by the same contract.
        else resolve(r.result as CallReply<K, C>);
      });
      const msg: ParentMessage = { type: 'request', id, cmd, args };
      proc.send(msg);
    });
  }

  /** A child's slot in the status: its pid, restarts and own status (or why it did not answer). */
  private async slotStatus<S>(
    kind: ChildKind,
    ask: () => Promise<S>,
  ): Promise<ChildSlotStatus<S> | undefined> {
    const slot = this.slots.get(kind);
    if (!slot) return undefined;
    let status: S | { error: string };
    try {
      status = await ask();
    } catch (e) {
      status = { error: (e as Error).message };
    }
    return { pid: slot.proc?.pid ?? null, restarts: slot.restarts, status };
  }

  /** Everything the supervisor knows plus each child's own status. */
  async status(): Promise<DaemonStatus> {
    const vrrp = await this.slotStatus('vrrp', () => this.request('vrrp', 'status', undefined));
    const checker = await this.slotStatus('checker', () => this.request('checker', 'status', undefined));
    return {
      pid: process.pid,
      configFile: this.options.configFile,
      runtimeDir: this.options.runtimeDir,
      reloads: this.reloads,
      children: { ...(vrrp ? { vrrp } : {}), ...(checker ? { checker } : {}) },
    };
  }

  /** The configuration's warnings, logged here once (the children log only errors). */
  private logWarnings(): void {
    for (const w of this.hooks.configWarnings?.(this.options) ?? []) this.log.warn(w);
  }

  /** Validates first: a broken file keeps the running configuration, as keepalived does. */
  async reload(): Promise<{ reloaded: boolean; errors: string[] }> {
    const errors = this.checkConfig(this.options);
    if (errors.length) {
      for (const e of errors) this.log.error(e);
      this.log.error('reload refused: the configuration has errors; keeping the running one');
      return { reloaded: false, errors };
    }
    this.reloads++;
    this.log.info('reloading configuration');
    this.logWarnings();
    this.shutdownScript = (this.hooks.startStop?.(this.options) ?? {}).shutdown;
    sdNotify('RELOADING=1');
    await Promise.all(
      [...this.slots.keys()].map((k) => this.request(k, 'reload', undefined).catch(() => undefined)),
    );
    await this.reloadApi();
    this.events.publish({ kind: 'reload' });
    sdNotify('READY=1');
    return { reloaded: true, errors: [] };
  }

  /**
   * Starts the HTTP API. A listen failure (port in use) is logged and the daemon runs on: the API
   * is not worth losing the VIP for.
   */
  private async serveApi(settings: ApiSettings): Promise<void> {
    try {
      this.api = await ApiServer.start(settings, {
        status: () => this.status(),
        metrics: async () => renderMetrics(await this.status(), this.lateness()),
        reload: () => this.reload(),
        runtime: (r) => this.checkerReply('runtime', r),
        history: (r) => this.checkerReply('history', r),
        events: this.events,
        log: this.log,
      });
      this.log.info(
        `API on http://${listenText(settings.listen)}/ (${settings.token ? `token from ${settings.tokenFile}` : 'no token'})`,
      );
    } catch (e) {
      this.log.error(`${(e as Error).message}; the daemon runs on without its API`);
    }
  }

  /** Reload re-reads api { }: the listener restarts only if its address or token changed. */
  private async reloadApi(): Promise<void> {
    const next = resolveApi(this.options, this.hooks.apiConfig?.(this.options));
    if ('error' in next) {
      this.log.error(`API: ${next.error}; keeping the API as it was`);
      return;
    }
    const want = next.off ? null : next.settings;
    if (this.api && sameApi(this.api.settings, want)) return;
    await this.api?.close();
    this.api = null;
    if (want) await this.serveApi(want);
  }

  /**
   * A request about real servers for the checker child, which holds the table and its counters:
   * runtime changes (weight, drain, disable, enable) and traffic history. Its failures are replies.
   */
  private async checkerReply<C extends 'runtime' | 'history'>(
    cmd: C,
    r: CallArgs<'checker', C>,
  ): Promise<CallReply<'checker', C> | { ok: false; status: 404 | 500; error: string }> {
    if (!this.slots.has('checker'))
      return {
        ok: false,
        status: 404,
        error: 'vigil runs without its checker process (-P): no real servers',
      };
    try {
      return await this.request('checker', cmd, r);
    } catch (e) {
      return { ok: false, status: 500, error: (e as Error).message };
    }
  }

  /**
   * keepalived's parent on a dump signal (propagate_signal): SIGUSR1 goes to both children and
   * the parent writes keepalived_parent.data (vigil also its own vigil.data); SIGUSR2,
   * SIGSTATS_CLEAR and SIGJSON go to the VRRP child only. Returns the files written. The caller
   * listens from its first moment, so that an exporter's SIGJSON never ends a starting daemon.
   */
  async onDumpSignal(sig: DumpSignal): Promise<string[]> {
    const kinds: ChildKind[] = sig === 'DATA' ? ['vrrp', 'checker'] : ['vrrp'];
    const written: string[] = [];
    if (sig === 'DATA') {
      try {
        const data = this.hooks.parentData?.(this.options) ?? null;
        if (data !== null) {
          const path = dumpPath(data.file);
          writeDumpFile(path, data.text);
          written.push(path);
        }
        written.push(await this.dump());
      } catch (e) {
        this.log.error(`data dump: ${(e as Error).message}`);
      }
    }
    const replies = await Promise.all(
      kinds
        .filter((k) => this.slots.has(k))
        .map((k) =>
          this.request(k, 'signal', sig).catch((e: unknown) => {
            this.log.error(`${sig} dump: ${(e as Error).message}`);
            return [];
          }),
        ),
    );
    for (const r of replies) if (Array.isArray(r)) written.push(...(r as string[]));
    return written;
  }

  async dump(): Promise<string> {
    const path = `${this.options.runtimeDir}/vigil.data`;
    const status = await this.status();
    writeFileSync(path, JSON.stringify(status, null, 2) + '\n');
    this.log.info(`state dumped to ${path}`);
    return path;
  }

  private async handle(req: ControlRequest): Promise<unknown> {
    switch (req.cmd) {
      case 'status':
        return this.status();
      case 'reload':
        return this.reload();
      case 'dump':
        return this.dump();
      case 'adm':
        // ipvsadm commands act on the data plane, which the checker child holds; checked here,
        // where they come in.
        if (!this.slots.has('checker'))
          throw new Error('vigil runs without its checker process (-P): no data plane to change');
        return this.request('checker', 'adm', admCommand(req.args));
      default:
        throw new Error(`unknown command '${req.cmd}'`);
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info('stopping');
    sdNotify('STOPPING=1');
    const exits = [...this.slots.values()].map((slot) => {
      clearTimeout(slot.restartTimer);
      const proc = slot.proc;
      if (!proc || proc.exitCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const kill = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
        proc.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        if (proc.connected) proc.send({ type: 'stop' } satisfies ParentMessage);
        else proc.kill('SIGTERM');
      });
    });
    await Promise.all(exits);
    if (this.shutdownScript) await runStartStopScript('shutdown', this.shutdownScript, this.scriptLog);
    await this.api?.close();
    await new Promise<void>((resolve) => (this.control ? this.control.close(() => resolve()) : resolve()));
    removePidFile(this.pidFile);
    this.log.info('stopped');
  }
}

/** The control socket's `adm` arguments, checked: an ipvsadm command, or the error naming what is wrong. */
function admCommand(args: unknown): AdmCommand {
  const r = checkAdmRequest(args);
  if ('error' in r) throw new Error(r.error);
  return r.command;
}
