// The typed configuration every part of vigil reads. Names follow keepalived's keywords in
// camelCase (advert_int → advertInt) so an operator finds their config in the code. Every item
// keeps the location it was defined at, for diagnostics at run time too.
import type { Loc } from './ast.js';

export type Family = 4 | 6;

/** An address with optional prefix length, as written (`10.0.0.1/24`). */
export interface IpPrefix {
  address: string;
  family: Family;
  prefix?: number;
}

export interface VipSpec extends IpPrefix {
  dev?: string;
  label?: string;
  scope?: string;
  brd?: string;
  /** Everything after the address, as written (for routes/rules we don't interpret). */
  options: string[];
  loc: Loc;
}

export interface Notify {
  argv: string[];
  loc: Loc;
}

export interface GlobalDefs {
  routerId?: string;
  notificationEmail: string[];
  notificationEmailFrom?: string;
  smtpServer?: { host: string; port: number };
  smtpHeloName?: string;
  smtpConnectTimeout: number;
  /** Global smtp_alert defaults; unset: each part's own default. */
  smtpAlert?: boolean;
  smtpAlertVrrp?: boolean;
  smtpAlertChecker?: boolean;
  enableScriptSecurity: boolean;
  scriptUser?: { user: string; group?: string };
  vrrpMcastGroup4: string;
  vrrpMcastGroup6: string;
  vrrpGarpMasterDelay: number;
  vrrpGarpMasterRepeat: number;
  vrrpGarpMasterRefresh: number;
  vrrpGarpMasterRefreshRepeat: number;
  vrrpGarpInterval: number;
  vrrpGnaInterval: number;
  vrrpVersion: 2 | 3;
  vrrpStrict: boolean;
  vrrpSkipCheckAdvAddr: boolean;
  vrrpCheckUnicastSrc: boolean;
  notifyFifo?: { path: string; script?: Notify };
  vrrpNotifyFifo?: { path: string; script?: Notify };
  lvsNotifyFifo?: { path: string; script?: Notify };
  lvsSyncDaemon?: LvsSyncDaemon;
  /** vigil: conntrackd state replication for the nft engine's NAT (the IPVS sync daemon's counterpart). */
  conntrackSync?: ConntrackSync;
  lvsTimeouts: { tcp?: number; tcpfin?: number; udp?: number };
  lvsFlush: boolean;
  lvsFlushOnStop: boolean;
  /** vigil: which data plane runs the virtual servers. */
  lvsEngine: 'auto' | 'ipvs' | 'nft' | 'userspace';
  /** vrrp_priority, vrrp_rt_priority, vrrp_rlimit_rttime, vrrp_cpu_affinity and the checker_ ones. */
  tuning: { vrrp: ProcessTuning; checker: ProcessTuning };
  /** Keywords keepalived knows that vigil accepts without acting on them. */
  other: Record<string, string[]>;
  loc?: Loc;
}

/** keepalived's scheduling settings for one child process, applied when it starts. */
export interface ProcessTuning {
  /** Nice value -20..19 (negative: more CPU). */
  nice?: number;
  /** SCHED_RR priority 1..99 for the child's main thread (its event loop). */
  rtPriority?: number;
  /** RLIMIT_RTTIME in µs (keepalived's default with a realtime priority: 10000). */
  rlimitRttimeUs?: number;
  cpuAffinity?: number[];
  loc?: Loc;
}

export interface LvsSyncDaemon {
  interface: string;
  instance: string;
  id?: number;
  maxlen?: number;
  port?: number;
  ttl?: number;
  group?: string;
  loc: Loc;
}

/**
 * `conntrack_sync INTERFACE INSTANCE [port N] [group ADDR | peer ADDR] [address ADDR]`: conntrackd
 * in FTFW mode over INTERFACE, committing the peer's connections into the kernel when INSTANCE
 * becomes MASTER. Multicast to `group` (default 225.0.0.50) unless `peer` names the other director
 * (unicast UDP); `address` is this director's source on INTERFACE (default its primary IPv4).
 */
export interface ConntrackSync {
  interface: string;
  instance: string;
  port?: number;
  group?: string;
  peer?: string;
  address?: string;
  loc: Loc;
}

/** vigil's `api { listen ADDR:PORT; token_file PATH }`. */
export interface ApiConfig {
  listen: { host: string; port: number };
  tokenFile?: string;
  loc: Loc;
}

export interface VrrpScript {
  name: string;
  script?: Notify;
  interval: number;
  timeout?: number;
  weight: number;
  /** `weight N reverse`. */
  weightReverse: boolean;
  rise: number;
  fall: number;
  user?: { user: string; group?: string };
  initFail: boolean;
  loc: Loc;
}

export interface TrackFile {
  name: string;
  file?: string;
  weight: number;
  weightReverse: boolean;
  initFile?: { value: number; overwrite: boolean };
  loc: Loc;
}

export interface TrackProcess {
  name: string;
  process?: string;
  param?: string;
  paramMatch: 'exact' | 'partial' | 'initial';
  weight: number;
  weightReverse: boolean;
  quorum: number;
  quorumMax?: number;
  delay?: number;
  terminateDelay?: number;
  forkDelay?: number;
  fullCommand: boolean;
  loc: Loc;
}

/** `track_script { name [weight N [reverse]] }` and friends. */
export interface TrackRef {
  name: string;
  weight?: number;
  reverse: boolean;
  loc: Loc;
}

export interface NotifyScripts {
  notify?: Notify;
  notifyMaster?: Notify;
  notifyBackup?: Notify;
  notifyFault?: Notify;
  notifyStop?: Notify;
}

export interface SyncGroup extends NotifyScripts {
  name: string;
  group: { name: string; loc: Loc }[];
  trackInterface: TrackRef[];
  trackScript: TrackRef[];
  trackFile: TrackRef[];
  trackProcess: TrackRef[];
  globalTracking: boolean;
  smtpAlert?: boolean;
  loc: Loc;
}

export interface GarpGroup {
  interfaces: string[];
  garpInterval?: number;
  gnaInterval?: number;
  loc: Loc;
}

export interface Authentication {
  authType: 'PASS' | 'AH';
  authPass?: string;
  loc: Loc;
}

export interface VrrpInstance extends NotifyScripts {
  name: string;
  state: 'MASTER' | 'BACKUP';
  /** Whether `state` was written. */
  stateSet: boolean;
  interface?: string;
  virtualRouterId?: number;
  priority: number;
  advertInt: number;
  version?: 2 | 3;
  /** The version in force: `version`, else 3 for an IPv6 instance, else global vrrp_version. */
  effectiveVersion: 2 | 3;
  family: Family;
  authentication?: Authentication;
  virtualIpaddress: VipSpec[];
  virtualIpaddressExcluded: VipSpec[];
  virtualRoutes: { spec: string[]; loc: Loc }[];
  virtualRules: { spec: string[]; loc: Loc }[];
  unicastSrcIp?: string;
  unicastPeer: { address: string; loc: Loc }[];
  mcastSrcIp?: string;
  trackInterface: TrackRef[];
  trackScript: TrackRef[];
  trackFile: TrackRef[];
  trackProcess: TrackRef[];
  nopreempt: boolean;
  preemptDelay: number;
  garpMasterDelay?: number;
  garpMasterRepeat?: number;
  garpMasterRefresh?: number;
  garpMasterRefreshRepeat?: number;
  dontTrackPrimary: boolean;
  skipCheckAdvAddr?: boolean;
  strictMode?: boolean;
  useVmac?: string;
  smtpAlert?: boolean;
  /** keepalived's pre-1.2.19 `lvs_sync_daemon_interface IFNAME`: lvs_sync_daemon IFNAME <this instance>. */
  lvsSyncDaemonInterface?: { ifname: string; loc: Loc };
  /** Keywords accepted without acting on them, and values that were rejected (by keyword). */
  other: Record<string, string[]>;
  loc: Loc;
}

export interface StaticAddresses {
  addresses: VipSpec[];
  routes: { spec: string[]; loc: Loc }[];
  rules: { spec: string[]; loc: Loc }[];
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type LbKind = 'NAT' | 'DR' | 'TUN' | 'FULLNAT';

export interface CheckCommon {
  connectIp?: string;
  connectPort?: number;
  bindto?: string;
  bindPort?: number;
  bindIf?: string;
  connectTimeout?: number;
  fwmark?: number;
  retry?: number;
  delayBeforeRetry?: number;
  warmup?: number;
  delayLoop?: number;
  alpha?: boolean;
  logAllFailures?: boolean;
}

export interface HttpUrl {
  path?: string;
  digest?: string;
  /** Inclusive ranges; default 200-299. */
  statusCode: { from: number; to: number }[];
  regex?: string;
  regexNoMatch: boolean;
  virtualhost?: string;
  loc: Loc;
}

export type Checker =
  | ({ kind: 'TCP_CHECK'; loc: Loc } & CheckCommon)
  | ({
      kind: 'HTTP_GET' | 'SSL_GET';
      urls: HttpUrl[];
      virtualhost?: string;
      httpProtocol?: string;
      enableSni: boolean;
      sniName?: string;
      loc: Loc;
    } & CheckCommon)
  | ({
      kind: 'MISC_CHECK';
      miscPath?: Notify;
      miscTimeout?: number;
      miscDynamic: boolean;
      user?: { user: string; group?: string };
      loc: Loc;
    } & CheckCommon)
  | ({ kind: 'SMTP_CHECK'; heloName?: string; hosts: (CheckCommon & { loc: Loc })[]; loc: Loc } & CheckCommon)
  | ({ kind: 'DNS_CHECK'; type: string; name: string; loc: Loc } & CheckCommon)
  | ({
      kind: 'UDP_CHECK';
      payload?: string;
      requireReply?: string | true;
      minReplyLength?: number;
      maxReplyLength?: number;
      loc: Loc;
    } & CheckCommon)
  | ({ kind: 'PING_CHECK'; loc: Loc } & CheckCommon)
  | { kind: 'FILE_CHECK'; trackFile?: string; weight?: number; weightReverse: boolean; loc: Loc }
  | { kind: 'BFD_CHECK'; name?: string; weight?: number; alpha?: boolean; loc: Loc };

export interface RealServer {
  address: string;
  family: Family;
  /** Absent for fwmark services written without a port. */
  port?: number;
  weight: number;
  lvsMethod?: LbKind;
  uthreshold?: number;
  lthreshold?: number;
  inhibitOnFailure?: boolean;
  notifyUp?: Notify;
  notifyDown?: Notify;
  alpha?: boolean;
  retry?: number;
  delayBeforeRetry?: number;
  warmup?: number;
  delayLoop?: number;
  connectTimeout?: number;
  smtpAlert?: boolean;
  virtualhost?: string;
  checkers: Checker[];
  loc: Loc;
}

export type VirtualServerKey =
  | { kind: 'addr'; address: string; family: Family; port: number }
  | { kind: 'fwmark'; fwmark: number }
  | { kind: 'group'; group: string };

export interface VirtualServer {
  key: VirtualServerKey;
  /** `10.0.0.1:80`, `fwmark 3`, `group NAME`: how messages name it. */
  label: string;
  delayLoop: number;
  lbAlgo: string;
  lbKind: LbKind;
  /** Whether `protocol` was written (keepalived defaults to UDP with a complaint). */
  protocolSet: boolean;
  protocol: Protocol;
  persistenceTimeout?: number;
  persistenceGranularity?: string;
  persistenceEngine?: string;
  ops: boolean;
  flags: { shPort: boolean; shFallback: boolean; mhPort: boolean; mhFallback: boolean };
  haSuspend: boolean;
  virtualhost?: string;
  alpha: boolean;
  omega: boolean;
  quorum: number;
  hysteresis: number;
  quorumUp?: Notify;
  quorumDown?: Notify;
  sorryServer?: { address: string; port?: number; loc: Loc };
  sorryServerInhibit: boolean;
  sorryServerLvsMethod?: LbKind;
  inhibitOnFailure: boolean;
  retry?: number;
  delayBeforeRetry?: number;
  warmup?: number;
  connectTimeout?: number;
  smtpAlert?: boolean;
  ipFamily?: Family;
  realServers: RealServer[];
  loc: Loc;
}

export interface VirtualServerGroup {
  name: string;
  members: (
    | { kind: 'addr'; address: string; family: Family; port?: number; rangeEnd?: number; loc: Loc }
    | { kind: 'fwmark'; fwmark: number; loc: Loc }
  )[];
  loc: Loc;
}

export interface Config {
  files: string[];
  globalDefs: GlobalDefs;
  api?: ApiConfig;
  vrrpScripts: VrrpScript[];
  trackFiles: TrackFile[];
  trackProcesses: TrackProcess[];
  syncGroups: SyncGroup[];
  garpGroups: GarpGroup[];
  vrrpInstances: VrrpInstance[];
  staticAddresses: StaticAddresses;
  virtualServerGroups: VirtualServerGroup[];
  virtualServers: VirtualServer[];
}
