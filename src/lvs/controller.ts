// Keeps a data plane equal to what the configuration and the health checks ask for: every health
// change re-plans against what the engine has programmed and applies the difference, one plan at a
// time. On stop it removes what it programmed.
import { spawn } from 'node:child_process';
import { CheckRunner, type RsChange, type WeightInForce } from '../check/runner.js';
import type { Config, RealServer, VirtualServer } from '../config/model.js';
import { virtualServerAlertDefault } from '../alert/mailer.js';
import { quorumBody, virtualServerSubject } from '../alert/message.js';
import type { Change, Engine, ServiceKey, ServiceState } from '../dataplane/engine.js';
import { desiredServices, serviceKeys } from './desired.js';
import type { QuorumResult } from './quorum.js';
import { suspendedServers } from './ha-suspend.js';
import { applyChanges, destId, plan, serviceId } from './plan.js';

/** quorum_up / quorum_down: run detached, never waited for (keepalived does not wait either). */
function runScript(argv: string[], warn: (m: string) => void): void {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', detached: true });
  child.on('error', (e) => warn(`${argv[0]}: ${e.message}`));
  child.unref();
}

export interface ControllerOptions {
  log: (level: 'info' | 'warning' | 'error', message: string) => void;
  onChange?: (c: RsChange) => void;
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

  /**
   * `inherited`: services a previous controller (before a reload) programmed on this engine; the
   * first sync removes those the new configuration no longer has.
   */
  constructor(
    private readonly config: Config,
    readonly engine: Engine,
    private readonly opts: ControllerOptions,
    inherited: Iterable<string> = [],
  ) {
    for (const id of inherited) this.mine.add(id);
    this.runner = new CheckRunner(config, {
      log: (level, m) => opts.log(level, m),
      onChange: (c) => {
        opts.onChange?.(c);
        void this.sync();
      },
    });
  }

  private desired(): ServiceState[] {
    const d = desiredServices(this.config, {
      health: (vs, rs) => this.runner.health(vs, rs),
      quorumUp: this.quorumUp,
      onQuorum: (vs, q, init) => this.quorumChanged(vs, q, init),
    });
    return this.withRuntime(d);
  }

  /** keepalived's do_vs_notifies: a log line, quorum_up / quorum_down, and the smtp_alert mail. */
  private quorumChanged(vs: VirtualServer, q: QuorumResult, init: boolean): void {
    this.opts.log(
      q.up ? 'info' : 'warning',
      `virtual_server ${vs.label}: quorum ${q.up ? 'gained' : 'lost'}${!q.up && vs.sorryServer ? ', sorry server in' : ''}`,
    );
    const script = q.up ? vs.quorumUp : vs.quorumDown;
    if (script) runScript(script.argv, (m) => this.opts.log('warning', m));
    const mailer = this.runner.mailer;
    if (mailer && (vs.smtpAlert ?? virtualServerAlertDefault(this.config.globalDefs)))
      void mailer.send(virtualServerSubject(mailer.routerId, vs, q.up), quorumBody(vs, q, init));
  }

  /**
   * The runtime changes on top of what configuration and health want. A change that no longer
   * applies (its server left on a failed check) waits: it applies again when the server is back.
   */
  private withRuntime(d: ServiceState[]): ServiceState[] {
    if (this.runtime.length === 0) return d;
    // A configured real server stays under its health checks: a runtime add of it (ipvsadm -e
    // that changes the forwarding is a delete + add) only edits it while it is up.
    const configured = new Set(
      desiredServices(this.config, { health: () => ({ alive: true }), quorumUp: new Map() }).flatMap((s) =>
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

  /** Re-plans and applies; calls are serialised so plans never interleave. */
  sync(): Promise<void> {
    this.queue = this.queue.then(async () => {
      try {
        const changes = plan(this.desired(), await this.engine.read(), { owned: this.owned });
        if (changes.length === 0) return;
        await this.engine.apply(changes);
        this.applied += changes.length;
        this.lastError = undefined;
      } catch (e) {
        this.lastError = (e as Error).message;
        this.opts.log('error', `data plane: ${this.lastError}`);
      }
    });
    return this.queue;
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
    await this.queue;
    if (!o.keep) {
      try {
        await this.engine.apply(plan([], await this.engine.read(), { owned: this.owned }));
      } catch (e) {
        this.opts.log('error', `data plane cleanup: ${(e as Error).message}`);
      }
    }
    if (o.closeEngine ?? true) await this.engine.close();
  }

  /**
   * Each configured real server's weight as the data plane is told it: configuration and checks,
   * then the runtime changes on top. Computed like sync() does, without touching quorum state.
   */
  private weightsInForce(): (vs: VirtualServer, rs: RealServer) => WeightInForce {
    const base = desiredServices(this.config, {
      health: (vs, rs) => this.runner.health(vs, rs),
      quorumUp: new Map(this.quorumUp),
    });
    const index = (state: ServiceState[]): Map<string, number> =>
      new Map(
        state.flatMap((s) => s.dests.map((d) => [`${serviceId(s.key)} ${destId(d)}`, d.weight] as const)),
      );
    const before = index(base);
    const now = index(this.withRuntime(base));
    const keys = new Map<VirtualServer, ServiceKey | undefined>();
    return (vs, rs) => {
      if (!keys.has(vs)) keys.set(vs, serviceKeys(vs, this.config)[0]);
      const key = keys.get(vs);
      if (!key) return { weight: 0, runtime: false };
      const id = `${serviceId(key)} ${destId({ address: rs.address, port: rs.port ?? 0 })}`;
      const weight = now.get(id) ?? 0;
      return { weight, runtime: weight !== (before.get(id) ?? 0) };
    };
  }

  status(): {
    engine: string;
    changesApplied: number;
    lastError?: string;
    realServers: ReturnType<CheckRunner['status']>;
  } {
    return {
      engine: this.engine.name,
      changesApplied: this.applied,
      ...(this.lastError ? { lastError: this.lastError } : {}),
      realServers: this.runner.status(this.weightsInForce()),
    };
  }
}
