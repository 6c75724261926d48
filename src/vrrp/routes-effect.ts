// What keepalived does with routes, rules and static addresses (vrrp.c, vrrp_daemon.c,
// keepalived_netlink.c): an instance's virtual_routes and virtual_rules follow its VIPs (added
// after them on becoming MASTER, removed before them on leaving it); static_ipaddress,
// static_routes and static_rules are installed when the VRRP process starts, put back when
// something else deletes them (unless `no_track`, or a route without `dev`, which keepalived
// cannot track), and removed when it stops.
import type { IpRoute, IpRule, StaticAddresses, VipSpec as ConfigVip } from '../config/model.js';
import {
  addAddress,
  addRoute,
  deleteAddress,
  deleteRoute,
  type RouteSpec,
  type RtNetlinkSocket,
  type VipSpec as OsVip,
} from '../os/index.js';
import { DeletionMonitor, type DeletedRoute, type DeletedRule } from '../os/deletion-monitor.js';
import { ipToBytes, parseCidr } from '../base/inet.js';
import { addRule, deleteRule, type RuleSpec } from '../os/rules.js';

export interface EffectLog {
  info(msg: string): void;
  error(msg: string): void;
}

export function osRoute(r: IpRoute): RouteSpec {
  const out: RouteSpec = {
    to: r.to,
    family: r.family,
    kind: r.kind,
    table: r.table,
    scope: r.scope,
    protocol: r.protocol,
  };
  if (r.via !== undefined) out.via = r.via;
  if (r.dev !== undefined) out.dev = r.dev;
  if (r.src !== undefined) out.src = r.src;
  if (r.metric !== undefined) out.metric = r.metric;
  if (r.tos !== undefined) out.tos = r.tos;
  return out;
}

export function osRule(r: IpRule): RuleSpec {
  const { text: _text, loc: _loc, noTrack: _noTrack, ...spec } = r;
  return spec;
}

/** A config address (virtual or static) as rtnetlink takes it; `dev` defaults to `ifname`. */
export function osAddress(v: ConfigVip, ifname: string): OsVip {
  const out: OsVip = {
    address: v.address,
    dev: v.dev ?? ifname,
    ...(v.prefix !== undefined ? { prefix: v.prefix } : {}),
  };
  if (v.label !== undefined) out.label = v.label;
  if (v.scope !== undefined) out.scope = v.scope;
  if (v.brd !== undefined) out.brd = v.brd;
  return out;
}

/**
 * Adds (becoming MASTER: routes, then rules) or removes (leaving it: rules, then routes) an
 * instance's virtual routes and rules. Failures are logged, one per entry, as keepalived does.
 */
export async function setVirtualRoutes(
  rtnl: RtNetlinkSocket,
  who: string,
  routes: IpRoute[],
  rules: IpRule[],
  add: boolean,
  log: EffectLog,
): Promise<void> {
  const doRoutes = async (): Promise<void> => {
    for (const r of routes) {
      try {
        if (add) await addRoute(rtnl, osRoute(r));
        else await deleteRoute(rtnl, osRoute(r));
      } catch (e) {
        log.error(`${who} ${(e as Error).message} (virtual_routes '${r.text}')`);
      }
    }
  };
  const doRules = async (): Promise<void> => {
    for (const r of rules) {
      try {
        if (add) await addRule(rtnl, osRule(r));
        else await deleteRule(rtnl, osRule(r));
      } catch (e) {
        log.error(`${who} ${(e as Error).message} (virtual_rules '${r.text}')`);
      }
    }
  };
  if (add) {
    await doRoutes();
    await doRules();
  } else {
    await doRules();
    await doRoutes();
  }
}

function sameDestination(a: string, b: string): boolean {
  const norm = (x: string): string => {
    if (x === 'default') return 'default';
    const c = parseCidr(x);
    return c.prefix === 0 ? 'default' : `${ipToBytes(c.address).toString('hex')}/${c.prefix}`;
  };
  return norm(a) === norm(b);
}

/**
 * Whether a deleted route is this tracked virtual route, compared as keepalived's route_is_ours
 * does: protocol keepalived, table, family, prefix, metric, tos, interface and destination.
 */
export function isOurRoute(
  d: DeletedRoute,
  r: IpRoute,
  ifindex: (name: string) => number | undefined,
): boolean {
  if (r.noTrack || d.protocol !== r.protocol || d.family !== r.family) return false;
  if (d.table !== r.table || d.metric !== (r.metric ?? 0) || d.tos !== (r.tos ?? 0)) return false;
  if (r.dev !== undefined && (d.oif === undefined || d.oif !== ifindex(r.dev))) return false;
  return sameDestination(d.to, r.to);
}

/** Whether a deleted rule is this tracked virtual rule (family, preference, protocol, table). */
export function isOurRule(d: DeletedRule, r: IpRule): boolean {
  if (r.noTrack || d.family !== r.family || d.priority !== r.priority) return false;
  if (d.protocol !== undefined && d.protocol !== r.protocol) return false;
  return r.action !== 'table' || d.table === r.table;
}

const RESTORE_DELAY_MS = 50;

/** static_ipaddress / static_routes / static_rules for the life of the VRRP process. */
export class StaticNet {
  private monitor: DeletionMonitor | null = null;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly rtnl: RtNetlinkSocket,
    private readonly cfg: StaticAddresses,
    private readonly log: EffectLog,
    /** Where a static address without `dev` goes: keepalived's default_interface, else eth0. */
    private readonly defaultIf = 'eth0',
  ) {}

  get empty(): boolean {
    return this.cfg.addresses.length + this.cfg.routes.length + this.cfg.rules.length === 0;
  }

  /** Installs everything (addresses, routes, rules) and starts watching for deletions. */
  async start(): Promise<void> {
    if (this.empty) return;
    await this.install(false);
    if (this.stopped) return;
    this.monitor = new DeletionMonitor();
    this.monitor.on('error', (e) => this.log.error(`static routes monitor: ${e.message}`));
    this.monitor.on('deleted', () => this.scheduleRestore());
  }

  /** Removes everything (rules, routes, addresses), as keepalived's vrrp_terminate_phase1 does. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.monitor?.close();
    this.monitor = null;
    await this.busy;
    for (const r of this.cfg.rules) await this.quiet(() => deleteRule(this.rtnl, osRule(r)), r.text);
    for (const r of this.cfg.routes) await this.quiet(() => deleteRoute(this.rtnl, osRoute(r)), r.text);
    for (const a of this.cfg.addresses)
      await this.quiet(() => deleteAddress(this.rtnl, osAddress(a, this.defaultIf)), a.address);
  }

  /** Stops watching and leaves everything installed (a reload hands over to the next runtime). */
  detach(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.monitor?.close();
    this.monitor = null;
  }

  private scheduleRestore(): void {
    if (this.stopped || this.timer) return;
    // A burst of deletions (an interface going down takes its routes along) is one restore.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.busy = this.busy.then(() => this.install(true));
    }, RESTORE_DELAY_MS);
  }

  /** Adds every entry; `restoring`: only tracked ones, logging those that were missing. */
  private async install(restoring: boolean): Promise<void> {
    for (const a of this.cfg.addresses) {
      if (this.stopped) return;
      if (restoring && a.options.includes('no_track')) continue;
      const spec = osAddress(a, this.defaultIf);
      const r = await this.quiet(() => addAddress(this.rtnl, spec), a.address);
      if (restoring && r === 'added')
        this.log.info(`Restoring deleted static address ${a.address} on ${spec.dev}`);
    }
    for (const r of this.cfg.routes) {
      if (this.stopped) return;
      if (restoring && r.noTrack) continue;
      const x = await this.quiet(() => addRoute(this.rtnl, osRoute(r)), r.text);
      if (restoring && x === 'added') this.log.info(`Restoring deleted static route ${r.text}`);
    }
    for (const r of this.cfg.rules) {
      if (this.stopped) return;
      if (restoring && r.noTrack) continue;
      const x = await this.quiet(() => addRule(this.rtnl, osRule(r)), r.text);
      if (restoring && x === 'added') this.log.info(`Restoring deleted static rule ${r.text}`);
    }
  }

  private async quiet<T>(fn: () => Promise<T>, what: string): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      // Deleting one entry may take others along (a route through a removed address): not news.
      if (!this.stopped) this.log.error(`static '${what}': ${(e as Error).message}`);
      return undefined;
    }
  }
}
