// The "Interfaces" section of keepalived 2.2.7's keepalived.data (vrrp_if.c dump_if): every
// interface of the namespace, its primary and additional addresses as keepalived keeps them, MAC,
// flags, MTU, hardware type, and the VRRP instances tracking it. Pure: the OS view comes in.
import type { VrrpInstance } from '../config/model.js';
import type { OsInterface } from '../os/interface-view.js';
import { ctime, epochUs } from '../config/dump-time.js';

/** keepalived's weight for an instance's own interface under dont_track_primary. */
const NOT_TRACK_IF = 255;
const SCOPE_LINK = 253;
const ARPHRD_ETHER = 1;
const ARPHRD_INFINIBAND = 32;
const ARPHRD_LOOPBACK = 772;

interface Tracking {
  instance: string;
  weight: number;
  reverse: boolean;
}

/**
 * Which instances track each interface, in keepalived's order (vrrp.c): per instance its
 * track_interface entries, then its own interface (weight 0, 255 with dont_track_primary), then
 * the interfaces its VIPs are on. A second entry for the same pair only replaces a weighted one.
 */
export function trackingByInterface(instances: VrrpInstance[]): Map<string, Tracking[]> {
  const out = new Map<string, Tracking[]>();
  const add = (ifname: string, t: Tracking): void => {
    const list = out.get(ifname) ?? [];
    out.set(ifname, list);
    const have = list.find((x) => x.instance === t.instance);
    if (!have) list.push(t);
    else if (have.weight !== 0 && t.weight !== NOT_TRACK_IF) Object.assign(have, t);
  };
  for (const vi of instances) {
    const own = vi.interface;
    for (const t of vi.trackInterface)
      if (t.name !== own) add(t.name, { instance: vi.name, weight: t.weight ?? 0, reverse: t.reverse });
    if (own) add(own, { instance: vi.name, weight: vi.dontTrackPrimary ? NOT_TRACK_IF : 0, reverse: false });
    for (const v of [...vi.virtualIpaddress, ...vi.virtualIpaddressExcluded]) {
      const dev = v.dev ?? own;
      if (!dev || (vi.dontTrackPrimary && dev === own)) continue;
      add(dev, { instance: vi.name, weight: 0, reverse: false });
    }
  }
  return out;
}

function hwTypeLine(t: number): string | null {
  if (t === ARPHRD_LOOPBACK) return '   HW Type = LOOPBACK';
  if (t === ARPHRD_ETHER) return '   HW Type = ETHERNET';
  // keepalived logs INFINIBAND instead of writing it to the file.
  if (t === ARPHRD_INFINIBAND) return null;
  return `   HW Type = UNKNOWN (${t})`;
}

/**
 * keepalived's addresses of an interface: the first IPv4 one and the first IPv6 link-local one
 * that are not the VIPs of instances tracking it, then the others as "additional" (it ignores
 * IPv6 addresses of other scopes).
 */
function keptAddresses(ifc: OsInterface, vips: Set<string>): { v4: string[]; v6: string[] } {
  const usable = ifc.addresses.filter((a) => !vips.has(a.address));
  return {
    v4: usable.filter((a) => a.family === 4).map((a) => a.address),
    v6: usable.filter((a) => a.family === 6 && a.scope === SCOPE_LINK).map((a) => a.address),
  };
}

/**
 * The lines of the "Interfaces" section (without its heading). `naSent`: the interfaces IPv6 VIPs
 * have been announced on, whose IPv6 forwarding keepalived checks for the adverts' router flag.
 */
export function interfacesData(
  instances: VrrpInstance[],
  interfaces: OsInterface[],
  naSent: ReadonlySet<string> = new Set(),
): string[] {
  const tracking = trackingByInterface(instances);
  const out: string[] = [];
  for (const ifc of interfaces) {
    const trackers = tracking.get(ifc.name) ?? [];
    const tracked = new Set(trackers.map((t) => t.instance));
    const vips = new Set(
      instances
        .filter((vi) => tracked.has(vi.name))
        .flatMap((vi) => [...vi.virtualIpaddress, ...vi.virtualIpaddressExcluded].map((v) => v.address)),
    );
    const { v4, v6 } = keptAddresses(ifc, vips);
    out.push(` Name = ${ifc.name}`, `   index = ${ifc.index}`, `   IPv4 address = ${v4[0] ?? '(none)'}`);
    if (v4.length > 1) out.push('   Additional IPv4 addresses :', ...v4.slice(1).map((a) => `     ${a}`));
    out.push(`   IPv6 address = ${v6[0] ?? '(none)'}`);
    if (v6.length > 1) out.push('   Additional IPv6 addresses :', ...v6.slice(1).map((a) => `     ${a}`));
    if (ifc.mac) out.push(`   MAC = ${ifc.mac}`, `   MAC broadcast = ${ifc.macBroadcast ?? ''}`);
    const f = ifc.flags;
    out.push(
      `   State = ${f.up ? '' : 'not '}UP, ${f.running ? '' : 'not '}RUNNING` +
        (f.broadcast ? '' : ', no broadcast') +
        (f.loopback ? ', loopback' : '') +
        (f.pointopoint ? ', point to point' : '') +
        (f.noarp ? ', no arp' : '') +
        (f.multicast ? '' : ', no multicast'),
      // vigil follows every interface through netlink from the start, as keepalived does.
      `   Seen up = ${f.up && f.running ? 1 : 0}`,
      '   Delayed state change running = false',
      '   Up debounce timer = 0us',
      '   Down debounce timer = 0us',
      `   MTU = ${ifc.mtu}`,
    );
    const hw = hwTypeLine(ifc.hwType);
    if (hw) out.push(hw);
    out.push(
      '   NIC netlink status update',
      // Counters and saved sysctl values keepalived keeps for VMACs and promote_secondaries; vigil
      // changes none of these sysctls on the interface itself.
      '   Reset ARP config counter 0',
      '   Original arp_ignore 0',
      '   Original arp_filter 0',
      '   Original promote_secondaries 0',
      '   Reset promote_secondaries counter 0',
    );
    const fwd = ifc.ipv6Forwarding;
    if (fwd && naSent.has(ifc.name)) {
      const us = epochUs(fwd.at);
      out.push(
        `   ${fwd.on ? '' : 'Not '}IPv6 forwarding. Last checked ${us} (${ctime(fwd.at)}.${us.split('.')[1]})`,
      );
    }
    if (trackers.length) {
      out.push('   Tracking VRRP instances :');
      for (const t of trackers)
        out.push(`     ${t.instance}, weight ${t.weight}${t.reverse ? ' reverse' : ''}`);
    }
  }
  return out;
}
