// The one interface every IPVS scheduler implements. Schedulers are pure apart from their own
// rotation state (and the injected random source / clock); the engine owns the connection counts.

/** What a scheduler sees of one real server. */
export interface DestView {
  /** Stable identity ("address:port") used for the schedulers' tables. */
  readonly id: string;
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  /** Established connections (IPVS "ActiveConn"). */
  readonly activeConns: number;
  /** Connections in any other state (IPVS "InActConn"). */
  readonly inactiveConns: number;
  /** IPVS_DEST_F_OVERLOAD: set by the upper threshold, cleared by the lower one. */
  readonly overloaded: boolean;
}

/** What a scheduler sees of the packet or connection being scheduled. */
export interface ConnInfo {
  client: string;
  clientPort: number;
  /** The virtual address the client targeted (dh, lblc and lblcr key on it). */
  destination: string;
  destinationPort: number;
}

export interface SchedulerFlags {
  /** sh/mh: try other buckets when the hashed server is unavailable (IP_VS_SVC_F_SCHED_SH_FALLBACK). */
  fallback?: boolean;
  /** sh/mh: hash the client port as well (IP_VS_SVC_F_SCHED_SH_PORT). */
  port?: boolean;
}

export interface SchedulerOptions {
  flags?: SchedulerFlags;
  /** Uniform in [0, 1); twos draws from it. Defaults to Math.random. */
  random?: () => number;
  /** Milliseconds; lblc/lblcr expire their cache with it. Defaults to Date.now. */
  now?: () => number;
}

/**
 * Picks a real server or null when none may take the connection. `dests` keeps the service's
 * order; pass a new array whenever membership or weights change (schedulers cache tables by the
 * array's identity, as IPVS rebuilds them on update_service), the counts may change in place.
 */
export interface Scheduler {
  readonly name: string;
  pick<D extends DestView>(conn: ConnInfo, dests: readonly D[]): D | null;
}

/** A server may take new connections: IPVS skips weight 0 (drain) and overloaded servers. */
export function available(d: DestView): boolean {
  return d.weight > 0 && !d.overloaded;
}

/** ip_vs_dest_conn_overhead: active connections dominate, inactive ones break ties. */
export function connOverhead(d: DestView): number {
  return d.activeConns * 1024 + d.inactiveConns;
}

export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
