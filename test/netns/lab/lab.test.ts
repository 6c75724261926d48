import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createLab, guideTopology } from '../../../src/lab/index.js';
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
    const netns = execFileSync('ip', ['netns', 'identify', String(child.pid)], { encoding: 'utf8' }).trim();
    assert.equal(netns, lab.node('a').ns);
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
