// nftables engine: atomic `nft -f -` transactions sized to each change, read back as JSON.
import { runCommand, type RunResult } from '../../os/run-command.js';
import type { Change, Counters, Engine, ServiceKey, ServiceState, ServiceStats } from '../engine.js';
import { drInterfaceByRoute } from './dr-interface.js';
import {
  destChain,
  decodeDest,
  decodeService,
  describeKey,
  drTable,
  INET_TABLE,
  renderBase,
  renderServiceChange,
  type NftContext,
} from './ruleset.js';
import { hostPortText } from '../../config/listen.js';

export { describeApproximation } from './ruleset.js';

export interface NftEngineOptions extends Omit<NftContext, 'dr' | 'macs'> {
  /**
   * Direct routing: the director's interface (its MAC is read from the link when not given);
   * without ifname, the interface the routes reach the DR real servers through, at apply time.
   */
  dr?: { ifname?: string; mac?: string };
  /** Known real-server MACs; others are resolved through the neighbour table when needed. */
  macs?: ReadonlyMap<string, string>;
  /** Run every command in this network namespace (`ip netns exec`), for labs and tests. */
  netns?: string;
  /** The nft binary (default nft from PATH). */
  nft?: string;
}

export function serviceId(key: ServiceKey): string {
  return key.kind === 'fwmark'
    ? `fw${key.family}|${key.fwmark}`
    : `${key.protocol}|${key.address}|${key.port}`;
}

/** The subset of `nft -j list table` this engine reads. */
interface NftJsonRule {
  rule?: { chain?: string; comment?: string; expr?: unknown[] };
}

const serviceChainOf = (chain: string): string => chain.split('__')[0] ?? chain;

/** ServiceState[] from the JSON listings of vigil's tables (comments carry what rules cannot). */
export function parseListing(json: string[]): ServiceState[] {
  const services = new Map<string, ServiceState>();
  const pending: { chain: string; comment: string }[] = [];
  for (const text of json) {
    const doc = JSON.parse(text) as { nftables?: NftJsonRule[] };
    for (const item of doc.nftables ?? []) {
      const chain = item.rule?.chain;
      const comment = item.rule?.comment;
      if (!chain || !comment) continue;
      const spec = decodeService(comment);
      if (spec) services.set(chain, { ...spec, dests: services.get(chain)?.dests ?? [] });
      else if (comment.startsWith('vigil dest ')) pending.push({ chain, comment });
    }
  }
  for (const { chain, comment } of pending) {
    const dest = decodeDest(comment);
    const svc = services.get(serviceChainOf(chain));
    if (dest && svc) svc.dests.push(dest);
  }
  return [...services.values()];
}

/** Each chain's rule counters summed: `chain -> {packets, bytes}`. */
export function parseCounters(json: string[]): Map<string, { packets: number; bytes: number }> {
  const out = new Map<string, { packets: number; bytes: number }>();
  for (const text of json) {
    const doc = JSON.parse(text) as { nftables?: NftJsonRule[] };
    for (const item of doc.nftables ?? []) {
      const chain = item.rule?.chain;
      if (!chain) continue;
      for (const e of item.rule?.expr ?? []) {
        const c = (e as { counter?: { packets?: number; bytes?: number } }).counter;
        if (!c) continue;
        const cur = out.get(chain) ?? { packets: 0, bytes: 0 };
        out.set(chain, { packets: cur.packets + (c.packets ?? 0), bytes: cur.bytes + (c.bytes ?? 0) });
      }
    }
  }
  return out;
}

/** Connections per real server (`address|port`) from vigil's conns4/conns6 counter sets. */
export function parseConnCounters(json: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const text of json) {
    const doc = JSON.parse(text) as {
      nftables?: {
        set?: {
          name?: string;
          elem?: { elem?: { val?: { concat?: unknown[] }; counter?: { packets?: number } } }[];
        };
      }[];
    };
    for (const item of doc.nftables ?? []) {
      if (item.set?.name !== 'conns4' && item.set?.name !== 'conns6') continue;
      for (const e of item.set.elem ?? []) {
        const [addr, port] = e.elem?.val?.concat ?? [];
        const id = `${String(addr)}|${String(port)}`;
        out.set(id, (out.get(id) ?? 0) + (e.elem?.counter?.packets ?? 0));
      }
    }
  }
  return out;
}

/** Connections per real server (`address|port`) from /proc/net/nf_conntrack: [active, inactive]. */
export function countConnections(conntrack: string): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const line of conntrack.split('\n')) {
    const f = line.trim().split(/\s+/);
    const proto = f[2];
    if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') continue;
    // The reply direction's source is the real server after DNAT.
    const srcs = f.filter((x) => x.startsWith('src=')).map((x) => x.slice(4));
    const sports = f.filter((x) => x.startsWith('sport=')).map((x) => x.slice(6));
    const dsts = f.filter((x) => x.startsWith('dst=')).map((x) => x.slice(4));
    if (srcs.length < 2 || sports.length < 2 || dsts[0] === srcs[1]) continue;
    const id = `${srcs[1] ?? ''}|${sports[1] ?? ''}`;
    const cur = out.get(id) ?? [0, 0];
    if (proto === 'tcp' && f.includes('ESTABLISHED')) cur[0]++;
    else cur[1]++;
    out.set(id, cur);
  }
  return out;
}

const zero = (): Counters => ({ conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 });

function applyChange(state: Map<string, ServiceState>, c: Change): void {
  const key = c.op === 'add-service' || c.op === 'edit-service' ? c.service.key : c.key;
  const id = serviceId(key);
  const cur = state.get(id);
  const where = describeKey(key);
  switch (c.op) {
    case 'add-service':
      if (cur) throw new Error(`${where}: service already exists`);
      state.set(id, { ...c.service, dests: [] });
      return;
    case 'edit-service':
      if (!cur) throw new Error(`${where}: no such service`);
      state.set(id, { ...c.service, dests: cur.dests });
      return;
    case 'del-service':
      if (!cur) throw new Error(`${where}: no such service`);
      state.delete(id);
      return;
  }
  if (!cur) throw new Error(`${where}: no such service`);
  const addr = c.op === 'del-dest' ? c : c.dest;
  const i = cur.dests.findIndex((d) => d.address === addr.address && d.port === addr.port);
  const dwhere = `${where}: real server ${hostPortText(addr.address, addr.port)}`;
  if (c.op === 'add-dest') {
    if (i >= 0) throw new Error(`${dwhere} already exists`);
    state.set(id, { ...cur, dests: [...cur.dests, c.dest] });
  } else if (i < 0) {
    throw new Error(`${dwhere}: no such real server`);
  } else if (c.op === 'edit-dest') {
    state.set(id, { ...cur, dests: cur.dests.map((d, j) => (j === i ? c.dest : d)) });
  } else {
    state.set(id, { ...cur, dests: cur.dests.filter((_, j) => j !== i) });
  }
}

/** Builds the transaction for `changes` against `current`; returns it with the resulting state. */
export function planTransaction(
  current: ServiceState[],
  changes: Change[],
  ctx: NftContext,
  withBase: boolean,
): { script: string; next: ServiceState[] } {
  const before = new Map(current.map((s) => [serviceId(s.key), s]));
  const after = new Map(before);
  const touched = new Set<string>();
  for (const c of changes) {
    applyChange(after, c);
    touched.add(serviceId(c.op === 'add-service' || c.op === 'edit-service' ? c.service.key : c.key));
  }
  const lines: string[] = withBase ? [renderBase(ctx).trimEnd()] : [];
  for (const id of touched) lines.push(...renderServiceChange(before.get(id), after.get(id), ctx));
  return { script: lines.join('\n') + '\n', next: [...after.values()] };
}

export class NftEngine implements Engine {
  readonly name = 'nft' as const;
  private readonly prefix: string[];
  private readonly ctx: NftContext;
  private readonly macs: Map<string, string>;
  private state: ServiceState[] | null = null;
  private baseReady = false;

  constructor(private readonly opts: NftEngineOptions = {}) {
    this.prefix = opts.netns ? ['ip', 'netns', 'exec', opts.netns] : [];
    this.macs = new Map(opts.macs ?? []);
    const { dr: _dr, macs: _m, netns: _n, nft: _b, ...rest } = opts;
    this.ctx = { ...rest, macs: this.macs };
  }

  /** Whether nft is installed, may be run by us, and the kernel takes a NAT table with a numgen map. */
  static async probe(
    opts: { netns?: string; nft?: string } = {},
  ): Promise<{ ok: true } | { ok: false; reason: string }> {
    const command = [...(opts.netns ? ['ip', 'netns', 'exec', opts.netns] : []), opts.nft ?? 'nft'];
    const check =
      'add table inet vigil_probe\n' +
      'add chain inet vigil_probe c { type nat hook prerouting priority -100; }\n' +
      'add rule inet vigil_probe c numgen inc mod 2 vmap { 0 : accept, 1 : accept }\n';
    try {
      const r = await runCommand([...command, '-c', '-f', '-'], check);
      if (r.code === 0) return { ok: true };
      const msg = r.stderr.trim().split('\n')[0] ?? `exit ${r.code}`;
      return { ok: false, reason: `nft cannot program the kernel: ${msg}` };
    } catch (e) {
      return { ok: false, reason: `nft not available: ${(e as Error).message}` };
    }
  }

  private async nft(args: string[], input = ''): Promise<RunResult> {
    return runCommand([...this.prefix, this.opts.nft ?? 'nft', ...args], input);
  }

  /** The director's MAC and the MACs of DR real servers in `changes` (ping, then the neighbour table). */
  private async resolveDr(changes: Change[]): Promise<void> {
    if (!this.opts.dr) return;
    const drDests = changes.flatMap((c) =>
      (c.op === 'add-dest' || c.op === 'edit-dest') && c.dest.forwarding === 'dr' ? [c.dest.address] : [],
    );
    // Routed: wait for a DR real server to find the interface by.
    if (!this.ctx.dr && !this.opts.dr.ifname && drDests.length === 0) return;
    const ifname = this.ctx.dr?.ifname ?? this.opts.dr.ifname ?? (await this.routedInterface(drDests));
    if (!this.ctx.dr) {
      let mac = this.opts.dr.mac;
      if (!mac) {
        const r = await runCommand([...this.prefix, 'ip', '-j', 'link', 'show', 'dev', ifname], '');
        const link = (JSON.parse(r.code === 0 ? r.stdout : '[]') as { address?: string }[])[0];
        if (!link?.address) throw new Error(`nft engine: DR interface ${ifname} not found`);
        mac = link.address;
      }
      this.ctx.dr = { ifname, mac };
      this.baseReady = false; // the DR table is part of the base
    }
    for (const c of changes) {
      if ((c.op !== 'add-dest' && c.op !== 'edit-dest') || c.dest.forwarding !== 'dr') continue;
      const a = c.dest.address;
      if (this.macs.has(a)) continue;
      // Any datagram makes the kernel resolve the neighbour (ping may be missing; this runs as node).
      const family = a.includes(':') ? 'udp6' : 'udp4';
      const poke = `const s=require('dgram').createSocket('${family}');s.send('',9,'${a}',()=>s.close())`;
      let n: { lladdr?: string } | undefined;
      for (let attempt = 0; attempt < 10 && !n?.lladdr; attempt++) {
        if (attempt % 3 === 0) await runCommand([...this.prefix, process.execPath, '-e', poke], '');
        await new Promise((r) => setTimeout(r, 100));
        const r = await runCommand([...this.prefix, 'ip', '-j', 'neigh', 'show', 'to', a, 'dev', ifname], '');
        n = (JSON.parse(r.code === 0 && r.stdout.trim() ? r.stdout : '[]') as { lladdr?: string }[])[0];
      }
      if (n?.lladdr) this.macs.set(a, n.lladdr);
    }
  }

  /** The DR interface from the routes to the real servers (no vrrp_instance names one). */
  private async routedInterface(addresses: string[]): Promise<string> {
    const found = await drInterfaceByRoute(addresses, this.prefix);
    if (!found) throw new Error('nft engine: DR: cannot ask the kernel for routes (ip not found)');
    if (!found.ok) throw new Error(`nft engine: DR cannot find the director's interface: ${found.reason}`);
    return found.ifname;
  }

  /** The netdev DR tables to read: the interface's, or every vigil_dr_* while it is not known yet. */
  private async drTables(): Promise<string[]> {
    if (!this.opts.dr) return [];
    const ifname = this.ctx.dr?.ifname ?? this.opts.dr.ifname;
    if (ifname) return [drTable(ifname)];
    const r = await this.nft(['-j', 'list', 'tables', 'netdev']);
    if (r.code !== 0) return [];
    const doc = JSON.parse(r.stdout) as { nftables?: { table?: { name?: string } }[] };
    return (doc.nftables ?? []).flatMap((i) =>
      i.table?.name?.startsWith(drTable('')) ? [i.table.name] : [],
    );
  }

  private async listTable(family: string, name: string): Promise<string | null> {
    const r = await this.nft(['-j', 'list', 'table', family, name]);
    if (r.code === 0) return r.stdout;
    if (/No such file or directory/.test(r.stderr)) return null;
    throw new Error(`nft list table ${family} ${name}: ${r.stderr.trim()}`);
  }

  private async listings(): Promise<string[]> {
    const docs: string[] = [];
    const inet = await this.listTable('inet', this.ctx.table ?? INET_TABLE);
    if (inet) docs.push(inet);
    for (const name of await this.drTables()) {
      const dr = await this.listTable('netdev', name);
      if (dr) docs.push(dr);
    }
    return docs;
  }

  async read(): Promise<ServiceState[]> {
    this.state = parseListing(await this.listings());
    return this.state;
  }

  /**
   * Per real server figures. NAT: connections made, counted per real address and port (shared by
   * services using the same server) in postrouting; live ones from conntrack (active = TCP
   * established).
   * DR: the ingress counter sees every client packet (inPkts/inBytes); replies bypass the director
   * and no connection state exists there, so conns are unknown (0).
   */
  async stats(): Promise<ServiceStats[]> {
    const docs = await this.listings();
    const services = parseListing(docs);
    const counters = parseCounters(docs);
    const made = parseConnCounters(docs);
    const ct = await runCommand([...this.prefix, 'cat', '/proc/net/nf_conntrack'], '');
    const conns = countConnections(ct.code === 0 ? ct.stdout : '');
    return services.map((s) => {
      const total = zero();
      const dests = s.dests.map((d) => {
        const c = counters.get(destChain(s.key, d)) ?? { packets: 0, bytes: 0 };
        const counters1 = zero();
        if (d.forwarding === 'dr') {
          counters1.inPkts = c.packets;
          counters1.inBytes = c.bytes;
        } else counters1.conns = made.get(`${d.address}|${d.port}`) ?? 0;
        const [active, inactive] =
          d.forwarding === 'dr' ? [0, 0] : (conns.get(`${d.address}|${d.port}`) ?? [0, 0]);
        for (const k of Object.keys(total) as (keyof Counters)[]) total[k] += counters1[k];
        return {
          address: d.address,
          port: d.port,
          activeConns: active,
          inactiveConns: inactive,
          counters: counters1,
        };
      });
      return { key: s.key, counters: total, dests };
    });
  }

  async apply(changes: Change[]): Promise<void> {
    if (changes.length === 0) return;
    await this.resolveDr(changes);
    const current = this.state ?? (await this.read());
    const { script, next } = planTransaction(current, changes, this.ctx, !this.baseReady);
    await this.transact(script, changes);
    this.baseReady = true;
    this.state = next;
  }

  /** Runs one atomic transaction; the kernel applies all of it or nothing. */
  async transact(script: string, changes: Change[] = []): Promise<void> {
    const r = await this.nft(['-f', '-'], script);
    if (r.code !== 0) {
      this.state = null;
      const keys = [
        ...new Set(
          changes.map((c) =>
            describeKey(c.op === 'add-service' || c.op === 'edit-service' ? c.service.key : c.key),
          ),
        ),
      ];
      const err = r.stderr
        .split('\n')
        .filter((l) => l.startsWith('Error') || l.includes('Error:'))
        .slice(0, 3)
        .join('; ');
      throw new Error(
        `nft engine: applying ${keys.join(', ') || 'ruleset'} failed: ${err || r.stderr.trim()}`,
      );
    }
  }

  /** Deletes vigil's tables (on stop, unless the operator asked to keep them). */
  async release(): Promise<void> {
    await this.removeAll();
  }

  /** lvs_flush: nothing but vigil's own tables can hold its services. */
  async flush(): Promise<void> {
    await this.removeAll();
  }

  /** Deletes vigil's tables, whatever they hold: they are vigil's own by name. */
  async removeAll(): Promise<void> {
    const lines: string[] = [];
    const inet = this.ctx.table ?? INET_TABLE;
    if (await this.listTable('inet', inet)) lines.push(`delete table inet ${inet}`);
    for (const name of await this.drTables())
      if (await this.listTable('netdev', name)) lines.push(`delete table netdev ${name}`);
    if (lines.length) await this.transact(lines.join('\n') + '\n');
    this.state = [];
    this.baseReady = false;
  }

  async close(): Promise<void> {
    this.state = null;
  }
}
