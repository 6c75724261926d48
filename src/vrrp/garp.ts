// Pacing of gratuitous ARPs / unsolicited NAs per interface (vrrp_garp_interval,
// vrrp_gna_interval and their per-interface `garp_group` forms), as keepalived's vrrp_arp.c and
// vrrp_scheduler.c vrrp_arp_thread do it. Pure: the adapter asks before each packet and sends
// what is due when woken.
//
// keepalived's rules: after a GARP on an interface the next may go `interval` later; a request
// before then is queued, and queued requests for the same address coalesce into one (so with an
// interval, garp_master_repeat sends fewer packets). When due, at most one queued address per
// interface goes out (in queue order; keepalived walks its VIP list), the rest wait another interval.

export interface GarpRequest {
  /** The instance asking (queued requests are dropped when it stops being master). */
  instance: string;
  ifname: string;
  address: string;
  /** true: IPv6 unsolicited NA (vrrp_gna_interval); false: IPv4 gratuitous ARP. */
  ipv6: boolean;
}

export class GarpPacer {
  /** Per interface and kind, when the next packet may go (ms). */
  private readonly nextTime = new Map<string, number>();
  /** Queued requests in arrival order, one per instance+interface+address. */
  private readonly pending = new Map<string, GarpRequest>();

  /**
   * @param intervalMs per interface: the gap between gratuitous ARPs and between unsolicited NAs
   *   (0 = no pacing).
   */
  constructor(private readonly intervalMs: (ifname: string, ipv6: boolean) => number) {}

  private slot(r: { ifname: string; ipv6: boolean }): string {
    return `${r.ifname}\0${r.ipv6 ? 6 : 4}`;
  }

  /** One packet is wanted: true = send it now (and the interval starts), false = queued. */
  request(r: GarpRequest, now: number): boolean {
    const interval = this.intervalMs(r.ifname, r.ipv6);
    const next = this.nextTime.get(this.slot(r));
    if (interval > 0 && next !== undefined && now < next) {
      this.pending.set(`${r.instance}\0${r.ifname}\0${r.address}`, r);
      return false;
    }
    if (interval > 0) this.nextTime.set(this.slot(r), now + interval);
    return true;
  }

  /** The queued packets due at `now` (at most one per interface and kind); they count as sent. */
  due(now: number): GarpRequest[] {
    const out: GarpRequest[] = [];
    for (const [key, r] of this.pending) {
      const next = this.nextTime.get(this.slot(r)) ?? 0;
      if (now < next) continue;
      this.pending.delete(key);
      const interval = this.intervalMs(r.ifname, r.ipv6);
      if (interval > 0) this.nextTime.set(this.slot(r), now + interval);
      out.push(r);
    }
    return out;
  }

  /** When to call due() next, or null when nothing is queued. */
  nextWake(): number | null {
    let best: number | null = null;
    for (const r of this.pending.values()) {
      const t = this.nextTime.get(this.slot(r)) ?? 0;
      if (best === null || t < best) best = t;
    }
    return best;
  }

  /** Drops an instance's queued packets (it left MASTER: keepalived's vrrp_remove_delayed_arp). */
  cancel(instance: string): void {
    for (const [key, r] of this.pending) if (r.instance === instance) this.pending.delete(key);
  }
}
