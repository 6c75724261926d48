import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import {
  createLab,
  guideTopology,
  listLabs,
  natTopology,
  openLab,
  removeLab,
} from '../../../src/lab/index.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';

const ECHO_SERVER = `require('net').createServer((s) => s.pipe(s)).listen(7007, '::', () => console.log('ready'))`;
function echoClient(host: string): string {
  return `const s = require('net').connect(7007, '${host}', () => s.end('hello from client to ${host}'));
    s.pipe(process.stdout)`;
}

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

test('guide topology: nodes reach each other over IPv4 and IPv6, destroy leaves nothing', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const topo = guideTopology(77);
  assert.equal(topo.ipv4.director1, '192.168.77.10');
  const lab = await createLab(topo.spec);
  try {
    assert.match(lab.id, /^vg[0-9a-f]{6}$/);
    assert.equal(namespaces().filter((n) => n.startsWith(lab.id)).length, 6);
    const addr = JSON.parse((await lab.exec('rs1', ['ip', '-j', 'addr', 'show', 'eth0'])).stdout) as {
      addr_info: { local: string }[];
    }[];
    assert.ok(addr[0]!.addr_info.some((a) => a.local === topo.ipv4.rs1));
    // A TCP echo in rs2, reached from the client over IPv4 and IPv6.
    const server = lab.spawn('rs2', [process.execPath, '-e', ECHO_SERVER]);
    const [ready] = (await once(server.stdout!, 'data')) as [Buffer];
    assert.equal(ready.toString().trim(), 'ready');
    for (const host of [topo.ipv4.rs2, topo.ipv6.rs2]) {
      const reply = await lab.exec('client', [process.execPath, '-e', echoClient(host)], { timeoutMs: 5000 });
      assert.equal(reply.stdout, `hello from client to ${host}`);
    }
    const failed = await lab.exec('client', ['false'], { allowFailure: true });
    assert.equal(failed.code, 1);
    await assert.rejects(lab.exec('client', ['sh', '-c', 'echo oops >&2; exit 3']), /oops/);
    assert.throws(() => lab.node('nope'), /no node named 'nope'/);
  } finally {
    await lab.destroy();
  }
  assert.deepEqual(
    namespaces().filter((n) => n.startsWith(lab.id)),
    [],
  );
  await lab.destroy(); // idempotent
});

test('spawned processes are tracked and killed by destroy', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({ nodes: [{ name: 'a', addresses: ['10.9.0.1/24'] }] });
  let child;
  try {
    child = lab.spawn('a', ['sleep', '60']);
    await once(child, 'spawn');
    // 'spawn' fires before `ip netns exec` has entered the namespace: poll briefly.
    const identify = (): string =>
      execFileSync('ip', ['netns', 'identify', String(child!.pid)], { encoding: 'utf8' }).trim();
    const end = Date.now() + 2000;
    while (identify() !== lab.node('a').ns && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assert.equal(identify(), lab.node('a').ns);
  } finally {
    await lab.destroy();
  }
  assert.ok(child.exitCode !== null || child.signalCode !== null, 'sleep still running after destroy');
  assert.throws(() => lab.spawn('a', ['true']), /destroyed/);
});

test('bad specs are refused before anything is made', async () => {
  await assert.rejects(createLab({ nodes: [{ name: 'bad name' }] }), /bad node name/);
  await assert.rejects(createLab({ nodes: [{ name: 'a' }, { name: 'a' }] }), /declared twice/);
});

test('a kept lab survives its maker and is found, re-opened and removed by id', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const id = `vgt${Math.random().toString(36).slice(2, 8)}`;
  const made = await createLab({ nodes: [{ name: 'web', addresses: ['10.77.0.5/24'] }] }, { id, keep: true });
  try {
    const sleeper = made.spawn('web', ['sleep', '300'], { stdio: 'ignore' });
    await once(sleeper, 'spawn');
    sleeper.unref();
    await assert.rejects(createLab({ nodes: [] }, { id }), new RegExp(`lab ${id} already exists`));
    assert.ok((await listLabs()).includes(id));

    const again = await openLab(id);
    assert.deepEqual(
      again.node('web').interfaces.map((i) => [i.ifname, i.addresses]),
      [['eth0', ['10.77.0.5/24']]],
    );
    assert.equal(
      (await again.exec('web', ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout.includes(
        '10.77.0.5/24',
      ),
      true,
    );

    assert.equal(await removeLab(id), true);
    assert.deepEqual(
      namespaces().filter((n) => n.startsWith(`${id}-`)),
      [],
    );
    assert.throws(() => process.kill(sleeper.pid!, 0), /ESRCH/, 'the kept process was not killed');
    assert.equal(await removeLab(id), false);
    await assert.rejects(openLab(id), new RegExp(`no lab named ${id}`));
  } finally {
    await removeLab(id);
  }
  await assert.rejects(createLab({ nodes: [] }, { id: 'Bad id' }), /bad id 'Bad id'/);
});

test('NAT preset: directors on both segments forwarding, real servers routed via the private VIP', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const topo = natTopology(30);
  const lab = await createLab(topo.spec);
  try {
    const d1 = lab.node('director1').interfaces.map((i) => [i.ifname, i.segment, i.addresses[0]]);
    assert.deepEqual(d1, [
      ['eth0', 'public', `${topo.ipv4.director1}/24`],
      ['eth1', 'private', `${topo.private4.director1}/24`],
    ]);
    assert.equal((await lab.exec('director1', ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim(), '1');
    const route = (await lab.exec('rs1', ['ip', 'route', 'show', 'default'])).stdout;
    assert.match(route, new RegExp(`default via ${topo.gatewayVip4.replace(/\./g, '\\.')} dev eth0`));
    // The client's segment does not reach the real servers directly (only through the director).
    const server = lab.spawn('rs1', [process.execPath, '-e', ECHO_SERVER]);
    await once(server.stdout!, 'data');
    const fromDirector = await lab.exec('director1', [process.execPath, '-e', echoClient(topo.ipv4.rs1)], {
      timeoutMs: 5000,
    });
    assert.equal(fromDirector.stdout, `hello from client to ${topo.ipv4.rs1}`);
    const fromClient = await lab.exec('client', [process.execPath, '-e', echoClient(topo.ipv4.rs1)], {
      timeoutMs: 3000,
      allowFailure: true,
    });
    assert.notEqual(fromClient.code, 0);
  } finally {
    await lab.destroy();
  }
});
