// Messages between the supervisor and its children over Node's IPC channel: the wire's shapes.
// Which requests each child takes, with their arguments and replies, is ./contract.ts.
import type { ChildKind } from './contract.js';

export type { ChildKind };

export type ParentMessage =
  /** `cmd` is one of the child's calls in ./contract.ts, `args` its arguments. */
  | { type: 'request'; id: number; cmd: string; args?: unknown }
  | { type: 'stop' }
  /** Another child's event relayed by the supervisor (VRRP states for ha_suspend). */
  | { type: 'event'; event: Record<string, unknown> };

/** The VRRP child's event on each state change (and for every instance after start/reload). */
export type VrrpStateEvent = {
  kind: 'vrrp-state';
  instance: string;
  state: string;
};

export function isVrrpStateEvent(e: Record<string, unknown>): e is VrrpStateEvent {
  return e.kind === 'vrrp-state' && typeof e.instance === 'string' && typeof e.state === 'string';
}

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'reply'; id: number; result?: unknown; error?: string }
  | { type: 'event'; event: Record<string, unknown> };

export function isChildMessage(m: unknown): m is ChildMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

export function isParentMessage(m: unknown): m is ParentMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

/** Environment variable through which a child receives the daemon options. */
export const CHILD_OPTIONS_ENV = 'VIGIL_CHILD_OPTIONS';
