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
  /** `USER [GROUP]` written after a notify script, or the block's `user` (vrrp_script, MISC_CHECK). */
  user?: { user: string; group?: string };
  /** Set at start (src/scripts/secure-config.ts): the uid/gid to run as, when not vigil's own. */
  runAs?: { uid: number; gid: number };
}

export interface GlobalDefs {
  routerId?: string;
  /** `data_use_instance`: the .data dump files' names carry the namespace and instance names. */
  dataUseInstance: boolean;
  /** `instance NAME` (the first one; the keyword is warned, the name names the dump files). */
  instanceName?: string;
  /** `net_namespace NAME` (the first one; warned likewise). */
  netNamespace?: string;
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
  scriptUser?: { user: string; group?: string; loc: Loc };
  /** startup_script / shutdown_script and their timeouts (s; keepalived's default 10). */
  startupScript?: Notify;
  startupScriptTimeout: number;
  shutdownScript?: Notify;
  shutdownScriptTimeout: number;
  /** vrrp_startup_delay, seconds (0: none). */
  vrrpStartupDelay: number;
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
  /** `default_interface`: where a static address without `dev` goes (keepalived's default eth0). */
  defaultInterface?: string;
  vrrpCheckUnicastSrc: boolean;
  /** process_monitor_rcv_bufs: SO_RCVBUF of the process events socket (bytes). */
  processMonitorRcvBufs?: number;
  /** process_monitor_rcv_bufs_force: SO_RCVBUFFORCE (beyond net.core.rmem_max). */
  processMonitorRcvBufsForce?: boolean;
  /** Defaults of the instances' garp_lower_prio_delay / _repeat, lower_prio_no_advert … */
  vrrpGarpLowerPrioDelay?: number;
  vrrpGarpLowerPrioRepeat?: number;
  vrrpLowerPrioNoAdvert?: boolean;
  vrrpHigherPrioSendAdvert?: boolean;
  vrrpNotifyPriorityChanges?: boolean;
  /** No mail for a VRRP instance or sync group entering FAULT. */
  noEmailFaults?: boolean;
  /** Checker mails only for real servers going up or down, not each checker's change. */
  noCheckerEmails?: boolean;
  notifyFifo?: { path: string; script?: Notify };
  vrrpNotifyFifo?: { path: string; script?: Notify };
  lvsNotifyFifo?: { path: string; script?: Notify };
  lvsSyncDaemon?: LvsSyncDaemon;
  /** vigil: conntrackd state replication for the nft engine's NAT (the IPVS sync daemon's counterpart). */
  conntrackSync?: ConntrackSync;
  lvsTimeouts: { tcp?: number; tcpfin?: number; udp?: number };
  /** lvs_flush: empty the data plane at start (not on reload), foreign services included. */
  lvsFlush: boolean;
  /** lvs_flush_on_stop: 'full' empties the whole table at stop; 'VS' (and false) removes vigil's services. */
  lvsFlushOnStop: false | 'full' | 'VS';
  /** vigil: which data plane runs the virtual servers. */
  lvsEngine: 'auto' | 'ipvs' | 'nft' | 'userspace';
  /** vrrp_priority, vrrp_rt_priority, vrrp_rlimit_rttime, vrrp_cpu_affinity and the checker_ ones. */
  tuning: { vrrp: ProcessTuning; checker: ProcessTuning };
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
  initFile?: { value: number };
  loc: Loc;
}

export interface TrackProcess {
  name: string;
  /** comm (/proc/PID/comm) or, with fullCommand, argv[0] of /proc/PID/cmdline. */
  process?: string;
  /** The parameters after `process PATH` (each compared with its NUL, as keepalived does). */
  params?: string[];
  /** 'none': parameters are not looked at (keepalived's PARAM_MATCH_NONE, the default). */
  paramMatch: 'none' | 'exact' | 'partial' | 'initial';
  weight: number;
  weightReverse: boolean;
  quorum: number;
  /** Absent: no maximum. */
  quorumMax?: number;
  /** Seconds before a lost quorum counts (`terminate_delay`, or `delay`). */
  terminateDelay?: number;
  /** Seconds before a quorum gained by a fork counts (`fork_delay`, or `delay`). */
  forkDelay?: number;
  fullCommand: boolean;
  loc: Loc;
}

/** `track_script { name [weight N [reverse]] }` and friends. */
export interface TrackRef {
  name: string;
  weight?: number;
  reverse: boolean;
  /** track_process: `reverse` or `noreverse` was written (else the tracked object's direction holds). */
  reverseSet?: boolean;
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
  smtpAlert?: boolean;
  /** sync_group_tracking_weight (or the older global_tracking): keepalived keeps the members'
   * tracking weights; without it, it drops them. vigil always keeps them (validate warns). */
  trackingWeight?: boolean;
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
  /** notify_master_rx_lower_pri: run (no arguments added) when, as master, a lower-priority advert arrives. */
  notifyMasterRxLowerPri?: Notify;
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
  virtualRoutes: IpRoute[];
  virtualRules: IpRule[];
  unicastSrcIp?: string;
  /** `unicast_peer { ADDR [min_ttl N] [max_ttl N] }` (keepalived's defaults 0 and 255). */
  unicastPeer: { address: string; loc: Loc; minTtl?: number; maxTtl?: number }[];
  /** `mcast_src_ip`: in keepalived the same setting as unicast_src_ip (the adverts' source). */
  mcastSrcIp?: string;
  /** `unicast_ttl` 0..255: TTL / hop limit of unicast adverts (keepalived's default 255). */
  unicastTtl?: number;
  /** `accept` (true) / `no_accept` (false); unset: keepalived's default (see instanceConfig). */
  accept?: boolean;
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
  garpLowerPrioDelay?: number;
  garpLowerPrioRepeat?: number;
  lowerPrioNoAdvert?: boolean;
  higherPrioSendAdvert?: boolean;
  notifyPriorityChanges?: boolean;
  checkUnicastSrc?: boolean;
  dontTrackPrimary: boolean;
  skipCheckAdvAddr?: boolean;
  strictMode?: boolean;
  /** `use_vmac [NAME]`: the name when given (keepalived's default is vrrp.VRID). */
  useVmac?: { name?: string; loc: Loc };
  vmacXmitBase?: boolean;
  smtpAlert?: boolean;
  /** keepalived's pre-1.2.19 `lvs_sync_daemon_interface IFNAME`: lvs_sync_daemon IFNAME <this instance>. */
  lvsSyncDaemonInterface?: { ifname: string; loc: Loc };
  /** Values that were rejected, by keyword (so validation does not also call them missing). */
  other: Record<string, string[]>;
  /** Where each keyword of the block was written (by its canonical name), for diagnostics. */
  keywordLocs: Record<string, Loc>;
  loc: Loc;
}

export interface StaticAddresses {
  addresses: VipSpec[];
  routes: IpRoute[];
  rules: IpRule[];
}

export type IpRouteKind = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw';

/** One line of virtual_routes / static_routes, read as keepalived's alloc_route reads it. */
export interface IpRoute {
  /** 'default' or ADDRESS/PREFIX (a bare address is a host route). */
  to: string;
  family: Family;
  kind: IpRouteKind;
  via?: string;
  dev?: string;
  src?: string;
  table: number;
  metric?: number;
  scope: number;
  protocol: number;
  tos?: number;
  /** `no_track`: a deletion by someone else is not acted on. */
  noTrack: boolean;
  /** The line as written, for logs. */
  text: string;
  loc: Loc;
}

export type IpRuleAction = 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

/** One line of virtual_rules / static_rules, read as keepalived's alloc_rule reads it. */
export interface IpRule {
  family: Family;
  /** ADDRESS/PREFIX. */
  from?: string;
  to?: string;
  not: boolean;
  /** `preference`; keepalived numbers rules without one from 16384 downwards. */
  priority: number;
  action: IpRuleAction;
  table?: number;
  gotoTarget?: number;
  tos?: number;
  fwmark?: number;
  fwmask?: number;
  iif?: string;
  oif?: string;
  protocol: number;
  ipproto?: number;
  sport?: [number, number];
  dport?: [number, number];
  uidrange?: [number, number];
  suppressPrefixlen?: number;
  noTrack: boolean;
  text: string;
  loc: Loc;
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

/** An IPVS tunnel's encapsulation, as keepalived 2.2.7 reads it after TUN. */
export interface Tunnel {
  type: 'ipip' | 'gue' | 'gre';
  /** gue only (and required there). */
  port?: number;
  csum: 'nocsum' | 'csum' | 'remcsum';
}

export interface RealServer {
  address: string;
  family: Family;
  /** Absent for fwmark services written without a port. */
  port?: number;
  weight: number;
  lvsMethod?: LbKind;
  /** `lvs_method TUN type … port … csum`: this server's own tunnel settings. */
  tunnel?: Tunnel;
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
  /** `lb_kind TUN type gue|gre|ipip [port N] [csum|nocsum|remcsum]` (IPVS engine). */
  tunnel?: Tunnel;
  /** Whether `protocol` was written (keepalived defaults to UDP with a complaint). */
  protocolSet: boolean;
  protocol: Protocol;
  persistenceTimeout?: number;
  persistenceGranularity?: string;
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
  /** Where each keyword of the block was written (by its canonical name), for diagnostics. */
  keywordLocs: Record<string, Loc>;
  loc: Loc;
}

export interface VirtualServerGroup {
  name: string;
  members: (
    | {
        kind: 'addr';
        address: string;
        family: Family;
        port?: number;
        /** The range's last address (ADDRESS-END, ADDRESS/PREFIX), inclusive. */
        last?: string;
        loc: Loc;
      }
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
  /** The root `SSL { }` block: SSL_GET's client certificate (keepalived's check_data->ssl). */
  ssl?: SslConfig;
}

export interface SslConfig {
  password?: string;
  ca?: string;
  certificate?: string;
  key?: string;
  loc: Loc;
}
