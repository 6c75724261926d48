// Tells when an address, a route or a rule is deleted (rtnetlink RTM_DELADDR / RTM_DELROUTE /
// RTM_DELRULE notifications, IPv4 and IPv6), so that static entries can be put back as keepalived
// puts them back. Its own netlink socket, made in the calling thread's namespace.
import { EventEmitter } from 'node:events';
import { createRtNetlink, type NetlinkMessage, type RtNetlinkSocket } from 'netlink';

const RTM_DELADDR = 21;
const RTM_DELROUTE = 25;
const RTM_DELRULE = 33;
const KINDS: Record<number, 'address' | 'route' | 'rule'> = {
  [RTM_DELADDR]: 'address',
  [RTM_DELROUTE]: 'route',
  [RTM_DELRULE]: 'rule',
};
// RTNLGRP_IPV4_IFADDR, IPV4_ROUTE, IPV4_RULE, IPV6_IFADDR, IPV6_ROUTE, IPV6_RULE
const GROUPS = [5, 7, 8, 9, 11, 19];

type Events = { deleted: ['address' | 'route' | 'rule']; error: [Error] };

export class DeletionMonitor extends EventEmitter<Events> {
  private readonly rtnl: RtNetlinkSocket;
  private closed = false;

  constructor() {
    super();
    this.rtnl = createRtNetlink();
    for (const g of GROUPS) this.rtnl.addMembership(g);
    this.rtnl.socket.on('message', (msgs: NetlinkMessage[]) => {
      for (const m of msgs) {
        const kind = KINDS[m.type];
        if (kind) this.emit('deleted', kind);
      }
    });
    this.rtnl.socket.on('error', (e: Error) => this.emit('error', e));
    this.rtnl.socket.ref(false);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rtnl.socket.close();
  }
}
