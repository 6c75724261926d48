// A fake segment for the pure VRRP machine: an injected clock, per-node timers, and adverts
// delivered to every other live node with zero delay. Unit-test support only.
import {
  VrrpMachine,
  type Action,
  type MachineConfig,
  type MachineEvent,
  type TimerName,
} from '../../../src/vrrp/machine.js';

export interface SimNode {
  name: string;
  address: string;
  m: VrrpMachine;
  timers: Map<TimerName, number>;
  alive: boolean;
  /** Every action with the time it was produced. */
  log: { at: number; a: Action }[];
  /** Adverts this node sent: time and priority. */
  sent: { at: number; priority: number }[];
}

export class Sim {
  now = 0;
  nodes: SimNode[] = [];
  /** A hook to observe/transform each delivery (e.g. a partition). */
  deliver: (from: SimNode, to: SimNode) => boolean = () => true;

  add(address: string, cfg: Partial<MachineConfig> & { priority: number }): SimNode {
    const full: MachineConfig = { name: cfg.name ?? address, version: 2, advertIntCs: 100, ...cfg };
    const n: SimNode = {
      name: full.name,
      address,
      m: new VrrpMachine(full, address),
      timers: new Map(),
      alive: true,
      log: [],
      sent: [],
    };
    this.nodes.push(n);
    return n;
  }

  event(n: SimNode, ev: MachineEvent): void {
    if (!n.alive) return;
    this.apply(n, n.m.handle(ev, this.now));
  }

  apply(n: SimNode, actions: Action[]): void {
    for (const a of actions) {
      n.log.push({ at: this.now, a });
      if (a.type === 'timer') {
        if (a.at === null) n.timers.delete(a.name);
        else n.timers.set(a.name, a.at);
      } else if (a.type === 'send-advert') {
        n.sent.push({ at: this.now, priority: a.priority });
        for (const o of this.nodes)
          if (o !== n && o.alive && this.deliver(n, o))
            this.event(o, {
              type: 'advert',
              priority: a.priority,
              intervalCs: n.m.cfg.advertIntCs,
              source: n.address,
            });
      }
    }
  }

  /** Runs timers in time order until `until` (ms). */
  run(until: number): void {
    for (;;) {
      let best: { n: SimNode; name: TimerName; at: number } | null = null;
      for (const n of this.nodes) {
        if (!n.alive) continue;
        for (const [name, at] of n.timers) if (!best || at < best.at) best = { n, name, at };
      }
      if (!best || best.at > until) break;
      this.now = best.at;
      best.n.timers.delete(best.name);
      this.event(best.n, { type: 'timer', name: best.name });
    }
    this.now = until;
  }

  /** Time of the first action of a type (after `from`), for timing assertions. */
  firstAt(n: SimNode, pred: (a: Action) => boolean, from = 0): number | undefined {
    return n.log.find((e) => e.at >= from && pred(e.a))?.at;
  }

  notifies(n: SimNode): string[] {
    return n.log.flatMap((e) => (e.a.type === 'notify' ? [e.a.state] : []));
  }

  kill(n: SimNode): void {
    n.alive = false;
    n.timers.clear();
  }
}

export const isMasterNotify = (a: Action): boolean => a.type === 'notify' && a.state === 'MASTER';
