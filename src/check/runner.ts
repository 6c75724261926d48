// Runs every real server's checkers on real timers, keeps what `vigil status` shows, and reports
// each real server going up or down (the checker process turns that into data-plane changes).
import { spawn } from 'node:child_process';
import { scriptSpawnOptions } from '../scripts/run.js';
import type { Checker, Config, RealServer, VirtualServer } from '../config/model.js';
import { CheckerState, realServerAlive, type CheckTiming } from './state.js';
import { emptyHistogram, observe, type LatencyHistogram } from './latency.js';
import { isSockoptFailure } from './sockopts.js';
import { targetOf, type CheckContext, type CheckTarget, type Run, type Runner } from './target.js';
import { tcpFactory } from './tcp.js';
import { httpFactory } from './http.js';
import { miscFactory } from './misc.js';
import { smtpFactory } from './smtp.js';
import { pingFactory } from './ping.js';
import { dnsFactory } from './dns.js';
import { udpFactory } from './udp.js';
import { fileFactory } from './file.js';
import { checkerAlertDefault, Mailer } from '../alert/mailer.js';
import { checkerBody, realServerSubject } from '../alert/message.js';
import { rsKey, rsLabel } from '../config/listen.js';

/** What the checks say of a real server, as the planner takes it. */
export interface RsHealth {
  alive: boolean;
  /** MISC_CHECK misc_dynamic or a runtime change; else the configured weight. */
  weight?: number;
}

export interface RsChange {
  vs: VirtualServer;
  rs: RealServer;
  up: boolean;
  reason: string;
}

export interface CheckerStatus {
  kind: string;
  up: boolean;
  lastResult?: { ok: boolean; reason: string; at: string; latencyMs: number };
  consecutiveFailures: number;
  note?: string;
  /** Every run's latency since the checker process started. */
  latency: LatencyHistogram;
}

export interface RsStatus {
  virtualServer: string;
  realServer: string;
  state: 'up' | 'down';
  /** ha_suspend: checks paused while this director does not hold the address. */
  suspended?: boolean;
  /** Configuration and checks' weight; LvsController.status() puts the weight in force here. */
  weight: number;
  /** Set when a runtime change (vigil adm, the API) overrides what configuration and checks give. */
  override?: { by: 'runtime'; configuredWeight: number };
  lastChange?: string;
  checkers: CheckerStatus[];
}

interface Slot {
  kind: string;
  state: CheckerState;
  run?: Run;
  note?: string;
  latencyMs?: number;
  latency: LatencyHistogram;
  timer?: NodeJS.Timeout;
  /** Bumped on suspend/resume: a check started before does not count nor reschedule. */
  gen: number;
  /** performance.now() the next run is due at (kept only when someone measures lateness). */
  dueAt?: number;
  /** The bind_if / fwmark failure last logged: each is logged once, not every run. */
  sockoptFailure?: string;
}

interface Rs {
  vs: VirtualServer;
  rs: RealServer;
  /** smtp_alert for this real server (its own, else global_defs'). */
  mail: boolean;
  slots: Slot[];
  alive: boolean;
  dynamicWeight?: number;
  lastChange?: number;
  /** ha_suspend: checks paused, state kept as it was. */
  suspended: boolean;
}

/**
 * keepalived 2.2.7's defaults where neither the checker, its real server nor its virtual server
 * says: one retry, 1 s apart (check_api.c); MISC_CHECK no retry (check_misc.c); DNS_CHECK three,
 * a delay_loop apart (check_dns.c); HTTP_GET / SSL_GET 3 s apart (check_http.c).
 */
export function retryDefaults(
  kind: Checker['kind'],
  delayLoop: number,
): { retry: number; delayBeforeRetry: number } {
  if (kind === 'MISC_CHECK') return { retry: 0, delayBeforeRetry: 1 };
  if (kind === 'DNS_CHECK') return { retry: 3, delayBeforeRetry: delayLoop };
  if (kind === 'HTTP_GET' || kind === 'SSL_GET') return { retry: 1, delayBeforeRetry: 3 };
  return { retry: 1, delayBeforeRetry: 1 };
}

/** A checker's timing, each keyword from the checker, else its real server, else its virtual server. */
export function timingOf(ch: Checker, rs: RealServer, vs: VirtualServer): CheckTiming {
  const c = ch as Partial<Record<'delayLoop' | 'retry' | 'delayBeforeRetry' | 'warmup', number>> & {
    alpha?: boolean;
  };
  const delayLoop = c.delayLoop ?? rs.delayLoop ?? vs.delayLoop;
  const dflt = retryDefaults(ch.kind, delayLoop);
  return {
    delayLoopMs: delayLoop * 1000,
    retry: c.retry ?? rs.retry ?? vs.retry ?? dflt.retry,
    delayBeforeRetryMs:
      (c.delayBeforeRetry ?? rs.delayBeforeRetry ?? vs.delayBeforeRetry ?? dflt.delayBeforeRetry) * 1000,
    // keepalived's default warmup is the delay_loop: first checks spread over one loop, not all
    // at once (10,000 connects in one tick would make the last ones hundreds of ms late, forever).
    warmupMs: (c.warmup ?? rs.warmup ?? vs.warmup ?? delayLoop) * 1000,
    alpha: c.alpha ?? rs.alpha ?? vs.alpha,
  };
}

/** One factory per checker kind, each next to its checker. */
const FACTORIES: {
  [K in Checker['kind']]?: (ch: Extract<Checker, { kind: K }>, t: CheckTarget, ctx: CheckContext) => Runner;
} = {
  TCP_CHECK: tcpFactory,
  HTTP_GET: httpFactory,
  SSL_GET: httpFactory,
  MISC_CHECK: miscFactory,
  SMTP_CHECK: smtpFactory,
  PING_CHECK: pingFactory,
  DNS_CHECK: dnsFactory,
  UDP_CHECK: udpFactory,
  FILE_CHECK: fileFactory,
};

export function runnerFor(ch: Checker, rs: RealServer, vs: VirtualServer, config: Config): Runner {
  // TypeScript cannot tie FACTORIES[ch.kind] to ch's own kind; the map's keys guarantee it.
  const factory = FACTORIES[ch.kind] as
    ((c: Checker, t: CheckTarget, ctx: CheckContext) => Runner) | undefined;
  if (!factory)
    return {
      note: `${ch.kind} is not implemented in vigil yet: this checker is not run and does not affect the server`,
    };
  const ctx = { rs, vs, config };
  return factory(ch, targetOf(ch, ctx), ctx);
}

export interface RunnerOptions {
  onChange: (c: RsChange) => void;
  log: (level: 'info' | 'warning', message: string) => void;
  now?: () => number;
  /** Each run's start, ms after it was due (bench/checkers.ts measures the schedule with it). */
  onLate?: (lateMs: number) => void;
}

export class CheckRunner {
  private readonly servers: Rs[] = [];
  /** health() runs once per real server on every re-plan: a lookup, not a scan. */
  private readonly byRs = new Map<RealServer, Rs>();
  private readonly abort = new AbortController();
  private readonly now: () => number;
  /** smtp_alert's mailer (null without recipients or server); the controller's quorum mails too. */
  readonly mailer: Mailer | null;
  /** no_checker_emails: mail only when the real server changes, not each checker. */
  private readonly serverChangesOnly: boolean;
  /** Until start(), a resumed server is not scheduled: start() schedules every runnable one. */
  private started = false;

  constructor(
    config: Config,
    private readonly opts: RunnerOptions,
  ) {
    this.now = opts.now ?? Date.now;
    const g = config.globalDefs;
    this.mailer = Mailer.fromConfig(g, {
      info: (m) => opts.log('info', m),
      error: (m) => opts.log('warning', m),
    });
    this.serverChangesOnly = g.noCheckerEmails ?? false;
    for (const vs of config.virtualServers) for (const rs of vs.realServers) this.track(vs, rs, config);
  }

  /** A real server's checkers. */
  private track(vs: VirtualServer, rs: RealServer, config: Config): Rs {
    const slots: Slot[] = rs.checkers.map((ch) => {
      const r = runnerFor(ch, rs, vs, config);
      return {
        kind: ch.kind,
        state: new CheckerState(timingOf(ch, rs, vs)),
        latency: emptyHistogram(),
        gen: 0,
        ...r,
      };
    });
    const runnable = slots.filter((s) => s.run);
    const srv: Rs = {
      vs,
      rs,
      mail: rs.smtpAlert ?? checkerAlertDefault(config.globalDefs),
      slots,
      alive: realServerAlive(runnable.map((s) => s.state)),
      suspended: false,
    };
    this.servers.push(srv);
    this.byRs.set(rs, srv);
    for (const s of slots) if (s.note) this.opts.log('warning', `${rsKey(vs, rs)}: ${s.note}`);
    return srv;
  }

  /**
   * A real server added at run time (the API): checked like a configured one from now on, its
   * first checks spread over its warmup as at start. Its status follows its virtual server's.
   */
  add(vs: VirtualServer, rs: RealServer, config: Config): void {
    const srv = this.track(vs, rs, config);
    // ha_suspend: paused like the other servers of its virtual server
    srv.suspended = this.servers.some((x) => x.vs === vs && x.suspended);
    if (this.started)
      for (const slot of srv.slots) if (slot.run) this.schedule(srv, slot, slot.state.firstDelayMs());
  }

  /** Stops checking a real server removed at run time; a check under way no longer counts. */
  remove(rs: RealServer): void {
    const srv = this.byRs.get(rs);
    if (!srv) return;
    for (const slot of srv.slots) {
      clearTimeout(slot.timer);
      slot.gen++;
    }
    this.byRs.delete(rs);
    this.servers.splice(this.servers.indexOf(srv), 1);
  }

  start(): void {
    this.started = true;
    for (const srv of this.servers) {
      for (const slot of srv.slots) {
        if (slot.run) this.schedule(srv, slot, slot.state.firstDelayMs());
      }
    }
  }

  stop(): void {
    this.abort.abort();
    for (const srv of this.servers) for (const slot of srv.slots) clearTimeout(slot.timer);
  }

  /**
   * Pauses the checks of the given virtual servers (ha_suspend) and resumes the others: a paused
   * server keeps the state it had; a resumed one is checked again at once.
   */
  suspend(paused: ReadonlySet<VirtualServer>): void {
    const changed = new Map<VirtualServer, number>();
    for (const srv of this.servers) {
      const want = paused.has(srv.vs);
      if (want === srv.suspended) continue;
      srv.suspended = want;
      changed.set(srv.vs, (changed.get(srv.vs) ?? 0) + 1);
      for (const slot of srv.slots) {
        clearTimeout(slot.timer);
        slot.gen++;
        if (!want && slot.run && this.started) this.schedule(srv, slot, 0);
      }
    }
    for (const [vs, n] of changed) {
      const what = `health checks of ${n} real server${n === 1 ? '' : 's'}`;
      this.opts.log(
        'info',
        paused.has(vs)
          ? `virtual_server ${vs.label}: ${what} suspended (ha_suspend: this director does not hold ${vs.label})`
          : `virtual_server ${vs.label}: ${what} resumed (ha_suspend: this director holds ${vs.label})`,
      );
    }
  }

  private schedule(srv: Rs, slot: Slot, delayMs: number): void {
    if (this.abort.signal.aborted || srv.suspended) return;
    const onLate = this.opts.onLate;
    if (onLate) slot.dueAt = performance.now() + delayMs;
    slot.timer = setTimeout(() => {
      if (onLate) onLate(performance.now() - slot.dueAt!);
      void this.runOnce(srv, slot);
    }, delayMs);
  }

  private async runOnce(srv: Rs, slot: Slot): Promise<void> {
    const gen = slot.gen;
    const r = await slot.run!(this.abort.signal);
    // A check that was under way when its server was suspended (or resumed) does not count.
    if (this.abort.signal.aborted || gen !== slot.gen) return;
    slot.latencyMs = r.latencyMs;
    observe(slot.latency, r.latencyMs);
    if (!r.ok && r.reason !== slot.sockoptFailure && isSockoptFailure(r.reason)) {
      slot.sockoptFailure = r.reason;
      this.opts.log('warning', `${rsKey(srv.vs, srv.rs)}: ${slot.kind} ${r.reason}`);
    }
    if (r.ok && r.weight !== undefined) srv.dynamicWeight = r.weight;
    const step = slot.state.record(r, this.now());
    this.schedule(srv, slot, step.nextInMs);
    // The server's state can change only with one of its checkers' (10,000 checks a second: the
    // common case allocates nothing more).
    if (!step.change) return;
    const alive = realServerAlive(srv.slots.filter((s) => s.run).map((s) => s.state));
    // keepalived mails each checker's change, or only the server's with no_checker_emails.
    if (step.change && srv.mail && this.mailer && (alive !== srv.alive || !this.serverChangesOnly)) {
      const subject = realServerSubject(this.mailer.routerId, srv.vs, srv.rs, alive);
      void this.mailer.send(subject, checkerBody(slot.kind, step.change === 'up', r.reason));
    }
    if (alive === srv.alive) return;
    srv.alive = alive;
    srv.lastChange = this.now();
    const reason = `${slot.kind} ${r.reason}`;
    this.opts.log('info', `${rsKey(srv.vs, srv.rs)} ${alive ? 'UP' : 'DOWN'} (${reason})`);
    this.notify(srv, alive);
    this.opts.onChange({ vs: srv.vs, rs: srv.rs, up: alive, reason });
  }

  private notify(srv: Rs, up: boolean): void {
    const n = up ? srv.rs.notifyUp : srv.rs.notifyDown;
    if (!n) return;
    try {
      const child = spawn(n.argv[0]!, n.argv.slice(1), scriptSpawnOptions(n.runAs));
      child.on('error', (e) => this.opts.log('warning', `notify ${n.argv[0]}: ${e.message}`));
      child.unref();
    } catch (e) {
      this.opts.log('warning', `notify ${n.argv[0]}: ${(e as Error).message}`);
    }
  }

  health(vs: VirtualServer, rs: RealServer): RsHealth {
    const srv = this.byRs.get(rs);
    if (!srv || srv.vs !== vs) return { alive: true };
    return srv.dynamicWeight !== undefined
      ? { alive: srv.alive, weight: srv.dynamicWeight }
      : { alive: srv.alive };
  }

  status(): RsStatus[] {
    return this.servers.map((srv) => this.statusOfServer(srv));
  }

  /** One real server's status (undefined when it is not checked here). */
  statusOf(rs: RealServer): RsStatus | undefined {
    const srv = this.byRs.get(rs);
    return srv && this.statusOfServer(srv);
  }

  private statusOfServer(srv: Rs): RsStatus {
    return {
      virtualServer: `${srv.vs.label}/${srv.vs.protocol}`,
      realServer: rsLabel(srv.rs),
      state: srv.alive ? 'up' : 'down',
      ...(srv.suspended ? { suspended: true } : {}),
      weight: srv.alive ? (srv.dynamicWeight ?? srv.rs.weight) : 0,
      ...(srv.lastChange ? { lastChange: new Date(srv.lastChange).toISOString() } : {}),
      checkers: srv.slots.map((s) => ({
        kind: s.kind,
        up: s.state.isUp,
        consecutiveFailures: s.state.consecutiveFailures,
        ...(s.state.last
          ? {
              lastResult: {
                ok: s.state.last.ok,
                reason: s.state.last.reason,
                at: new Date(s.state.last.at).toISOString(),
                latencyMs: Math.round((s.latencyMs ?? 0) * 10) / 10,
              },
            }
          : {}),
        ...(s.note ? { note: s.note } : {}),
        latency: { ...s.latency, counts: [...s.latency.counts] },
      })),
    };
  }
}
