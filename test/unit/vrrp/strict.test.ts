// vrrp_strict / strict_mode, accept / no_accept, mcast_src_ip, unicast_ttl and unicast_peer
// min_ttl / max_ttl as keepalived 2.2.7 reads and applies them (vrrp.c vrrp_complete_instance,
// vrrp_check_packet; vrrp_data.c alloc_vrrp_unicast_peer), from the file to the wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import { instanceConfig } from '../../../src/vrrp/config.js';
import { droppedAddresses, firewallScript } from '../../../src/vrrp/firewall.js';
import { VrrpInstance, type InstanceConfig } from '../../../src/vrrp/instance.js';

function load(text: string): ReturnType<typeof loadConfigText> & { lines: string[] } {
  const r = loadConfigText(text, 'k.conf');
  const lines = r.diagnostics.map((d) => `${d.loc.line}:${d.loc.col}: ${d.severity}: ${d.message}`);
  return { ...r, lines: lines.sort() };
}

// keepalived's stock sample / the guides' 002-single-master.conf, on a non-owner.
const SAMPLE = `global_defs {
  vrrp_strict
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  preempt_delay 5
  accept
  authentication {
    auth_type PASS
    auth_pass 1111
  }
  virtual_ipaddress {
    192.168.200.16
  }
}
`;

test('vrrp_strict: what keepalived resets is a warning at its line, and reset', () => {
  const { config, lines } = load(SAMPLE);
  assert.deepEqual(lines, [
    '10:3: warning: vrrp_instance VI_1: preempt_delay is incompatible with strict mode: reset to 0, as keepalived does',
    '11:3: warning: vrrp_instance VI_1: accept mode with VRRP version 2 does not comply with RFC 3768: reset to no_accept in strict mode, as keepalived does',
    "11:3: warning: vrrp_instance VI_1: no_accept is in force: while MASTER, packets to and from its VIPs are dropped (nftables table inet vigil_vrrp, keepalived's firewall), so they answer neither ping nor local services; strict mode with VRRP version 2 allows no 'accept'",
    '12:3: warning: vrrp_instance VI_1: strict mode does not support authentication: ignored, adverts are sent and expected without it (as keepalived does)',
    "5:3: warning: vrrp_instance VI_1: strict mode: 'state MASTER' must match being the address owner (priority 255); it starts as BACKUP, as keepalived does",
  ]);
  const c = instanceConfig(config, config.vrrpInstances[0]!);
  assert.equal(c.initialMaster, false);
  assert.equal(c.authPass, undefined);
  assert.equal(c.preemptDelayMs, 0);
  assert.equal(c.accept, false);
  assert.equal(c.lowerPrioNoAdvert, true);
  assert.equal(c.higherPrioSendAdvert, false);
});

test('strict_mode on the instance, without vrrp_strict: the same; not strict: nothing changes', () => {
  const perInstance = load(
    SAMPLE.replace('  vrrp_strict\n', '').replace('  advert_int 1\n', '  strict_mode\n'),
  );
  assert.equal(perInstance.lines.length, 5);
  const plain = load(SAMPLE.replace('  vrrp_strict\n', ''));
  assert.deepEqual(plain.lines, [
    "9:3: warning: vrrp_instance VI_1: preempt_delay only works with 'state BACKUP'; with 'state MASTER' it is ignored",
  ]);
  const c = instanceConfig(plain.config, plain.config.vrrpInstances[0]!);
  assert.equal(c.authPass, '1111');
  assert.equal(c.accept, true);
  assert.equal(c.initialMaster, true);
});

test('vrrp_strict: unicast peers are refused (an error at the first peer), no VIP is an error', () => {
  const { lines } = load(`global_defs {
  vrrp_strict
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  unicast_peer {
    10.0.0.2
  }
}
`);
  assert.deepEqual(lines, [
    '4:1: error: vrrp_instance VI_1: strict mode needs at least one virtual_ipaddress (as keepalived)',
    '4:1: warning: vrrp_instance VI_1 has no virtual_ipaddress: it will move no address',
    '8:5: error: vrrp_instance VI_1: unicast peers are not supported in strict mode (keepalived refuses them too); remove unicast_peer or vrrp_strict',
  ]);
});

test('accept / no_accept: keepalived defaults (accept unless strict; the owner always accepts)', () => {
  const conf = (extra: string, prio = 100, strict = true): InstanceConfig => {
    const r = load(
      `${strict ? 'global_defs {\n  vrrp_strict\n}\n' : ''}vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority ${prio}
  version 3
${extra}  virtual_ipaddress {
    10.0.0.100
  }
}
`,
    );
    const c = instanceConfig(r.config, r.config.vrrpInstances[0]!);
    // The one warning: what no_accept does, at the instance (or the no_accept line).
    assert.deepEqual(
      r.lines.map((l) => l.replace(/: while MASTER.*/, '')),
      c.accept
        ? []
        : [
            strict
              ? "4:1: warning: vrrp_instance VI_1: no_accept is in force (vrrp_strict's default)"
              : '6:3: warning: vrrp_instance VI_1: no_accept is in force',
          ],
    );
    return c;
  };
  assert.equal(conf('').accept, false, 'strict: no_accept');
  assert.equal(conf('  accept\n').accept, true, 'strict v3 with accept');
  assert.equal(conf('', 255).accept, true, 'address owner');
  assert.equal(conf('', 100, false).accept, true, 'not strict: accept');
  assert.equal(conf('  no_accept\n', 100, false).accept, false, 'no_accept without strict');
});

test('mcast_src_ip is the adverts source (keepalived reads it as unicast_src_ip); unicast_ttl and peer TTLs', () => {
  const r = load(`vrrp_instance A {
  interface eth0
  virtual_router_id 51
  mcast_src_ip 10.0.0.5
  unicast_ttl 9
  virtual_ipaddress {
    10.0.0.100
  }
}
vrrp_instance B {
  interface eth0
  virtual_router_id 52
  unicast_ttl 9
  unicast_peer {
    10.0.0.2 min_ttl 20 max_ttl 10
    10.0.0.3 max_ttl 300
  }
  virtual_ipaddress {
    10.0.0.101
  }
}
`);
  assert.deepEqual(r.lines, [
    '15:5: warning: unicast_peer 10.0.0.2: min_ttl 20 > max_ttl 10: every advert from it will be discarded (as keepalived does)',
    "16:22: warning: unicast_peer 10.0.0.3: max_ttl '300' is not from 0 to 255; ignored",
    '5:3: warning: vrrp_instance A: unicast_ttl needs unicast_peer; ignored (multicast adverts always have TTL 255)',
  ]);
  const [a, b] = r.config.vrrpInstances.map((v) => instanceConfig(r.config, v));
  assert.equal(a!.unicastSrcIp, '10.0.0.5');
  assert.equal(a!.unicastTtl, undefined);
  assert.equal(b!.unicastTtl, 9);
  assert.deepEqual(b!.unicastPeers, [
    { address: '10.0.0.2', minTtl: 20, maxTtl: 10 },
    { address: '10.0.0.3' },
  ]);
});

// ---- on the wire ---------------------------------------------------------------------------

const STRICT_CFG = (() => {
  const { config } = load(SAMPLE);
  return instanceConfig(config, config.vrrpInstances[0]!);
})();

function rx(payload: Buffer, source: string, o: { destination?: string; ttl?: number } = {}) {
  const destination = o.destination ?? '224.0.0.18';
  return {
    family: 4 as const,
    payload,
    source,
    destination,
    ttl: o.ttl ?? 255,
    multicast: destination.startsWith('224.'),
  };
}

test('strict: adverts carry no authentication, a strict keepalived peer is heard, a PASS one is not', () => {
  const me = new VrrpInstance(STRICT_CFG, '10.0.0.1');
  const [out] = me.adverts(100);
  assert.equal(out!.payload[4], 0, 'auth type 0 (none)');
  assert.deepEqual(out!.payload.subarray(-8), Buffer.alloc(8), 'no password bytes');
  const peer = new VrrpInstance(STRICT_CFG, '10.0.0.2');
  me.handle(me.startEvent(), 0);
  assert.equal(me.machine.state, 'BACKUP', "a non-owner 'state MASTER' starts as BACKUP");
  assert.equal(me.receive(rx(peer.adverts(150)[0]!.payload, '10.0.0.2')).validation.verdict, 'ok');
  const pass = new VrrpInstance({ ...STRICT_CFG, authPass: '1111' }, '10.0.0.3');
  const v = me.receive(rx(pass.adverts(150)[0]!.payload, '10.0.0.3')).validation;
  assert.equal(v.verdict === 'ko' && v.reason, 'auth-type-mismatch');
});

test('an advert sent to another multicast group is dropped (keepalived binds to its group)', () => {
  const me = new VrrpInstance(STRICT_CFG, '10.0.0.1');
  const peer = new VrrpInstance({ ...STRICT_CFG, mcastGroup: '224.0.0.19' }, '10.0.0.2');
  const [p] = peer.adverts(150);
  const v = me.receive(rx(p!.payload, '10.0.0.2', { destination: '224.0.0.19' })).validation;
  assert.equal(v.verdict === 'drop' && v.reason, 'multicast-group');
  assert.equal(me.counters.rejected['multicast-group'], 1);
});

test('unicast_peer min_ttl / max_ttl: an advert with a TTL outside the range is dropped', () => {
  const cfg: InstanceConfig = {
    name: 'U',
    interface: 'eth0',
    family: 4,
    version: 3,
    vrid: 7,
    priority: 100,
    advertIntCs: 100,
    vips: [{ address: '10.0.0.100' }],
    unicastPeers: [{ address: '10.0.0.2', minTtl: 250, maxTtl: 255 }],
    checkUnicastSrc: true,
  };
  const me = new VrrpInstance(cfg, '10.0.0.1');
  const peer = new VrrpInstance({ ...cfg, unicastPeers: [{ address: '10.0.0.1' }] }, '10.0.0.2');
  const [p] = peer.adverts(150);
  const low = me.receive(rx(p!.payload, '10.0.0.2', { destination: '10.0.0.1', ttl: 64 })).validation;
  assert.equal(low.verdict === 'drop' && low.reason, 'ttl');
  const ok = me.receive(rx(p!.payload, '10.0.0.2', { destination: '10.0.0.1', ttl: 254 })).validation;
  assert.equal(ok.verdict, 'ok');
});

test('no_accept firewall: the VIPs of no_accept non-owner masters, and the nft script for them', () => {
  const d = droppedAddresses([
    { accept: false, owner: false, vipsSet: true, addresses: ['10.0.0.100', '2001:DB8::1'] },
    { accept: false, owner: false, vipsSet: false, addresses: ['10.0.0.101'] }, // backup
    { accept: true, owner: false, vipsSet: true, addresses: ['10.0.0.102'] },
    { accept: false, owner: true, vipsSet: true, addresses: ['10.0.0.103'] },
  ]);
  assert.deepEqual(d, { v4: ['10.0.0.100'], v6: ['2001:db8::1'] });
  const script = firewallScript(d);
  assert.match(script, /^table inet vigil_vrrp\ndelete table inet vigil_vrrp\ntable inet vigil_vrrp \{/);
  assert.match(script, /elements = \{ 10\.0\.0\.100 \}/);
  assert.match(script, /hook input priority -1;[\s\S]*?ip daddr @vips4 drop\n\s*ip6 daddr @vips6 drop/);
  assert.match(script, /hook output priority -1;[\s\S]*?ip saddr @vips4 drop/);
  assert.equal(firewallScript({ v4: [], v6: [] }), 'table inet vigil_vrrp\ndelete table inet vigil_vrrp\n');
});
