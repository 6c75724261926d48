// Every interface of the calling thread's network namespace with its addresses, as keepalived's
// data dump lists them ("Interfaces"): read once over a fresh rtnetlink socket, so the VRRP
// engine's own socket and monitors are not disturbed. Thin: the formatting is src/vrrp/dump-interfaces.ts.
import { readFileSync } from 'node:fs';
import { rt } from 'netlink';
import { bytesToIp } from '../base/inet.js';
import { closeRtnl, openRtnl, serial } from './link.js';
import { formatMac } from './mac.js';

/** One interface of the namespace as the OS reports it (keepalived's interface_t). */
export interface OsInterface {
  name: string;
  index: number;
  flags: {
    up: boolean;
    running: boolean;
    broadcast: boolean;
    loopback: boolean;
    pointopoint: boolean;
    noarp: boolean;
    multicast: boolean;
  };
  /** aa:bb:… or null without a hardware address. */
  mac: string | null;
  macBroadcast: string | null;
  mtu: number;
  /** ARPHRD_* number (1 ethernet, 772 loopback). */
  hwType: number;
  /** Addresses in the kernel's order; IPv6 with their scope (keepalived keeps link-local only). */
  addresses: { family: 4 | 6; address: string; scope: number }[];
  /** net.ipv6.conf.IF.forwarding and when it was read (seconds since the epoch); absent without IPv6. */
  ipv6Forwarding?: { on: boolean; at: number };
}

function hwType(t: rt.Link['type']): number {
  if (typeof t === 'number') return t;
  return t === undefined ? 0 : (rt.LinkType[t] as number);
}

/** net.ipv6.conf.IF.forwarding now, as keepalived reads it for its neighbour advertisements' router flag. */
function ipv6Forwarding(ifname: string): { on: boolean; at: number } | undefined {
  try {
    const v = readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, 'utf8').trim();
    return { on: v !== '0', at: Date.now() / 1000 };
  } catch {
    return undefined;
  }
}

export async function readInterfaces(): Promise<OsInterface[]> {
  const rtnl = openRtnl();
  try {
    const links = await serial(rtnl, () => rtnl.getLinks());
    const addrs = await serial(rtnl, () => rtnl.getAddresses());
    const out: OsInterface[] = [];
    for (const l of links) {
      const { data, attrs } = l;
      if (data.index === undefined || attrs.ifname === undefined) continue;
      const f = data.flags ?? {};
      const hw = attrs.address && attrs.address.length > 0 ? attrs.address : null;
      const fwd = ipv6Forwarding(attrs.ifname);
      out.push({
        ...(fwd ? { ipv6Forwarding: fwd } : {}),
        name: attrs.ifname,
        index: data.index,
        flags: {
          up: f.up === true,
          running: f.running === true,
          broadcast: f.broadcast === true,
          loopback: f.loopback === true,
          pointopoint: f.pointopoint === true,
          noarp: f.noarp === true,
          multicast: f.multicast === true,
        },
        // keepalived keeps no hardware address for an all-zero one (loopback).
        mac: hw && hw.some((b) => b !== 0) ? formatMac(hw) : null,
        macBroadcast: attrs.broadcast && attrs.broadcast.length > 0 ? formatMac(attrs.broadcast) : null,
        mtu: attrs.mtu ?? 0,
        hwType: hwType(data.type),
        addresses: addrs
          .filter((a) => a.data.index === data.index)
          .flatMap((a) => {
            const raw = a.attrs.local ?? a.attrs.address;
            if (!raw || (raw.length !== 4 && raw.length !== 16)) return [];
            return [
              { family: raw.length === 4 ? 4 : 6, address: bytesToIp(raw), scope: a.data.scope ?? 0 },
            ] as const;
          }),
      });
    }
    return out;
  } finally {
    closeRtnl(rtnl);
  }
}
