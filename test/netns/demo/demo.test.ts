// `vigil demo` as the README's first command runs it: end to end on real namespaces, two real
// `vigil run` directors, a client probing the VIP. Its output must show the takeover, a measured
// outage in the range VRRP allows for the advert interval, the failback, and a teardown that left
// no namespace and no process behind; Ctrl-C / SIGTERM also tears down; without root it says
// what it needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { commandUnavailable, netnsUnavailable, pathWithout, requireSystem } from '../../support/system.js';
import { namespaceInodes, namespacesOf, processesIn, vigil, waitOutput } from './run.js';

const TS = String.raw`^\d\d:\d\d:\d\d\.\d{3}  `;
const line = (re: string): RegExp => new RegExp(`${TS}${re}`, 'm');

/** Lab id and its namespace inodes, read while the demo runs. */
async function labOf(r: ReturnType<typeof vigil>): Promise<{ id: string; inodes: string[]; dir: string }> {
  const m = await waitOutput(r, line(String.raw`lab (vg[a-z0-9]+): namespaces`), 30_000);
  const d = await waitOutput(r, /configs in (\/run\/vigil\/demo-\S+)/, 5000);
  return { id: m[1]!, inodes: namespaceInodes(m[1]!), dir: d[1]! };
}

function assertNothingLeft(lab: { id: string; inodes: string[]; dir: string }): void {
  assert.deepEqual(namespacesOf(lab.id), [], 'namespaces left');
  assert.equal(lab.inodes.length, 6, 'switch + 5 nodes were seen');
  assert.deepEqual(processesIn(lab.inodes), [], 'processes left in the lab namespaces');
  assert.equal(existsSync(lab.dir), false, `${lab.dir} left`);
}

for (const c of [
  // The README's command: DR, advert_int 1 (VRRPv2): the backup takes over after 3 missed
  // adverts plus its skew, 3 x 1 s + (256-100)/256 s = 3.6 s after the last advert it heard.
  { args: [], mode: 'DR', minMs: 2000, maxMs: 5500 },
  // NAT at advert_int 0.2 (VRRPv3): 3 x 0.2 + skew 0.12 = 0.72 s.
  { args: ['--mode', 'nat', '--advert-int', '0.2'], mode: 'NAT', minMs: 150, maxMs: 1800 },
  // A machine without nftables (nor IPVS here): auto picks the user-space engine, as the daemon
  // does, says so, and the demo runs the same story.
  { args: [], mode: 'DR', minMs: 2000, maxMs: 5500, withoutNft: true },
]) {
  const name = ['vigil demo', ...c.args, ...(c.withoutNft ? ['(no nft on PATH)'] : [])].join(' ');
  test(`${name}: takeover, measured outage, failback, nothing left`, async (t) => {
    if (!requireSystem(t, netnsUnavailable(), c.withoutNft ? null : commandUnavailable('nft'))) return;
    const noNft = c.withoutNft ? pathWithout('nft') : undefined;
    t.after(() => noNft?.remove());
    const env = noNft ? { ...process.env, PATH: noNft.path } : undefined;
    const r = vigil(['demo', ...c.args], { timeoutMs: 60_000, env });
    const lab = await labOf(r);
    const { code, stdout, stderr } = await r.done;
    assert.equal(code, 0, stdout + stderr);
    assert.equal(stderr, '');
    assert.match(stdout, line(`vigil demo: LVS-${c.mode}`));
    if (c.withoutNft)
      assert.match(
        stdout,
        line(
          String.raw`data plane: userspace \(auto: no IPVS \(.*\) and no nftables \(the nft command is not installed\)\)$`,
        ),
      );
    assert.match(stdout, line('director1 is MASTER of VI_WEB, director2 BACKUP'));
    for (const d of ['director1', 'director2'])
      assert.match(
        stdout,
        line(String.raw`dashboard of ${d}: http://127\.0\.0\.1:\d+/ \(its API, relayed from the namespace\)`),
      );
    // Both real servers answer through the VIP before, during and after the failover.
    const traffic = [...stdout.matchAll(/client: rs1 (\d+), rs2 (\d+)(?:, no answer (\d+))? in 2\.\d s/g)];
    assert.equal(traffic.length, 3, stdout);
    for (const m of traffic) assert.ok(Number(m[1]) > 20 && Number(m[2]) > 20, m[0]);
    assert.match(
      stdout,
      line(String.raw`director1 crashes: SIGKILL to its vigil \(pid \d+\), its links down`),
    );
    const takeover = line(String.raw`director2 is MASTER now \(takeover (\d+\.\d) s after the crash\)`).exec(
      stdout,
    );
    assert.ok(takeover, stdout);
    const outage = line(
      String.raw`client-visible outage \(master crash\): (\d+) ms, (\d+) requests unanswered`,
    ).exec(stdout);
    assert.ok(outage, stdout);
    const ms = Number(outage[1]);
    assert.ok(ms >= c.minMs && ms <= c.maxMs, `outage ${ms} ms not in [${c.minMs}, ${c.maxMs}]`);
    assert.ok(Number(outage[2]) > 0, 'requests went unanswered while no director had the VIP');
    assert.match(stdout, line(String.raw`director1 is back: links up, vigil started again \(pid \d+\)`));
    assert.match(
      stdout,
      line(String.raw`director1 is MASTER again \(failback by preemption, priority 150 > 100\)`),
    );
    const failback = line(String.raw`client-visible outage \(failback\): (\d+) ms`).exec(stdout);
    assert.ok(failback && Number(failback[1]) < 1500, `failback outage: ${failback?.[0]}`);
    assert.match(stdout, line(`torn down: no ${lab.id}-\\* namespaces, links or processes left`));
    assertNothingLeft(lab);
  });
}

test('SIGTERM in the middle of the demo tears everything down (as Ctrl-C does)', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('nft'))) return;
  const r = vigil(['demo'], { timeoutMs: 60_000 });
  const lab = await labOf(r);
  await waitOutput(r, line('client .* every 10 ms'), 30_000);
  r.child.kill('SIGTERM');
  const { code, stdout } = await r.done;
  assert.equal(code, 143, stdout);
  assert.match(stdout, line('SIGTERM: stopping'));
  assert.doesNotMatch(stdout, /crashes/);
  assert.match(stdout, line(`torn down: no ${lab.id}-\\* namespaces`));
  assertNothingLeft(lab);
});

test('without root, vigil demo says what it needs and exits 2', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('setpriv'))) return;
  const r = vigil(['demo'], {
    prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
    timeoutMs: 30_000,
  });
  const { code, stdout, stderr } = await r.done;
  assert.equal(code, 2, stdout + stderr);
  assert.match(
    stderr,
    /^vigil demo needs:\n {2}- root \(it creates network namespaces\): run it with sudo$/m,
  );
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  assert.equal(stdout, '');
});

test('without nft, vigil demo --engine nft names what it needs and exits 2', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const noNft = pathWithout('nft');
  t.after(() => noNft.remove());
  const r = vigil(['demo', '--engine', 'nft'], {
    env: { ...process.env, PATH: noNft.path },
    timeoutMs: 30_000,
  });
  const { code, stdout, stderr } = await r.done;
  assert.equal(code, 2, stdout + stderr);
  assert.match(stderr, /^vigil demo needs:\n {2}- the nft command \(apt install nftables\)$/m);
  assert.equal(stdout, '');
});

test('bad demo flags get one clear line and exit 2', async () => {
  for (const [args, re] of [
    [['--mode', 'tun'], /--mode 'tun': want dr or nat/],
    [['--advert-int', 'fast'], /--advert-int 'fast': want seconds/],
    [['--engine', 'lvs'], /--engine 'lvs': want auto, ipvs, nft, userspace/],
    [['--bogus'], /Unknown option '--bogus'/],
  ] as const) {
    const { code, stderr } = await vigil(['demo', ...args]).done;
    assert.equal(code, 2, stderr);
    assert.match(stderr, re);
    assert.doesNotMatch(stderr, /\n\s+at /);
  }
});
