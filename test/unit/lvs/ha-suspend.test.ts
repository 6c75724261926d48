// ha_suspend: which virtual servers pause for which VRRP states (pure), and the check runner
// pausing and resuming real TCP checks against a loopback server (connections counted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { loadConfigText } from '../../../src/config/load.js';
import { holdersOf } from '../../../src/config/vip-holders.js';
import { suspendedServers } from '../../../src/lvs/ha-suspend.js';
import { CheckRunner } from '../../../src/check/runner.js';

const conf = (port = 80): string => `
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  priority 100
  virtual_ipaddress { 10.0.0.100/24 }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 2
  priority 100
  virtual_ipaddress { 10.0.0.1/24 }
  virtual_ipaddress_excluded { 10.0.0.200 }
}
virtual_server 10.0.0.100 80 {
  ha_suspend
  delay_loop 0.1
  protocol TCP
  real_server 127.0.0.1 ${port} { TCP_CHECK { connect_timeout 1 } }
}
virtual_server 10.0.0.200 80 {
  ha_suspend
  protocol TCP
  real_server 10.0.1.1 80 { TCP_CHECK { } }
}
virtual_server 10.0.0.250 80 {
  ha_suspend
  protocol TCP
  real_server 10.0.1.1 80 { TCP_CHECK { } }
}
virtual_server 10.0.0.1 80 {
  protocol TCP
  real_server 10.0.1.1 80 { TCP_CHECK { } }
}
vrrp_instance VI_6 {
  interface eth0
  virtual_router_id 6
  version 3
  priority 100
  virtual_ipaddress { fd00::1/64 }
}
virtual_server_group G {
  10.0.0.40-42 80
}
vrrp_instance VI_3 {
  interface eth0
  virtual_router_id 3
  priority 100
  virtual_ipaddress { 10.0.0.41/24 }
}
virtual_server group G {
  ha_suspend
  protocol TCP
  real_server 10.0.1.1 80 { TCP_CHECK { } }
}
virtual_server fd00::0001 80 {
  ha_suspend
  protocol TCP
  real_server fd00::9 80 { TCP_CHECK { } }
}
virtual_server fwmark 7 {
  ha_suspend
  real_server 10.0.1.1 80 { TCP_CHECK { } }
}
`;

test('ha_suspend: paused until an instance holding the address is MASTER', () => {
  const { config } = loadConfigText(conf(), 'k.conf');
  const [vs100, vs200, vs250, vs1, group, v6, fwm] = config.virtualServers;
  assert.deepEqual(holdersOf(config, vs100!), ['VI_1']);
  assert.deepEqual(holdersOf(config, vs200!), ['VI_2'], 'an excluded VIP is held too');
  assert.deepEqual(holdersOf(config, vs250!), []);
  assert.deepEqual(holdersOf(config, group!), ['VI_3'], 'a group member inside its range');
  assert.deepEqual(holdersOf(config, v6!), ['VI_6'], 'fd00::0001 is fd00::1');
  assert.deepEqual(holdersOf(config, fwm!), [], 'a fwmark has no address');
  const paused = (states: Record<string, string>): string[] =>
    [...suspendedServers(config, new Map(Object.entries(states)))].map((v) => v.label);
  // Nothing heard yet: every held server starts paused; one no instance holds, one without
  // ha_suspend and a fwmark service never pause.
  const held = ['10.0.0.100:80', '10.0.0.200:80', group!.label, v6!.label];
  assert.deepEqual(paused({}), held);
  assert.deepEqual(paused({ VI_1: 'MASTER', VI_2: 'BACKUP', VI_3: 'MASTER', VI_6: 'INIT' }), [
    '10.0.0.200:80',
    v6!.label,
  ]);
  assert.deepEqual(paused({ VI_1: 'FAULT', VI_2: 'MASTER', VI_3: 'BACKUP', VI_6: 'MASTER' }), [
    '10.0.0.100:80',
    group!.label,
  ]);
  assert.deepEqual(paused({ VI_1: 'MASTER', VI_2: 'MASTER', VI_3: 'MASTER', VI_6: 'MASTER' }), []);
  assert.ok(vs1);
});

test('vigil check: ha_suspend that can have no effect is said so, a working one is not', () => {
  const { diagnostics } = loadConfigText(conf(), 'k.conf');
  const about = diagnostics.filter((d) => /ha_suspend/.test(d.message)).map((d) => d.message);
  assert.deepEqual(about, [
    'virtual_server 10.0.0.250:80: ha_suspend: no vrrp_instance has its address among its VIPs, so its checks always run',
    `virtual_server fwmark 7: ha_suspend has no effect on a fwmark service (no address to hold); keepalived clears it`,
  ]);
});

test('check runner: a suspended server gets no checks, a resumed one is checked at once', async () => {
  let connections = 0;
  const srv = net.createServer((s) => {
    connections++;
    s.on('error', () => undefined); // TCP_CHECK closes with a reset
    s.end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const { config } = loadConfigText(conf(port), 'k.conf');
  const logs: string[] = [];
  const runner = new CheckRunner(
    { ...config, virtualServers: [config.virtualServers[0]!] },
    { onChange: () => undefined, log: (_l, m) => logs.push(m) },
  );
  try {
    runner.suspend(suspendedServers(config, new Map()));
    runner.start();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(connections, 0, 'no check while this director is not master');
    assert.equal(runner.status()[0]!.suspended, true);
    runner.suspend(suspendedServers(config, new Map([['VI_1', 'MASTER']])));
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(connections >= 3, `checks every delay_loop once resumed (saw ${connections})`);
    assert.equal(runner.status()[0]!.suspended, undefined);
    runner.suspend(suspendedServers(config, new Map([['VI_1', 'BACKUP']])));
    await new Promise((r) => setTimeout(r, 150));
    const paused = connections;
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(connections, paused, 'paused again on losing MASTER');
    assert.equal(runner.status()[0]!.state, 'up', 'the state is kept while paused');
    assert.deepEqual(
      logs.filter((l) => /ha_suspend/.test(l)),
      [
        'virtual_server 10.0.0.100:80: health checks of 1 real server suspended (ha_suspend: this director does not hold 10.0.0.100:80)',
        'virtual_server 10.0.0.100:80: health checks of 1 real server resumed (ha_suspend: this director holds 10.0.0.100:80)',
        'virtual_server 10.0.0.100:80: health checks of 1 real server suspended (ha_suspend: this director does not hold 10.0.0.100:80)',
      ],
    );
  } finally {
    runner.stop();
    srv.close();
  }
});

test('check runner: a check under way when its server is suspended does not count', async () => {
  // A MISC_CHECK that fails after 400 ms: suspended while it runs, its failure is dropped.
  const { config } = loadConfigText(
    `virtual_server 10.0.0.100 80 {
  ha_suspend
  delay_loop 0.1
  protocol TCP
  real_server 10.0.1.1 80 {
    MISC_CHECK {
      misc_path "/bin/sh -c 'sleep 0.4; exit 1'"
      misc_timeout 2
    }
  }
}
`,
    'k.conf',
  );
  const runner = new CheckRunner(config, { onChange: () => undefined, log: () => undefined });
  const paused = new Set(config.virtualServers);
  try {
    runner.start();
    await new Promise((r) => setTimeout(r, 100));
    runner.suspend(paused);
    await new Promise((r) => setTimeout(r, 700));
    const [st] = runner.status();
    assert.equal(st!.checkers[0]!.lastResult, undefined, 'the interrupted check left no result');
    assert.equal(st!.checkers[0]!.consecutiveFailures, 0);
    runner.suspend(new Set());
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(runner.status()[0]!.checkers[0]!.lastResult?.ok, false, 'resumed, the same check fails');
  } finally {
    runner.stop();
  }
});
