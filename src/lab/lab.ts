// A network-namespace lab: one namespace per node, L2 segments as bridges inside a private "switch"
// namespace (so the host's own namespace is never touched), veth pairs from each node into its
// segments. Everything the lab makes carries a unique `vg<random>` prefix and is removed by
// destroy() — also when the process exits or is interrupted.
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';

export interface LabInterfaceSpec {
  /** Interface name inside the node's namespace (default eth0, eth1, ...). */
  ifname?: string;
  /** Segment (bridge) this interface is plugged into; default the first segment. */
  segment?: string;
  /** Addresses in CIDR form, IPv4 or IPv6 (e.g. 192.168.10.11/24, fd00:10::11/64). */
  addresses?: string[];
  /** Fixed MAC address (default: the kernel's random one). */
  mac?: string;
}

export interface LabNodeSpec {
  /** Logical name used with exec/spawn: letters, digits, '-' (e.g. client, director1). */
  name: string;
  /** Shorthand for a single interface eth0 on the first segment with these addresses. */
  addresses?: string[];
  interfaces?: LabInterfaceSpec[];
  /** `ip route add` argument lists, e.g. ['default via 192.168.10.1']. */
  routes?: string[];
  /** sysctl key=value pairs applied inside the namespace (e.g. net.ipv4.ip_forward: '1'). */
  sysctls?: Record<string, string>;
}

export interface LabSpec {
  nodes: LabNodeSpec[];
  /** Segment names (default ['lan']). */
  segments?: string[];
}

export interface LabOptions {
  /** Fixed id (`vg` + 1-10 lowercase letters/digits, e.g. vgdemo) instead of a random one. */
  id?: string;
  /**
   * Keep the lab when this process exits (for `vigil lab up`): no exit/signal teardown, and
   * spawned processes outlive the process. Remove it later with removeLab(id).
   */
  keep?: boolean;
}

export interface LabInterface {
  ifname: string;
  segment: string;
  addresses: string[];
  /** The veth end inside the switch namespace. */
  peer: string;
}

export interface LabNode {
  name: string;
  /** Network namespace name (`ip netns` name). */
  ns: string;
  /** Path for setns(2): /run/netns/<ns>. */
  nsPath: string;
  interfaces: LabInterface[];
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface LabExecOptions {
  /** Resolve with a non-zero code instead of rejecting. */
  allowFailure?: boolean;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
}

export interface Lab {
  /** Unique prefix of every name this lab made, e.g. vg3fa2c1. */
  readonly id: string;
  readonly nodes: ReadonlyMap<string, LabNode>;
  /** The namespace holding the bridges. */
  readonly switchNs: string;
  node(name: string): LabNode;
  /** Runs argv inside the node's namespace; rejects (with stderr in the message) on failure. */
  exec(node: string, argv: string[], opts?: LabExecOptions): Promise<ExecResult>;
  /**
   * Starts argv inside the node's namespace in its own process group; the lab tracks it.
   * stdout/stderr are pipes unless `opts.stdio` says otherwise: read them (a full pipe stalls a
   * chatty daemon) or pass 'ignore' / file descriptors.
   */
  spawn(node: string, argv: string[], opts?: SpawnOptions): ChildProcess;
  /** Signals a process this lab spawned (its whole process group). */
  kill(child: ChildProcess, signal?: NodeJS.Signals): void;
  /** The IPv6 link-local address of a node's interface (VRRPv3/IPv6 sources use it). */
  linkLocal(node: string, ifname?: string): Promise<string>;
  /** Brings a node's interface down or up. */
  setLink(node: string, ifname: string, up: boolean): Promise<void>;
  /** Kills this lab's processes and deletes its namespaces. Idempotent. */
  destroy(): Promise<void>;
  /** Synchronous destroy, for exit handlers. Idempotent. */
  destroySync(): void;
}

const NAME_RE = /^[a-z][a-z0-9-]{0,30}$/i;
const ID_RE = /^vg[a-z0-9]{1,10}$/;
const NETNS_DIR = '/run/netns';

export class LabError extends Error {}

function run(cmd: string, args: string[], opts: LabExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 30_000, env: opts.env ?? process.env, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        const result = { code, stdout: String(stdout), stderr: String(stderr) };
        if (code !== 0 && !opts.allowFailure) {
          const why = String(stderr).trim() || (err?.message ?? `exit ${code}`);
          reject(new LabError(`${[cmd, ...args].join(' ')}: ${why}`));
        } else {
          resolve(result);
        }
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

async function ip(args: string[]): Promise<void> {
  await run('ip', args);
}

function randomId(): string {
  return `vg${randomBytes(3).toString('hex')}`;
}

/** Every live lab, so an exit or interrupt can tear them all down. */
const live = new Set<LabImpl>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const lab of [...live]) lab.destroySync();
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      for (const lab of [...live]) lab.destroySync();
      // If nobody else handles the signal, behave as the default would (terminate).
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

class LabImpl implements Lab {
  readonly nodes = new Map<string, LabNode>();
  readonly switchNs: string;
  private readonly children = new Set<ChildProcess>();
  private readonly namespaces: string[] = [];
  private destroyed = false;

  /** `opened`: re-opened by id; destroy() then removes every process in its namespaces. */
  constructor(
    readonly id: string,
    private readonly opened = false,
  ) {
    this.switchNs = `${id}-sw`;
    if (opened) this.namespaces.push(this.switchNs);
  }

  adopt(node: LabNode): void {
    this.nodes.set(node.name, node);
    this.namespaces.push(node.ns);
  }

  node(name: string): LabNode {
    const n = this.nodes.get(name);
    if (!n) throw new LabError(`lab ${this.id}: no node named '${name}'`);
    return n;
  }

  async addNamespace(ns: string): Promise<void> {
    // An interrupt's teardown may run while createLab is still building: add nothing after it.
    if (this.destroyed) throw new LabError(`lab ${this.id} was torn down while being built`);
    await ip(['netns', 'add', ns]);
    this.namespaces.push(ns);
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  exec(node: string, argv: string[], opts: LabExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) return Promise.reject(new LabError('exec: empty argv'));
    return run('ip', ['netns', 'exec', this.node(node).ns, ...argv], opts);
  }

  spawn(node: string, argv: string[], opts: SpawnOptions = {}): ChildProcess {
    if (argv.length === 0) throw new LabError('spawn: empty argv');
    if (this.destroyed) throw new LabError(`lab ${this.id} is destroyed`);
    // `ip netns exec` execs argv in place, so the child's PID is the program's own.
    const child = spawn('ip', ['netns', 'exec', this.node(node).ns, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...opts,
      detached: true,
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    child.once('error', () => this.children.delete(child));
    return child;
  }

  kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  }

  async linkLocal(node: string, ifname = 'eth0'): Promise<string> {
    const out = (
      await run('ip', ['-n', this.node(node).ns, '-6', '-o', 'addr', 'show', 'dev', ifname, 'scope', 'link'])
    ).stdout;
    const m = /inet6 (fe80:[0-9a-f:]+)\//.exec(out);
    if (!m?.[1]) throw new LabError(`lab ${this.id}: ${node}/${ifname} has no IPv6 link-local address`);
    return m[1];
  }

  async setLink(node: string, ifname: string, up: boolean): Promise<void> {
    await ip(['-n', this.node(node).ns, 'link', 'set', ifname, up ? 'up' : 'down']);
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    if (this.opened) {
      this.destroyed = true;
      await removeLab(this.id);
      return;
    }
    const running = [...this.children];
    for (const c of running) this.kill(c, 'SIGTERM');
    await Promise.all(
      running.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const timer = setTimeout(() => this.kill(c, 'SIGKILL'), 2000);
        await once(c, 'exit').catch(() => undefined);
        clearTimeout(timer);
      }),
    );
    this.destroySync();
  }

  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const c of this.children) this.kill(c, 'SIGKILL');
    // Deleting the switch namespace destroys the bridges and every veth pair with it.
    for (const ns of [...this.namespaces].reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // Already deleted.
      }
    }
  }

  track(): void {
    installExitHooks();
    live.add(this);
  }
}

/** Builds the lab described by `spec`. Needs root and iproute2; on failure nothing is left behind. */
export async function createLab(spec: LabSpec, opts: LabOptions = {}): Promise<Lab> {
  if (opts.id !== undefined && !ID_RE.test(opts.id)) {
    throw new LabError(`lab: bad id '${opts.id}' (want vg + 1-10 lowercase letters or digits)`);
  }
  const segments = spec.segments ?? ['lan'];
  if (segments.length === 0) throw new LabError('lab: at least one segment is needed');
  for (const s of segments) if (!NAME_RE.test(s)) throw new LabError(`lab: bad segment name '${s}'`);
  const seen = new Set<string>();
  for (const n of spec.nodes) {
    if (!NAME_RE.test(n.name)) throw new LabError(`lab: bad node name '${n.name}'`);
    if (seen.has(n.name)) throw new LabError(`lab: node '${n.name}' is declared twice`);
    seen.add(n.name);
  }

  const id = opts.id ?? randomId();
  if (opts.id !== undefined && (await listLabs()).includes(id))
    throw new LabError(`lab ${id} already exists`);
  const lab = new LabImpl(id);
  if (!opts.keep) lab.track();
  try {
    await lab.addNamespace(lab.switchNs);
    for (let i = 0; i < segments.length; i++) {
      // No STP delay and no multicast snooping: VRRP/ND multicast must flood like on a dumb switch.
      await ip(['-n', lab.switchNs, 'link', 'add', `br${i}`, 'type', 'bridge', 'forward_delay', '0']);
      await ip(['-n', lab.switchNs, 'link', 'set', `br${i}`, 'type', 'bridge', 'mcast_snooping', '0']);
      await ip(['-n', lab.switchNs, 'link', 'set', `br${i}`, 'up']);
    }
    for (const [ni, spec1] of spec.nodes.entries()) {
      const ns = `${lab.id}-${spec1.name}`;
      await lab.addNamespace(ns);
      const ifSpecs = spec1.interfaces ?? [{ addresses: spec1.addresses ?? [] }];
      const node: LabNode = { name: spec1.name, ns, nsPath: `${NETNS_DIR}/${ns}`, interfaces: [] };
      lab.nodes.set(spec1.name, node);
      // Skip IPv6 duplicate address detection: addresses are usable at once, as tests expect.
      await run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.accept_dad=0']);
      await run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.default.accept_dad=0']);
      for (const [ii, ifs] of ifSpecs.entries()) {
        const ifname = ifs.ifname ?? `eth${ii}`;
        const segment = ifs.segment ?? segments[0]!;
        const segIndex = segments.indexOf(segment);
        if (segIndex < 0) throw new LabError(`lab: node '${spec1.name}' uses unknown segment '${segment}'`);
        const peer = `n${ni}i${ii}`;
        await ip([
          'link',
          'add',
          ifname,
          'netns',
          ns,
          'type',
          'veth',
          'peer',
          'name',
          peer,
          'netns',
          lab.switchNs,
        ]);
        if (ifs.mac) await ip(['-n', ns, 'link', 'set', ifname, 'address', ifs.mac]);
        await ip(['-n', lab.switchNs, 'link', 'set', peer, 'master', `br${segIndex}`, 'up']);
        await ip(['-n', ns, 'link', 'set', ifname, 'up']);
        const addresses = ifs.addresses ?? [];
        for (const a of addresses) await ip(['-n', ns, 'addr', 'add', a, 'dev', ifname]);
        node.interfaces.push({ ifname, segment, addresses, peer });
      }
      for (const [k, v] of Object.entries(spec1.sysctls ?? {})) {
        await run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `${k}=${v}`]);
      }
      for (const r of spec1.routes ?? []) await ip(['-n', ns, 'route', 'add', ...r.split(/\s+/)]);
    }
    // IPv6 link-local addresses appear a moment after carrier: wait, so VRRPv3/IPv6 users
    // (keepalived and vigil use the link-local as their source) find them at once.
    for (const node of lab.nodes.values()) {
      for (const ifs of node.interfaces) await waitLinkLocal(node.ns, ifs.ifname);
    }
  } catch (e) {
    lab.destroySync();
    throw e;
  }
  return lab;
}

async function waitLinkLocal(ns: string, ifname: string): Promise<void> {
  const end = Date.now() + 3000;
  for (;;) {
    const out = (await run('ip', ['-n', ns, '-6', '-o', 'addr', 'show', 'dev', ifname, 'scope', 'link']))
      .stdout;
    if (out.includes('fe80:') && !out.includes('tentative')) return;
    if (Date.now() > end) throw new LabError(`lab: ${ifname} in ${ns} got no IPv6 link-local address in 3 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function netnsList(): string[] {
  let out: string;
  try {
    out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

/** The namespaces of lab `id` present now (any process's, kept or not). */
export function namespacesOf(id: string): string[] {
  return netnsList().filter((n) => n.startsWith(`${id}-`));
}

/** Ids of the labs present on this machine (made by any process, kept or not). */
export async function listLabs(): Promise<string[]> {
  return netnsList()
    .filter((n) => /^vg[a-z0-9]{1,10}-sw$/.test(n))
    .map((n) => n.slice(0, -3))
    .sort();
}

/**
 * Re-opens a lab another process made (e.g. `vigil lab up`): its nodes, exec and spawn. Its
 * destroy() removes it as removeLab does.
 */
export async function openLab(id: string): Promise<Lab> {
  if (!ID_RE.test(id)) throw new LabError(`lab: bad id '${id}'`);
  const all = netnsList();
  if (!all.includes(`${id}-sw`)) throw new LabError(`no lab named ${id}`);
  const lab = new LabImpl(id, true);
  for (const ns of all) {
    if (!ns.startsWith(`${id}-`) || ns === lab.switchNs) continue;
    const name = ns.slice(id.length + 1);
    const links = JSON.parse((await run('ip', ['-n', ns, '-j', 'addr', 'show'])).stdout || '[]') as {
      ifname: string;
      link_netnsid?: number;
      addr_info?: { local: string; prefixlen: number; scope: string }[];
    }[];
    const interfaces = links
      .filter((l) => l.ifname !== 'lo')
      .map((l) => ({
        ifname: l.ifname,
        segment: '',
        peer: '',
        addresses: (l.addr_info ?? [])
          .filter((a) => a.scope !== 'link')
          .map((a) => `${a.local}/${a.prefixlen}`),
      }));
    lab.adopt({ name, ns, nsPath: `${NETNS_DIR}/${ns}`, interfaces });
  }
  return lab;
}

/**
 * Removes a lab by id: kills every process inside its namespaces (they belong to the lab), then
 * deletes the namespaces. Returns false when there was no such lab.
 */
export async function removeLab(id: string): Promise<boolean> {
  if (!ID_RE.test(id)) throw new LabError(`lab: bad id '${id}'`);
  const mine = namespacesOf(id);
  if (mine.length === 0) return false;
  const pidsOf = async (ns: string): Promise<number[]> =>
    (await run('ip', ['netns', 'pids', ns], { allowFailure: true })).stdout
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    let left = 0;
    for (const ns of mine) {
      for (const pid of await pidsOf(ns)) {
        left++;
        try {
          process.kill(pid, sig);
        } catch {
          // Already gone.
        }
      }
    }
    if (left === 0) break;
    if (sig === 'SIGTERM') await new Promise((r) => setTimeout(r, 1000));
  }
  for (const ns of [...mine].reverse()) await run('ip', ['netns', 'del', ns], { allowFailure: true });
  return true;
}
