import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, loadConfigText } from '../../../src/config/load.js';
import { instanceConfig, notifyConfig, scriptParams } from '../../../src/vrrp/config.js';
import { VrrpInstance } from '../../../src/vrrp/instance.js';
import { splitIpPacket } from '../../../src/vrrp/packet.js';

const FIX = new URL('../../fixtures/vrrp/', import.meta.url);

function fixture(name: string): Buffer {
  const text = readFileSync(new URL(`${name}.hex`, FIX), 'utf8');
  return Buffer.from(
    text
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('')
      .replace(/\s+/g, ''),
    'hex',
  );
}

test('keepalived.conf -> model -> VrrpInstance builds the bytes keepalived 2.2.7 sent for that file', () => {
  const { config, diagnostics } = loadConfig(fileURLToPath(new URL('ka227-capture.conf', FIX)));
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const cases: Record<string, [string, string]> = {
    V2PASS: ['192.0.2.1', 'ka227-v2-ipv4-pass-vrid51-prio100'],
    V2NONE: ['192.0.2.1', 'ka227-v2-ipv4-noauth-vrid52-prio200'],
    V3V4: ['192.0.2.1', 'ka227-v3-ipv4-vrid53-prio150'],
    V3V6: ['fe80::ff:fe00:1', 'ka227-v3-ipv6-vrid54-prio120'],
    V3UNI: ['192.0.2.1', 'ka227-v3-ipv4-unicast-vrid55-prio110'],
    V2UNI: ['192.0.2.1', 'ka227-v2-ipv4-unicast-pass-vrid56-prio90'],
  };
  assert.equal(config.vrrpInstances.length, 6);
  for (const vi of config.vrrpInstances) {
    const [source, name] = cases[vi.name]!;
    const inst = new VrrpInstance(instanceConfig(config, vi), source);
    const rx = splitIpPacket(fixture(name))!;
    const [out] = inst.adverts(vi.priority);
    assert.equal(out!.destination, rx.destination, vi.name);
    assert.equal(out!.payload.toString('hex'), Buffer.from(rx.payload).toString('hex'), vi.name);
  }
});

const CONF = `
global_defs {
  vrrp_garp_master_delay 3
  vrrp_garp_lower_prio_repeat 2
  vrrp_mcast_group4 224.0.0.19
  vrrp_skip_check_adv_addr
}
vrrp_script chk_haproxy {
  script "/usr/bin/pgrep haproxy"
  interval 2
  weight -30
  rise 2
  fall 3
}
vrrp_script chk_up {
  script "/bin/true"
  weight 10
}
track_file prio_file {
  file /run/prio
  weight 2
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  track_script {
    chk_up
  }
  # Without it the members' own weighted trackers are dropped (tracking-weights.test.ts).
  sync_group_tracking_weight
  notify "/usr/local/bin/g.sh"
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  nopreempt
  preempt_delay 5
  garp_master_repeat 3
  track_script {
    chk_haproxy
  }
  track_file {
    prio_file weight 5 reverse
  }
  track_interface {
    eth1 weight -20
  }
  authentication {
    auth_type PASS
    auth_pass s3cret
  }
  virtual_ipaddress {
    10.0.0.100/24
    10.0.1.100/24 dev eth2
  }
  notify_master "/bin/m.sh arg"
  notify /bin/n.sh
  smtp_alert
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  priority 100
  advert_int 0.5
  version 3
  strict
  virtual_ipaddress {
    10.0.0.101/24
  }
}
vrrp_instance VI_3 {
  interface eth0
  virtual_router_id 53
  unicast_src_ip 10.0.0.1
  unicast_ttl 7
  unicast_peer {
    10.0.0.2 min_ttl 250
    10.0.0.3
  }
  virtual_ipaddress {
    10.0.0.102/24
  }
}
`;

test('settings map with keepalived precedence: instance, then global_defs, then defaults', () => {
  const { config, diagnostics } = loadConfigText(CONF, 'test.conf');
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
    [],
  );
  const [vi1, vi2, vi3] = config.vrrpInstances;
  const c1 = instanceConfig(config, vi1!);
  assert.equal(c1.initialMaster, true);
  assert.equal(c1.advertIntCs, 100);
  assert.equal(c1.preemptDelayMs, 5000);
  assert.equal(c1.garpMasterDelayMs, 3000, 'global vrrp_garp_master_delay');
  assert.equal(c1.garpMasterRepeat, 3, 'instance garp_master_repeat');
  assert.equal(c1.garpLowerPrioRepeat, 2, 'global vrrp_garp_lower_prio_repeat');
  assert.equal(c1.garpLowerPrioDelayMs, 3000, 'defaults to garp_master_delay');
  assert.equal(c1.authPass, 's3cret');
  assert.equal(c1.mcastGroup, '224.0.0.19');
  assert.equal(c1.skipCheckAdvAddr, true);
  assert.deepEqual(c1.vips, [
    { address: '10.0.0.100', dontTrack: false },
    { address: '10.0.1.100', interface: 'eth2', dontTrack: false },
  ]);
  assert.deepEqual(c1.trackInterfaces, [{ name: 'eth1', weight: -20, reverse: false }]);
  assert.deepEqual(c1.trackers, [
    { kind: 'script', name: 'chk_haproxy', weight: -30, reverse: false },
    { kind: 'file', name: 'prio_file', weight: 5, reverse: true },
    { kind: 'script', name: 'chk_up', weight: 10, reverse: false },
  ]);
  assert.deepEqual(scriptParams(config.vrrpScripts[0]!), { rise: 2, fall: 3, initFail: false });
  assert.deepEqual(notifyConfig(vi1!), {
    notifyMaster: ['/bin/m.sh', 'arg'],
    notify: ['/bin/n.sh'],
    smtpAlert: true,
  });
  assert.deepEqual(notifyConfig(config.syncGroups[0]!), { notify: ['/usr/local/bin/g.sh'] });

  const c2 = instanceConfig(config, vi2!);
  assert.equal(c2.version, 3);
  assert.equal(c2.advertIntCs, 50);
  assert.equal(c2.initialMaster, undefined, 'state not written: derived from priority');
  assert.equal(c2.lowerPrioNoAdvert, true, 'strict');
  assert.equal(c2.garpLowerPrioRepeat, 0, 'strict');
  assert.equal(c2.accept, false, 'strict: no_accept unless address owner');
  assert.equal(c1.accept, true, 'not strict: accept');
  assert.equal(c2.authPass, undefined);
  const c3 = instanceConfig(config, vi3!);
  assert.deepEqual(c3.unicastPeers, [{ address: '10.0.0.2', minTtl: 250 }, { address: '10.0.0.3' }]);
  assert.equal(c3.unicastTtl, 7);
  assert.equal(c3.checkUnicastSrc, true, 'a min_ttl turns the source check on, as in keepalived');
  // The whole chain builds: interface trackers include eth0 and eth2 (VIP dev) by default.
  const inst = new VrrpInstance(c1, '10.0.0.1');
  assert.deepEqual(inst.tracking.result.faults, [], 'interfaces assumed up until the adapter says otherwise');
  assert.equal(inst.status().effectivePriority, 150);
});
