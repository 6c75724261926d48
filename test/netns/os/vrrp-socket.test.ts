import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { inNetns } from '../../../src/os/native.js';
import { VrrpSocket, type VrrpDatagram } from '../../../src/os/vrrp-socket.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';

function nextPacket(sock: VrrpSocket, ms = 2000): Promise<VrrpDatagram> {
  return Promise.race([
    once(sock, 'packet').then(([d]) => d as VrrpDatagram),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no VRRP packet on ${sock.ifname} within ${ms} ms`)), ms).unref(),
    ),
  ]);
}

const PAYLOAD = Buffer.from('3101640100011c20c0a80a64', 'hex'); // any bytes: the socket does not validate

/** a sends from its own address (link-local for IPv6), b listens: one segment, torn down after. */
async function withPair(
  t: TestContext,
  a: string,
  b: string,
  body: (p: { lab: Lab; sa: VrrpSocket; sb: VrrpSocket; src: string }) => Promise<void>,
): Promise<void> {
  if (!requireSystem(t, netnsUnavailable())) return;
  const family = a.includes(':') ? 6 : 4;
  const len = family === 6 ? 64 : 24;
  const lab = await createLab({
    nodes: [
      { name: 'a', addresses: [`${a}/${len}`] },
      { name: 'b', addresses: [`${b}/${len}`] },
    ],
  });
  const socks: VrrpSocket[] = [];
  try {
    const src = family === 6 ? await lab.linkLocal('a') : a;
    const sa = inNetns(lab.node('a').nsPath, () => new VrrpSocket({ family, ifname: 'eth0', source: src }));
    socks.push(sa);
    const sb = inNetns(lab.node('b').nsPath, () => new VrrpSocket({ family, ifname: 'eth0' }));
    socks.push(sb);
    await body({ lab, sa, sb, src });
  } finally {
    for (const s of socks) s.close();
    await lab.destroy();
  }
}

test('IPv4: multicast and unicast adverts arrive with TTL 255, source and destination', (t) =>
  withPair(t, '192.168.50.1', '192.168.50.2', async ({ sa, sb }) => {
    const got = nextPacket(sb);
    assert.equal(sa.send(PAYLOAD), true);
    const d = await got;
    assert.deepEqual(
      { src: d.source, dst: d.destination, ttl: d.ttl, mc: d.multicast, payload: d.payload.toString('hex') },
      { src: '192.168.50.1', dst: '224.0.0.18', ttl: 255, mc: true, payload: PAYLOAD.toString('hex') },
    );
    assert.equal(d.ipHeader?.[9], 112);
    assert.equal(d.ipHeader?.[1], 0xc0, 'TOS internetwork control');

    const got2 = nextPacket(sb);
    assert.equal(sa.send(PAYLOAD, '192.168.50.2'), true);
    const u = await got2;
    assert.deepEqual(
      [u.source, u.destination, u.ttl, u.multicast],
      ['192.168.50.1', '192.168.50.2', 255, false],
    );

    // The sender does not hear its own multicast (IP_MULTICAST_LOOP off).
    let echoed = false;
    sa.on('packet', () => (echoed = true));
    sa.send(PAYLOAD);
    await nextPacket(sb);
    assert.equal(echoed, false);
  }));

test('IPv6: ff02::12 adverts arrive with hop limit 255 from the link-local source', (t) =>
  withPair(t, 'fd00:50::1', 'fd00:50::2', async ({ lab, sa, sb, src: llA }) => {
    const got = nextPacket(sb);
    assert.equal(sa.send(PAYLOAD), true);
    const d = await got;
    assert.deepEqual(
      { src: d.source, dst: d.destination, ttl: d.ttl, mc: d.multicast, payload: d.payload.toString('hex') },
      { src: llA, dst: 'ff02::12', ttl: 255, mc: true, payload: PAYLOAD.toString('hex') },
    );
    const got2 = nextPacket(sb);
    assert.equal(sa.send(PAYLOAD, await lab.linkLocal('b')), true);
    const u = await got2;
    assert.equal(u.multicast, false);
    assert.equal(u.ttl, 255);
    assert.equal(u.source, llA);
  }));

test('a packet with a lower TTL is delivered with that TTL (so the validator can reject it)', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({
    nodes: [
      { name: 'a', addresses: ['192.168.51.1/24'] },
      { name: 'b', addresses: ['192.168.51.2/24'] },
    ],
  });
  try {
    const sb = inNetns(lab.node('b').nsPath, () => new VrrpSocket({ family: 4, ifname: 'eth0' }));
    try {
      const got = nextPacket(sb);
      // A plain raw sender with the kernel's default TTL (64), as a misconfigured peer would send.
      const native = JSON.stringify(new URL('../../../src/os/native.ts', import.meta.url).href);
      const script = `const n = await import(${native}); const a = n.native();
        a.sendmsg(a.socket(2, 3, 112), Buffer.from('${PAYLOAD.toString('hex')}', 'hex'), n.sockaddrIn('192.168.51.2'), null);`;
      await lab.exec('a', [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script]);
      const d = await got;
      assert.equal(d.ttl, 64);
      assert.equal(d.source, '192.168.51.1');
    } finally {
      sb.close();
    }
  } finally {
    await lab.destroy();
  }
});

test('an interface that goes away gives an error event, not a crash', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({ nodes: [{ name: 'a', addresses: ['192.168.52.1/24'] }] });
  try {
    const sa = inNetns(lab.node('a').nsPath, () => new VrrpSocket({ family: 4, ifname: 'eth0' }));
    try {
      await lab.exec('a', ['ip', 'link', 'del', 'eth0']);
      const err = once(sa, 'error');
      assert.equal(sa.send(PAYLOAD), false);
      const [e] = (await err) as [Error & { code: string; ifname: string }];
      assert.equal(e.ifname, 'eth0');
      assert.match(e.code, /^E[A-Z]+$/);
      assert.match(e.message, /VRRP socket on eth0/);
    } finally {
      sa.close();
    }
    assert.throws(
      () => inNetns(lab.node('a').nsPath, () => new VrrpSocket({ family: 4, ifname: 'eth0' })),
      /no interface named 'eth0'/,
    );
  } finally {
    await lab.destroy();
  }
});

test('after a link flap the socket still receives; sending while down is an error event', (t) =>
  withPair(t, '192.168.53.1', '192.168.53.2', async ({ lab, sa, sb }) => {
    await lab.setLink('a', 'eth0', false);
    const err = once(sa, 'error');
    assert.equal(sa.send(PAYLOAD), false);
    const [e] = (await err) as [Error & { code: string }];
    assert.match(e.code, /^ENET(DOWN|UNREACH)$/);
    await lab.setLink('a', 'eth0', true);
    await lab.setLink('b', 'eth0', false);
    await lab.setLink('b', 'eth0', true);
    // Links settle within moments of coming up: advertise as a master would, until heard.
    const got = nextPacket(sb, 3000);
    sa.on('error', () => undefined); // a send racing the link coming up is retried by the next one
    const timer = setInterval(() => sa.send(PAYLOAD), 100);
    try {
      assert.equal((await got).destination, '224.0.0.18');
    } finally {
      clearInterval(timer);
    }
  }));
