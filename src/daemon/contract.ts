// The daemon's contract, in one place: what the supervisor may ask each child and what the child
// answers, and the status every reader gets (the API, /metrics, `vigil status`, the labs). Both
// ends are typed from this map; inputs from outside (the API's bodies, the control socket's adm
// requests) are checked once, at that edge, before they become one of these types.
import type { AdmCommand } from '../adm/args.js';
import type { AdmReply } from '../adm/handle.js';
import type { LvsController, RuntimeReply, RuntimeRequest } from '../lvs/controller.js';
import type { HistoryReply } from '../lvs/history.js';
import type { RuntimeStatus } from '../vrrp/runtime.js';
import type { LoopLateness } from './lateness.js';
import type { DumpSignal } from './signals.js';

/** The VRRP child's status: its engine's, or `starting` before the first configuration ran. */
export type VrrpChildStatus = (RuntimeStatus | { starting: true }) & { loopLatenessMs: LoopLateness };

export type ControllerStatus = ReturnType<LvsController['status']>;

/** The checker child's status: the data plane's, with the reason when the engine is not the one asked. */
export type CheckerChildStatus = (ControllerStatus & { why?: string }) | { virtualServers: [] };
export type CheckerStatus = CheckerChildStatus & { loopLatenessMs: LoopLateness };

/** One request: its arguments and its reply. */
interface Call<A, R> {
  args: A;
  reply: R;
}

/** What every child answers. */
interface CommonCalls<S, D, L> {
  status: Call<undefined, S>;
  /** The configuration read again; the reply says how much of it runs. */
  reload: Call<undefined, L>;
  /** The state for the supervisor's vigil.data. */
  dump: Call<undefined, D>;
  /** One of keepalived's dump signals relayed: the files written. */
  signal: Call<DumpSignal, string[]>;
}

export interface ChildCalls {
  vrrp: CommonCalls<VrrpChildStatus, RuntimeStatus | null, { instances: number }>;
  checker: CommonCalls<CheckerStatus, ControllerStatus | null, { virtualServers: number }> & {
    /** An ipvsadm command, checked at the control socket. */
    adm: Call<AdmCommand, AdmReply>;
    /** An API change to a real server, checked by the API. */
    runtime: Call<RuntimeRequest, RuntimeReply>;
    history: Call<{ vs: string; rs: string }, HistoryReply>;
  };
}

export type ChildKind = keyof ChildCalls;
export type CallName<K extends ChildKind> = keyof ChildCalls[K] & string;
export type CallArgs<K extends ChildKind, C extends CallName<K>> =
  ChildCalls[K][C] extends Call<infer A, unknown> ? A : never;
export type CallReply<K extends ChildKind, C extends CallName<K>> =
  ChildCalls[K][C] extends Call<unknown, infer R> ? R : never;

/** A child's side of the contract: one handler per request it takes. */
export type CallHandlers<K extends ChildKind> = {
  [C in CallName<K>]: (args: CallArgs<K, C>) => CallReply<K, C> | Promise<CallReply<K, C>>;
};

/** A child as the supervisor reports it; `status` is the error when the child did not answer. */
export interface ChildSlotStatus<S> {
  pid: number | null;
  restarts: number;
  status: S | { error: string };
}

/** `vigil status --json`, GET /api/v1/status, and what /metrics is rendered from. */
export interface DaemonStatus {
  pid: number;
  configFile: string;
  runtimeDir: string;
  reloads: number;
  children: { vrrp?: ChildSlotStatus<VrrpChildStatus>; checker?: ChildSlotStatus<CheckerStatus> };
}
