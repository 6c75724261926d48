// The one interface every data plane (ipvs, nft, userspace) implements. The planner in src/lvs
// diffs desired against `read()` and hands the ordered changes to `apply()`.

export type Protocol = 'tcp' | 'udp' | 'sctp';
export type Family = 4 | 6;
/** IPVS forwarding methods (masq, gate, ipip) plus full NAT (DNAT + SNAT). */
export type Forwarding = 'nat' | 'dr' | 'tun' | 'fullnat';

export type ServiceKey =
  | { kind: 'addr'; family: Family; address: string; port: number; protocol: Protocol }
  | { kind: 'fwmark'; family: Family; fwmark: number };

export interface ServiceSpec {
  key: ServiceKey;
  /** IPVS scheduler name: rr, wrr, lc, wlc, sed, nq, sh, dh, lblc, lblcr, fo, ovf, mh, twos. */
  scheduler: string;
  /** Seconds; absent when not persistent. */
  persistenceTimeout?: number;
  /** IPv4 netmask (dotted) or IPv6 prefix length for persistence granularity. */
  persistenceNetmask?: string;
  /** One-packet scheduling (UDP), sh/mh fallback and port flags. */
  flags: { ops?: boolean; fallback?: boolean; port?: boolean };
}

export interface DestSpec {
  address: string;
  port: number;
  forwarding: Forwarding;
  weight: number;
  /** 0 means no limit, as in IPVS. */
  upperThreshold: number;
  lowerThreshold: number;
  tunnelType?: 'ipip' | 'gue' | 'gre';
  tunnelPort?: number;
  /** IPVS tunnel checksum flags (absent: nocsum). */
  tunnelCsum?: 'csum' | 'remcsum';
}

export interface ServiceState extends ServiceSpec {
  dests: DestSpec[];
}

export type Change =
  | { op: 'add-service'; service: ServiceSpec }
  | { op: 'edit-service'; service: ServiceSpec }
  | { op: 'del-service'; key: ServiceKey }
  | { op: 'add-dest'; key: ServiceKey; dest: DestSpec }
  | { op: 'edit-dest'; key: ServiceKey; dest: DestSpec }
  | { op: 'del-dest'; key: ServiceKey; address: string; port: number };

export interface Counters {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

/** One real server's live figures (IPVS ActiveConn / InActConn and its counters). */
export interface DestStats {
  address: string;
  port: number;
  activeConns: number;
  inactiveConns: number;
  counters: Counters;
}

export interface ServiceStats {
  key: ServiceKey;
  counters: Counters;
  dests: DestStats[];
}

/** One entry of a connection table (ipvsadm -Lc). */
export interface ConnEntry {
  protocol: Protocol;
  client: string;
  clientPort: number;
  virtual: string;
  virtualPort: number;
  dest: string;
  destPort: number;
  /** IPVS state names (SYN_RECV, ESTABLISHED, FIN_WAIT, …; UDP for UDP). */
  state: string;
  /** Milliseconds until the entry times out unless traffic refreshes it. */
  expiresMs: number;
}

/** An IPVS connection-sync daemon (ipvsadm --start-daemon; keepalived lvs_sync_daemon). */
export interface SyncDaemonSpec {
  state: 'master' | 'backup';
  mcastInterface: string;
  syncid: number;
  syncMaxlen?: number;
  mcastGroup?: string;
  mcastPort?: number;
  mcastTtl?: number;
}

export interface Engine {
  readonly name: 'ipvs' | 'nft' | 'userspace';
  /** What is programmed now (for adoption after a restart and for idempotent planning). */
  read(): Promise<ServiceState[]>;
  /** Applies changes in order; rejects with an Error naming the service/destination on failure. */
  apply(changes: Change[]): Promise<void>;
  close(): Promise<void>;
  /**
   * Removes what the engine set up around the services (nft's tables and hook chains), after
   * the services are gone: at stop, unless the operator keeps the data plane.
   */
  release?(): Promise<void>;
  /** Empties the data plane, services vigil did not program included (lvs_flush, lvs_flush_on_stop). */
  flush?(): Promise<void>;
  /** Per service and real server connection counts and counters, where the engine keeps them. */
  stats?(): Promise<ServiceStats[]>;
}
