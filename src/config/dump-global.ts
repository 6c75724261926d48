// The "Global definitions" section every keepalived .data dump starts with (global_data.c
// dump_global_data), in its order. Lines for what vigil does not have state keepalived's value
// for that setting when it is not configured, which is what vigil does (no SNMP, no D-Bus, no
// BFD, default netlink buffers…); the build details of keepalived's own binary (libnftnl version)
// and the process umask are left out.
import { hostname } from 'node:os';
import type { Config, Notify, ProcessTuning } from './model.js';

/** Which process writes the dump: keepalived's VRRP process resolves some defaults the others do not. */
export type DumpProcess = 'parent' | 'vrrp' | 'checker';

/** keepalived's PARAMETER_UNSET, as the processes that do not resolve it print it. */
const UNSET = 4294967295;

/** keepalived's cmd_str(): a script's words, each in single quotes (every data dump writes scripts so). */
export function cmdStr(n: Notify): string {
  return n.argv.map((a) => `'${a}'`).join(' ');
}

/** `%f` */
function f6(n: number): string {
  return n.toFixed(6);
}

function tuningLines(name: string, t: ProcessTuning): string[] {
  return [
    ` ${name} process priority = ${t.nice ?? 0}`,
    // vigil locks no memory (the *_no_swap keywords are warned).
    ` ${name} don't swap = false`,
    ` ${name} realtime priority = ${t.rtPriority ?? 0}`,
    ...(t.cpuAffinity?.length ? [` ${name} CPU Affinity = ${t.cpuAffinity.join(' ')}`] : []),
    ` ${name} realtime limit = ${t.rlimitRttimeUs ?? 10000}`,
  ];
}

function fifoLines(label: string, fifo: { path: string; script?: Notify } | undefined): string[] {
  if (!fifo) return [];
  const out = [` ${label} = ${fifo.path}, uid:gid 0:0`];
  if (fifo.script) out.push(` ${label} script = ${cmdStr(fifo.script)}, uid:gid 0:0`);
  return out;
}

/** The global definitions keepalived's dumps start with. */
export function globalData(config: Config, proc: DumpProcess = 'parent'): string[] {
  const g = config.globalDefs;
  const onOff = (v: boolean | undefined): string => (v === undefined ? 'unset' : v ? 'on' : 'off');
  const out = [
    '------< Global definitions >------',
    ` Network namespace = ${g.netNamespace ?? '(default)'}`,
    ' Network namespace ipvs = (main namespace)',
  ];
  if (g.instanceName !== undefined) out.push(` Instance name = ${g.instanceName}`);
  out.push(` Router ID = ${g.routerId ?? hostname()}`); // keepalived's default: the host name
  if (g.smtpServer) {
    out.push(` Smtp server = ${g.smtpServer.host}`, ` Smtp server port = ${g.smtpServer.port}`);
    if (g.smtpHeloName) out.push(` Smtp HELO name = ${g.smtpHeloName}`);
    out.push(` Smtp server connection timeout = ${Math.floor(g.smtpConnectTimeout)}`);
  }
  if (g.notificationEmailFrom)
    out.push(
      ` Email notification from = ${g.notificationEmailFrom}`,
      ' Email notification to:',
      ...g.notificationEmail.map((e) => `   ${e}`),
    );
  out.push(
    ` Default smtp_alert = ${onOff(g.smtpAlert)}`,
    ` Default smtp_alert_vrrp = ${onOff(g.smtpAlertVrrp)}`,
    ` Default smtp_alert_checker = ${onOff(g.smtpAlertChecker)}`,
    ' Checkers log all failures = false',
    ' No test config before reload',
  );
  if (g.dataUseInstance) out.push(' Use instance name in data dumps');
  if (g.startupScript)
    out.push(` Startup script = ${cmdStr(g.startupScript)}, uid:gid 0:0, timeout ${g.startupScriptTimeout}`);
  if (g.shutdownScript)
    out.push(
      ` Shutdown script = ${cmdStr(g.shutdownScript)}, uid:gid 0:0 timeout ${g.shutdownScriptTimeout}`,
    );
  out.push(' Dynamic interfaces = false');
  if (g.noEmailFaults) out.push(' Send emails for fault transitions = off');
  // keepalived writes "TCP" for the UDP timeout too.
  if (g.lvsTimeouts.tcp) out.push(` LVS TCP timeout = ${g.lvsTimeouts.tcp}`);
  if (g.lvsTimeouts.tcpfin) out.push(` LVS TCP FIN timeout = ${g.lvsTimeouts.tcpfin}`);
  if (g.lvsTimeouts.udp) out.push(` LVS TCP timeout = ${g.lvsTimeouts.udp}`);
  if (proc === 'vrrp') out.push(` Default interface = ${g.defaultInterface ?? 'eth0'}`);
  out.push(' Disable local IGMP = no');
  const sd = g.lvsSyncDaemon;
  if (sd) {
    out.push(
      ` LVS syncd vrrp instance = ${sd.instance}`,
      ` LVS syncd interface = ${sd.interface}`,
      ` LVS syncd syncid = ${sd.id ?? 0}`,
    );
    if (sd.maxlen) out.push(` LVS syncd maxlen = ${sd.maxlen}`);
    if (sd.group) out.push(` LVS mcast group ${sd.group}`);
    if (sd.port) out.push(` LVS syncd mcast port = ${sd.port}`);
    if (sd.ttl) out.push(` LVS syncd mcast ttl = ${sd.ttl}`);
  }
  out.push(
    ` LVS flush = ${g.lvsFlush}`,
    ` LVS flush on stop = ${g.lvsFlushOnStop === false ? 'disabled' : g.lvsFlushOnStop}`,
    ...fifoLines('Global notify fifo', g.notifyFifo),
    ...fifoLines('VRRP notify fifo', g.vrrpNotifyFifo),
    ...fifoLines('LVS notify fifo', g.lvsNotifyFifo),
    ' FIFO write vrrp states on reload = false',
    ` VRRP notify priority changes = ${g.vrrpNotifyPriorityChanges ?? false}`,
    ` VRRP IPv4 mcast group = ${g.vrrpMcastGroup4}`,
    ` VRRP IPv6 mcast group = ${g.vrrpMcastGroup6}`,
    ` Gratuitous ARP delay = ${g.vrrpGarpMasterDelay}`,
    ` Gratuitous ARP repeat = ${g.vrrpGarpMasterRepeat}`,
    ` Gratuitous ARP refresh timer = ${g.vrrpGarpMasterRefresh}`,
    ` Gratuitous ARP refresh repeat = ${g.vrrpGarpMasterRefreshRepeat}`,
    // The VRRP process gives the lower-priority values the master ones when unset; the others
    // print them unset, as keepalived's do.
    ` Gratuitous ARP lower priority delay = ${g.vrrpGarpLowerPrioDelay ?? (proc === 'vrrp' ? g.vrrpGarpMasterDelay : UNSET)}`,
    ` Gratuitous ARP lower priority repeat = ${g.vrrpGarpLowerPrioRepeat ?? (proc === 'vrrp' ? g.vrrpGarpMasterRepeat : UNSET)}`,
    ' Num adverts before down = 3',
    ' Gratuitous ARP for each secondary VMAC = 0s',
    ` Send advert after receive lower priority advert = ${!(g.vrrpLowerPrioNoAdvert ?? false)}`,
    ` Send advert after receive higher priority advert = ${g.vrrpHigherPrioSendAdvert ?? false}`,
    ` Gratuitous ARP interval = ${f6(g.vrrpGarpInterval)}`,
    ` Gratuitous NA interval = ${f6(g.vrrpGnaInterval)}`,
    ` VRRP default protocol version = ${g.vrrpVersion}`,
    ` VRRP check unicast_src = ${g.vrrpCheckUnicastSrc}`,
    ` VRRP skip check advert addresses = ${g.vrrpSkipCheckAdvAddr}`,
    ` VRRP strict mode = ${g.vrrpStrict}`,
    ' Max auto priority = 0',
    ' Min auto priority delay = 1000000 usecs',
    ...tuningLines('VRRP', g.tuning.vrrp),
    ...tuningLines('Checker', g.tuning.checker),
    ...tuningLines('BFD', {}),
    ' SNMP vrrp disabled',
    ' SNMP checker disabled',
    ' SNMP RFCv2 disabled',
    ' SNMP RFCv3 disabled',
    ' SNMP traps disabled',
    ' SNMP socket = default (unix:/var/agentx/master)',
    ' DBus disabled',
    ' DBus service name = ',
    ` Script security ${g.enableScriptSecurity ? 'enabled' : 'disabled'}`,
  );
  // The default script user's ids need the user database: written only for root's default.
  if (!g.scriptUser) out.push(' Default script uid:gid 0:0');
  out.push(
    ' vrrp_netlink_cmd_rcv_bufs = 0',
    ' vrrp_netlink_cmd_rcv_bufs_force = 0',
    ' vrrp_netlink_monitor_rcv_bufs = 0',
    ' vrrp_netlink_monitor_rcv_bufs_force = 0',
    ` process_monitor_rcv_bufs = ${g.processMonitorRcvBufs ?? 0}`,
    ` process_monitor_rcv_bufs_force = ${g.processMonitorRcvBufsForce ? 1 : 0}`,
    ' lvs_netlink_cmd_rcv_bufs = 0',
    ' lvs_netlink_cmd_rcv_bufs_force = 0',
    ' lvs_netlink_monitor_rcv_bufs = 0',
    ' lvs_netlink_monitor_rcv_bufs_force = 0',
    ' rs_init_notifies = 0',
    ` no_checker_emails = ${g.noCheckerEmails ? 1 : 0}`,
    ' rx_bufs_multiples = 3',
  );
  if (g.vrrpStartupDelay) out.push(` vrrp_startup_delay = ${g.vrrpStartupDelay}`);
  return out;
}
