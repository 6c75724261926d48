// The addon's generic calls, beyond what the VRRP socket uses: several control messages on send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { endianness } from 'node:os';
import { createLab } from '../../../src/lab/index.js';
import {
  AF_INET6,
  IPPROTO_IPV6,
  IPV6_HOPLIMIT,
  IPV6_PKTINFO,
  SOCK_RAW,
  in6Pktinfo,
  inNetns,
  native,
  sockaddrIn,
} from '../../../src/os/native.js';
import { VrrpSocket, type VrrpDatagram } from '../../../src/os/vrrp-socket.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';

test('sendmsg carries several control messages (source and a per-packet hop limit)', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({
    nodes: [
      { name: 'a', addresses: ['fd00:70::1/64'] },
      { name: 'b', addresses: ['fd00:70::2/64'] },
    ],
  });
  const a = native();
  const rx = inNetns(lab.node('b').nsPath, () => new VrrpSocket({ family: 6, ifname: 'eth0' }));
  const fd = inNetns(lab.node('a').nsPath, () => a.socket(AF_INET6, SOCK_RAW, 112));
  try {
    const ll = await lab.linkLocal('a');
    const ifindex = inNetns(lab.node('a').nsPath, () => a.ifindex('eth0'));
    const hops = Buffer.alloc(4);
    if (endianness() === 'LE') hops.writeInt32LE(7);
    else hops.writeInt32BE(7);
    const got = once(rx, 'packet');
    a.sendmsg(fd, Buffer.from('31010101'), sockaddrIn('ff02::12', 0, ifindex), [
      [IPPROTO_IPV6, IPV6_PKTINFO, in6Pktinfo(ifindex, ll)],
      [IPPROTO_IPV6, IPV6_HOPLIMIT, hops],
    ]);
    const [d] = (await got) as [VrrpDatagram];
    assert.deepEqual([d.source, d.destination, d.ttl], [ll, 'ff02::12', 7]);
    assert.throws(
      () => a.sendmsg(fd, Buffer.alloc(1), sockaddrIn('ff02::12'), [[0, 0, Buffer.alloc(300)]]),
      /cmsgs too large/,
    );
    assert.throws(
      () => a.socket(-1, SOCK_RAW, 0),
      (e: Error & { code?: string }) => e.code === 'EAFNOSUPPORT',
    );
  } finally {
    a.close(fd);
    rx.close();
    await lab.destroy();
  }
});
