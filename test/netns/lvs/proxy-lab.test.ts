// The user-space engine in a namespace lab: a client, a director running the proxy on the VIP and
// two real servers, each its own network namespace on one segment (the guide's layout).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { randomInt } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { createLab, guideTopology, type Lab } from '../../../src/lab/index.js';
import type {
  Change,
  DestSpec,
  ServiceKey,
  ServiceState,
  ServiceStats,
} from '../../../src/dataplane/engine.js';
import { plan } from '../../../src/lvs/plan.js';
import { effectiveDests } from '../../../src/lvs/sorry.js';
import { evaluateQuorum } from '../../../src/lvs/quorum.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';

const fixture = (name: string) => new URL(`./fixtures/${name}.ts`, import.meta.url).pathname;
const tsx = (name: string, ...args: string[]) => [
  process.execPath,
  '--import',
  'tsx',
  fixture(name),
  ...args,
];

const topo = guideTopology(randomInt(100, 200));
const VIP = topo.vip4;
let lab: Lab | null = null;
let director: ChildProcess | null = null;
let replies: AsyncIterator<string> | null = null;
const unavailable = netnsUnavailable();

async function ready(child: ChildProcess): Promise<void> {
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  assert.equal(line.toString().trim(), 'ready');
}

interface Reply {
  error?: string;
  stats?: ServiceStats[];
  state?: ServiceState[];
}

async function command(cmd: { apply?: Change[]; stats?: boolean; read?: boolean }): Promise<Reply> {
  director!.stdin!.write(`${JSON.stringify(cmd)}\n`);
  const r = await replies!.next();
  return JSON.parse(r.value as string) as Reply;
}

/** Plans desired against what the director reports and applies it, as the daemon will. */
async function converge(desired: ServiceState[]): Promise<Change[]> {
  const changes = plan(desired, (await command({ read: true })).state!);
  const r = await command({ apply: changes });
  assert.equal(r.error, undefined);
  return changes;
}

async function client(...args: string[]): Promise<string> {
  return (await lab!.exec('client', tsx('client', ...args), { timeoutMs: 20_000 })).stdout;
}

function dest(address: string, port: number, weight: number): DestSpec {
  return { address, port, forwarding: 'nat', weight, upperThreshold: 0, lowerThreshold: 0 };
}

before(async () => {
  if (unavailable) return;
  lab = await createLab(topo.spec);
  await lab.exec('director1', ['ip', 'addr', 'add', `${VIP}/24`, 'dev', 'eth0']);
  for (const rs of ['rs1', 'rs2'] as const) {
    const s = lab.spawn(rs, tsx('server', rs, topo.ipv4[rs]));
    await ready(s);
  }
  director = lab.spawn('director1', tsx('director'), { stdio: ['pipe', 'pipe', 'inherit'] });
  await ready(director);
  replies = createInterface({ input: director.stdout! })[Symbol.asyncIterator]();
});

after(async () => {
  director?.stdin?.end();
  await lab?.destroy();
});

test('lab: wrr 3:1 from another namespace, then a removed server gets nothing', async (t) => {
  if (!requireSystem(t, unavailable)) return;
  const key: ServiceKey = { kind: 'addr', family: 4, address: VIP, port: 80, protocol: 'tcp' };
  const setup = await command({
    apply: [
      { op: 'add-service', service: { key, scheduler: 'wrr', flags: {} } },
      { op: 'add-dest', key, dest: dest(topo.ipv4.rs1, 8080, 3) },
      { op: 'add-dest', key, dest: dest(topo.ipv4.rs2, 8080, 1) },
    ],
  });
  assert.equal(setup.error, undefined);
  assert.deepEqual(JSON.parse(await client('http', VIP, '80', '40')), { rs1: 30, rs2: 10 });
  await command({ apply: [{ op: 'del-dest', key, address: topo.ipv4.rs1, port: 8080 }] });
  assert.deepEqual(JSON.parse(await client('http', VIP, '80', '8')), { rs2: 8 });
  const { stats } = await command({ stats: true });
  assert.equal(stats![0]!.counters.conns, 48);
  await command({ apply: [{ op: 'del-service', key }] });
});

test('lab: sh keeps the client on one server; UDP echoes through the VIP', async (t) => {
  if (!requireSystem(t, unavailable)) return;
  const key: ServiceKey = { kind: 'addr', family: 4, address: VIP, port: 80, protocol: 'tcp' };
  const ukey: ServiceKey = { kind: 'addr', family: 4, address: VIP, port: 53, protocol: 'udp' };
  const r = await command({
    apply: [
      { op: 'add-service', service: { key, scheduler: 'sh', flags: {} } },
      { op: 'add-dest', key, dest: dest(topo.ipv4.rs1, 8080, 1) },
      { op: 'add-dest', key, dest: dest(topo.ipv4.rs2, 8080, 1) },
      { op: 'add-service', service: { key: ukey, scheduler: 'rr', flags: {} } },
      { op: 'add-dest', key: ukey, dest: dest(topo.ipv4.rs2, 5353, 1) },
    ],
  });
  assert.equal(r.error, undefined);
  const counts = JSON.parse(await client('http', VIP, '80', '12')) as Record<string, number>;
  assert.equal(Object.keys(counts).length, 1);
  assert.equal(await client('udp', VIP, '53', 'hi'), 'rs2:hi');
  await command({
    apply: [
      { op: 'del-service', key },
      { op: 'del-service', key: ukey },
    ],
  });
});

test('lab: a weight change takes effect; the sorry server takes over when quorum is lost', async (t) => {
  if (!requireSystem(t, unavailable)) return;
  const key: ServiceKey = { kind: 'addr', family: 4, address: VIP, port: 80, protocol: 'tcp' };
  const service = (dests: DestSpec[]): ServiceState[] => [{ key, scheduler: 'wrr', flags: {}, dests }];
  await converge(service([dest(topo.ipv4.rs1, 8080, 1), dest(topo.ipv4.rs2, 8080, 1)]));
  assert.deepEqual(JSON.parse(await client('http', VIP, '80', '8')), { rs1: 4, rs2: 4 });
  const edit = await converge(service([dest(topo.ipv4.rs1, 8080, 3), dest(topo.ipv4.rs2, 8080, 1)]));
  assert.deepEqual(
    edit.map((c) => c.op),
    ['edit-dest'],
  );
  assert.deepEqual(JSON.parse(await client('http', VIP, '80', '8')), { rs1: 6, rs2: 2 });
  // rs1 is the only real server and its check fails: quorum 1 is lost, rs2 is the sorry server.
  const q = evaluateQuorum({ aliveWeights: [], quorum: 1, hysteresis: 0, wasUp: true });
  assert.deepEqual(q, { up: false, aliveWeight: 0, threshold: 1, changed: true });
  const sorry = effectiveDests({ real: [], sorry: dest(topo.ipv4.rs2, 8080, 0), quorumUp: q.up });
  await converge(service(sorry));
  assert.deepEqual(JSON.parse(await client('http', VIP, '80', '4')), { rs2: 4 });
  assert.deepEqual(await converge([]), [{ op: 'del-service', key }]);
});

test('lab: persistence holds for its timeout, then releases', async (t) => {
  if (!requireSystem(t, unavailable)) return;
  const key: ServiceKey = { kind: 'addr', family: 4, address: VIP, port: 80, protocol: 'tcp' };
  await converge([
    {
      key,
      scheduler: 'rr',
      persistenceTimeout: 1,
      flags: {},
      dests: [dest(topo.ipv4.rs1, 8080, 1), dest(topo.ipv4.rs2, 8080, 1)],
    },
  ]);
  const first = JSON.parse(await client('http', VIP, '80', '6')) as Record<string, number>;
  assert.deepEqual(Object.values(first), [6]);
  // The template outlives the connections by the timeout (1 s), then rr moves on.
  await new Promise((r) => setTimeout(r, 1500));
  const second = JSON.parse(await client('http', VIP, '80', '6')) as Record<string, number>;
  assert.deepEqual(Object.values(second), [6]);
  assert.notDeepEqual(Object.keys(second), Object.keys(first));
  await converge([]);
});
