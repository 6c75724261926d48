// The nft script for keepalived's IPv6 vmac rules (MLD reports moved to the base interface).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vmacFirewallScript } from '../../../src/vrrp/vmac-firewall.js';

test('vmac rules: each vmac sends its MLD reports from its base interface and no router solicitation', () => {
  assert.equal(
    vmacFirewallScript([
      { name: 'vrrp.76', base: 'eth0' },
      { name: 'vrrp6.9', base: 'eth1' },
    ]),
    `table ip6 vigil_vmac
delete table ip6 vigil_vmac
table ip6 vigil_vmac {
  chain out {
    type filter hook output priority -1; policy accept;
    oifname "vrrp.76" icmpv6 type mld2-listener-report dup to ip6 daddr device "eth0" drop
    oifname "vrrp.76" icmpv6 type nd-router-solicit drop
    oifname "vrrp6.9" icmpv6 type mld2-listener-report dup to ip6 daddr device "eth1" drop
    oifname "vrrp6.9" icmpv6 type nd-router-solicit drop
  }
}
`,
  );
});

test('vmac rules: none left, the table goes (declared first, so deleting an absent one succeeds)', () => {
  assert.equal(vmacFirewallScript([]), 'table ip6 vigil_vmac\ndelete table ip6 vigil_vmac\n');
});
