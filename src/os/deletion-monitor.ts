// Tells when an address, a route or a rule is deleted (rtnetlink RTM_DELADDR / RTM_DELROUTE /
// RTM_DELRULE notifications, IPv4 and IPv6), with what keepalived compares to know a deleted
// route or rule as its own (keepalived_netlink.c route_is_ours / rule_is_ours). Its own netlink
// socket, made in the calling thread's namespace; it does not keep the process alive.
import { EventEmitter } from 'node:events';
import { createRtNetlink, rt, type NetlinkMessage, type RtNetlinkSocket } from 'netlink';
import { bytesToIp } from '../base/inet.js';

const RTM_DELADDR = 21;
const RTM_DELROUTE = 25;
const RTM_DELRULE = 33;
// RTNLGRP_IPV4_IFADDR, IPV4_ROUTE, IPV4_RULE, IPV6_IFADDR, IPV6_ROUTE, IPV6_RULE
const GROUPS = [5, 7, 8, 9, 11, 19];

export interface DeletedRoute {
  family: 4 | 6;
  /** ADDRESS/PREFIX, or 'default'. */
  to: string;
  table: number;
  metric: number;
  tos: number;
  oif?: number;
  protocol: number;
}

export interface DeletedRule {
  family: 4 | 6;
  priority?: number;
  protocol?: number;
  table?: number;
}

export type Deletion =
  { kind: 'address' } | { kind: 'route'; route: DeletedRoute } | { kind: 'rule'; rule: DeletedRule };

type Events = { deleted: [Deletion]; error: [Error] };

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number.NaN;
}

function route(m: NetlinkMessage): DeletedRoute | null {
  const { data, attrs } = rt.parseRouteMessage(m.data);
  const family = data.family === 2 ? 4 : data.family === 10 ? 6 : null;
  if (!family) return null;
  const len = data.dstLen ?? 0;
  return {
    family,
    to: attrs.dst && len > 0 ? `${bytesToIp(attrs.dst)}/${len}` : 'default',
    table: attrs.table ?? num(data.table),
    metric: attrs.priority ?? 0,
    tos: data.tos ?? 0,
    ...(attrs.oif !== undefined ? { oif: attrs.oif } : {}),
    protocol: num(data.protocol),
  };
}

function rule(m: NetlinkMessage): DeletedRule | null {
  const { data, attrs } = rt.parseRuleMessage(m.data);
  const family = data.family === 2 ? 4 : data.family === 10 ? 6 : null;
  if (!family) return null;
  const out: DeletedRule = { family };
  if (attrs.priority !== undefined) out.priority = attrs.priority;
  if (attrs.protocol !== undefined) out.protocol = attrs.protocol;
  const table = attrs.table ?? data.table;
  if (table) out.table = table;
  return out;
}

export class DeletionMonitor extends EventEmitter<Events> {
  private readonly rtnl: RtNetlinkSocket;
  private closed = false;

  constructor() {
    super();
    this.rtnl = createRtNetlink();
    for (const g of GROUPS) this.rtnl.addMembership(g);
    this.rtnl.socket.on('message', (msgs: NetlinkMessage[]) => {
      for (const m of msgs) {
        try {
          if (m.type === RTM_DELADDR) this.emit('deleted', { kind: 'address' });
          else if (m.type === RTM_DELROUTE) {
            const r = route(m);
            if (r) this.emit('deleted', { kind: 'route', route: r });
          } else if (m.type === RTM_DELRULE) {
            const r = rule(m);
            if (r) this.emit('deleted', { kind: 'rule', rule: r });
          }
        } catch (e) {
          this.emit('error', new Error(`unparsable deletion notification: ${(e as Error).message}`));
        }
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
