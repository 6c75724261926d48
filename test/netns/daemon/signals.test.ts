// keepalived's signals to a running vigil (parent and each child, as exporters and operators send
// them): SIGUSR1, SIGUSR2, SIGJSON (SIGRTMIN+2), SIGSTATS_CLEAR (SIGRTMAX-1), SIGHUP. Every
// process stays up, and the dump files appear in $TMPDIR in keepalived 2.2.7's shapes (the
// structure against a real keepalived run is test/unit/vrrp/dump.test.ts). Then -V: a stop that
// leaves the VIP in place, as keepalived --dont-release-vrrp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab } from '../../../src/lab/index.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import {
  type Daemon,
  hasVip,
  instanceConf,
  startKeepalived,
  startVigil,
  stopDaemon,
  waitFor,
  waitState,
} from '../vrrpd/harness.js';

const NET = '192.168.91';
const VIP = `${NET}.100`;

// A virtual server so the checker child runs too (it writes keepalived_check.data on SIGUSR1).
const CONF = `${instanceConf({ vrid: 91, priority: 150, vip: `${VIP}/24`, state: 'MASTER' })}
virtual_server ${VIP} 80 {
  delay_loop 3
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${NET}.21 80 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function pidOf(file: string): number {
  return Number(readFileSync(file, 'utf8').trim());
}

/** SIGUSR1 to `pid`, then the keepalived.data it writes to `path`, as lines. */
async function dataDump(path: string, pid: number): Promise<string[]> {
  const at = Date.now() - 5;
  process.kill(pid, 'SIGUSR1');
  const text = await waitFor(
    `${path} written`,
    async () => existsSync(path) && statSync(path).mtimeMs >= at && readFileSync(path, 'utf8'),
    5000,
  );
  return text.split('\n');
}

/** One section of a .data dump, from its heading to the next one. */
function section(lines: string[], head: string): string[] {
  const from = lines.indexOf(head);
  assert.ok(from >= 0, `no ${head}`);
  const end = lines.findIndex((l, i) => i > from && l.startsWith('------<'));
  return lines.slice(from, end < 0 ? undefined : end).filter((l) => l !== '');
}

/** A dump line without its value (numbers too: indexes, fds, weights). */
function dataLabel(l: string): string {
  const eq = l.indexOf(' = ');
  return (eq >= 0 ? l.slice(0, eq + 2) : l).replace(/\d+/g, 'N');
}

/** A whole dump's labels, without keepalived's lines about its own build and umask. */
function dataLabels(lines: string[]): string[] {
  return lines.filter((l) => !/^ (nftables with|libnftnl version|umask = )/.test(l)).map(dataLabel);
}

test('keepalived signals to vigil and its children: all stay up, keepalived dump files written', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({ nodes: [{ name: 'v', addresses: [`${NET}.11/24`] }] });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-signals-'));
  const dumps = join(dir, 'tmp');
  const run = join(dir, 'run');
  const daemons: Daemon[] = [];
  try {
    mkdirSync(dumps);
    const v = await startVigil(lab, 'v', run, CONF, ['--no-api'], { ...process.env, TMPDIR: dumps });
    daemons.push(v);
    await waitState(v, 'VI_1', 'MASTER', 30_000);
    const pids = {
      parent: pidOf(join(run, 'vigil.pid')),
      vrrp: pidOf(join(run, 'vrrp.pid')),
      checker: pidOf(join(run, 'checker.pid')),
    };
    const SIGJSON = 36; // SIGRTMIN+2 with glibc, as `keepalived --signum=JSON` prints here
    const SIGSTATS_CLEAR = 63;
    const file = (name: string): string => join(dumps, name);
    const fresh = async (name: string, after: number): Promise<string> =>
      waitFor(
        `${name} written`,
        async () =>
          existsSync(file(name)) && statSync(file(name)).mtimeMs >= after && readFileSync(file(name), 'utf8'),
        5000,
      );

    // To the parent, as `kill -s RTMIN+2 $(cat /run/keepalived.pid)`.
    let at = Date.now() - 5;
    process.kill(pids.parent, SIGJSON);
    const json = JSON.parse(await fresh('keepalived.json', at)) as {
      data: { iname: string; state: number; vrid: number; vips: string[] };
      stats: { advert_sent: number; become_master: number };
    }[];
    assert.equal(json.length, 1);
    assert.equal(json[0]!.data.iname, 'VI_1');
    assert.equal(json[0]!.data.state, 2, 'MASTER is state 2 in keepalived.json');
    assert.equal(json[0]!.data.vrid, 91);
    assert.deepEqual(json[0]!.data.vips, [`${VIP}/24 dev eth0 scope global set`]);
    assert.equal(json[0]!.stats.become_master, 1);
    assert.ok(json[0]!.stats.advert_sent >= 1);
    assert.equal(statSync(file('keepalived.json')).mode & 0o777, 0o600);

    at = Date.now() - 5;
    process.kill(pids.parent, 'SIGUSR2');
    const stats = await fresh('keepalived.stats', at);
    assert.match(
      stats,
      /^VRRP Instance: VI_1\n {2}Advertisements:\n {4}Received: \d+\n {4}Sent: [1-9]\d*\n {2}Became master: 1\n/,
    );

    // SIGSTATS_CLEAR writes the stats, then zeroes them: the next SIGUSR2 shows 0 masterships.
    at = Date.now() - 5;
    process.kill(pids.parent, SIGSTATS_CLEAR);
    assert.match(await fresh('keepalived.stats', at), /Became master: 1\n/);
    await new Promise((r) => setTimeout(r, 100));
    at = Date.now() - 5;
    process.kill(pids.parent, 'SIGUSR2');
    assert.match(await fresh('keepalived.stats', at), /Became master: 0\n/);

    at = Date.now() - 5;
    process.kill(pids.parent, 'SIGUSR1');
    const data = await fresh('keepalived.data', at);
    assert.match(
      data,
      /------< VRRP Topology >------\n VRRP Instance = VI_1\n {3}VRRP Version = 2\n {3}State = MASTER\n/,
    );
    assert.match(data, / {3}Virtual IP \(1\):\n {5}192\.168\.91\.100\/24 dev eth0 scope global set\n/);
    // The instance's timers and socket; the sockpool entry is a socket the VRRP child really has.
    assert.match(data, / {3}Number of track scripts init = 0\n {3}Last transition = \d+\.\d{6} \(.+\)\n/);
    assert.match(data, / {3}Read timeout = \d+\.\d{6} \(.+\)\n {3}Master down timer = \d+ usecs\n/);
    const fd = /\n {3}fd_in (\d+), fd_out \1\n/.exec(data)?.[1];
    assert.ok(fd, 'the instance names its socket');
    assert.ok(
      data.includes(
        `------< VRRP Sockpool >------\n fd_in ${fd} fd_out = ${fd}\n   Interface = eth0\n   Family = IPv4\n` +
          '   Protocol = VRRP\n   Type = Multicast\n   Rx buf size = 0\n   VRRP instances\n     VI_1 vrid 91\n',
      ),
      data,
    );
    assert.match(readlinkSync(`/proc/${pids.vrrp}/fd/${fd}`), /^socket:\[\d+\]$/);
    // The interfaces as the namespace has them: eth0's own address (not the VIP), its MAC, tracked by VI_1.
    const [link] = JSON.parse((await lab.exec('v', ['ip', '-j', 'link', 'show', 'eth0'])).stdout) as {
      ifindex: number;
      address: string;
      mtu: number;
    }[];
    assert.match(
      data,
      /------< Interfaces >------\n Name = lo\n {3}index = 1\n {3}IPv4 address = 127\.0\.0\.1\n/,
    );
    const eth0 = data.slice(data.indexOf(' Name = eth0\n'));
    assert.ok(
      eth0.startsWith(` Name = eth0\n   index = ${link!.ifindex}\n   IPv4 address = ${NET}.11\n`),
      eth0,
    );
    assert.ok(
      eth0.includes(
        `\n   MAC = ${link!.address}\n   MAC broadcast = ff:ff:ff:ff:ff:ff\n   State = UP, RUNNING\n`,
      ),
      eth0,
    );
    assert.ok(eth0.includes(`\n   MTU = ${link!.mtu}\n   HW Type = ETHERNET\n`), eth0);
    assert.match(eth0, / {3}Tracking VRRP instances :\n {5}VI_1, weight 0\n/);
    assert.ok(!eth0.includes(VIP), 'the VIP is not one of the interface addresses');
    const check = await fresh('keepalived_check.data', at);
    assert.match(check, / VS VIP = 192\.168\.91\.100, VPORT = 80\n/);
    assert.match(check, / {3}RIP = 192\.168\.91\.21, RPORT = 80, WEIGHT = 1 EFF WEIGHT = \d+\n/);
    // Its checker, with the connection it makes and its method.
    assert.ok(
      check.includes(
        `------< Health checkers >------\n [${VIP}]:tcp:80 -> [${NET}.21]:tcp:80\n   Enabled = yes\n`,
      ),
      check,
    );
    assert.ok(
      check.includes(
        `   Connection\n     Dest = [${NET}.21]:80\n     Timeout = 1.000000\n   Keepalive method = TCP_CHECK\n`,
      ),
      check,
    );
    assert.match(await fresh('keepalived_parent.data', at), /^------< Global definitions >------\n/);

    // Straight to each child, and SIGHUP (reload) to the parent: nothing ends.
    for (const sig of ['SIGUSR1', 'SIGUSR2', SIGJSON, SIGSTATS_CLEAR] as const) {
      process.kill(pids.vrrp, sig);
      process.kill(pids.checker, sig);
    }
    process.kill(pids.parent, 'SIGHUP');
    at = Date.now() - 5;
    process.kill(pids.vrrp, SIGJSON);
    await fresh('keepalived.json', at);
    await new Promise((r) => setTimeout(r, 1000));
    for (const [who, pid] of Object.entries(pids)) assert.ok(alive(pid), `${who} (pid ${pid}) ended`);
    assert.equal(v.child.exitCode, null);
    assert.equal((await waitState(v, 'VI_1', 'MASTER', 3000)).state, 'MASTER');
    await stopDaemon(lab, v, 'SIGTERM');
    assert.equal(await hasVip(lab, 'v', VIP), false, 'a normal stop removes the VIP');

    // -V (--dont-release-vrrp): the stop leaves the VIP, as keepalived's does. This run also has
    // data_use_instance: the .data files carry the instance name.
    const named = `global_defs {\n  instance sig\n  data_use_instance\n}\n${CONF}`;
    const kept = await startVigil(lab, 'v', join(dir, 'run2'), named, ['--no-api', '-V'], {
      ...process.env,
      TMPDIR: dumps,
    });
    daemons.push(kept);
    await waitState(kept, 'VI_1', 'MASTER', 30_000);
    at = Date.now() - 5;
    process.kill(pidOf(join(dir, 'run2', 'vigil.pid')), 'SIGUSR1');
    assert.match(await fresh('keepalived.sig.data', at), / Instance name = sig\n/);
    assert.match(await fresh('keepalived_check.sig.data', at), / Use instance name in data dumps\n/);
    assert.match(await fresh('keepalived_parent.sig.data', at), /^------< Global definitions >------\n/);
    await stopDaemon(lab, kept, 'SIGTERM');
    assert.equal(await hasVip(lab, 'v', VIP), true, '-V left the VIP in place');
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.kind} on ${d.node}:\n${d.output()}`);
    throw e;
  } finally {
    for (const d of daemons) await stopDaemon(lab, d, 'SIGKILL');
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('-R (--dont-respawn): a child that dies ends the daemon, exit 1; without -R it is restarted', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({ nodes: [{ name: 'v', addresses: [`${NET}.11/24`] }] });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-respawn-'));
  const daemons: Daemon[] = [];
  try {
    const conf = instanceConf({ vrid: 92, priority: 150, vip: `${NET}.101/24` });
    const plain = await startVigil(lab, 'v', join(dir, 'a'), conf, ['--no-api', '-P']);
    daemons.push(plain);
    await waitState(plain, 'VI_1', 'MASTER', 30_000);
    const first = pidOf(join(dir, 'a', 'vrrp.pid'));
    process.kill(first, 'SIGKILL');
    await waitFor(
      'a new VRRP child',
      async () => existsSync(join(dir, 'a', 'vrrp.pid')) && pidOf(join(dir, 'a', 'vrrp.pid')) !== first,
      10_000,
    );
    assert.equal(plain.child.exitCode, null, 'without -R the daemon runs on');
    await stopDaemon(lab, plain, 'SIGTERM');

    const r = await startVigil(lab, 'v', join(dir, 'b'), conf, ['--no-api', '-P', '-R']);
    daemons.push(r);
    await waitState(r, 'VI_1', 'MASTER', 30_000);
    const exited = new Promise<number | null>((resolve) => r.child.once('exit', (code) => resolve(code)));
    process.kill(pidOf(join(dir, 'b', 'vrrp.pid')), 'SIGKILL');
    const code = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('running'), 10_000)),
    ]);
    assert.equal(code, 1, 'with -R the daemon exits 1');
    assert.match(r.output(), /not respawning \(-R\): stopping/);
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.kind} on ${d.node}:\n${d.output()}`);
    throw e;
  } finally {
    for (const d of daemons) await stopDaemon(lab, d, 'SIGKILL');
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keepalived.json, keepalived.stats and keepalived.data: vigil and a keepalived 2.2.7 next to it write the same shapes', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('keepalived'))) return;
  const lab = await createLab({
    nodes: [
      { name: 'k', addresses: [`${NET}.12/24`] },
      { name: 'v', addresses: [`${NET}.11/24`] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-dumps-'));
  const daemons: Daemon[] = [];
  try {
    // One instance each, different VRIDs: both become MASTER of their own.
    const conf = (vrid: number, vip: string): string =>
      instanceConf({ vrid, priority: 120, vip: `${vip}/24`, authPass: 'pw' });
    const tmp = { k: join(dir, 'k-tmp'), v: join(dir, 'v-tmp') };
    mkdirSync(tmp.k);
    mkdirSync(tmp.v);
    const k = await startKeepalived(lab, 'k', join(dir, 'k'), conf(95, `${NET}.110`), {
      ...process.env,
      TMPDIR: tmp.k,
    });
    daemons.push(k);
    const v = await startVigil(lab, 'v', join(dir, 'v'), conf(96, `${NET}.111`), ['--no-api', '-P'], {
      ...process.env,
      TMPDIR: tmp.v,
    });
    daemons.push(v);
    await waitState(v, 'VI_1', 'MASTER', 30_000);
    await waitFor('keepalived MASTER', async () => hasVip(lab, 'k', `${NET}.110`), 30_000, 200);
    const files = async (which: 'k' | 'v', pid: number): Promise<{ json: string; stats: string }> => {
      const at = Date.now() - 5;
      process.kill(pid, 36);
      process.kill(pid, 'SIGUSR2');
      const read = (name: string): Promise<string> =>
        waitFor(
          `${which}: ${name}`,
          async () => {
            const p = join(tmp[which], name);
            return existsSync(p) && statSync(p).mtimeMs >= at && readFileSync(p, 'utf8');
          },
          5000,
        );
      return { json: await read('keepalived.json'), stats: await read('keepalived.stats') };
    };
    const theirs = await files('k', pidOf(join(dir, 'k', 'k.pid')));
    const mine = await files('v', pidOf(join(dir, 'v', 'vigil.pid')));
    type Dump = { data: Record<string, unknown>; stats: Record<string, unknown> }[];
    const shape = (text: string): unknown =>
      (JSON.parse(text) as Dump).map((i) => ({
        data: Object.entries(i.data).map(([key, val]) => [key, Array.isArray(val) ? 'array' : typeof val]),
        stats: Object.keys(i.stats),
      }));
    assert.deepEqual(shape(mine.json), shape(theirs.json));
    const [kd, vd] = [JSON.parse(theirs.json) as Dump, JSON.parse(mine.json) as Dump];
    for (const key of [
      'iname',
      'state',
      'wantstate',
      'base_priority',
      'effective_priority',
      'version',
      'auth_type',
      'auth_data',
    ])
      assert.deepEqual(vd[0]!.data[key], kd[0]!.data[key], key);
    const labels = (s: string): string[] => s.split('\n').map((l) => l.replace(/\d+$/, 'N'));
    assert.deepEqual(labels(mine.stats), labels(theirs.stats));

    // keepalived.data's sockpool and interfaces sections: the same lines, values aside.
    const kData = await dataDump(join(tmp.k, 'keepalived.data'), pidOf(join(dir, 'k', 'k.pid')));
    const vData = await dataDump(join(tmp.v, 'keepalived.data'), pidOf(join(dir, 'v', 'vigil.pid')));
    for (const head of ['------< VRRP Sockpool >------', '------< Interfaces >------'])
      assert.deepEqual(section(vData, head).map(dataLabel), section(kData, head).map(dataLabel), head);
    // And the whole file, but for keepalived's lines about its own build and umask.
    assert.deepEqual(dataLabels(vData), dataLabels(kData));
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.kind} on ${d.node}:\n${d.output()}`);
    throw e;
  } finally {
    for (const d of daemons) await stopDaemon(lab, d, 'SIGKILL');
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A real keepalived 2.2.7 on `k` and vigil on `v`, each running one instance of its own VRID
 * (MASTER of it: keepalived's VIP `kVip` seen on k), then keepalived.data from both (SIGUSR1).
 */
async function dataSideBySide(o: {
  addresses: { k: string[]; v: string[] };
  kConf: string;
  vConf: string;
  kVip: string;
}): Promise<{ kData: string[]; vData: string[] }> {
  const lab = await createLab({
    nodes: [
      { name: 'k', addresses: o.addresses.k },
      { name: 'v', addresses: o.addresses.v },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-dumps-side-'));
  const daemons: Daemon[] = [];
  try {
    const tmp = { k: join(dir, 'k-tmp'), v: join(dir, 'v-tmp') };
    mkdirSync(tmp.k);
    mkdirSync(tmp.v);
    daemons.push(await startKeepalived(lab, 'k', join(dir, 'k'), o.kConf, { ...process.env, TMPDIR: tmp.k }));
    const v = await startVigil(lab, 'v', join(dir, 'v'), o.vConf, ['--no-api', '-P'], {
      ...process.env,
      TMPDIR: tmp.v,
    });
    daemons.push(v);
    await waitState(v, 'VI_1', 'MASTER', 30_000);
    await waitFor('keepalived MASTER', async () => hasVip(lab, 'k', o.kVip), 30_000, 200);
    return {
      kData: await dataDump(join(tmp.k, 'keepalived.data'), pidOf(join(dir, 'k', 'k.pid'))),
      vData: await dataDump(join(tmp.v, 'keepalived.data'), pidOf(join(dir, 'v', 'vigil.pid'))),
    };
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.kind} on ${d.node}:\n${d.output()}`);
    throw e;
  } finally {
    for (const d of daemons) await stopDaemon(lab, d, 'SIGKILL');
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('keepalived.data with unicast instances: vigil and a keepalived 2.2.7 next to it write the same lines', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('keepalived'))) return;
  // Each unicasts to the other, different VRIDs: both MASTER of their own, a unicast socket each.
  const conf = (vrid: number, vip: string, self: string, peer: string): string => `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id ${vrid}
  priority 120
  advert_int 1
  unicast_src_ip ${self}
  unicast_peer {
    ${peer}
  }
  virtual_ipaddress {
    ${vip}/24
  }
}
`;
  const { kData, vData } = await dataSideBySide({
    addresses: { k: [`${NET}.12/24`], v: [`${NET}.11/24`] },
    kConf: conf(97, `${NET}.112`, `${NET}.12`, `${NET}.11`),
    vConf: conf(98, `${NET}.113`, `${NET}.11`, `${NET}.12`),
    kVip: `${NET}.112`,
  });
  assert.deepEqual(dataLabels(vData), dataLabels(kData));
  assert.ok(vData.includes(`     ${NET}.12 min_ttl 0 max_ttl 255`), vData.join('\n'));
  const pool = section(vData, '------< VRRP Sockpool >------');
  assert.ok(pool.includes('   Type = Unicast') && pool.includes(`   Address = ${NET}.11`), pool.join('\n'));
});

test('keepalived.data with IPv6 instances: vigil and a keepalived 2.2.7 next to it write the same lines', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('keepalived'))) return;
  const conf = (vrid: number, vip: string): string =>
    instanceConf({ vrid, priority: 120, vip: `${vip}/64`, version: 3 });
  const { kData, vData } = await dataSideBySide({
    addresses: { k: [`${NET}.12/24`, 'fd00:91::12/64'], v: [`${NET}.11/24`, 'fd00:91::11/64'] },
    kConf: conf(93, 'fd00:91::110'),
    vConf: conf(94, 'fd00:91::111'),
    kVip: 'fd00:91::110',
  });
  assert.deepEqual(dataLabels(vData), dataLabels(kData));
  assert.ok(vData.includes('   Using Native IPv6'));
  assert.ok(vData.some((l) => /^ {3}Multicast address ff02::12, ifindex \d+$/.test(l)));
  assert.ok(section(vData, '------< VRRP Sockpool >------').includes('   Family = IPv6'));
});
