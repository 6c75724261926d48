// Keeps a data plane equal to what the configuration and the health checks ask for: every health
// change re-plans against what the engine has programmed and applies the difference, one plan at a
// time. A change to one virtual server plans only its services, against the table as last applied
// (ProgrammedTable), so its cost does not grow with the table. A failed apply is retried with
// backoff. On stop it removes what it programmed.
import { spawn } from 'node:child_process';
import { scriptSpawnOptions, type RunAs } from '../scripts/run.js';
import { CheckRunner, type RsChange } from '../check/runner.js';
import type { Config, RealServer, VirtualServer } from '../config/model.js';
import { virtualServerAlertDefault } from '../alert/mailer.js';
import { quorumBody, virtualServerSubject } from '../alert/message.js';
import type { Change, Engine, ServiceKey, ServiceState, ServiceStats } from '../dataplane/engine.js';
import { desiredServices, serviceKeys, type RsOverride } from './desired.js';
import type { QuorumResult } from './quorum.js';
import type { Rates } from './rates.js';
import { suspendedServers } from './ha-suspend.js';
import { badRsTarget, findRealServer, findVirtualServer, parseRsTarget, realServerOf } from './targets.js';
import { readRealServerJson } from '../config/rs-json.js';
import { applyChanges, plan } from './plan.js';
import { destId, serviceId } from '../dataplane/keys.js';
import { ProgrammedTable } from './programmed.js';
import { rsKey, rsLabel } from '../config/listen.js';
import { historyKey } from './history.js';
import { rsFifoLine, vsFifoLine } from './notify-fifo.js';

type HistoryError = { status: 400 | 404; error: string };

/** Backoff of the retries after a failed apply: 1 s, doubling, at most this. */
const RETRY_MAX_MS = 60_000;

/** A script run at stop (omega) may take this long before the stop goes on (keepalived: TIMER_HZ). */
const STOP_SCRIPT_MS = 1000;

/** Runs the scripts together and waits for them to end, at most STOP_SCRIPT_MS. */
async function runScriptsAtStop(argvs: string[][], warn: (m: string) => void): Promise<void> {
  const ended = argvs.map(
    (argv) =>
      new Promise<void>((resolve) => {
        const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', detached: true });
        child.on('error', (e) => (warn(`${argv[0]}: ${e.message}`), resolve()));
        child.on('exit', () => resolve());
        child.unref();
      }),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(ended), new Promise((r) => (timer = setTimeout(r, STOP_SCRIPT_MS)))]);
  clearTimeout(timer);
}

/** quorum_up / quorum_down: run detached, never waited for (keepalived does not wait either). */
function runScript(argv: string[], warn: (m: string) => void, runAs?: RunAs): void {
  try {
    const child = spawn(argv[0]!, argv.slice(1), scriptSpawnOptions(runAs));
    child.on('error', (e) => warn(`${argv[0]}: ${e.message}`));
    child.unref();
  } catch (e) {
    warn(`${argv[0]}: ${(e as Error).message}`);
  }
}

export interface ControllerOptions {
  log: (level: 'info' | 'warning' | 'error', message: string) => void;
  onChange?: (c: RsChange) => void;
  /** A line for notify_fifo / lvs_notify_fifo (RS and VS state changes, keepalived's format). */
  fifo?: (line: string) => void;
  /** A runtime change to a real server was made (the API's `runtime` event). */
  onRuntime?: (e: { vs: string; rs: string; action: RuntimeAction; weight: number }) => void;
}

/** `add` / `remove`: a real server added at run time (the API's PUT / DELETE). */
export type RuntimeAction = 'weight' | 'drain' | 'disable' | 'enable' | 'add' | 'remove';

/** `body`: for `add`, the real server as JSON (src/config/rs-json.ts). */
export type RuntimeRequest = {
  vs: string;
  rs: string;
  action: RuntimeAction;
  weight?: number;
  body?: unknown;
};

export type RuntimeReply =
  | { ok: true; vs: string; rs: string; action: RuntimeAction; weight: number; runtime: RsOverride }
  | { ok: false; status: 400 | 404 | 409 | 500; error: string; field?: string };

/** A real server added through the API, as asked: read again against each reloaded configuration. */
export interface AddedServer {
  vs: string;
  rs: string;
  body: unknown;
}

/** A server's live figures, where the engine keeps them (summed over a group's services). */
export interface RsLive {
  activeConns: number;
  inactiveConns: number;
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

/** The override after an action: a weight clears a drain; enable clears drain and disable. */
export function nextOverride(o: RsOverride, action: RuntimeAction, weight?: number): RsOverride {
  const n: RsOverride = { ...o };
  if (action === 'weight') {
    n.weight = weight;
    delete n.drained;
  } else if (action === 'drain') n.drained = true;
  else if (action === 'disable') n.disabled = true;
  else {
    delete n.drained;
    delete n.disabled;
  }
  return n;
}

export class LvsController {
  readonly runner: CheckRunner;
  private readonly quorumUp = new Map<string, boolean>();
  private readonly mine = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  /** Runtime changes (vigil adm, the API) laid over the configuration, in the order made. */
  private readonly runtime: Change[] = [];
  private applied = 0;
  private lastError?: string;
  private readonly table: ProgrammedTable;
  /** Virtual servers whose services no other virtual server produces: planned alone on a change. */
  private readonly alone = new Set<VirtualServer>();
  private retryTimer?: NodeJS.Timeout;
  private retryMs = 0;
  private stopped = false;
  /** The API's changes by rsKey; handed to the next controller on reload. */
  readonly overrides: Map<string, RsOverride>;
  /** Real servers the API added, by rsKey; handed to the next controller on reload. */
  readonly added = new Map<string, AddedServer>();
  /** This controller's own copy of the configuration: runtime-added servers join its lists. */
  private readonly config: Config;

  /**
   * `inherited`: services a previous controller (before a reload) programmed on this engine; the
   * first sync removes those the new configuration no longer has.
   */
  constructor(
    config: Config,
    readonly engine: Engine,
    private readonly opts: ControllerOptions,
    inherited: Iterable<string> = [],
    overrides: Map<string, RsOverride> = new Map(),
    added: Iterable<AddedServer> = [],
  ) {
    this.config = {
      ...config,
      virtualServers: config.virtualServers.map((vs) => ({ ...vs, realServers: [...vs.realServers] })),
    };
    config = this.config;
    for (const a of added) this.readd(a);
    for (const id of inherited) this.mine.add(id);
    // Only for servers this configuration still has.
    const known = new Set(config.virtualServers.flatMap((vs) => vs.realServers.map((rs) => rsKey(vs, rs))));
    this.overrides = new Map([...overrides].filter(([k]) => known.has(k)));
    this.table = new ProgrammedTable(engine);
    const ids = (vs: VirtualServer) => new Set(serviceKeys(vs, config).map(serviceId));
    const producers = new Map<string, number>();
    for (const vs of config.virtualServers)
      for (const id of ids(vs)) producers.set(id, (producers.get(id) ?? 0) + 1);
    for (const vs of config.virtualServers)
      if ([...ids(vs)].every((id) => producers.get(id) === 1)) this.alone.add(vs);
    this.runner = new CheckRunner(config, {
      log: (level, m) => opts.log(level, m),
      onChange: (c) => {
        opts.onChange?.(c);
        opts.fifo?.(rsFifoLine(c.vs, c.rs, c.up));
        void this.sync(c.vs);
      },
    });
  }

  /** The configuration narrowed to one virtual server (its groups stay, for serviceKeys). */
  private scope(vs: VirtualServer): Config {
    return { ...this.config, virtualServers: [vs] };
  }

  private desired(scope: Config = this.config): ServiceState[] {
    const d = desiredServices(scope, {
      health: (vs, rs) => this.runner.health(vs, rs),
      override: this.override,
      quorumUp: this.quorumUp,
      onQuorum: (vs, q, init) => this.quorumChanged(vs, q, init),
    });
    return this.withRuntime(d, scope);
  }

  /** keepalived's do_vs_notifies: a log line, quorum_up / quorum_down, and the smtp_alert mail. */
  private quorumChanged(vs: VirtualServer, q: QuorumResult, init: boolean): void {
    this.opts.log(
      q.up ? 'info' : 'warning',
      `virtual_server ${vs.label}: quorum ${q.up ? 'gained' : 'lost'}${!q.up && vs.sorryServer ? ', sorry server in' : ''}`,
    );
    const script = q.up ? vs.quorumUp : vs.quorumDown;
    if (script) runScript(script.argv, (m) => this.opts.log('warning', m), script.runAs);
    this.opts.fifo?.(vsFifoLine(vs, q.up));
    const mailer = this.runner.mailer;
    if (mailer && (vs.smtpAlert ?? virtualServerAlertDefault(this.config.globalDefs)))
      void mailer.send(virtualServerSubject(mailer.routerId, vs, q.up), quorumBody(vs, q, init));
  }

  /**
   * The runtime changes on top of what configuration and health want. A change that no longer
   * applies (its server left on a failed check) waits: it applies again when the server is back.
   */
  private withRuntime(d: ServiceState[], scope: Config): ServiceState[] {
    if (this.runtime.length === 0) return d;
    // A configured real server stays under its health checks: a runtime add of it (ipvsadm -e
    // that changes the forwarding is a delete + add) only edits it while it is up.
    const configured = new Set(
      desiredServices(scope, { health: () => ({ alive: true }), quorumUp: new Map() }).flatMap((s) =>
        s.dests.map((x) => `${serviceId(s.key)} ${destId(x)}`),
      ),
    );
    let state = d;
    for (const c of this.runtime) {
      const change: Change =
        c.op === 'add-dest' && configured.has(`${serviceId(c.key)} ${destId(c.dest)}`)
          ? { ...c, op: 'edit-dest' }
          : c;
      try {
        state = applyChanges(state, [change]);
      } catch {
        // Not applicable right now (its server is out on a failed check): it applies again later.
      }
    }
    return state;
  }

  /**
   * Applies runtime changes (ipvsadm-style): they are kept across health changes and reloads of
   * the same controller, and programmed at once. Rejects with the engine's message on failure.
   */
  async applyRuntime(changes: Change[]): Promise<void> {
    for (const c of changes) {
      if (c.op === 'add-service') this.mine.add(serviceId(c.service.key));
      this.runtime.push(c);
    }
    this.opts.log('info', `runtime changes: ${changes.map((c) => c.op).join(', ')}`);
    await this.sync();
    if (this.lastError) throw new Error(this.lastError);
  }

  private override = (vs: VirtualServer, rs: RealServer): RsOverride | undefined =>
    this.overrides.get(rsKey(vs, rs));

  /** An operator's change to one real server (the API): validated, logged, programmed at once. */
  async runtimeChange(r: RuntimeRequest): Promise<RuntimeReply> {
    if (r.action === 'add') return this.addServer(r.vs, r.rs, r.body);
    if (r.action === 'remove') return this.removeServer(r.vs, r.rs);
    const found = findRealServer(this.config, r.vs, r.rs);
    if ('error' in found) return { ok: false, status: found.status, error: found.error };
    const key = rsKey(found.vs, found.rs);
    const next = nextOverride(this.overrides.get(key) ?? {}, r.action, r.weight);
    if (Object.keys(next).length) this.overrides.set(key, next);
    else this.overrides.delete(key);
    await this.sync(found.vs);
    if (this.lastError) return { ok: false, status: 500, error: this.lastError };
    const what = `${r.action}${r.action === 'weight' ? ` ${r.weight}` : ''}`;
    return this.told(found.vs, found.rs, r.action, what, { runtime: next });
  }

  /**
   * A runtime-added real server of the new configuration after a reload: dropped, and said why,
   * when its virtual server is gone, the configuration now has it, or it no longer reads.
   */
  private readd(a: AddedServer): void {
    const drop = (why: string) =>
      this.opts.log('warning', `runtime-added real server ${a.vs} -> ${a.rs} dropped: ${why}`);
    const found = findVirtualServer(this.config, a.vs);
    const at = parseRsTarget(a.rs);
    if ('error' in found || !at) return drop('the configuration has no such virtual server now');
    if (realServerOf(found.vs, at)) return drop('the configuration has it now');
    const read = readRealServerJson(this.config, found.vs, at, a.body);
    if ('error' in read) return drop(read.error);
    found.vs.realServers.push(read.rs);
    this.added.set(rsKey(found.vs, read.rs), a);
  }

  /**
   * PUT: a real server added to a virtual server of the configuration, read as its real_server
   * block would be, checked and programmed like a configured one. A runtime-added one is replaced
   * (its checks start again); a configured one is refused: the configuration owns it.
   */
  private async addServer(vsText: string, rsText: string, body: unknown): Promise<RuntimeReply> {
    const found = findVirtualServer(this.config, vsText);
    if ('error' in found) return { ok: false, status: found.status, error: found.error };
    const vs = found.vs;
    const at = parseRsTarget(rsText);
    if (!at) return { ok: false, ...badRsTarget(rsText) };
    const read = readRealServerJson(this.config, vs, at, body);
    if ('error' in read) return { ok: false, status: 400, error: read.error, field: read.field };
    const key = rsKey(vs, read.rs);
    const old = realServerOf(vs, at);
    if (old && !this.added.has(rsKey(vs, old)))
      return {
        ok: false,
        status: 409,
        error: `virtual server ${vsText} has real server ${rsText} in its configuration (${old.loc.file}:${old.loc.line}): change it there, or with POST …/real-servers/${rsText}[/drain|/disable]`,
      };
    if (old) this.forget(vs, old);
    vs.realServers.push(read.rs);
    this.added.set(key, { vs: vsText, rs: rsText, body });
    this.runner.add(vs, read.rs, this.config);
    await this.sync(vs);
    if (this.lastError) return { ok: false, status: 500, error: this.lastError };
    return this.told(vs, read.rs, 'add', `${old ? 'replaced' : 'added'} (weight ${read.rs.weight})`);
  }

  /** DELETE: a runtime-added real server leaves checks and data plane; configured ones stay. */
  private async removeServer(vsText: string, rsText: string): Promise<RuntimeReply> {
    const found = findRealServer(this.config, vsText, rsText);
    if ('error' in found) return { ok: false, status: found.status, error: found.error };
    const { vs, rs } = found;
    if (!this.added.has(rsKey(vs, rs)))
      return {
        ok: false,
        status: 409,
        error: `real server ${rsText} is in the configuration (${rs.loc.file}:${rs.loc.line}), not added at run time: remove it there and reload, or take it out with POST …/real-servers/${rsText}/disable`,
      };
    this.forget(vs, rs);
    await this.sync(vs);
    if (this.lastError) return { ok: false, status: 500, error: this.lastError };
    return this.told(vs, rs, 'remove', 'removed', { weight: 0 });
  }

  /** A runtime-added server out of the lists, its checks and its runtime changes. */
  private forget(vs: VirtualServer, rs: RealServer): void {
    const key = rsKey(vs, rs);
    vs.realServers.splice(vs.realServers.indexOf(rs), 1);
    this.runner.remove(rs);
    this.added.delete(key);
    this.overrides.delete(key);
  }

  /**
   * Logs and announces a runtime change that was programmed, and the API's reply to it: the weight
   * in force now (unless given: a removed server has none) and the server's runtime override.
   */
  private told(
    vs: VirtualServer,
    rs: RealServer,
    action: RuntimeAction,
    what: string,
    o: { weight?: number; runtime?: RsOverride } = {},
  ): RuntimeReply {
    const weight = o.weight ?? this.weightInForce(vs, rs, this.wanted(this.scope(vs)));
    this.opts.log('info', `runtime change: ${rsKey(vs, rs)} ${what} (weight in force ${weight})`);
    const v = `${vs.label}/${vs.protocol}`;
    const r = rsLabel(rs);
    this.opts.onRuntime?.({ vs: v, rs: r, action, weight });
    return { ok: true, vs: v, rs: r, action, weight, runtime: o.runtime ?? {} };
  }

  /**
   * The history keys (src/lvs/history.ts) of a real server the API names, with its labels as
   * status prints them; a group's real server has one per service of the group.
   */
  historyKeys(vsText: string, rsText: string): { keys: string[]; vs: string; rs: string } | HistoryError {
    const found = findRealServer(this.config, vsText, rsText);
    if ('error' in found) return { status: found.status, error: found.error };
    const dest = destId({ address: found.rs.address, port: found.rs.port ?? 0 });
    return {
      keys: serviceKeys(found.vs, this.config).map((k) => historyKey(serviceId(k), dest)),
      vs: `${found.vs.label}/${found.vs.protocol}`,
      rs: rsLabel(found.rs),
    };
  }

  /** What the table should hold now, without the side effects of a real plan (quorum scripts). */
  private wanted(scope: Config = this.config): ServiceState[] {
    return this.withRuntime(
      desiredServices(scope, {
        health: (vs, rs) => this.runner.health(vs, rs),
        override: this.override,
        quorumUp: new Map(this.quorumUp),
      }),
      scope,
    );
  }

  private weightInForce(vs: VirtualServer, rs: RealServer, wanted = this.wanted()): number {
    const key = serviceKeys(vs, this.config)[0];
    const svc = key && wanted.find((s) => serviceId(s.key) === serviceId(key));
    return (
      svc?.dests.find((d) => destId(d) === destId({ address: rs.address, port: rs.port ?? 0 }))?.weight ?? 0
    );
  }

  private owned = (key: ServiceKey): boolean => this.mine.has(serviceId(key));

  /** The VRRP instances' states (from the VRRP process): pauses or resumes ha_suspend checks. */
  vrrpStates(states: ReadonlyMap<string, string>): void {
    this.runner.suspend(suspendedServers(this.config, states));
  }

  /** Programs the services, then starts checking. */
  async start(): Promise<void> {
    const wanted = new Set(this.desired().map((s) => serviceId(s.key)));
    for (const id of wanted) this.mine.add(id);
    await this.sync();
    // Inherited services the configuration dropped are gone now; keep only what we program.
    for (const id of [...this.mine]) if (!wanted.has(id)) this.mine.delete(id);
    this.runner.start();
  }

  /**
   * Re-plans and applies; calls are serialised so plans never interleave. `touched`: the one
   * virtual server that changed, planned alone when no other produces its services and the table
   * is known (after a failure the next sync reads the engine and plans everything).
   */
  sync(touched?: VirtualServer): Promise<void> {
    this.queue = this.queue.then(async () => {
      if (this.stopped) return;
      const part = touched && this.alone.has(touched) && this.table.known ? touched : undefined;
      try {
        const desired = this.desired(part ? this.scope(part) : this.config);
        const only = part && new Set(serviceKeys(part, this.config).map(serviceId));
        const changes = await this.table.sync(desired, { owned: this.owned, ...(only ? { only } : {}) });
        this.applied += changes.length;
        this.lastError = undefined;
        this.retryMs = 0;
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
      } catch (e) {
        this.lastError = (e as Error).message;
        this.retryLater();
      }
    });
    return this.queue;
  }

  /** A failed apply may be passing (nft busy, a module loading): try again, 1 s doubling to 60 s. */
  private retryLater(): void {
    if (!this.retryTimer) {
      this.retryMs = Math.min(this.retryMs ? this.retryMs * 2 : 1000, RETRY_MAX_MS);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.sync();
      }, this.retryMs);
      this.retryTimer.unref();
    }
    this.opts.log('error', `data plane: ${this.lastError} (retrying in ${this.retryMs / 1000} s)`);
  }

  /** The services this controller programs (handed to the next one on reload). */
  owns(): string[] {
    return [...this.mine];
  }

  /**
   * Stops checking. Removes what vigil programmed and closes the engine unless told to keep them
   * (a reload hands both to the next controller; keepalived's --dont-release-vrrp style stops keep them).
   */
  async stop(o: { keep?: boolean; closeEngine?: boolean } = {}): Promise<void> {
    this.runner.stop();
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.queue;
    if (!o.keep) {
      try {
        // lvs_flush_on_stop (full): the whole table, as keepalived's ipvs_flush_cmd at stop.
        if (this.config.globalDefs.lvsFlushOnStop === 'full' && this.engine.flush) await this.engine.flush();
        else await this.engine.apply(plan([], await this.engine.read(), { owned: this.owned }));
        await this.engine.release?.();
      } catch (e) {
        this.opts.log('error', `data plane cleanup: ${(e as Error).message}`);
      }
    }
    if (!o.keep) await this.omegaNotifies();
    if (o.closeEngine ?? true) await this.engine.close();
  }

  /**
   * keepalived's omega: at stop, a virtual server with `omega` runs notify_down of each real
   * server still up (not when lvs_flush_on_stop flushed them all at once) and its quorum_down,
   * with their notify_fifo lines. Without omega nothing is run or written at stop.
   */
  private async omegaNotifies(): Promise<void> {
    const argvs: string[][] = [];
    const each = this.config.globalDefs.lvsFlushOnStop === false;
    for (const vs of this.config.virtualServers) {
      if (!vs.omega) continue;
      if (each)
        for (const rs of vs.realServers) {
          if (!this.runner.health(vs, rs).alive) continue;
          if (rs.notifyDown) argvs.push(rs.notifyDown.argv);
          this.opts.fifo?.(rsFifoLine(vs, rs, false));
        }
      if (vs.quorumDown) argvs.push(vs.quorumDown.argv);
      this.opts.fifo?.(vsFifoLine(vs, false));
    }
    if (argvs.length) await runScriptsAtStop(argvs, (m) => this.opts.log('warning', m));
  }

  /**
   * Health, the weight in force (configuration, checks and runtime changes together: 0 when out
   * of the table), the operator's runtime change, and live figures when the engine has them.
   */
  status(
    stats?: ServiceStats[],
    rates?: Map<string, Rates>,
  ): {
    engine: string;
    changesApplied: number;
    lastError?: string;
    realServers: (ReturnType<CheckRunner['status']>[number] & {
      configuredWeight: number;
      runtime?: RsOverride;
      /** Added through the API, not in the configuration (kept across reloads). */
      added?: 'runtime';
      live?: RsLive;
    })[];
    virtualServers: {
      virtualServer: string;
      live?: Omit<RsLive, 'activeConns' | 'inactiveConns'>;
      rates?: Rates;
    }[];
  } {
    const wanted = this.wanted();
    // Configuration and checks alone: a weight in force that differs is a runtime override.
    const checked = desiredServices(this.config, {
      health: (vs, rs) => this.runner.health(vs, rs),
      quorumUp: new Map(this.quorumUp),
    });
    const pairs = this.config.virtualServers.flatMap((vs) => vs.realServers.map((rs) => ({ vs, rs })));
    const checkedHere = pairs.flatMap((p) => {
      const st = this.runner.statusOf(p.rs);
      return st ? [{ ...p, st }] : [];
    });
    const byId = new Map(stats?.map((s) => [serviceId(s.key), s]));
    const keysOf = (vs: VirtualServer): ServiceStats[] =>
      serviceKeys(vs, this.config).flatMap((k) => byId.get(serviceId(k)) ?? []);
    const realServers = checkedHere.map(({ vs, rs, st }) => {
      const runtime = this.overrides.get(rsKey(vs, rs));
      let live: RsLive | undefined;
      if (stats) {
        live = { activeConns: 0, inactiveConns: 0, conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
        const id = destId({ address: rs.address, port: rs.port ?? 0 });
        for (const s of keysOf(vs))
          for (const d of s.dests)
            if (destId(d) === id) {
              live.activeConns += d.activeConns;
              live.inactiveConns += d.inactiveConns;
              for (const f of ['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes'] as const)
                live[f] += d.counters[f];
            }
      }
      const weight = this.weightInForce(vs, rs, wanted);
      const configured = this.weightInForce(vs, rs, checked);
      return {
        ...st,
        weight,
        ...(weight !== configured
          ? { override: { by: 'runtime' as const, configuredWeight: configured } }
          : {}),
        configuredWeight: rs.weight,
        ...(runtime ? { runtime } : {}),
        ...(this.added.has(rsKey(vs, rs)) ? { added: 'runtime' as const } : {}),
        ...(live ? { live } : {}),
      };
    });
    const virtualServers = this.config.virtualServers.map((vs) => {
      const label = `${vs.label}/${vs.protocol}`;
      if (!stats) return { virtualServer: label };
      const live = { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
      const r: Rates = { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };
      for (const s of keysOf(vs)) {
        for (const f of ['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes'] as const)
          live[f] += s.counters[f];
        const sr = rates?.get(serviceId(s.key));
        if (sr) for (const f of ['cps', 'inPps', 'outPps', 'inBps', 'outBps'] as const) r[f] += sr[f];
      }
      return { virtualServer: label, live, ...(rates ? { rates: r } : {}) };
    });
    return {
      engine: this.engine.name,
      changesApplied: this.applied,
      ...(this.lastError ? { lastError: this.lastError } : {}),
      realServers,
      virtualServers,
    };
  }
}
