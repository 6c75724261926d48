import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseEngine } from '../../../src/dataplane/choose.js';

const no = (reason: string) => ({ ok: false as const, reason });

test('auto prefers IPVS, then nftables, then user space, and says why', () => {
  assert.deepEqual(chooseEngine('auto', { ipvs: { ok: true }, nft: { ok: true } }), {
    engine: 'ipvs',
    why: 'auto: the kernel has IPVS',
  });
  assert.deepEqual(chooseEngine('auto', { ipvs: no('no ip_vs'), nft: { ok: true } }), {
    engine: 'nft',
    why: 'auto: no IPVS (no ip_vs); nftables is available',
  });
  assert.deepEqual(chooseEngine('auto', { ipvs: no('no ip_vs'), nft: no('no nft') }), {
    engine: 'userspace',
    why: 'auto: no IPVS (no ip_vs) and no nftables (no nft)',
  });
});

test('an explicit engine is kept, with the reason it cannot run when it cannot', () => {
  assert.deepEqual(chooseEngine('ipvs', { ipvs: no('no ip_vs'), nft: { ok: true } }), {
    engine: 'ipvs',
    why: 'lvs_engine ipvs, but it cannot run here: no ip_vs',
  });
  assert.equal(chooseEngine('userspace', { ipvs: { ok: true }, nft: { ok: true } }).engine, 'userspace');
});
