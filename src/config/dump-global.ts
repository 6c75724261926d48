// The "Global definitions" section every keepalived .data dump starts with (global_data.c
// dump_global_data), for the settings vigil has.
import type { Config } from './model.js';

/** The global definitions keepalived's dump starts with (the ones vigil has). */
export function globalData(config: Config): string[] {
  const g = config.globalDefs;
  return [
    '------< Global definitions >------',
    ` Network namespace = ${g.netNamespace ?? '(default)'}`,
    ...(g.instanceName !== undefined ? [` Instance name = ${g.instanceName}`] : []),
    ` Router ID = ${g.routerId ?? ''}`,
    ` Default smtp_alert = ${g.smtpAlert === undefined ? 'unset' : g.smtpAlert ? 'on' : 'off'}`,
    ` Default smtp_alert_vrrp = ${g.smtpAlertVrrp === undefined ? 'unset' : g.smtpAlertVrrp ? 'on' : 'off'}`,
    ` Default smtp_alert_checker = ${g.smtpAlertChecker === undefined ? 'unset' : g.smtpAlertChecker ? 'on' : 'off'}`,
    ...(g.dataUseInstance ? [' Use instance name in data dumps'] : []),
    ` VRRP IPv4 mcast group = ${g.vrrpMcastGroup4}`,
    ` VRRP IPv6 mcast group = ${g.vrrpMcastGroup6}`,
    ` Gratuitous ARP delay = ${g.vrrpGarpMasterDelay}`,
    ` Gratuitous ARP repeat = ${g.vrrpGarpMasterRepeat}`,
    ` Gratuitous ARP refresh timer = ${g.vrrpGarpMasterRefresh}`,
    ` Gratuitous ARP refresh repeat = ${g.vrrpGarpMasterRefreshRepeat}`,
    ` VRRP default protocol version = ${g.vrrpVersion}`,
    ` VRRP check unicast_src = ${g.vrrpCheckUnicastSrc}`,
    ` VRRP skip check advert addresses = ${g.vrrpSkipCheckAdvAddr}`,
    ` VRRP strict mode = ${g.vrrpStrict}`,
    ` Script security ${g.enableScriptSecurity ? 'enabled' : 'disabled'}`,
  ];
}
