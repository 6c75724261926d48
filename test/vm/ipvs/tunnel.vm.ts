// `lb_kind TUN` with `type gue|gre|ipip`, `port` and `nocsum|csum|remcsum` on a real IPVS kernel
// (inside the QEMU guest only). One configuration is programmed three ways into the director's
// namespace: by Debian's keepalived 2.2.7, by hand with `ipvsadm -R` (--tun-type, --tun-port,
// --tun-*csum), and by `vigil run`; `ipvsadm -Ln --tun-info` and `ipvsadm -Sn` must print the same
// lines for all three. Then a client's HTTP requests cross a GUE and a GRE tunnel to a real server
// namespace that decapsulates them (fou's GUE port, the ipip and gre fallback devices), counted
// on the real server's side so that each request is known to have taken its tunnel. The GRE
// device there expects checksums (icsum): the kernel drops GRE packets whose checksum flag
// differs from the device's, so the requests prove that `csum` reached the kernel.
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startKeepalived, startVigil, stopChild, until } from './support.js';

const id = `vg${Math.random().toString(36).slice(2, 7)}`;
const ns = { c: `${id}c`, d: `${id}d`, r: `${id}r` };
const dir = mkdtempSync(join(tmpdir(), 'vg-tun-'));
const VIP = '10.0.1.100';
const RS = '10.0.2.2';
const children: ChildProcess[] = [];

const sh = (script: string) => execFileSync('bash', ['-ec', script], { encoding: 'utf8' });
const inNs = (n: string, ...cmd: string[]) =>
  execFileSync('ip', ['netns', 'exec', n, ...cmd], { encoding: 'utf8' });
/** The two listings compared: the table with each real server's tunnel, and the rules that rebuild it. */
const listings = () => ({
  tunInfo: inNs(ns.d, 'ipvsadm', '-Ln', '--tun-info'),
  save: inNs(ns.d, 'ipvsadm', '-Sn'),
});

// VIP:80 reaches the real server through GUE (port 6080), VIP:81 through GRE with checksums;
// 10.0.1.101:80 holds every other combination keepalived accepts (its servers need not exist).
const rs = (addr: string, port: number, weight: number, method?: string) =>
  `    real_server ${addr} ${port} {
        weight ${weight}
${method ? `        lvs_method ${method}\n` : ''}    }
`;
const vs = (addr: string, port: number, sched: string, kind: string, servers: string) =>
  `virtual_server ${addr} ${port} {
    lb_algo ${sched}
    lb_kind ${kind}
    protocol TCP
${servers}}
`;
const CONFIG =
  `global_defs {
    router_id ${id}
}
` +
  vs(VIP, 80, 'rr', 'TUN', rs(RS, 80, 1, 'TUN type gue port 6080')) +
  vs(VIP, 81, 'rr', 'TUN', rs(RS, 81, 1, 'TUN type gre csum')) +
  vs(
    '10.0.1.101',
    80,
    'wrr',
    'TUN',
    rs('10.0.3.1', 80, 1, 'TUN type gue port 6081 csum') +
      rs('10.0.3.2', 80, 2, 'TUN type gue port 6082 remcsum') +
      rs('10.0.3.3', 80, 3, 'TUN type gue port 6083 nocsum') +
      rs('10.0.3.4', 80, 4, 'TUN type gre') +
      rs('10.0.3.5', 80, 5, 'TUN type ipip') +
      rs('10.0.3.6', 80, 6),
  ) +
  // the virtual server's own tunnel settings are its real servers' default
  vs('10.0.1.102', 80, 'rr', 'TUN type gue port 7000 csum', rs('10.0.3.7', 80, 1));

// The same table as ipvsadm's own options program it.
const IPVSADM_RULES = `-A -t ${VIP}:80 -s rr
-a -t ${VIP}:80 -r ${RS}:80 -i -w 1 --tun-type gue --tun-port 6080
-A -t ${VIP}:81 -s rr
-a -t ${VIP}:81 -r ${RS}:81 -i -w 1 --tun-type gre --tun-csum
-A -t 10.0.1.101:80 -s wrr
-a -t 10.0.1.101:80 -r 10.0.3.1:80 -i -w 1 --tun-type gue --tun-port 6081 --tun-csum
-a -t 10.0.1.101:80 -r 10.0.3.2:80 -i -w 2 --tun-type gue --tun-port 6082 --tun-remcsum
-a -t 10.0.1.101:80 -r 10.0.3.3:80 -i -w 3 --tun-type gue --tun-port 6083 --tun-nocsum
-a -t 10.0.1.101:80 -r 10.0.3.4:80 -i -w 4 --tun-type gre
-a -t 10.0.1.101:80 -r 10.0.3.5:80 -i -w 5 --tun-type ipip
-a -t 10.0.1.101:80 -r 10.0.3.6:80 -i -w 6
-A -t 10.0.1.102:80 -s rr
-a -t 10.0.1.102:80 -r 10.0.3.7:80 -i -w 1 --tun-type gue --tun-port 7000 --tun-csum
`;

/** Until the director's table holds all 9 real servers (no checks: all are in at once). */
const programmed = (what: string) =>
  until(
    what,
    () => ((inNs(ns.d, 'ipvsadm', '-Sn').match(/^-a /gm) ?? []).length === 9 ? true : undefined),
    180_000,
  );

before(() => {
  assert.equal(process.env.IPVS_VM, '1', 'these tests run inside scripts/ipvs-vm.sh');
  // client 10.0.1.2 -- eth1 director eth2 -- 10.0.2.2 real server; the director routes the
  // real server's replies (source: the VIP, one of its own addresses, hence accept_local).
  sh(`modprobe ip_vs; modprobe fou; modprobe ipip; modprobe ip_gre
    for n in ${Object.values(ns).join(' ')}; do ip netns add $n; ip -n $n link set lo up; done
    ip -n ${ns.d} link add eth1 type veth peer name eth0 netns ${ns.c}
    ip -n ${ns.d} link add eth2 type veth peer name eth0 netns ${ns.r}
    ip -n ${ns.c} addr add 10.0.1.2/24 dev eth0; ip -n ${ns.c} link set eth0 up
    ip -n ${ns.c} route add default via 10.0.1.1
    ip -n ${ns.d} addr add 10.0.1.1/24 dev eth1; ip -n ${ns.d} addr add ${VIP}/32 dev eth1
    ip -n ${ns.d} addr add 10.0.2.1/24 dev eth2
    ip -n ${ns.d} link set eth1 up; ip -n ${ns.d} link set eth2 up
    ip netns exec ${ns.d} sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \\
      net.ipv4.conf.eth2.rp_filter=0 net.ipv4.conf.eth2.accept_local=1
    ip -n ${ns.r} addr add ${RS}/24 dev eth0; ip -n ${ns.r} link set eth0 up
    ip -n ${ns.r} route add default via 10.0.2.1
    ip -n ${ns.r} addr add ${VIP}/32 dev lo
    ip -n ${ns.r} fou add port 6080 gue
    ip -n ${ns.r} link add gre1 type gre local ${RS} icsum
    ip -n ${ns.r} link set tunl0 up; ip -n ${ns.r} link set gre0 up; ip -n ${ns.r} link set gre1 up
    ip netns exec ${ns.r} sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.tunl0.rp_filter=0 \\
      net.ipv4.conf.gre0.rp_filter=0 net.ipv4.conf.gre1.rp_filter=0`);
  for (const port of [80, 81]) {
    const www = join(dir, `www${port}`);
    mkdirSync(www);
    writeFileSync(join(www, 'index.html'), `real server port ${port}\n`);
    sh(`ip netns exec ${ns.r} busybox httpd -p ${port} -h ${www}`);
  }
  writeFileSync(join(dir, 'tun.conf'), CONFIG);
});

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  sh(`for n in ${Object.values(ns).join(' ')}; do for p in $(ip netns pids $n 2>/dev/null); do kill -9 $p 2>/dev/null || true; done; done
    for n in ${Object.values(ns).join(' ')}; do ip netns del $n 2>/dev/null || true; done`);
  rmSync(dir, { recursive: true, force: true });
});

let reference: { tunInfo: string; save: string } | undefined;

test('keepalived 2.2.7 and ipvsadm --tun-type/--tun-port/--tun-*csum program the same table', async () => {
  const ka = startKeepalived(ns.d, join(dir, 'tun.conf'), dir, ['-C']);
  children.push(ka);
  await programmed('keepalived programs its table');
  const byKeepalived = listings();
  await stopChild(ka);
  assert.equal(inNs(ns.d, 'ipvsadm', '-Sn'), '', 'keepalived removed its services at stop');
  execFileSync('ip', ['netns', 'exec', ns.d, 'ipvsadm', '-R'], { input: IPVSADM_RULES });
  const byIpvsadm = listings();
  inNs(ns.d, 'ipvsadm', '-C');
  assert.deepEqual(byKeepalived.tunInfo.split('\n'), byIpvsadm.tunInfo.split('\n'));
  assert.deepEqual(byKeepalived.save.split('\n'), byIpvsadm.save.split('\n'));
  // the listing shows the encapsulations (not ipip everywhere, as a dropped option would);
  // ipvsadm writes nocsum -c, csum +c, remcsum r+c
  assert.match(byIpvsadm.tunInfo, /-> 10\.0\.2\.2:80 +Tunnel +gue:6080:-c +1 /);
  assert.match(byIpvsadm.tunInfo, /-> 10\.0\.3\.2:80 +Tunnel +gue:6082:r\+c +2 /);
  assert.match(byIpvsadm.tunInfo, /-> 10\.0\.2\.2:81 +Tunnel +gre:\+c +1 /);
  reference = byIpvsadm;
});

test('vigil run programs it line for line as they do, and traffic crosses the GUE and GRE tunnels', async () => {
  assert.ok(reference, 'the reference listings');
  const vigil = startVigil(ns.d, join(dir, 'tun.conf'), join(dir, 'rt'), 'inherit', ['--lvs-engine', 'ipvs']);
  children.push(vigil);
  await programmed('vigil programs its table');
  const byVigil = listings();
  assert.deepEqual(byVigil.tunInfo.split('\n'), reference.tunInfo.split('\n'));
  assert.deepEqual(byVigil.save.split('\n'), reference.save.split('\n'));

  // What the real server received, by path: GUE arrives as UDP datagrams on fou's port and is
  // handed to the ipip device; GRE with checksums arrives on gre1.
  const counters = () => {
    const udp = inNs(ns.r, 'cat', '/proc/net/snmp')
      .split('\n')
      .filter((l) => l.startsWith('Udp:'));
    const col = udp[0]!.split(/\s+/).indexOf('InDatagrams');
    const rx = (dev: string) => Number(inNs(ns.r, 'cat', `/sys/class/net/${dev}/statistics/rx_packets`));
    return { udp: Number(udp[1]!.split(/\s+/)[col]), tunl0: rx('tunl0'), gre1: rx('gre1') };
  };
  const get = (port: number) => inNs(ns.c, 'curl', '-sS', '--max-time', '10', `http://${VIP}:${port}/`);
  const delta = (f: () => string) => {
    const before = counters();
    const body = f();
    const after = counters();
    return {
      body,
      udp: after.udp - before.udp,
      tunl0: after.tunl0 - before.tunl0,
      gre1: after.gre1 - before.gre1,
    };
  };
  const gue = delta(() => get(80));
  assert.equal(gue.body, 'real server port 80\n');
  assert.ok(gue.udp >= 3 && gue.tunl0 >= 3 && gue.gre1 === 0, `GUE path: ${JSON.stringify(gue)}`);
  const gre = delta(() => get(81));
  assert.equal(gre.body, 'real server port 81\n');
  assert.ok(gre.gre1 >= 3 && gre.udp === 0 && gre.tunl0 === 0, `GRE path: ${JSON.stringify(gre)}`);
  // the director counted the connections on the tunnelled real servers
  assert.match(inNs(ns.d, 'ipvsadm', '-Ln', '--stats'), /-> 10\.0\.2\.2:80 +1 /);

  await stopChild(vigil);
  assert.equal(inNs(ns.d, 'ipvsadm', '-Sn'), '', 'vigil removed its services at stop');
});
