// The director's kernel settings against the forwarding a configuration asks for (pure: the
// machine's view is given; test/vm/ipvs/kernel.vm.ts reads a real one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import {
  directorKernelIssues,
  statefulTables,
  unprogrammable,
  type KernelView,
} from '../../../src/lvs/kernel-needs.js';

const vs = (addr: string, kind: string, extra = ''): string =>
  `virtual_server ${addr} 80 {\n  lb_algo rr\n  lb_kind ${kind}\n  protocol TCP\n${extra}  real_server ${addr.includes(':') ? 'fd00::2' : '10.0.2.2'} 80 {\n    weight 1\n  }\n}\n`;
const load = (text: string) => {
  const r = loadConfigText(text, 'k.conf');
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return r.config;
};
const ready: KernelView = { ipv4Forward: '1', ipv6Forward: '1', vsConntrack: '1', statefulTables: [] };

test('NAT with ip_forward 0: one warning naming the first virtual server, the count, the sysctl, at its line', () => {
  const c = load(vs('10.0.1.100', 'NAT') + vs('10.0.1.101', 'DR') + vs('10.0.1.102', 'NAT'));
  const got = directorKernelIssues(c, 'nft', { ...ready, ipv4Forward: '0' });
  assert.equal(got.length, 1);
  assert.match(got[0]!.message, /^virtual_server 10\.0\.1\.100:80 and 1 other: NAT through nft /);
  assert.match(got[0]!.message, /net\.ipv4\.ip_forward is 0.*set net\.ipv4\.ip_forward = 1/);
  assert.equal(got[0]!.loc.line, 1);
  assert.deepEqual(directorKernelIssues(c, 'nft', ready), []);
});

test('the family decides the sysctl: an IPv6 NAT service needs net.ipv6.conf.all.forwarding', () => {
  const c = load(vs('fd00::100', 'NAT'));
  const view = { ...ready, ipv4Forward: '0', ipv6Forward: '0' };
  const got = directorKernelIssues(c, 'ipvs', view).map((i) => i.message);
  assert.equal(got.length, 1);
  assert.match(got[0]!, /net\.ipv6\.conf\.all\.forwarding is 0/);
});

test('DR and TUN need no forwarding, nor does the userspace proxy; FULLNAT does on nft', () => {
  const c = load(vs('10.0.1.100', 'DR') + vs('10.0.1.101', 'TUN'));
  const off = { ...ready, ipv4Forward: '0' };
  assert.deepEqual(directorKernelIssues(c, 'ipvs', off), []);
  assert.deepEqual(directorKernelIssues(c, 'nft', off), []);
  assert.deepEqual(directorKernelIssues(load(vs('10.0.1.100', 'NAT')), 'userspace', off), []);
  assert.equal(directorKernelIssues(load(vs('10.0.1.100', 'FULLNAT')), 'nft', off).length, 1);
});

test('a NAT real server under a DR virtual server counts (lvs_method), and so does a NAT sorry server', () => {
  const rs = '  real_server 10.0.2.3 80 {\n    lvs_method NAT\n  }\n';
  const off = { ...ready, ipv4Forward: '0' };
  assert.equal(directorKernelIssues(load(vs('10.0.1.100', 'DR', rs)), 'nft', off).length, 1);
  const sorry = '  sorry_server 10.0.2.9 80\n  sorry_server_lvs_method NAT\n';
  assert.equal(directorKernelIssues(load(vs('10.0.1.100', 'DR', sorry)), 'nft', off).length, 1);
});

test('IPVS NAT with vs.conntrack 0 warns only when stateful nftables rules exist, naming their tables', () => {
  const c = load(vs('10.0.1.100', 'NAT'));
  const off = { ...ready, vsConntrack: '0' };
  assert.deepEqual(directorKernelIssues(c, 'ipvs', off), []);
  const got = directorKernelIssues(c, 'ipvs', { ...off, statefulTables: ['inet filter'] });
  assert.equal(got.length, 1);
  assert.match(
    got[0]!.message,
    /net\.ipv4\.vs\.conntrack 0 .* table inet filter .* set net\.ipv4\.vs\.conntrack = 1/,
  );
  // Unknown settings (ip_vs not loaded yet, nft not readable) are not guessed at.
  assert.deepEqual(
    directorKernelIssues(c, 'ipvs', { ...off, vsConntrack: null, statefulTables: ['inet filter'] }),
    [],
  );
  assert.deepEqual(directorKernelIssues(c, 'nft', { ...off, statefulTables: ['inet filter'] }), []);
  assert.deepEqual(
    directorKernelIssues(load(vs('10.0.1.100', 'DR')), 'ipvs', { ...off, statefulTables: ['inet filter'] }),
    [],
  );
});

test("statefulTables finds rules matching on ct in nft's JSON, vigil's own tables aside", () => {
  const rule = (family: string, table: string, expr: unknown[]) => ({
    rule: { family, table, chain: 'c', expr },
  });
  const ct = { match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] } };
  const port = { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 22 } };
  const listing = JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      rule('inet', 'filter', [ct, { accept: null }]),
      rule('ip', 'nat', [port, { accept: null }]),
      rule('inet', 'vigil', [ct]),
      rule('ip', 'fw', [{ match: { op: '==', left: { ct: { key: 'status' } }, right: 'dnat' } }]),
    ],
  });
  assert.deepEqual(statefulTables(listing), ['inet filter', 'ip fw']);
  assert.deepEqual(statefulTables(JSON.stringify({ nftables: [{ metainfo: {} }] })), []);
  assert.equal(statefulTables('Error: permission denied'), null);
  assert.equal(statefulTables('{"x":1}'), null);
});

test('FULLNAT (the virtual server, a real server or its sorry server) cannot be programmed on ipvs alone', () => {
  const rs = '  real_server 10.0.2.3 80 {\n    lvs_method FULLNAT\n  }\n';
  const c = load(vs('10.0.1.100', 'FULLNAT') + vs('10.0.1.101', 'NAT') + vs('10.0.1.102', 'DR', rs));
  const got = unprogrammable(c, 'ipvs');
  assert.deepEqual(
    got.map((u) => [u.vs.label, u.loc.line]),
    [
      ['10.0.1.100:80', 1],
      ['10.0.1.102:80', 17],
    ],
  );
  assert.match(got[0]!.message, /FULLNAT cannot run on the ipvs engine .* use lvs_engine nft/);
  assert.deepEqual(unprogrammable(c, 'nft'), []);
  assert.deepEqual(unprogrammable(c, 'userspace'), []);
});
