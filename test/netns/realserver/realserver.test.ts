// `vigil realserver` on a DR real server in a namespace (net.ipv4.conf.* are per namespace): what
// the seed guides script by hand, checked the way users rely on it — the server does not answer
// ARP for the VIP (the director owns it) yet accepts packets sent to the VIP at its MAC, as LVS-DR
// delivers them. --check before and after, a second run changes nothing, --undo restores the
// values it found (not the kernel defaults), --persist writes its files under a temporary root.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';

const VIP = '192.168.71.100';
const PORT = 8080;
const labs: Lab[] = [];
const roots: string[] = [];
after(async () => {
  for (const l of labs) await l.destroy();
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

async function newLab(): Promise<Lab> {
  const lab = await createLab({
    nodes: [
      { name: 'rs', addresses: ['192.168.71.11/24'] },
      { name: 'client', addresses: ['192.168.71.2/24'] },
    ],
  });
  labs.push(lab);
  return lab;
}

function realserver(lab: Lab, ...args: string[]) {
  return lab.exec('rs', [process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'realserver', ...args], {
    allowFailure: true,
    timeoutMs: 20_000,
  });
}

async function sysctl(lab: Lab, name: string): Promise<string> {
  return (await lab.exec('rs', ['cat', `/proc/sys/${name.replace(/\./g, '/')}`])).stdout.trim();
}

async function vipsOnLo(lab: Lab): Promise<string[]> {
  const out = (await lab.exec('rs', ['ip', '-j', 'addr', 'show', 'dev', 'lo'])).stdout;
  return (JSON.parse(out) as { addr_info: { local: string; prefixlen: number }[] }[])
    .flatMap((l) => l.addr_info)
    .map((a) => `${a.local}/${a.prefixlen}`);
}

/** A TCP connection from the client to the VIP: 'ok' or why it failed. */
async function connectVip(lab: Lab): Promise<string> {
  const js = `const s=require('net').connect({host:'${VIP}',port:${PORT},timeout:1500});
s.on('data',d=>{console.log(String(d));process.exit(0)});
s.on('error',e=>{console.log(e.code);process.exit(1)});
s.on('timeout',()=>{console.log('timeout');process.exit(1)});`;
  return (
    await lab.exec('client', [process.execPath, '-e', js], { allowFailure: true, timeoutMs: 10_000 })
  ).stdout.trim();
}

test('vigil realserver (DR): --check, set up, idempotent, ARP quiet but VIP traffic accepted, --undo', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await newLab();
  const root = mkdtempSync(join(tmpdir(), 'vigil-rs-'));
  roots.push(root);
  // A value an administrator set before: --undo must put back this, not the kernel default.
  await lab.exec('rs', ['sh', '-c', 'echo 1 > /proc/sys/net/ipv4/conf/all/arp_announce; ip link set lo up']);
  lab.spawn('rs', [process.execPath, '-e', `require('net').createServer(s=>s.end('rs')).listen(${PORT})`], {
    stdio: 'ignore',
  });

  const before = await realserver(lab, '--check', '--vip', VIP, '--root', root);
  assert.equal(before.code, 1, before.stdout + before.stderr);
  assert.deepEqual(before.stdout.trim().split('\n'), [
    `missing: ${VIP}/32 on lo`,
    'wrong: net.ipv4.conf.all.arp_ignore = 0, want 1',
    'wrong: net.ipv4.conf.all.arp_announce = 1, want 2',
    'wrong: net.ipv4.conf.lo.arp_ignore = 0, want 1',
    'wrong: net.ipv4.conf.lo.arp_announce = 0, want 2',
  ]);
  // --check changes nothing.
  assert.equal(await sysctl(lab, 'net.ipv4.conf.all.arp_ignore'), '0');
  assert.ok(!(await vipsOnLo(lab)).includes(`${VIP}/32`));

  const setup = await realserver(lab, '--vip', VIP, '--root', root);
  assert.equal(setup.code, 0, setup.stderr);
  assert.match(setup.stdout, new RegExp(`added ${VIP.replace(/\./g, '\\.')}/32 on lo`));
  assert.match(setup.stdout, /set net\.ipv4\.conf\.all\.arp_announce = 2 \(was 1\)/);
  assert.ok((await vipsOnLo(lab)).includes(`${VIP}/32`));
  for (const d of ['all', 'lo']) {
    assert.equal(await sysctl(lab, `net.ipv4.conf.${d}.arp_ignore`), '1');
    assert.equal(await sysctl(lab, `net.ipv4.conf.${d}.arp_announce`), '2');
  }
  const after = await realserver(lab, '--check', '--vip', VIP, '--root', root);
  assert.equal(after.code, 0, after.stdout);
  assert.equal(after.stdout.trim(), 'ok: DR real server set up on lo');

  const again = await realserver(lab, '--vip', VIP, '--root', root);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.trim(), 'already in place; nothing changed');

  // The real server stays silent on ARP for the VIP (with arp_ignore back at 0 it would answer,
  // and steal the director's traffic)...
  await lab.exec('rs', [
    'sh',
    '-c',
    'echo 0 > /proc/sys/net/ipv4/conf/all/arp_ignore; echo 0 > /proc/sys/net/ipv4/conf/lo/arp_ignore',
  ]);
  assert.equal(await connectVip(lab), 'rs');
  await lab.exec('client', ['ip', 'neigh', 'flush', 'dev', 'eth0']);
  const fixed = await realserver(lab, '--vip', VIP, '--root', root);
  assert.match(fixed.stdout, /set net\.ipv4\.conf\.all\.arp_ignore = 1 \(was 0\)/);
  assert.notEqual(await connectVip(lab), 'rs');
  // ...and accepts what a DR director sends: the VIP as destination, the server's MAC on the frame.
  const mac = (
    JSON.parse((await lab.exec('rs', ['ip', '-j', 'link', 'show', 'eth0'])).stdout) as { address: string }[]
  )[0]!.address;
  await lab.exec('client', ['ip', 'neigh', 'replace', VIP, 'lladdr', mac, 'dev', 'eth0', 'nud', 'permanent']);
  assert.equal(await connectVip(lab), 'rs');

  const undo = await realserver(lab, '--undo', '--root', root);
  assert.equal(undo.code, 0, undo.stderr);
  assert.ok(!(await vipsOnLo(lab)).includes(`${VIP}/32`));
  assert.equal(await sysctl(lab, 'net.ipv4.conf.all.arp_announce'), '1');
  assert.equal(await sysctl(lab, 'net.ipv4.conf.all.arp_ignore'), '0');
  assert.equal(await sysctl(lab, 'net.ipv4.conf.lo.arp_ignore'), '0');
  assert.equal(await sysctl(lab, 'net.ipv4.conf.lo.arp_announce'), '0');
  assert.ok(!existsSync(join(root, 'var/lib/vigil/realserver.json')));
  // Without the VIP the server no longer takes the director's packets.
  assert.notEqual(await connectVip(lab), 'rs');
  const undone = await realserver(lab, '--undo', '--root', root);
  assert.equal(undone.code, 0);
  assert.match(undone.stdout, /nothing to undo/);
});

test('vigil realserver --persist writes sysctl.d and the unit under --root; --undo --vip keeps the rest', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await newLab();
  const root = mkdtempSync(join(tmpdir(), 'vigil-rs-'));
  roots.push(root);
  const r = await realserver(lab, '--vip', VIP, '--vip', 'fd00:71::100', '--persist', '--root', root);
  assert.equal(r.code, 0, r.stderr);
  const sysctlFile = join(root, 'etc/sysctl.d/90-vigil-realserver.conf');
  const unitFile = join(root, 'etc/systemd/system/vigil-realserver.service');
  const lines = readFileSync(sysctlFile, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(lines, [
    'net.ipv4.conf.all.arp_ignore = 1',
    'net.ipv4.conf.all.arp_announce = 2',
    'net.ipv4.conf.lo.arp_ignore = 1',
    'net.ipv4.conf.lo.arp_announce = 2',
  ]);
  const unit = readFileSync(unitFile, 'utf8');
  assert.match(unit, /^Type=oneshot$/m);
  assert.match(unit, /^RemainAfterExit=yes$/m);
  assert.match(
    unit,
    new RegExp(`^ExecStart=\\S+ realserver --mode dr --vip ${VIP} --vip fd00:71::100$`, 'm'),
  );
  assert.match(unit, /^WantedBy=multi-user\.target$/m);
  assert.ok((await vipsOnLo(lab)).includes('fd00:71::100/128'));
  const ok = await realserver(
    lab,
    '--check',
    '--persist',
    '--vip',
    VIP,
    '--vip',
    'fd00:71::100',
    '--root',
    root,
  );
  assert.equal(ok.code, 0, ok.stdout);
  // A removed file is reported as missing.
  rmSync(unitFile);
  const gone = await realserver(
    lab,
    '--check',
    '--persist',
    '--vip',
    VIP,
    '--vip',
    'fd00:71::100',
    '--root',
    root,
  );
  assert.equal(gone.code, 1);
  assert.equal(gone.stdout.trim(), `missing: ${unitFile}`);
  await realserver(lab, '--persist', '--vip', VIP, '--vip', 'fd00:71::100', '--root', root);

  // Undoing one VIP keeps the other and the sysctls; the unit now lists only the one left.
  const one = await realserver(lab, '--undo', '--vip', 'fd00:71::100', '--root', root);
  assert.equal(one.code, 0, one.stderr);
  assert.ok(!(await vipsOnLo(lab)).includes('fd00:71::100/128'));
  assert.ok((await vipsOnLo(lab)).includes(`${VIP}/32`));
  assert.equal(await sysctl(lab, 'net.ipv4.conf.all.arp_ignore'), '1');
  assert.match(
    readFileSync(unitFile, 'utf8'),
    new RegExp(`^ExecStart=\\S+ realserver --mode dr --vip ${VIP}$`, 'm'),
  );
  const all = await realserver(lab, '--undo', '--root', root);
  assert.equal(all.code, 0, all.stderr);
  assert.ok(!existsSync(sysctlFile) && !existsSync(unitFile));
  assert.equal(await sysctl(lab, 'net.ipv4.conf.all.arp_ignore'), '0');
});

test('vigil realserver: bad arguments exit 2 naming the problem; no ipip → a clear error, nothing left', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await newLab();
  const root = mkdtempSync(join(tmpdir(), 'vigil-rs-'));
  roots.push(root);
  const cases: [string[], RegExp][] = [
    [[], /at least one --vip ADDR is needed/],
    [['--vip', 'nope'], /--vip 'nope': not an IPv4 or IPv6 address/],
    [['--vip', '10.0.0.1/24'], /--vip '10\.0\.0\.1\/24': a VIP is a \/32/],
    [['--vip', '10.0.0.1', '--mode', 'nat'], /--mode needs 'dr' or 'tun', not 'nat'/],
    [['--vip', 'fd00::1', '--mode', 'tun'], /IPv6; LVS-TUN over ipip carries IPv4 VIPs/],
    [['--undo', '--check'], /--undo cannot be combined/],
    [['--vip', '10.0.0.1', '--bogus'], /unknown option '--bogus'/],
  ];
  for (const [args, want] of cases) {
    const r = await realserver(lab, ...args, '--root', root);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want);
    assert.doesNotMatch(r.stderr, /\n\s+at /); // no stack trace
  }
  const hasIpip = (await lab.exec('rs', ['ip', 'link', 'show', 'tunl0'], { allowFailure: true })).code === 0;
  const tun = await realserver(lab, '--mode', 'tun', '--vip', VIP, '--root', root);
  if (hasIpip || tun.code === 0) {
    // A kernel with ipip: the VIP goes on tunl0 with rp_filter off.
    assert.equal(tun.code, 0, tun.stderr);
    assert.equal(await sysctl(lab, 'net.ipv4.conf.tunl0.rp_filter'), '0');
    assert.equal((await realserver(lab, '--undo', '--root', root)).code, 0);
  } else {
    assert.equal(tun.code, 1);
    assert.match(tun.stderr, /--mode tun needs tunl0, and this kernel has no ipip \(IP-in-IP\) support/);
    assert.ok(
      !existsSync(join(root, 'var/lib/vigil/realserver.json')),
      'a failed run leaves no state behind',
    );
  }
});
