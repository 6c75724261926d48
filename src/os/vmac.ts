// keepalived's use_vmac (vrrp_vmac.c, vrrp_if_config.c): a macvlan in private mode on the
// instance's interface with the VRRP virtual MAC (00:00:5e:00:01:VRID, IPv6 00:00:5e:00:02:VRID),
// so the VIPs answer ARP with the MAC RFC 3768/5798 name. The sysctls keepalived sets come with
// it: on the vmac arp_ignore 1, accept_local 1, rp_filter 0, promote_secondaries 1 (and IPv6 off
// for an IPv4 instance); on the base interface arp_ignore 1 and arp_filter 1, put back at removal.
// An IPv6 vmac (vrrp_vmac.c netlink_link_add_vmac) gets IPv6 on, no address of its own making
// (IFLA_INET6_ADDR_GEN_MODE none, set before it goes up, so RFC 5798 §7.4's rule holds: no
// link-local address from the virtual MAC) and, unless vmac_xmit_base, the instance's source
// address (the base interface's link-local one) as fe80::/64 without DAD, so adverts leave the
// vmac from the address a backup knows; no IPv4 sysctls are touched for it.
import type { RtNetlinkSocket } from 'netlink';
import { addAddress, deleteAddress, listAddresses } from './addresses.js';
import { bytesToIp, ipToBytes } from '../base/inet.js';
import { getLink, serial } from './link.js';
import { formatMac, parseMac } from './mac.js';
import { readSysctl, writeSysctl } from './sysctl.js';

const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_MACVLAN_MODE = 1;
const MACVLAN_MODE_PRIVATE = 1;
const NLM_F_CREATE_EXCL = 0x400 | 0x200;
const AF_INET6 = 10;
const IFLA_INET6_ADDR_GEN_MODE = 8;
const IN6_ADDR_GEN_MODE_NONE = 1;

export interface VmacSpec {
  /** The macvlan's name (keepalived's default: vrrp.VRID). */
  name: string;
  /** The interface it sits on (the instance's `interface`). */
  base: string;
  vrid: number;
  family: 4 | 6;
  /** IPv6: the address the vmac sends adverts from (absent with vmac_xmit_base: no address). */
  linkLocal?: string;
}

/** 00:00:5e:00:01:VRID (IPv4) or 00:00:5e:00:02:VRID (IPv6). */
export function virtualMac(vrid: number, family: 4 | 6): string {
  return formatMac(Buffer.from([0, 0, 0x5e, 0, family === 4 ? 1 : 2, vrid]));
}

function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const b = Buffer.alloc((len + 3) & ~3);
  b.writeUInt16LE(len, 0); // host order, little-endian where Node runs
  b.writeUInt16LE(type, 2);
  payload.copy(b, 4);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}

/** IFLA_LINKINFO: kind "macvlan", data { IFLA_MACVLAN_MODE private }. */
function macvlanPrivate(): Buffer {
  return Buffer.concat([
    attr(IFLA_INFO_KIND, Buffer.from('macvlan\0')),
    attr(IFLA_INFO_DATA, attr(IFLA_MACVLAN_MODE, u32(MACVLAN_MODE_PRIVATE))),
  ]);
}

/** What to put back on the base interface when the vmac goes. */
export interface VmacHandle {
  spec: VmacSpec;
  mac: string;
  /** Base interface arp_ignore / arp_filter before we set them (null: left alone). */
  baseArp: { arpIgnore: string | null; arpFilter: string | null };
  /** What went wrong without stopping the vmac, for the log. */
  notes: string[];
}

const conf4 = (ifname: string, key: string): string[] => ['net', 'ipv4', 'conf', ifname, key];

/**
 * Creates the vmac (or takes over one a previous run left with the right MAC on the right base),
 * sets keepalived's sysctls and brings it up (IPv6: then adds `linkLocal`). Throws with the
 * interface named on failure.
 */
export async function ensureVmac(rtnl: RtNetlinkSocket, spec: VmacSpec): Promise<VmacHandle> {
  const mac = virtualMac(spec.vrid, spec.family);
  const base = await getLink(rtnl, spec.base);
  if (!base) throw new Error(`use_vmac ${spec.name}: no interface named '${spec.base}'`);
  const have = await getLink(rtnl, spec.name);
  if (have && have.mac !== mac) {
    // keepalived removes a conflicting macvlan of its name and makes it again.
    await serial(rtnl, () => rtnl.delLink({ index: have.index }));
  }
  if (!have || have.mac !== mac) {
    try {
      await serial(rtnl, () =>
        rtnl.newLink(
          {},
          { ifname: spec.name, link: u32(base.index), address: parseMac(mac), linkinfo: macvlanPrivate() },
          { flags: NLM_F_CREATE_EXCL },
        ),
      );
    } catch (e) {
      throw new Error(`use_vmac: cannot create ${spec.name} on ${spec.base}: ${(e as Error).message}`);
    }
  }
  const baseArp = { arpIgnore: null as string | null, arpFilter: null as string | null };
  const notes: string[] = [];
  if (spec.family === 4) {
    writeSysctl(conf4(spec.name, 'arp_ignore'), '1');
    writeSysctl(conf4(spec.name, 'accept_local'), '1');
    writeSysctl(conf4(spec.name, 'rp_filter'), '0');
    writeSysctl(conf4(spec.name, 'promote_secondaries'), '1');
    const ig = readSysctl(conf4(spec.base, 'arp_ignore'));
    const fi = readSysctl(conf4(spec.base, 'arp_filter'));
    if (ig !== null && ig !== '1') {
      baseArp.arpIgnore = ig;
      writeSysctl(conf4(spec.base, 'arp_ignore'), '1');
    }
    if (fi !== null && fi !== '1') {
      baseArp.arpFilter = fi;
      writeSysctl(conf4(spec.base, 'arp_filter'), '1');
    }
    // An IPv4 instance wants no IPv6 (nor its link-local address) on the vmac.
    if (readSysctl(['net', 'ipv6', 'conf', spec.name, 'disable_ipv6']) !== null)
      writeSysctl(['net', 'ipv6', 'conf', spec.name, 'disable_ipv6'], '1');
  }
  const link = await getLink(rtnl, spec.name);
  if (!link) throw new Error(`use_vmac: ${spec.name} vanished after creation`);
  if (spec.family === 6) {
    writeSysctl(['net', 'ipv6', 'conf', spec.name, 'disable_ipv6'], '0');
    // The kernel reads IFLA_AF_SPEC only on an existing link, and must read it before the link
    // goes up, or the EUI-64 address of the virtual MAC is already there.
    const genMode = attr(IFLA_INET6_ADDR_GEN_MODE, Buffer.from([IN6_ADDR_GEN_MODE_NONE]));
    // As keepalived, a failure is logged and the vmac used all the same.
    try {
      await serial(rtnl, () =>
        rtnl.setLink({ index: link.index }, { afSpec: new Map([[AF_INET6, genMode]]) }),
      );
    } catch (e) {
      notes.push(`Error setting ADDR_GEN_MODE to NONE on ${spec.name}: ${(e as Error).message}`);
    }
  }
  await serial(rtnl, () => rtnl.setLink({ index: link.index, flags: { up: true }, change: { up: true } }));
  if (spec.family === 6) {
    // A vmac taken over (reload, or a run that crashed) may carry a link-local address this
    // configuration does not give it: vmac_xmit_base now, or the base's address changed.
    const want = spec.linkLocal === undefined ? null : bytesToIp(ipToBytes(spec.linkLocal));
    for (const a of await listAddresses(rtnl, spec.name))
      if (a.family === 6 && a.address.startsWith('fe80:') && a.address !== want)
        await deleteAddress(rtnl, { address: a.address, prefix: a.prefix, dev: spec.name });
  }
  if (spec.family === 6 && spec.linkLocal !== undefined) {
    try {
      await addAddress(rtnl, { address: spec.linkLocal, prefix: 64, dev: spec.name });
    } catch (e) {
      throw new Error(`use_vmac: adding ${spec.linkLocal} to ${spec.name}: ${(e as Error).message}`);
    }
  }
  return { spec, mac, baseArp, notes };
}

/** Deletes the vmac and puts the base interface's ARP sysctls back. */
export async function removeVmac(rtnl: RtNetlinkSocket, h: VmacHandle): Promise<void> {
  const { base } = h.spec;
  if (h.baseArp.arpIgnore !== null) writeSysctl(conf4(base, 'arp_ignore'), h.baseArp.arpIgnore);
  if (h.baseArp.arpFilter !== null) writeSysctl(conf4(base, 'arp_filter'), h.baseArp.arpFilter);
  const link = await getLink(rtnl, h.spec.name);
  if (link && link.mac === h.mac) await serial(rtnl, () => rtnl.delLink({ index: link.index }));
}
