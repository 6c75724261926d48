// The cheap IPVS probe on this machine: a clean yes/no with a reason, never a throw. Where the
// kernel has no IPVS (ours) the generic-netlink family lookup answers ENOENT.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { IpvsEngine } from '../../../src/dataplane/ipvs/engine.js';

test('IpvsEngine.probe() agrees with /proc/net/ip_vs and explains a missing IPVS', async () => {
  const p = await IpvsEngine.probe();
  if (existsSync('/proc/net/ip_vs')) {
    assert.ok(p.ok, JSON.stringify(p));
    assert.match(p.detail, /^IPVS \d+\.\d+\.\d+, \d+ connection slots$/);
  } else {
    assert.deepEqual(p, {
      ok: false,
      reason: 'no IPVS generic-netlink family (ip_vs not loaded or not built)',
    });
    await assert.rejects(IpvsEngine.open({ loadModule: false }), {
      message: 'ipvs: the kernel has no IPVS (generic netlink family "IPVS" not found)',
    });
  }
});
