// Finding the nft DR interface without a vrrp_instance (pure: the routes are given;
// test/netns/daemon/dr-without-vrrp.test.ts asks a real kernel).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import { pickDrInterface, type RouteHop } from '../../../src/dataplane/nft/dr-interface.js';
import { drInterfaceIssues } from '../../../src/lvs/dr-needs.js';

const hops = (o: Record<string, RouteHop | null>): Map<string, RouteHop | null> => new Map(Object.entries(o));

test('every real server on-link on one interface: that interface', () => {
  assert.deepEqual(pickDrInterface(hops({ '10.0.0.2': { dev: 'eth1' }, '10.0.0.3': { dev: 'eth1' } })), {
    ok: true,
    ifname: 'eth1',
  });
});

test('no route, a gateway, a local address or two interfaces: no interface, and why', () => {
  const why = (o: Record<string, RouteHop | null>): string => {
    const r = pickDrInterface(hops(o));
    assert.equal(r.ok, false);
    return r.ok ? '' : r.reason;
  };
  assert.match(why({ '10.0.0.2': null }), /no route to real server 10\.0\.0\.2/);
  assert.match(
    why({ '10.0.0.2': { type: 'unreachable', dev: 'lo' } }),
    /no route to real server 10\.0\.0\.2/,
  );
  assert.match(
    why({ '10.0.0.2': { dev: 'eth0', gateway: '10.0.0.1' } }),
    /through gateway 10\.0\.0\.1 on eth0/,
  );
  assert.match(
    why({ '10.0.0.2': { type: 'local', dev: 'lo' } }),
    /10\.0\.0\.2 is an address of this director/,
  );
  assert.match(
    why({ '10.0.0.2': { dev: 'eth0' }, '10.0.1.2': { dev: 'eth1' } }),
    /10\.0\.0\.2 on eth0; 10\.0\.1\.2 on eth1/,
  );
});

const DR = (vip: string, rs: string): string =>
  `virtual_server ${vip} 80 {\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  real_server ${rs} 80 {\n    weight 1\n  }\n}\n`;
const VRRP = `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n  virtual_ipaddress {\n    10.0.0.100\n  }\n}\n`;

test('vigil check: an error at the virtual_server whose real servers give no interface, nft engine only', async () => {
  const routes: Record<string, RouteHop | null> = { '10.0.0.2': { dev: 'eth0' }, '10.9.0.2': null };
  const lookup = async (a: string): Promise<RouteHop | null> => routes[a] ?? null;
  const c = loadConfigText(DR('10.0.0.100', '10.0.0.2') + DR('10.0.0.101', '10.9.0.2'), 'k.conf').config;
  const got = await drInterfaceIssues(c, 'nft', lookup);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.loc.line, 9);
  assert.match(
    got[0]!.message,
    /^virtual_server 10\.0\.0\.101:80: lb_kind DR on the nft engine .*no route to real server 10\.9\.0\.2/,
  );
  // Another engine, or a vrrp_instance that names the interface: nothing to find.
  assert.deepEqual(await drInterfaceIssues(c, 'ipvs', lookup), []);
  const withVrrp = loadConfigText(VRRP + DR('10.0.0.100', '10.9.0.2'), 'k.conf').config;
  assert.deepEqual(await drInterfaceIssues(withVrrp, 'nft', lookup), []);
  // `ip` cannot be run: unknown, no error.
  assert.deepEqual(await drInterfaceIssues(c, 'nft', async () => undefined), []);
});

test('vigil check: two DR virtual servers routed to different interfaces is an error at the second', async () => {
  const routes: Record<string, RouteHop> = { '10.0.0.2': { dev: 'eth0' }, '10.1.0.2': { dev: 'eth1' } };
  const c = loadConfigText(DR('10.0.0.100', '10.0.0.2') + DR('10.1.0.100', '10.1.0.2'), 'k.conf').config;
  const got = await drInterfaceIssues(c, 'nft', async (a) => routes[a] ?? null);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.loc.line, 9);
  assert.match(got[0]!.message, /on eth1 and those of virtual_server 10\.0\.0\.100:80 on eth0/);
});
