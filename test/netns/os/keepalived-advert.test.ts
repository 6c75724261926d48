// A real keepalived's adverts reach vigil's VRRP socket with what the validator checks.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { inNetns } from '../../../src/os/native.js';
import { ipToBytes } from '../../../src/base/inet.js';
import { passwordBytes, validateAdvert } from '../../../src/vrrp/packet.js';
import { VrrpSocket, type VrrpDatagram } from '../../../src/os/vrrp-socket.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';

/** A VRRPv2 advert built by hand (the codec lives in src/vrrp): RFC 3768 §5.1, PASS auth. */
function advertV2(vrid: number, priority: number, vip: string, pass: string): Buffer {
  const b = Buffer.alloc(20);
  b[0] = 0x21;
  b[1] = vrid;
  b[2] = priority;
  b[3] = 1; // one address
  b[4] = 1; // PASS
  b[5] = 1; // advert_int
  Buffer.from(vip.split('.').map(Number)).copy(b, 8);
  b.write(pass, 12, 8, 'latin1');
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += b.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(~sum & 0xffff, 6);
  return b;
}

/** A VRRPv3 advert over IPv6 (RFC 5798 §5.1), checksummed with the IPv6 pseudo-header. */
function advertV3v6(vrid: number, priority: number, vip: string, src: string): Buffer {
  const b = Buffer.alloc(8 + 16);
  b[0] = 0x31;
  b[1] = vrid;
  b[2] = priority;
  b[3] = 1;
  b.writeUInt16BE(100, 4); // 1 s in centiseconds
  ipToBytes(vip).copy(b, 8);
  const pseudo = Buffer.alloc(40);
  ipToBytes(src).copy(pseudo, 0);
  ipToBytes('ff02::12').copy(pseudo, 16);
  pseudo.writeUInt32BE(b.length, 32);
  pseudo[39] = 112;
  let sum = 0;
  for (const part of [pseudo, b]) for (let i = 0; i < part.length; i += 2) sum += part.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(~sum & 0xffff, 6);
  return b;
}

function nextPacket(sock: VrrpSocket, ms: number): Promise<VrrpDatagram> {
  return Promise.race([
    once(sock, 'packet').then(([d]) => d as VrrpDatagram),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no advert from keepalived within ${ms} ms`)), ms).unref(),
    ),
  ]);
}

async function startKeepalived(lab: Lab, dir: string, conf: string): Promise<void> {
  const file = join(dir, 'keepalived.conf');
  writeFileSync(file, conf);
  const argv = ['keepalived', '-n', '-l', '-D', '-P', '-f', file];
  argv.push('-p', join(dir, 'k.pid'), '-r', join(dir, 'vrrp.pid'), '-c', join(dir, 'chk.pid'));
  const child = lab.spawn('k', argv);
  let log = '';
  child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  child.once('exit', (code) => {
    if (code) console.log(`keepalived exited ${code}:\n${log}`);
  });
  await once(child, 'spawn');
}

/** keepalived's node k and vigil's raw VRRP socket on node v, on one segment. */
interface Pair {
  lab: Lab;
  dir: string;
  sock: VrrpSocket;
  /** The address v's socket sends from (its link-local one for IPv6). */
  src: string;
}

/** Builds the pair (k at `k`, v at `v`, a /24 or /64), runs `body`, and tears it all down. */
async function withPair(
  t: TestContext,
  addresses: { k: string; v: string },
  sendFrom: boolean,
  body: (p: Pair) => Promise<void>,
): Promise<void> {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('keepalived'))) return;
  const family = addresses.k.includes(':') ? 6 : 4;
  const lab = await createLab({
    nodes: [
      { name: 'k', addresses: [`${addresses.k}/${family === 6 ? 64 : 24}`] },
      { name: 'v', addresses: [`${addresses.v}/${family === 6 ? 64 : 24}`] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ka-'));
  const src = family === 6 ? await lab.linkLocal('v') : addresses.v;
  const sock = inNetns(
    lab.node('v').nsPath,
    () => new VrrpSocket({ family, ifname: 'eth0', ...(sendFrom ? { source: src } : {}) }),
  );
  try {
    await body({ lab, dir, sock, src });
  } finally {
    sock.close();
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * keepalived (a backup at priority 100) hears `advert` every 0.5 s for longer than its
 * Master_Down_Interval and must not take `vip`; once we fall silent it must (the control that
 * lets the first check fail).
 */
async function backupHonours(p: Pair, advert: Buffer, vip: string): Promise<void> {
  const family = vip.includes(':') ? '-6' : '-4';
  const vipOnK = async (): Promise<boolean> =>
    (await p.lab.exec('k', ['ip', family, '-o', 'addr', 'show', 'dev', 'eth0'])).stdout.includes(vip);
  for (let i = 0; i < 12; i++) {
    assert.equal(p.sock.send(advert), true);
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(await vipOnK(), false, 'keepalived took the VIP: it did not accept our adverts');
  const end = Date.now() + 6000;
  while (!(await vipOnK()) && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
  assert.equal(await vipOnK(), true, 'keepalived never became master after our adverts stopped');
}

test('keepalived VRRPv2 adverts (multicast with PASS auth, and unicast) arrive with TTL 255 from its address', (t) =>
  withPair(t, { k: '192.168.90.11', v: '192.168.90.12' }, false, async ({ lab, dir, sock }) => {
    await startKeepalived(
      lab,
      dir,
      `global_defs { router_id ka_test }
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  authentication { auth_type PASS
    auth_pass s3cret }
  virtual_ipaddress { 192.168.90.100/24 }
}
vrrp_instance VI_2 {
  state MASTER
  interface eth0
  virtual_router_id 52
  priority 120
  advert_int 1
  unicast_src_ip 192.168.90.11
  unicast_peer { 192.168.90.12 }
  virtual_ipaddress { 192.168.90.101/24 }
}
`,
    );
    // Collect until both instances have spoken (multicast VRID 51, unicast VRID 52).
    const byVrid = new Map<number, VrrpDatagram>();
    const end = Date.now() + 8000;
    while (byVrid.size < 2) {
      const got = await nextPacket(sock, Math.max(1, end - Date.now()));
      byVrid.set(got.payload[1]!, got);
    }
    const u = byVrid.get(52)!;
    assert.deepEqual(
      [u.source, u.destination, u.ttl, u.multicast, u.payload[2]],
      ['192.168.90.11', '192.168.90.12', 255, false, 120],
    );
    const d = byVrid.get(51)!;
    assert.deepEqual(
      [d.source, d.destination, d.ttl, d.multicast],
      ['192.168.90.11', '224.0.0.18', 255, true],
    );
    const p = d.payload;
    assert.equal(p[0], 0x21, 'version 2, type advertisement');
    assert.equal(p[1], 51, 'VRID');
    assert.equal(p[2], 150, 'priority');
    assert.equal(p[3], 1, 'one VIP');
    assert.equal(p[4], 1, 'auth type PASS');
    assert.equal(p.subarray(8, 12).join('.'), '192.168.90.100');
    assert.equal(p.subarray(12, 20).toString('latin1').replace(/\0+$/, ''), 's3cret');
    console.log(`keepalived v2 advert: ${p.toString('hex')}`);
    // What the socket hands up is all the validator needs (TTL, IP header, source, destination).
    const v = validateAdvert(d, {
      version: 2,
      family: 4,
      intervalCs: 100,
      authType: 1,
      authData: passwordBytes('s3cret'),
      addresses: ['192.168.90.100'],
    });
    assert.equal(v.verdict, 'ok', JSON.stringify(v));
    const vu = validateAdvert(u, {
      version: 2,
      family: 4,
      intervalCs: 100,
      authType: 0,
      addresses: ['192.168.90.101'],
      unicastPeers: [{ address: '192.168.90.11' }],
    });
    assert.equal(vu.verdict, 'ok', JSON.stringify(vu));
  }));

test('keepalived VRRPv3 adverts over IPv6 arrive with hop limit 255 to ff02::12', (t) =>
  withPair(t, { k: 'fd00:90::11', v: 'fd00:90::12' }, false, async ({ lab, dir, sock }) => {
    await startKeepalived(
      lab,
      dir,
      `global_defs { router_id ka_test6 }
vrrp_instance VI_6 {
  state MASTER
  interface eth0
  virtual_router_id 61
  priority 200
  advert_int 0.5
  version 3
  virtual_ipaddress { fd00:90::100/64 }
}
`,
    );
    const d = await nextPacket(sock, 6000);
    assert.match(d.source, /^fe80::/);
    assert.deepEqual([d.destination, d.ttl, d.multicast], ['ff02::12', 255, true]);
    const p = d.payload;
    assert.equal(p[0], 0x31, 'version 3, type advertisement');
    assert.equal(p[1], 61);
    assert.equal(p[2], 200);
    assert.equal(p.readUInt16BE(4) & 0x0fff, 50, 'advert interval in centiseconds');
    assert.equal(p.length, 8 + 16);
    console.log(`keepalived v3 advert from ${d.source}: ${p.toString('hex')}`);
    const v = validateAdvert(d, {
      version: 3,
      family: 6,
      intervalCs: 50,
      authType: 0,
      addresses: ['fd00:90::100'],
    });
    assert.equal(v.verdict, 'ok', JSON.stringify(v));
  }));

test('keepalived accepts adverts sent from our socket: a backup hearing them stays backup', (t) =>
  withPair(t, { k: '192.168.91.11', v: '192.168.91.12' }, true, async (p) => {
    await startKeepalived(
      p.lab,
      p.dir,
      `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  authentication { auth_type PASS
    auth_pass s3cret }
  virtual_ipaddress { 192.168.91.100/24 }
}
`,
    );
    // Master_Down_Interval for priority 100 is 3 x 1 s + 0.61 s: backupHonours advertises for 6 s.
    await backupHonours(p, advertV2(51, 200, '192.168.91.100', 's3cret'), '192.168.91.100');
  }));

test('keepalived accepts our IPv6 VRRPv3 adverts (hop limit 255, link-local source)', (t) =>
  withPair(t, { k: 'fd00:92::11', v: 'fd00:92::12' }, true, async (p) => {
    await startKeepalived(
      p.lab,
      p.dir,
      `vrrp_instance VI_6 {
  state BACKUP
  interface eth0
  virtual_router_id 62
  priority 100
  advert_int 1
  version 3
  virtual_ipaddress { fd00:92::100/64 }
}
`,
    );
    await backupHonours(p, advertV3v6(62, 200, 'fd00:92::100', p.src), 'fd00:92::100');
  }));
