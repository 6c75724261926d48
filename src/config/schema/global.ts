// global_defs, and vigil's own api block.
import type { Stmt, Token } from '../ast.js';
import type { ApiConfig, ConntrackSync, GlobalDefs } from '../model.js';
import { applyBlock, blockOf, type BlockSpec, type Ctx } from './block.js';
import { parseListen } from '../listen.js';
import { arg, flag, int, intText, ip, notifyCommand, parseIp, seconds, text, userGroup } from './values.js';

export function defaultGlobalDefs(): GlobalDefs {
  return {
    notificationEmail: [],
    dataUseInstance: false,
    smtpConnectTimeout: 30,
    enableScriptSecurity: false,
    startupScriptTimeout: 10,
    shutdownScriptTimeout: 10,
    vrrpStartupDelay: 0,
    vrrpMcastGroup4: '224.0.0.18',
    vrrpMcastGroup6: 'ff02::12',
    vrrpGarpMasterDelay: 5,
    vrrpGarpMasterRepeat: 5,
    vrrpGarpMasterRefresh: 0,
    vrrpGarpMasterRefreshRepeat: 1,
    vrrpGarpInterval: 0,
    vrrpGnaInterval: 0,
    vrrpVersion: 2,
    vrrpStrict: false,
    vrrpSkipCheckAdvAddr: false,
    vrrpCheckUnicastSrc: false,
    lvsTimeouts: {},
    lvsFlush: false,
    lvsFlushOnStop: false,
    lvsEngine: 'auto',
    tuning: { vrrp: {}, checker: {} },
  };
}

const SNMP = 'SNMP is not implemented: no AgentX subagent, no traps';
const DBUS = 'D-Bus is not implemented: no org.keepalived.Vrrp1 service';
const BFD = 'BFD is not implemented: no BFD sessions run';
const NO_SWAP = 'memory is not locked (no mlockall): the process may be swapped out';
const RCV_BUFS = 'the netlink socket keeps its default receive buffer size';
const FIREWALL = 'no firewall (iptables, ipsets or nftables) rules are installed for the VIPs';
const NAME = "processes keep vigil's own names";
const GARP_EXTRA = "no extra gratuitous ARPs or NAs are sent on a vmac's base interface";
const DUMP = 'the state, statistics and JSON dump files are not written';

/** Process-level keywords keepalived takes at the top level (vigil also takes them in global_defs). */
export const PROCESS_KEYWORDS: Record<string, string> = {
  linkbeat_use_polling: 'link state is followed through netlink only, never polled',
  net_namespace:
    'it runs in the network namespace it is started in (start it with ip netns exec); only data_use_instance uses the name',
  net_namespace_ipvs: 'IPVS is driven in the namespace vigil runs in',
  namespace_with_ipsets: 'ipsets are not used',
  use_pid_dir: 'pid files are not put in /run/keepalived/',
  instance: 'pid files and log names do not get the instance name; only data_use_instance uses it',
  child_wait_time: 'vigil waits its own time for the children to stop',
};

/** Keepalived global keywords vigil does not act on → what will not happen. */
const UNIMPLEMENTED: Record<string, string> = {
  ...PROCESS_KEYWORDS,
  process_names: NAME,
  process_name: NAME,
  vrrp_process_name: NAME,
  checker_process_name: NAME,
  lvs_process_name: `${NAME} (and keepalived says: 'lvs_process_name' is deprecated - please use 'checker_process_name')`,
  bfd_process_name: NAME,
  use_symlink_paths: 'script paths are not resolved through symbolic links first',
  set_supplementary_groups: 'scripts do not get the supplementary groups of their user',
  max_auto_priority: 'no automatic realtime priority is set (use vrrp_rt_priority / checker_rt_priority)',
  min_auto_priority_delay: 'no automatic realtime priority is set',
  checker_log_all_failures: "the checkers' default for log_all_failures is not changed",
  dynamic_interfaces: 'interfaces deleted and created again after start are not followed as keepalived does',
  disable_local_igmp: 'IGMP reports are not turned off on the VRRP interfaces',
  v3_checksum_as_v2: 'VRRPv3 adverts always get the RFC 5798 checksum',
  vrrp_down_timer_adverts: 'the master-down timer stays 3 advert intervals',
  vrrp_min_garp: 'the gratuitous ARP settings are not reduced to one at the transition',
  vrrp_garp_extra_if: GARP_EXTRA,
  vrrp_vmac_garp_intvl: `${GARP_EXTRA} (and keepalived says: Keyword "vrrp_vmac_garp_intvl" is deprecated - please use "vrrp_garp_extra_if")`,
  vrrp_iptables: FIREWALL,
  vrrp_ipsets: FIREWALL,
  nftables: FIREWALL,
  nftables_priority: FIREWALL,
  nftables_ifindex: FIREWALL,
  nftables_counters: FIREWALL,
  nftables_ipvs: 'no nftables fwmark rules are made for IPv6 virtual_server_group ranges',
  nftables_ipvs_priority: 'no nftables fwmark rules are made for IPv6 virtual_server_group ranges',
  nftables_ipvs_start_fwmark: 'no nftables fwmark rules are made for IPv6 virtual_server_group ranges',
  vrrp_no_swap: NO_SWAP,
  checker_no_swap: NO_SWAP,
  bfd_no_swap: NO_SWAP,
  fifo_write_vrrp_states_on_reload: "a reload does not write every instance's state to the notify FIFO",
  bfd_priority: BFD,
  bfd_rt_priority: BFD,
  bfd_cpu_affinity: BFD,
  bfd_rlimit_rttime: BFD,
  bfd_rlimit_rtime: BFD,
  snmp_socket: SNMP,
  enable_traps: SNMP,
  enable_snmp_vrrp: SNMP,
  enable_snmp_keepalived: SNMP,
  enable_snmp_rfc: SNMP,
  enable_snmp_rfcv2: SNMP,
  enable_snmp_rfcv3: SNMP,
  enable_snmp_checker: SNMP,
  snmp_vs_stats_update_interval: SNMP,
  snmp_rs_stats_update_interval: SNMP,
  enable_dbus: DBUS,
  dbus_service_name: DBUS,
  dbus_no_interface_name: DBUS,
  vrrp_netlink_cmd_rcv_bufs: RCV_BUFS,
  vrrp_netlink_cmd_rcv_bufs_force: RCV_BUFS,
  vrrp_netlink_monitor_rcv_bufs: RCV_BUFS,
  vrrp_netlink_monitor_rcv_bufs_force: RCV_BUFS,
  lvs_netlink_cmd_rcv_bufs: RCV_BUFS,
  lvs_netlink_cmd_rcv_bufs_force: RCV_BUFS,
  lvs_netlink_monitor_rcv_bufs: RCV_BUFS,
  lvs_netlink_monitor_rcv_bufs_force: RCV_BUFS,
  rs_init_notifies: "real servers' first states at start run no notify_up / notify_down",
  vrrp_rx_bufs_policy: 'the VRRP sockets keep their default receive buffer size',
  vrrp_rx_bufs_multiplier: 'the VRRP sockets keep their default receive buffer size',
  vrrp_delay_after_boot: 'the VRRP instances start at once, without this delay',
  log_unknown_vrids: 'adverts for VRIDs no instance has are not logged',
  vrrp_owner_ignore_adverts: 'an address owner (priority 255) still acts on adverts it receives',
  vmac_prefix: "vmacs keep keepalived's default names (vrrp.VRID …)",
  vmac_addr_prefix: 'no per-VIP vmacs are made (use_vmac_addr), so this has nothing to act on',
  umask: 'files vigil creates get the umask vigil was started with',
  random_seed: 'the random numbers are not seeded with this value',
  reload_check_config: 'a reload is not checked first in a separate process writing this log',
  reload_time_file: 'no reload is scheduled from this file',
  reload_repeat: 'no reload is scheduled',
  reload_file: 'no file is written at reloads',
  config_save_dir: 'configurations are not saved at reloads',
  tmp_config_directory: 'no temporary configuration directory is used',
  json_version: DUMP,
  iproute_usr_dir: 'route and rule names are not read from iproute2 files in this directory',
  iproute_etc_dir: 'route and rule names are not read from iproute2 files in this directory',
  state_dump_file: DUMP,
  stats_dump_file: DUMP,
  json_dump_file: DUMP,
};

const LVS_ENGINES = ['auto', 'ipvs', 'nft', 'userspace'] as const;

/** `<child>_priority`, `_rt_priority`, `_rlimit_rttime` (alias `_rlimit_rtime`), `_cpu_affinity`. */
function tuningKeywords(child: 'vrrp' | 'checker'): BlockSpec<GlobalDefs>['keywords'] {
  const t = (g: GlobalDefs, s: Stmt) => {
    g.tuning[child].loc ??= s.keyword.loc;
    return g.tuning[child];
  };
  const rttime = (s: Stmt, g: GlobalDefs, ctx: Ctx) => {
    const v = int(s, ctx, 1, 2_000_000_000);
    if (v !== undefined) t(g, s).rlimitRttimeUs = v;
  };
  return {
    [`${child}_priority`]: (s, g, ctx) => {
      const v = int(s, ctx, -20, 19);
      if (v !== undefined) t(g, s).nice = v;
    },
    [`${child}_rt_priority`]: (s, g, ctx) => {
      const v = int(s, ctx, 1, 99);
      if (v !== undefined) t(g, s).rtPriority = v;
    },
    [`${child}_rlimit_rttime`]: rttime,
    [`${child}_rlimit_rtime`]: (s, g, ctx) => {
      // keepalived's own wording for the old spelling.
      ctx.warn(
        `Keyword '${s.keyword.text}' is deprecated - please use '${child}_rlimit_rttime'`,
        s.keyword.loc,
      );
      rttime(s, g, ctx);
    },
    [`${child}_cpu_affinity`]: (s, g, ctx) => {
      if (s.args.length === 0)
        return ctx.error(`${s.keyword.text} needs at least one CPU number`, s.keyword.loc);
      const cpus = s.args.map((a) => intText(a, `${s.keyword.text} CPU`, ctx, 0, 1023));
      if (cpus.every((c) => c !== undefined)) t(g, s).cpuAffinity = cpus as number[];
    },
  };
}

/** Errors reported as warnings ("- ignoring"), for values keepalived skips and runs on without. */
function softly(ctx: Ctx): Ctx {
  return { error: (m, loc) => ctx.warn(`${m} - ignoring`, loc), warn: (m, loc) => ctx.warn(m, loc) };
}

/** startup_script / shutdown_script: one each, as keepalived ("… script already specified"). */
function startStopScript(s: Stmt, g: GlobalDefs, ctx: Ctx, type: 'startup' | 'shutdown'): void {
  const key = type === 'startup' ? 'startupScript' : 'shutdownScript';
  if (g[key]) return ctx.warn(`${type} script already specified - ignoring this one`, s.keyword.loc);
  const n = notifyCommand(s, ctx);
  if (n) g[key] = n;
}

function fifo(s: Stmt, ctx: Ctx): { path: string } | undefined {
  const p = text(s, ctx);
  return p === undefined ? undefined : { path: p };
}

const GLOBAL: BlockSpec<GlobalDefs> = {
  name: 'global_defs',
  unimplemented: UNIMPLEMENTED,
  keywords: {
    router_id: (s, g, ctx) => (g.routerId = text(s, ctx)),
    data_use_instance: (s, g, ctx) => {
      // keepalived's check_true_false(): a bad value is reported and the keyword skipped.
      const v = s.args[0]?.text.toLowerCase();
      if (v === undefined || ['true', 'on', 'yes'].includes(v)) g.dataUseInstance = true;
      else if (['false', 'off', 'no'].includes(v)) g.dataUseInstance = false;
      else
        ctx.warn(
          `Invalid value '${s.args[0]!.text}' for global data_use_instance specified - ignoring`,
          s.args[0]!.loc,
        );
    },
    notification_email: (s, g) => {
      g.notificationEmail.push(
        ...s.args.map((a) => a.text),
        ...(s.block ?? []).flatMap((b) => [b.keyword, ...b.args].map((t) => t.text)),
      );
    },
    notification_email_from: (s, g, ctx) => (g.notificationEmailFrom = text(s, ctx)),
    smtp_server: (s, g, ctx) => {
      const host = arg(s, 0, ctx, 'a server address');
      if (!host) return;
      const p = s.args[1] ? intText(s.args[1], 'smtp_server port', ctx, 1, 65535) : 25;
      if (p !== undefined) g.smtpServer = { host: host.text, port: p };
    },
    smtp_helo_name: (s, g, ctx) => (g.smtpHeloName = text(s, ctx)),
    smtp_connect_timeout: (s, g, ctx) =>
      (g.smtpConnectTimeout = int(s, ctx, 1, 3600) ?? g.smtpConnectTimeout),
    smtp_alert: (s, g, ctx) => (g.smtpAlert = flag(s, ctx)),
    smtp_alert_vrrp: (s, g, ctx) => (g.smtpAlertVrrp = flag(s, ctx)),
    smtp_alert_checker: (s, g, ctx) => (g.smtpAlertChecker = flag(s, ctx)),
    enable_script_security: (s, g, ctx) => (g.enableScriptSecurity = flag(s, ctx)),
    script_user: (s, g, ctx) => {
      const u = userGroup(s, ctx);
      if (u) g.scriptUser = { ...u, loc: s.keyword.loc };
    },
    startup_script: (s, g, ctx) => startStopScript(s, g, ctx, 'startup'),
    shutdown_script: (s, g, ctx) => startStopScript(s, g, ctx, 'shutdown'),
    // keepalived runs on with a bad value here (its default stays): warnings, not errors.
    startup_script_timeout: (s, g, ctx) =>
      (g.startupScriptTimeout = int(s, softly(ctx), 1, 1000) ?? g.startupScriptTimeout),
    shutdown_script_timeout: (s, g, ctx) =>
      (g.shutdownScriptTimeout = int(s, softly(ctx), 1, 1000) ?? g.shutdownScriptTimeout),
    vrrp_startup_delay: (s, g, ctx) => {
      // A decimal number of seconds, at least 1 ms; a minute or more is only logged.
      const v = seconds(s, softly(ctx), 0.001, 4_294_967);
      if (v === undefined) return;
      g.vrrpStartupDelay = v;
      if (v >= 60)
        ctx.warn(`The vrrp_startup_delay is very large - ${s.args[0]!.text} seconds`, s.args[0]!.loc);
    },
    vrrp_mcast_group4: (s, g, ctx) => {
      const a = ip(s, ctx);
      if (a && a.family !== 4)
        ctx.error(`vrrp_mcast_group4 must be an IPv4 multicast address, not '${a.address}'`, s.args[0]!.loc);
      else if (a) g.vrrpMcastGroup4 = a.address;
    },
    vrrp_mcast_group6: (s, g, ctx) => {
      const a = ip(s, ctx);
      if (a && a.family !== 6)
        ctx.error(`vrrp_mcast_group6 must be an IPv6 multicast address, not '${a.address}'`, s.args[0]!.loc);
      else if (a) g.vrrpMcastGroup6 = a.address;
    },
    vrrp_garp_master_delay: (s, g, ctx) =>
      (g.vrrpGarpMasterDelay = int(s, ctx, 0, 86400) ?? g.vrrpGarpMasterDelay),
    vrrp_garp_master_repeat: (s, g, ctx) =>
      (g.vrrpGarpMasterRepeat = int(s, ctx, 0, 10000) ?? g.vrrpGarpMasterRepeat),
    vrrp_garp_master_refresh: (s, g, ctx) =>
      (g.vrrpGarpMasterRefresh = int(s, ctx, 0, 86400) ?? g.vrrpGarpMasterRefresh),
    vrrp_garp_master_refresh_repeat: (s, g, ctx) =>
      (g.vrrpGarpMasterRefreshRepeat = int(s, ctx, 0, 10000) ?? g.vrrpGarpMasterRefreshRepeat),
    vrrp_garp_interval: (s, g, ctx) => (g.vrrpGarpInterval = seconds(s, ctx, 0, 1) ?? g.vrrpGarpInterval),
    vrrp_gna_interval: (s, g, ctx) => (g.vrrpGnaInterval = seconds(s, ctx, 0, 1) ?? g.vrrpGnaInterval),
    vrrp_version: (s, g, ctx) => {
      const v = int(s, ctx, 2, 3);
      if (v === 2 || v === 3) g.vrrpVersion = v;
    },
    // Applied per instance (config/validate.ts applyStrictMode, vrrp/config.ts), as keepalived does.
    vrrp_strict: (s, g, ctx) => (g.vrrpStrict = flag(s, ctx)),
    vrrp_garp_lower_prio_delay: (s, g, ctx) => (g.vrrpGarpLowerPrioDelay = int(s, ctx, 0, 86400)),
    vrrp_garp_lower_prio_repeat: (s, g, ctx) => (g.vrrpGarpLowerPrioRepeat = int(s, ctx, 0, 10000)),
    vrrp_lower_prio_no_advert: (s, g, ctx) => (g.vrrpLowerPrioNoAdvert = flag(s, ctx)),
    vrrp_higher_prio_send_advert: (s, g, ctx) => (g.vrrpHigherPrioSendAdvert = flag(s, ctx)),
    vrrp_notify_priority_changes: (s, g, ctx) => (g.vrrpNotifyPriorityChanges = flag(s, ctx)),
    no_email_faults: (s, g, ctx) => (g.noEmailFaults = flag(s, ctx)),
    no_checker_emails: (s, g, ctx) => (g.noCheckerEmails = flag(s, ctx)),
    default_interface: (s, g, ctx) => (g.defaultInterface = text(s, ctx)),
    vrrp_skip_check_adv_addr: (s, g, ctx) => (g.vrrpSkipCheckAdvAddr = flag(s, ctx)),
    vrrp_check_unicast_src: (s, g, ctx) => (g.vrrpCheckUnicastSrc = flag(s, ctx)),
    process_monitor_rcv_bufs: (s, g, ctx) => {
      const v = int(s, ctx, 0, 4294967295);
      if (v) g.processMonitorRcvBufs = v;
    },
    process_monitor_rcv_bufs_force: (s, g, ctx) => (g.processMonitorRcvBufsForce = flag(s, ctx)),
    notify_fifo: (s, g, ctx) => (g.notifyFifo = fifo(s, ctx)),
    notify_fifo_script: (s, g, ctx) => g.notifyFifo && (g.notifyFifo.script = notifyCommand(s, ctx)),
    vrrp_notify_fifo: (s, g, ctx) => (g.vrrpNotifyFifo = fifo(s, ctx)),
    vrrp_notify_fifo_script: (s, g, ctx) =>
      g.vrrpNotifyFifo && (g.vrrpNotifyFifo.script = notifyCommand(s, ctx)),
    lvs_notify_fifo: (s, g, ctx) => (g.lvsNotifyFifo = fifo(s, ctx)),
    lvs_notify_fifo_script: (s, g, ctx) =>
      g.lvsNotifyFifo && (g.lvsNotifyFifo.script = notifyCommand(s, ctx)),
    lvs_timeouts: (s, g, ctx) => {
      for (let i = 0; i + 1 < s.args.length; i += 2) {
        const k = s.args[i]!.text;
        const v = intText(s.args[i + 1]!, `lvs_timeouts ${k}`, ctx, 1, 86400 * 31);
        if (k === 'tcp' || k === 'tcpfin' || k === 'udp') g.lvsTimeouts[k] = v;
        else ctx.error(`lvs_timeouts: unknown timeout '${k}' (tcp, tcpfin or udp)`, s.args[i]!.loc);
      }
      if (s.args.length % 2 === 1)
        ctx.error('lvs_timeouts: each timeout needs a value (tcp N tcpfin N udp N)', s.args.at(-1)!.loc);
    },
    lvs_flush: (s, g, ctx) => (g.lvsFlush = flag(s, ctx)),
    lvs_flush_on_stop: (s, g, ctx) => {
      const t = s.args[0];
      if (!t) g.lvsFlushOnStop = 'full';
      else if (t.text === 'VS') g.lvsFlushOnStop = 'VS';
      // keepalived reports it and runs without it
      else ctx.warn(`lvs_flush_on_stop: unknown type '${t.text}' (nothing, or VS); ignored`, t.loc);
    },
    lvs_sync_daemon: (s, g, ctx) => {
      const ifname = arg(s, 0, ctx, 'an interface and a VRRP instance name');
      const inst = arg(s, 1, ctx, 'a VRRP instance name after the interface');
      if (!ifname || !inst) return;
      const d: GlobalDefs['lvsSyncDaemon'] = {
        interface: ifname.text,
        instance: inst.text,
        loc: s.keyword.loc,
      };
      let first = 2;
      // keepalived's older `lvs_sync_daemon IF INSTANCE SYNCID`, still accepted as it is.
      const legacyId = s.args[2];
      if (legacyId && /^\d+$/.test(legacyId.text)) {
        d.id = intText(legacyId, 'lvs_sync_daemon id', ctx, 0, 255);
        ctx.warn(
          `lvs_sync_daemon: write 'id ${legacyId.text}' for the sync id (the bare number is the old form)`,
          legacyId.loc,
        );
        first = 3;
      }
      for (let i = first; i < s.args.length; i += 2) {
        const k = s.args[i]!.text;
        const v = s.args[i + 1];
        if (!v) {
          ctx.error(`lvs_sync_daemon: '${k}' needs a value`, s.args[i]!.loc);
          break;
        }
        if (k === 'id') d.id = intText(v, 'lvs_sync_daemon id', ctx, 0, 255);
        else if (k === 'maxlen') d.maxlen = intText(v, 'lvs_sync_daemon maxlen', ctx, 1, 65507);
        else if (k === 'port') d.port = intText(v, 'lvs_sync_daemon port', ctx, 1, 65535);
        else if (k === 'ttl') d.ttl = intText(v, 'lvs_sync_daemon ttl', ctx, 1, 255);
        else if (k === 'group')
          d.group =
            parseIp(v.text)?.address ??
            (ctx.error(`lvs_sync_daemon group: '${v.text}' is not an IP address`, v.loc), undefined);
        else
          ctx.error(`lvs_sync_daemon: unknown option '${k}' (id, maxlen, port, ttl, group)`, s.args[i]!.loc);
      }
      g.lvsSyncDaemon = d;
    },
    conntrack_sync: (s, g, ctx) => {
      const ifname = arg(s, 0, ctx, 'an interface and a VRRP instance name');
      const inst = arg(s, 1, ctx, 'a VRRP instance name after the interface');
      if (!ifname || !inst) return;
      const d: ConntrackSync = { interface: ifname.text, instance: inst.text, loc: s.keyword.loc };
      // conntrackd's configuration lexer takes only plain names for the interface.
      if (!/^[A-Za-z][A-Za-z0-9._-]{0,14}$/.test(ifname.text))
        ctx.error(`conntrack_sync: '${ifname.text}' is not an interface name conntrackd accepts`, ifname.loc);
      const ipv4 = (v: Token, what: string): string | undefined => {
        const a = parseIp(v.text);
        if (a?.family === 4 && a.prefix === undefined) return a.address;
        ctx.error(`conntrack_sync ${what}: '${v.text}' is not an IPv4 address`, v.loc);
        return undefined;
      };
      for (let i = 2; i < s.args.length; i += 2) {
        const key = s.args[i]!;
        const v = s.args[i + 1];
        if (!v) {
          ctx.error(`conntrack_sync: '${key.text}' needs a value`, key.loc);
          break;
        }
        if (key.text === 'port') d.port = intText(v, 'conntrack_sync port', ctx, 1, 65535);
        else if (key.text === 'group') {
          d.group = ipv4(v, 'group');
          if (d.group && !isMulticast4(d.group)) {
            ctx.error(`conntrack_sync group: '${v.text}' is not a multicast address (224.0.0.0/4)`, v.loc);
            d.group = undefined;
          }
        } else if (key.text === 'peer') d.peer = ipv4(v, 'peer');
        else if (key.text === 'address') d.address = ipv4(v, 'address');
        else ctx.error(`conntrack_sync: unknown option '${key.text}' (port, group, peer, address)`, key.loc);
      }
      if (d.group && d.peer) {
        ctx.error('conntrack_sync: group (multicast) and peer (unicast) exclude each other', s.keyword.loc);
        delete d.group;
      }
      g.conntrackSync = d;
    },
    ...tuningKeywords('vrrp'),
    ...tuningKeywords('checker'),
    lvs_engine: (s, g, ctx) => {
      const v = text(s, ctx);
      if (v === undefined) return;
      if ((LVS_ENGINES as readonly string[]).includes(v)) g.lvsEngine = v as GlobalDefs['lvsEngine'];
      else ctx.error(`lvs_engine must be one of ${LVS_ENGINES.join(', ')}, not '${v}'`, s.args[0]!.loc);
    },
  },
  synonyms: {
    lvs_flush_onstop: 'lvs_flush_on_stop',
    vrrp_garp_master_refresh_rep: 'vrrp_garp_master_refresh_repeat',
  },
};

function isMulticast4(a: string): boolean {
  const first = Number(a.split('.')[0]);
  return first >= 224 && first <= 239;
}

export const GLOBAL_SPEC = GLOBAL;

export function readGlobalDefs(s: Stmt, g: GlobalDefs, ctx: Ctx): void {
  g.loc ??= s.keyword.loc;
  const stmts = blockOf(s, ctx);
  applyBlock(GLOBAL, stmts, g, ctx);
  recordProcessNames(stmts, g);
}

/**
 * The names of `instance` and `net_namespace` (warned keywords, in global_defs or at the top
 * level): data_use_instance puts them in the dump files' names. The first of each holds, as
 * keepalived ignores a duplicate.
 */
export function recordProcessNames(stmts: Stmt[], g: GlobalDefs): void {
  for (const s of stmts) {
    const name = s.args[0]?.text;
    if (name === undefined) continue;
    if (s.keyword.text === 'instance') g.instanceName ??= name;
    else if (s.keyword.text === 'net_namespace') g.netNamespace ??= name;
  }
}

export function readApi(s: Stmt, ctx: Ctx): ApiConfig {
  const api: ApiConfig = { listen: { host: '127.0.0.1', port: 9273 }, loc: s.keyword.loc };
  applyBlock<ApiConfig>(
    {
      name: 'api',
      keywords: {
        listen: (st, a, c) => {
          const t = arg(st, 0, c, 'ADDRESS:PORT');
          if (!t) return;
          const l = parseListen(t.text);
          if (!l) {
            c.error(
              `api listen must be ADDRESS:PORT with a port 1..65535 (e.g. 127.0.0.1:9273 or [::1]:9273), not '${t.text}'`,
              t.loc,
            );
            return;
          }
          a.listen = l;
        },
        token_file: (st, a, c) => (a.tokenFile = text(st, c)),
      },
    },
    blockOf(s, ctx),
    api,
    ctx,
  );
  return api;
}
