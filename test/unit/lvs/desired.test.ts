import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import { desiredServices } from '../../../src/lvs/desired.js';

const conf = `
virtual_server_group web {
    10.0.0.1-3 80
    fwmark 7
}
virtual_server group web {
    lb_algo sh
    sh-port
    lb_kind DR
    protocol TCP
    persistence_timeout 60
    persistence_granularity 255.255.255.0
    real_server 192.168.0.1 80 {
        weight 3
        inhibit_on_failure
    }
    real_server 192.168.0.2 80 {
        weight 2
        lvs_method NAT
    }
}
`;

test('config + health → services: groups expand, down servers leave or (inhibit_on_failure) drop to weight 0', () => {
  const { config } = loadConfigText(conf, 'k.conf');
  const down = new Set(['192.168.0.1', '192.168.0.2']);
  const s = desiredServices(config, {
    health: (_vs, rs) => ({ alive: !down.has(rs.address) }),
    quorumUp: new Map(),
  });
  assert.deepEqual(
    s.map((x) =>
      x.key.kind === 'addr' ? `${x.key.address}:${x.key.port}/${x.key.protocol}` : `fwmark ${x.key.fwmark}`,
    ),
    ['10.0.0.1:80/tcp', '10.0.0.2:80/tcp', '10.0.0.3:80/tcp', 'fwmark 7'],
  );
  const first = s[0]!;
  assert.equal(first.scheduler, 'sh');
  assert.deepEqual(first.flags, { ops: false, fallback: false, port: true });
  assert.equal(first.persistenceTimeout, 60);
  assert.equal(first.persistenceNetmask, '255.255.255.0');
  assert.deepEqual(first.dests, [
    { address: '192.168.0.1', port: 80, forwarding: 'dr', weight: 0, upperThreshold: 0, lowerThreshold: 0 },
  ]);
  down.clear();
  const up = desiredServices(config, {
    health: (_vs, rs) => ({ alive: true, ...(rs.address === '192.168.0.2' ? { weight: 7 } : {}) }),
    quorumUp: new Map(),
  });
  assert.deepEqual(
    up[0]!.dests.map((d) => [d.address, d.forwarding, d.weight]),
    [
      ['192.168.0.1', 'dr', 3],
      ['192.168.0.2', 'nat', 7],
    ],
  );
});
