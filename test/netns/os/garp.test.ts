import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, type Lab } from '../../../src/lab/index.js';
import {
  AF_PACKET,
  ETH_P_ARP,
  ETH_P_IPV6,
  SOCK_RAW,
  inNetns,
  native,
  sockaddrLl,
} from '../../../src/os/native.js';
import { GarpSender, buildGratuitousArp, buildUnsolicitedNa, openGarpSender } from '../../../src/os/garp.js';
import { parseMac } from '../../../src/os/mac.js';
import { closeRtnl, getLink, openRtnl } from '../../../src/os/link.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';
import { until } from '../../../src/lab/until.js';

const MAC_A = '02:00:00:00:0a:01';
const FAKE = '02:00:00:00:ff:ff';

/** An AF_PACKET reader for one ethertype in a namespace: collects whole frames. */
function frameReader(nsPath: string, ethertype: number): { frames: Buffer[]; close(): void } {
  const a = native();
  const frames: Buffer[] = [];
  const htons = ((ethertype & 0xff) << 8) | (ethertype >> 8);
  const fd = inNetns(nsPath, () => {
    const s = a.socket(AF_PACKET, SOCK_RAW, htons);
    a.bind(s, sockaddrLl(a.ifindex('eth0'), ethertype));
    return s;
  });
  const w = a.watch(fd, () => {
    for (let r = a.recvmsg(fd, 2048); r; r = a.recvmsg(fd, 2048)) frames.push(r.data);
  });
  return {
    frames,
    close: () => {
      a.unwatch(w);
      a.close(fd);
    },
  };
}

async function neighbour(lab: Lab, node: string, addr: string): Promise<string | undefined> {
  const out = (await lab.exec(node, ['ip', '-j', 'neigh', 'show', addr, 'dev', 'eth0'])).stdout;
  return (JSON.parse(out || '[]') as { lladdr?: string }[])[0]?.lladdr;
}

test('gratuitous ARP and unsolicited NA update the peer neighbour table and arrive byte-exact', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({
    nodes: [
      { name: 'a', interfaces: [{ mac: MAC_A, addresses: ['192.168.80.1/24', 'fd00:80::1/64'] }] },
      { name: 'b', addresses: ['192.168.80.2/24', 'fd00:80::2/64'] },
    ],
  });
  const arp = frameReader(lab.node('b').nsPath, ETH_P_ARP);
  const ip6 = frameReader(lab.node('b').nsPath, ETH_P_IPV6);
  const rtnl = inNetns(lab.node('a').nsPath, openRtnl);
  // The MAC as the daemon reads it (openGarpSender does this in the daemon's own namespace).
  const mac = (await getLink(rtnl, 'eth0'))?.mac;
  assert.equal(mac, MAC_A);
  const sender = inNetns(lab.node('a').nsPath, () => new GarpSender('eth0', parseMac(mac)));
  try {
    // b believes the VIPs live at another MAC (the old master), as after a failover.
    for (const vip of ['192.168.80.100', 'fd00:80::100']) {
      await lab.exec('b', ['ip', 'neigh', 'replace', vip, 'lladdr', FAKE, 'dev', 'eth0', 'nud', 'stale']);
      assert.equal(await neighbour(lab, 'b', vip), FAKE);
    }
    // The VIPs are on a (the new master) as VRRP would add them.
    await lab.exec('a', ['ip', 'addr', 'add', '192.168.80.100/24', 'dev', 'eth0']);
    await lab.exec('a', ['ip', 'addr', 'add', 'fd00:80::100/64', 'dev', 'eth0', 'nodad']);

    assert.equal(sender.announce('192.168.80.100'), null);
    assert.equal(sender.announce('fd00:80::100'), null);
    await until('ARP entry', async () => (await neighbour(lab, 'b', '192.168.80.100')) === MAC_A, 2000);
    await until('ND entry', async () => (await neighbour(lab, 'b', 'fd00:80::100')) === MAC_A, 2000);

    const garp = arp.frames.find((f) =>
      f.subarray(0, 42).equals(buildGratuitousArp(MAC_A, '192.168.80.100')),
    );
    assert.ok(garp, `gratuitous ARP not seen among ${arp.frames.length} ARP frames`);
    const na = buildUnsolicitedNa(MAC_A, 'fd00:80::100');
    assert.ok(
      ip6.frames.some((f) => f.equals(na)),
      `unsolicited NA not seen among ${ip6.frames.length} IPv6 frames`,
    );
  } finally {
    sender.close();
    closeRtnl(rtnl);
    arp.close();
    ip6.close();
    await lab.destroy();
  }
});

test('announcing on a vanished interface returns an error instead of throwing', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({ nodes: [{ name: 'a', addresses: ['192.168.81.1/24'] }] });
  try {
    const sender = inNetns(lab.node('a').nsPath, () => new GarpSender('eth0', parseMac(MAC_A)));
    await lab.exec('a', ['ip', 'link', 'del', 'eth0']);
    const err = sender.announce('192.168.81.100');
    assert.ok(err);
    assert.match(err.message, /announcing 192.168.81.100 on eth0/);
    sender.close();
    assert.throws(
      () => inNetns(lab.node('a').nsPath, () => new GarpSender('eth0', parseMac(MAC_A))),
      /no interface named 'eth0'/,
    );
    const rtnl = inNetns(lab.node('a').nsPath, openRtnl);
    await assert.rejects(openGarpSender(rtnl, 'eth0'), /no interface named 'eth0'/);
    closeRtnl(rtnl);
  } finally {
    await lab.destroy();
  }
});
