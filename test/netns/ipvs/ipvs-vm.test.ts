// The IPVS engine on a real IPVS kernel: this machine's kernel has none, so the suites in
// test/vm/ipvs/*.vm.ts (never collected on the host: they are not *.test.ts) run in ONE QEMU guest
// booting Debian's kernel over this root filesystem (scripts/ipvs-vm.sh). Exit 0 or it fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { commandUnavailable, requireSystem } from '../../support/system.js';

const VM_DIR = 'test/vm/ipvs';

/** Why the guest cannot boot here (the same checks scripts/ipvs-vm.sh makes), or null. */
function vmUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (QEMU guest with network namespaces)';
  const kernel = (() => {
    try {
      return readdirSync('/lib/modules').some(
        (k) =>
          existsSync(`/boot/vmlinuz-${k}`) &&
          readdirSync(`/lib/modules/${k}/kernel/net/netfilter/ipvs`).some((f) => f.startsWith('ip_vs.ko')),
      );
    } catch {
      return false;
    }
  })();
  if (!kernel) return 'needs a kernel image with ip_vs modules (apt-get install linux-image-amd64)';
  if (!existsSync('/bin/busybox')) return 'needs busybox-static';
  return null;
}

// Under TCG on a 2-core host at load 5-10 the suites took 18 min (1,080 s in the guest); the
// guest gets 25 min, under the runner's 30 min per file.
test("IPVS engine suites inside a QEMU guest with Debian's IPVS kernel", { timeout: 1_560_000 }, (t) => {
  if (
    !requireSystem(
      t,
      vmUnavailable(),
      commandUnavailable('qemu-system-x86_64'),
      commandUnavailable('ipvsadm'),
    )
  )
    return;
  const files = readdirSync(VM_DIR)
    .filter((f) => f.endsWith('.vm.ts'))
    .sort()
    .map((f) => `${VM_DIR}/${f}`);
  assert.ok(files.length >= 2, `suites in ${VM_DIR}`);
  const r = spawnSync(
    'scripts/ipvs-vm.sh',
    [
      '--timeout',
      '1500',
      '--',
      'node',
      '--import',
      'tsx',
      '--test',
      '--test-reporter=spec',
      '--test-concurrency=1',
      ...files,
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const figure = (name: string) => Number(new RegExp(`ℹ ${name} (\\d+)`).exec(out)?.[1] ?? NaN);
  t.diagnostic(
    `in the guest: ${figure('pass')} passed, ${figure('fail')} failed, ${figure('skipped')} skipped`,
  );
  // schedulers the guest's kernel lacks, and the health-check timings, named in the host's output
  for (const l of out.split('\n')) if (/lacks ip_vs_|# health:/.test(l)) t.diagnostic(l.trim());
  assert.equal(
    r.status,
    0,
    `scripts/ipvs-vm.sh exited ${r.status} (124 timeout, 125 VM failure):\n${out.slice(-6000)}`,
  );
  assert.equal(figure('fail'), 0);
  assert.equal(figure('skipped'), 0);
  assert.ok(figure('pass') >= 10, out.slice(-3000));
});
