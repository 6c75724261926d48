// The vmac names keepalived 2.2.7 gives use_vmac instances (vrrp.c create_vmac_name), and where VIPs go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import { vipDevice, vmacNames } from '../../../src/vrrp/vmac-name.js';

function names(body: string): Record<string, string> {
  const r = loadConfigText(body, 'k.conf');
  return Object.fromEntries(vmacNames(r.config.vrrpInstances));
}

function inst(name: string, vrid: number, vip: string, vmac = 'use_vmac'): string {
  return `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  ${vmac}\n  virtual_ipaddress {\n    ${vip}\n  }\n}\n`;
}

test('vmac names: vrrp.VRID by default, a configured name kept, instances without use_vmac left out', () => {
  assert.deepEqual(
    names(
      inst('A', 50, '10.0.0.1/24') +
        inst('B', 51, 'fd00::1/64', 'use_vmac v6x') +
        inst('C', 52, '10.0.0.3/24', ''),
    ),
    { A: 'vrrp.50', B: 'v6x' },
  );
});

test('vmac names: an IPv4 and an IPv6 instance with one VRID get vrrp.50 and vrrp6.50, then vrrp1, vrrp2 …', () => {
  assert.deepEqual(
    names(
      inst('V4', 50, '10.0.0.1/24', 'use_vmac') +
        inst('V6', 50, 'fd00::1/64') +
        inst('V6b', 50, 'fd00::2/64') +
        inst('V4b', 50, '10.0.1.1/24'),
    ),
    { V4: 'vrrp.50', V6: 'vrrp6.50', V6b: 'vrrp1.50', V4b: 'vrrp2.50' },
  );
});

test('vmac names: a name another instance configures is not given to one without a name', () => {
  assert.deepEqual(names(inst('A', 7, 'fd00::1/64') + inst('B', 8, '10.0.0.1/24', 'use_vmac vrrp.7')), {
    A: 'vrrp6.7',
    B: 'vrrp.7',
  });
});

test('vmac names: a long prefix is shortened to 15 characters, the number kept', () => {
  const r = loadConfigText(inst('A', 200, '10.0.0.1/24'), 'k.conf');
  assert.deepEqual(Object.fromEntries(vmacNames(r.config.vrrpInstances, 'averyverylongprefix')), {
    A: 'averyverylo.200',
  });
});

test("VIP placement with a vmac: the instance's family on its interface goes on the vmac, the rest stays", () => {
  const inst6 = { interface: 'eth0', family: 6 as const };
  assert.deepEqual(
    [
      vipDevice({ family: 6 }, inst6, 'vrrp.7'),
      vipDevice({ family: 6, dev: 'eth0' }, inst6, 'vrrp.7'),
      vipDevice({ family: 4 }, inst6, 'vrrp.7'),
      vipDevice({ family: 6, dev: 'eth1' }, inst6, 'vrrp.7'),
      vipDevice({ family: 6 }, inst6, undefined),
      vipDevice({ family: 4, dev: 'eth1' }, { interface: 'eth0', family: 4 }, undefined),
    ],
    ['vrrp.7', 'vrrp.7', 'eth0', 'eth1', 'eth0', 'eth1'],
  );
});
