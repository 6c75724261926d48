// What the IPVS table holds after start and after stop (inside the QEMU guest only). Each case
// runs Debian's keepalived 2.2.7 and then `vigil run` on the same configuration over the same
// starting table (foreign services programmed with ipvsadm), and both must leave the same tables,
// as keepalived's check_daemon.c / ipwrapper.c have it: without lvs_flush foreign services are
// left alone and a stop removes exactly the daemon's own; lvs_flush empties the table at start;
// lvs_flush_on_stop empties it at stop, foreign services included; --dont-release-ipvs (-I)
// removes nothing. The first case is also the clean stop with VRRP: addresses, routes, rules, the
// IPVS table and its sync daemons are equal before start and after SIGTERM.
// (lvs_flush_on_stop VS differs from the default only in notify scripts, not in the table.)
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startKeepalived, startVigil, stopChild, until } from './support.js';

const id = `vg${Math.random().toString(36).slice(2, 7)}`;
const ns = { d: `${id}d`, peer: `${id}p` };
const dir = mkdtempSync(join(tmpdir(), 'vg-stop-'));
const children: ChildProcess[] = [];

const sh = (script: string) => execFileSync('bash', ['-ec', script], { encoding: 'utf8' });
const inNs = (...cmd: string[]) => execFileSync('ip', ['netns', 'exec', ns.d, ...cmd], { encoding: 'utf8' });
/** `ipvsadm -Sn` as sorted lines: the table, independent of hash order. */
const table = () => inNs('ipvsadm', '-Sn').split('\n').filter(Boolean).sort();

const FOREIGN = ['-A -t 10.0.9.9:80 -s rr', '-a -t 10.0.9.9:80 -r 10.0.9.2:80 -g -w 1', '-A -f 9 -s wlc'];
const OWN = [
  '-A -t 10.0.5.100:80 -s rr',
  '-a -t 10.0.5.100:80 -r 10.0.5.2:80 -g -w 1',
  '-a -t 10.0.5.100:80 -r 10.0.5.3:80 -g -w 2',
  '-A -u 10.0.5.100:53 -s wlc',
  '-a -u 10.0.5.100:53 -r 10.0.5.4:53 -g -w 3',
];
const sorted = (...lines: string[][]) => lines.flat().sort();

const VRRP = `vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 57
    priority 150
    advert_int 1
    virtual_ipaddress {
        10.0.5.100/32 dev eth0
    }
    virtual_routes {
        10.0.8.0/24 via 10.0.7.254 dev eth0
    }
}
`;

const config = (globals: string) => `global_defs {
    router_id ${id}
${globals}}
virtual_server 10.0.5.100 80 {
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 10.0.5.2 80 {
        weight 1
    }
    real_server 10.0.5.3 80 {
        weight 2
    }
}
virtual_server 10.0.5.100 53 {
    lb_algo wlc
    lb_kind DR
    protocol UDP
    real_server 10.0.5.4 53 {
        weight 3
    }
}
`;

before(() => {
  assert.equal(process.env.IPVS_VM, '1', 'these tests run inside scripts/ipvs-vm.sh');
  // No duplicate address detection: a link-local address still 'tentative' when the first
  // snapshot is taken would differ from itself after the stop.
  sh(`modprobe ip_vs
    for n in ${ns.d} ${ns.peer}; do ip netns add $n; ip -n $n link set lo up
      ip netns exec $n sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0; done
    ip -n ${ns.d} link add eth0 type veth peer name eth0 netns ${ns.peer}
    ip -n ${ns.d} addr add 10.0.7.1/24 dev eth0; ip -n ${ns.d} link set eth0 up
    ip -n ${ns.peer} addr add 10.0.7.254/24 dev eth0; ip -n ${ns.peer} link set eth0 up`);
});

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  sh(`for n in ${ns.d} ${ns.peer}; do for p in $(ip netns pids $n 2>/dev/null); do kill -9 $p 2>/dev/null || true; done; done
    for n in ${ns.d} ${ns.peer}; do ip netns del $n 2>/dev/null || true; done`);
  rmSync(dir, { recursive: true, force: true });
});

/** Everything a director's daemon may add to its namespace, as the kernel lists it. */
const snapshot = () => ({
  addresses: JSON.parse(inNs('ip', '-j', 'address', 'show')) as unknown,
  routes4: JSON.parse(inNs('ip', '-j', '-4', 'route', 'show', 'table', 'all')) as unknown,
  routes6: JSON.parse(inNs('ip', '-j', '-6', 'route', 'show', 'table', 'all')) as unknown,
  rules: JSON.parse(inNs('ip', '-j', 'rule', 'show')) as unknown,
  ipvs: table(),
  syncDaemons: inNs('ipvsadm', '-L', '--daemon'),
});

interface Case {
  /** global_defs lines */
  globals: string;
  /** command-line flags, the same for both daemons */
  flags: string[];
  vrrp?: boolean;
  /** true once the daemon has done what it does at start */
  ready: (t: string[]) => boolean;
  /** run while the daemon runs, before the stop */
  meanwhile?: () => void;
}

const restoreForeign = () =>
  execFileSync('ip', ['netns', 'exec', ns.d, 'ipvsadm', '-R'], { input: FOREIGN.join('\n') + '\n' });

/**
 * The foreign services in an otherwise empty table, then DAEMON: the namespace before start,
 * the table once the daemon is ready, and the namespace after SIGTERM.
 */
async function lifecycle(daemon: 'keepalived' | 'vigil', c: Case) {
  inNs('ipvsadm', '-C');
  restoreForeign();
  const before = snapshot();
  const conf = join(dir, `${daemon}.conf`);
  writeFileSync(conf, config(c.globals) + (c.vrrp ? VRRP : ''));
  const flags = c.vrrp ? c.flags : ['-C', ...c.flags];
  const child =
    daemon === 'keepalived'
      ? startKeepalived(ns.d, conf, dir, flags)
      : startVigil(ns.d, conf, join(dir, 'rt'), 'inherit', ['--lvs-engine', 'ipvs', ...flags]);
  children.push(child);
  try {
    const t0 = Date.now();
    const running = await until(
      `${daemon} starts`,
      () => {
        const t = table();
        return c.ready(t) ? t : undefined;
      },
      180_000,
    );
    console.log(`# ${daemon}: ready after ${Date.now() - t0} ms`);
    c.meanwhile?.();
    await stopChild(child);
    return { before, running, after: snapshot() };
  } finally {
    // a failed case must not leave its daemon to the next one
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

const own = (t: string[]) => OWN.every((l) => t.includes(l));

test('without lvs_flush: foreign services stay; a stop with VRRP leaves the namespace as it was', async () => {
  const c: Case = {
    globals: '    lvs_sync_daemon eth0 VI_1\n',
    flags: [],
    vrrp: true,
    // master: the VIP, its route and the master sync daemon are in, and the services
    ready: (t) =>
      own(t) &&
      inNs('ip', '-4', 'address', 'show', 'dev', 'eth0').includes('10.0.5.100/32') &&
      inNs('ip', '-4', 'route', 'show').includes('10.0.8.0/24') &&
      inNs('ipvsadm', '-L', '--daemon').includes('master sync daemon'),
  };
  const ka = await lifecycle('keepalived', c);
  assert.deepEqual(ka.running, sorted(FOREIGN, OWN), 'keepalived 2.2.7 while running');
  assert.deepEqual(ka.after, ka.before, 'keepalived 2.2.7 after its stop');
  const vg = await lifecycle('vigil', c);
  assert.deepEqual(vg.running, ka.running, 'vigil while running');
  assert.deepEqual(vg.after, vg.before, 'vigil after its stop');
});

test('lvs_flush empties the table at start, lvs_flush_on_stop at stop (foreign services too)', async () => {
  const c: Case = {
    globals: '    lvs_flush\n    lvs_flush_on_stop\n',
    flags: [],
    // the flush comes before the own services are programmed
    ready: own,
    // a foreign service added while the daemon runs goes at stop as well
    meanwhile: () => (table().includes(FOREIGN[0]!) ? undefined : restoreForeign()),
  };
  const ka = await lifecycle('keepalived', c);
  assert.deepEqual(ka.running, sorted(OWN), 'keepalived 2.2.7 while running');
  assert.deepEqual(ka.after.ipvs, [], 'keepalived 2.2.7 after its stop');
  const vg = await lifecycle('vigil', c);
  assert.deepEqual(vg.running, ka.running, 'vigil while running');
  assert.deepEqual(vg.after.ipvs, ka.after.ipvs, 'vigil after its stop');
});

test('--dont-release-ipvs: a stop leaves the whole table, lvs_flush_on_stop notwithstanding', async () => {
  const c: Case = { globals: '    lvs_flush_on_stop\n', flags: ['--dont-release-ipvs'], ready: own };
  const ka = await lifecycle('keepalived', c);
  assert.deepEqual(ka.after.ipvs, sorted(FOREIGN, OWN), 'keepalived 2.2.7 after its stop');
  const vg = await lifecycle('vigil', c);
  assert.deepEqual(vg.after.ipvs, ka.after.ipvs, 'vigil after its stop');
});
