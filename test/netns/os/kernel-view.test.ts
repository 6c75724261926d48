// `vigil check` reads the director's own namespace: a NAT service on the nft engine with
// net.ipv4.ip_forward 0 (or IPv6 forwarding 0) is a warning at its line, and none once set.
// The IPVS side (net.ipv4.vs.conntrack) needs ip_vs: test/vm/ipvs/kernel.vm.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLab } from '../../../src/lab/index.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';

const CONFIG = `global_defs {
    lvs_engine nft
}
virtual_server 10.0.1.100 80 {
    lb_kind NAT
    protocol TCP
    real_server 10.0.2.2 80 {
    }
}
virtual_server fd00:1::100 80 {
    lb_kind NAT
    protocol TCP
    real_server fd00:2::2 80 {
    }
}
virtual_server 10.0.1.101 80 {
    lb_kind DR
    protocol TCP
    real_server 10.0.1.5 80 {
    }
}
`;

test('vigil check warns about forwarding off in the namespace it runs in, and not once it is on', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('nft'))) return;
  const dir = mkdtempSync(join(tmpdir(), 'vg-kview-'));
  const conf = join(dir, 'k.conf');
  writeFileSync(conf, CONFIG);
  const lab = await createLab({ nodes: [{ name: 'd', addresses: ['10.0.1.1/24'] }] });
  try {
    const check = async () =>
      lab.exec('d', [process.execPath, '--import', 'tsx', resolve('src/cli/main.ts'), 'check', '-f', conf]);
    await lab.exec('d', ['sysctl', '-qw', 'net.ipv4.ip_forward=0', 'net.ipv6.conf.all.forwarding=0']);
    const off = await check();
    const lines = off.stderr.trim().split('\n');
    assert.equal(lines.length, 2, off.stderr);
    assert.ok(
      lines[0]!.startsWith(`${conf}:4:1: warning: virtual_server 10.0.1.100:80: NAT through nft `),
      off.stderr,
    );
    assert.match(lines[0]!, /net\.ipv4\.ip_forward is 0/);
    assert.ok(
      lines[1]!.startsWith(`${conf}:10:1: warning: virtual_server [fd00:1::100]:80: NAT through nft `),
      off.stderr,
    );
    assert.match(lines[1]!, /net\.ipv6\.conf\.all\.forwarding is 0/);
    await lab.exec('d', ['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    const on = await check();
    assert.equal(on.stderr, '');
    assert.match(on.stdout, /configuration OK\n/);
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
