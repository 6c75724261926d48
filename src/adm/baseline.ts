// ipvsadm -Z for engines whose counters cannot be reset: remember the counters at the time of the
// zero and show the difference since. Pure apart from the stats source it wraps.
import type { Counters, ServiceKey, ServiceStats } from '../dataplane/engine.js';
import { destId, serviceId } from '../dataplane/keys.js';

const FIELDS = ['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes'] as const;

function minus(c: Counters, base: Counters | undefined): Counters {
  if (!base) return { ...c };
  const out = { ...c };
  // A counter below its baseline means the engine restarted it: show it as is.
  for (const f of FIELDS) out[f] = c[f] >= base[f] ? c[f] - base[f] : c[f];
  return out;
}

export class CounterBaseline {
  private readonly base = new Map<string, Counters>();

  constructor(private readonly source: () => Promise<ServiceStats[]>) {}

  /** The source's figures less the baselines. */
  async stats(): Promise<ServiceStats[]> {
    return (await this.source()).map((s) => {
      const sid = serviceId(s.key);
      return {
        ...s,
        counters: minus(s.counters, this.base.get(sid)),
        dests: s.dests.map((d) => ({
          ...d,
          counters: minus(d.counters, this.base.get(`${sid}>${destId(d)}`)),
        })),
      };
    });
  }

  /** Zeroes one service (and its servers) or all. */
  async zero(key?: ServiceKey): Promise<void> {
    const want = key ? serviceId(key) : undefined;
    for (const s of await this.source()) {
      const sid = serviceId(s.key);
      if (want !== undefined && sid !== want) continue;
      this.base.set(sid, { ...s.counters });
      for (const d of s.dests) this.base.set(`${sid}>${destId(d)}`, { ...d.counters });
    }
  }
}
