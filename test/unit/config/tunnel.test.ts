// lb_kind / lvs_method TUN with keepalived 2.2.7's tunnel options (check_parser.c
// svr_forwarding_handler), down to what the IPVS engine is asked to program.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import { desiredServices } from '../../../src/lvs/desired.js';

const conf = (vsKind: string, rsKind = ''): string => `virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_kind ${vsKind}
  real_server 10.0.1.1 80 {
  }
  real_server 10.0.1.2 80 {
${rsKind ? `    lvs_method ${rsKind}\n` : ''}  }
}
`;

function dests(text: string): { tunnels: unknown[]; diagnostics: string[] } {
  const r = loadConfigText(text, 'k.conf');
  const d = desiredServices(r.config, { health: () => ({ alive: true }), quorumUp: new Map() });
  return {
    tunnels: d[0]!.dests.map((x) => [x.forwarding, x.tunnelType, x.tunnelPort, x.tunnelCsum]),
    diagnostics: r.diagnostics.map((x) => `${x.severity} ${x.loc.line}:${x.loc.col} ${x.message}`),
  };
}

test('gue with a port and csum on the virtual server, gre on one real server', () => {
  assert.deepEqual(dests(conf('TUN type gue port 6080 csum', 'TUN type gre remcsum')).diagnostics, [
    'warning 7:5 lvs_method TUN: gre tunnels do not support remote checksum option; the tunnel stays ipip',
  ]);
  assert.deepEqual(dests(conf('TUN type gue port 6080 csum', 'TUN type gre csum')), {
    tunnels: [
      ['tun', 'gue', 6080, 'csum'],
      ['tun', 'gre', undefined, 'csum'],
    ],
    diagnostics: [],
  });
  assert.deepEqual(dests(conf('TUN')).tunnels, [
    ['tun', undefined, undefined, undefined],
    ['tun', undefined, undefined, undefined],
  ]);
});

test("keepalived's mistakes: warned at the keyword or the word, TUN kept with ipip", () => {
  const diag = (kind: string): string[] => dests(conf(kind)).diagnostics;
  assert.deepEqual(diag('TUN type gue'), [
    'warning 3:3 lb_kind TUN: gue tunnels require port, otherwise cannot have port; the tunnel stays ipip',
  ]);
  assert.deepEqual(diag('TUN type ipip csum'), [
    'warning 3:3 lb_kind TUN: ipip tunnels do not support checksum option; the tunnel stays ipip',
  ]);
  assert.deepEqual(diag('TUN type vxlan'), [
    "warning 3:20 lb_kind TUN: unknown tunnel type 'vxlan' (ipip, gue or gre); the tunnel stays ipip",
  ]);
  assert.deepEqual(diag('TUN type gue port 0'), [
    "warning 3:29 lb_kind TUN: invalid gue tunnel port '0'; the tunnel stays ipip",
  ]);
  assert.deepEqual(diag('DR type gue'), [
    "warning 3:14 lb_kind DR: 'type' is an option of TUN only; ignored",
  ]);
});
