// The kernel IPVS engine: talks the "IPVS" generic-netlink family in process (as ipvsadm and
// keepalived do), one request and ACK per change, in order. The codec is in attrs.ts.
import { execFile } from 'node:child_process';
import { createGenericNetlink, genl, type GenericNetlinkSocket } from 'netlink';
import { serviceId, destId } from '../keys.js';
import type { SyncDaemonSpec } from '../engine.js';
import type { Change, Engine, ServiceKey, ServiceState, ServiceStats } from '../engine.js';
import {
  Cmd,
  IPVS_GENL_NAME,
  IPVS_GENL_VERSION,
  decodeDaemon,
  decodeDest,
  decodeInfo,
  decodeService,
  decodeTimeouts,
  encodeDaemon,
  encodeDaemonState,
  encodeDest,
  encodeService,
  encodeServiceKey,
  encodeTimeouts,
} from './attrs.js';

const NLM_F_DUMP = 0x300;

export type IpvsAvailability = { ok: true; detail: string } | { ok: false; reason: string };

/** errno name from the netlink package's "Request rejected: EEXIST" (or an Error's code). */
function errnoOf(err: unknown): string {
  if (err instanceof Error) {
    const m = /Request rejected: (\w+)/.exec(err.message);
    if (m) return m[1]!;
    const code = (err as NodeJS.ErrnoException).code;
    if (code) return code;
    return err.message;
  }
  return String(err);
}

/** What the kernel's answer means for this operation (ip_vs_ctl.c's errno conventions). */
function meaning(op: Change['op'], errno: string, scheduler?: string): string {
  const dest = op.endsWith('-dest');
  switch (errno) {
    case 'EEXIST':
      return dest ? 'the destination already exists' : 'the service already exists';
    case 'ESRCH':
      return 'no such service';
    case 'ENOENT':
      if (op === 'add-service' || op === 'edit-service')
        return `unknown scheduler '${scheduler ?? ''}' (no ip_vs_${scheduler ?? ''} module)`;
      return 'no such destination';
    case 'EINVAL':
      return 'the kernel rejected the parameters';
    case 'EPERM':
      return 'needs CAP_NET_ADMIN';
    case 'EBUSY':
      return 'busy';
    default:
      return 'failed';
  }
}

/** ip_vs_sync.c's start_sync_thread errors. */
function daemonMeaning(errno: string, d: SyncDaemonSpec): string {
  switch (errno) {
    case 'EEXIST':
      return `a ${d.state} sync daemon already runs`;
    case 'ENODEV':
      return `no interface '${d.mcastInterface}'`;
    case 'EADDRNOTAVAIL':
      return `interface '${d.mcastInterface}' has no IPv4 address to send from`;
    case 'EINVAL':
      return 'the kernel rejected the parameters (maxlen, group or ttl)';
    case 'EPERM':
      return 'needs CAP_NET_ADMIN';
    default:
      return 'failed';
  }
}

function describe(c: Change): string {
  switch (c.op) {
    case 'add-service':
    case 'edit-service':
      return `${c.op} ${serviceId(c.service.key)}`;
    case 'del-service':
      return `${c.op} ${serviceId(c.key)}`;
    case 'add-dest':
    case 'edit-dest':
      return `${c.op} ${destId(c.dest)} in ${serviceId(c.key)}`;
    case 'del-dest':
      return `${c.op} ${destId(c)} in ${serviceId(c.key)}`;
  }
}

function modprobe(): Promise<void> {
  return new Promise((resolve) => execFile('modprobe', ['ip_vs'], () => resolve()));
}

export class IpvsEngine implements Engine {
  readonly name = 'ipvs' as const;

  private constructor(
    private readonly sock: GenericNetlinkSocket,
    private readonly family: number,
    private readonly window: number,
  ) {}

  /** The tail of the operations on the socket: each runs alone (see serial). */
  private lane: Promise<unknown> = Promise.resolve();

  /**
   * Runs f once every earlier operation has finished. One socket carries everything: a dump
   * started while another is running is refused (EBUSY), and an ACK arriving inside a dump's
   * multipart reply breaks it, as the checker's stats poll meeting a health-driven apply did.
   */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.lane.then(f, f);
    this.lane = run.catch(() => undefined);
    return run;
  }

  /**
   * Resolves the IPVS family. With `loadModule` (default) a missing family triggers one
   * `modprobe ip_vs`, as keepalived does. Rejects with a clear reason when there is no IPVS.
   * `window`: how many changes apply() keeps in flight (default 32). The kernel handles them in
   * order either way; 1 means nothing after a failed change is sent.
   */
  static async open(opts: { loadModule?: boolean; window?: number } = {}): Promise<IpvsEngine> {
    const sock = createGenericNetlink();
    try {
      let family = await resolveFamily(sock);
      if (family === undefined && opts.loadModule !== false) {
        await modprobe();
        family = await resolveFamily(sock);
      }
      if (family === undefined)
        throw new Error('ipvs: the kernel has no IPVS (generic netlink family "IPVS" not found)');
      return new IpvsEngine(sock, family, Math.max(1, opts.window ?? 32));
    } catch (err) {
      sock.socket.close();
      throw err;
    }
  }

  /** Side-effect-free check that the IPVS family is registered (no module loading). */
  static async probe(): Promise<IpvsAvailability> {
    let sock: GenericNetlinkSocket | undefined;
    try {
      sock = createGenericNetlink();
      const family = await resolveFamily(sock);
      if (family === undefined)
        return { ok: false, reason: 'no IPVS generic-netlink family (ip_vs not loaded or not built)' };
      const [reply] = await sock.request(family, Cmd.GET_INFO, IPVS_GENL_VERSION, []);
      const info = reply[0] ? decodeInfo(reply[0].data) : undefined;
      return {
        ok: true,
        detail: info ? `IPVS ${info.version}, ${info.connTabSize} connection slots` : 'IPVS',
      };
    } catch (err) {
      return { ok: false, reason: `IPVS netlink: ${errnoOf(err)}` };
    } finally {
      sock?.socket.close();
    }
  }

  private request(cmd: number, attrs: Buffer[], dump = false): Promise<Buffer[]> {
    return this.serial(() => this.send(cmd, attrs, dump));
  }

  /** One request, outside the lane: only from inside serial(). */
  private async send(cmd: number, attrs: Buffer[], dump = false): Promise<Buffer[]> {
    const [msgs] = await this.sock.request(
      this.family,
      cmd,
      IPVS_GENL_VERSION,
      attrs,
      dump ? { flags: NLM_F_DUMP } : {},
    );
    return msgs.map((m) => m.data);
  }

  async info(): Promise<{ version: string; connTabSize: number }> {
    const [r] = await this.request(Cmd.GET_INFO, []);
    if (!r) throw new Error('ipvs: GET_INFO gave no reply');
    return decodeInfo(r);
  }

  async timeouts(): Promise<{ tcp: number; tcpFin: number; udp: number }> {
    const [r] = await this.request(Cmd.GET_CONFIG, []);
    if (!r) throw new Error('ipvs: GET_CONFIG gave no reply');
    return decodeTimeouts(r);
  }

  /** Seconds; 0 leaves a timeout unchanged (as `ipvsadm --set`). */
  async setTimeouts(t: { tcp?: number; tcpFin?: number; udp?: number }): Promise<void> {
    await this.request(Cmd.SET_CONFIG, encodeTimeouts(t));
  }

  /** Zeroes the counters of one service, or of all. */
  async zero(key?: ServiceKey): Promise<void> {
    await this.request(Cmd.ZERO, key ? [encodeServiceKey(key)] : []);
  }

  /**
   * The kernel's connection synchronisation daemons (at most one master and one backup), for
   * `lvs_sync_daemon` and `ipvsadm --start-daemon / --stop-daemon / -L --daemon`.
   */
  readonly syncDaemons = {
    list: async (): Promise<SyncDaemonSpec[]> =>
      (await this.request(Cmd.GET_DAEMON, [], true)).map((p) => decodeDaemon(p)),
    start: async (d: SyncDaemonSpec): Promise<void> => {
      const what = `${d.state} sync daemon on ${d.mcastInterface} (syncid ${d.syncid})`;
      let attrs: Buffer;
      try {
        attrs = encodeDaemon(d);
      } catch (err) {
        throw new Error(`ipvs: start ${what}: ${(err as Error).message}`, { cause: err });
      }
      await this.request(Cmd.NEW_DAEMON, [attrs]).catch((err: unknown) => {
        const errno = errnoOf(err);
        throw new Error(`ipvs: start ${what}: ${daemonMeaning(errno, d)} (${errno})`, { cause: err });
      });
    },
    stop: async (state: SyncDaemonSpec['state']): Promise<void> => {
      await this.request(Cmd.DEL_DAEMON, [encodeDaemonState(state)]).catch((err: unknown) => {
        const errno = errnoOf(err);
        const why = errno === 'ESRCH' ? `no ${state} sync daemon runs` : 'failed';
        throw new Error(`ipvs: stop ${state} sync daemon: ${why} (${errno})`, { cause: err });
      });
    },
  };

  /** Removes every virtual service (`ipvsadm -C`). */
  async flush(): Promise<void> {
    await this.request(Cmd.FLUSH, []);
  }

  async read(): Promise<ServiceState[]> {
    return (await this.dump()).map(({ state }) => state);
  }

  async stats(): Promise<ServiceStats[]> {
    return (await this.dump()).map(
      ({ state, stats }) => stats ?? { key: state.key, counters: zero(), dests: [] },
    );
  }

  private dump(): Promise<{ state: ServiceState; stats: ServiceStats }[]> {
    return this.serial(() => this.dumpAlone());
  }

  private async dumpAlone(): Promise<{ state: ServiceState; stats: ServiceStats }[]> {
    const out: { state: ServiceState; stats: ServiceStats }[] = [];
    for (const payload of await this.send(Cmd.GET_SERVICE, [], true)) {
      const { spec, counters } = decodeService(payload);
      const state: ServiceState = { ...spec, dests: [] };
      const stats: ServiceStats = { key: spec.key, counters, dests: [] };
      for (const dp of await this.send(Cmd.GET_DEST, [encodeServiceKey(spec.key)], true)) {
        const d = decodeDest(dp, spec.key.family);
        state.dests.push(d.dest);
        stats.dests.push({
          address: d.dest.address,
          port: d.dest.port,
          activeConns: d.activeConns,
          inactiveConns: d.inactiveConns,
          counters: d.counters,
        });
      }
      out.push({ state, stats });
    }
    return out;
  }

  /**
   * Sends the changes in order, up to `window` awaiting their ACK at once (one request per ACK
   * costs a wake-up each). At the first failure nothing more is sent; the error names that change
   * and says how many later ones, already in flight, the kernel applied.
   */
  async apply(changes: Change[]): Promise<void> {
    // Encode everything first: bad input fails before anything is sent.
    const requests = changes.map((c) => {
      try {
        return this.encodeChange(c);
      } catch (err) {
        throw new Error(`ipvs: ${describe(c)}: ${(err as Error).message}`, { cause: err });
      }
    });
    return this.serial(() => this.applyAlone(changes, requests));
  }

  private async applyAlone(changes: Change[], requests: [number, Buffer[]][]): Promise<void> {
    let first: { index: number; err: unknown } | undefined;
    const done: boolean[] = [];
    const inflight = new Set<Promise<void>>();
    for (let i = 0; i < changes.length && !first; i++) {
      const [cmd, attrs] = requests[i]!;
      const p: Promise<void> = this.send(cmd, attrs).then(
        () => {
          done[i] = true;
        },
        (err: unknown) => {
          if (!first || i < first.index) first = { index: i, err };
        },
      );
      const tracked = p.finally(() => inflight.delete(tracked));
      inflight.add(tracked);
      if (inflight.size >= this.window) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    if (!first) return;
    const { index, err } = first;
    const c = changes[index]!;
    const errno = errnoOf(err);
    const sched = c.op === 'add-service' || c.op === 'edit-service' ? c.service.scheduler : undefined;
    const later = done.slice(index + 1).filter(Boolean).length;
    const tail = later ? `; ${later} later change${later > 1 ? 's' : ''} already sent took effect` : '';
    throw new Error(`ipvs: ${describe(c)}: ${meaning(c.op, errno, sched)} (${errno})${tail}`, { cause: err });
  }

  private encodeChange(c: Change): [number, Buffer[]] {
    switch (c.op) {
      case 'add-service':
        return [Cmd.NEW_SERVICE, [encodeService(c.service)]];
      case 'edit-service':
        return [Cmd.SET_SERVICE, [encodeService(c.service)]];
      case 'del-service':
        return [Cmd.DEL_SERVICE, [encodeServiceKey(c.key)]];
      case 'add-dest':
        return [Cmd.NEW_DEST, [encodeServiceKey(c.key), encodeDest(c.dest)]];
      case 'edit-dest':
        return [Cmd.SET_DEST, [encodeServiceKey(c.key), encodeDest(c.dest)]];
      case 'del-dest':
        return [Cmd.DEL_DEST, [encodeServiceKey(c.key), encodeDest(c, false)]];
    }
  }

  async close(): Promise<void> {
    this.sock.socket.close();
  }
}

const zero = () => ({ conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 });

/** The family id, or undefined when the kernel has no such family (ENOENT). */
async function resolveFamily(sock: GenericNetlinkSocket): Promise<number | undefined> {
  try {
    const [fam] = await sock.ctrlRequest(genl.Commands.GET_FAMILY, { familyName: IPVS_GENL_NAME });
    return fam?.familyId;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}
