// Keeps a data plane equal to what the configuration and the health checks ask for: every health
// change re-plans against what the engine has programmed and applies the difference, one plan at a
// time. On stop it removes what it programmed.
import { CheckRunner, type RsChange } from '../check/runner.js';
import type { Config } from '../config/model.js';
import type { Engine, ServiceKey, ServiceState } from '../dataplane/engine.js';
import { desiredServices } from './desired.js';
import { plan, serviceId } from './plan.js';

export interface ControllerOptions {
  log: (level: 'info' | 'warning' | 'error', message: string) => void;
  onChange?: (c: RsChange) => void;
}

export class LvsController {
  readonly runner: CheckRunner;
  private readonly quorumUp = new Map<string, boolean>();
  private readonly mine = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private applied = 0;
  private lastError?: string;

  constructor(
    private readonly config: Config,
    readonly engine: Engine,
    private readonly opts: ControllerOptions,
  ) {
    this.runner = new CheckRunner(config, {
      log: (level, m) => opts.log(level, m),
      onChange: (c) => {
        opts.onChange?.(c);
        void this.sync();
      },
    });
  }

  private desired(): ServiceState[] {
    return desiredServices(this.config, {
      health: (vs, rs) => this.runner.health(vs, rs),
      quorumUp: this.quorumUp,
    });
  }

  private owned = (key: ServiceKey): boolean => this.mine.has(serviceId(key));

  /** Programs the services, then starts checking. */
  async start(): Promise<void> {
    for (const s of this.desired()) this.mine.add(serviceId(s.key));
    await this.sync();
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

  /** Stops checking and removes what vigil programmed (unless keep is set). */
  async stop(keep = false): Promise<void> {
    this.runner.stop();
    await this.queue;
    if (!keep) {
      try {
        await this.engine.apply(plan([], await this.engine.read(), { owned: this.owned }));
      } catch (e) {
        this.opts.log('error', `data plane cleanup: ${(e as Error).message}`);
      }
    }
    await this.engine.close();
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
      realServers: this.runner.status(),
    };
  }
}
