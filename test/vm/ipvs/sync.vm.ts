// lvs_sync_daemon on a real IPVS kernel (inside the QEMU guest only): two directors, each a
// network namespace running `vigil run` with VRRP and an IPVS DR virtual server, share a LAN
// with a real server and with this namespace, the client. The client opens a TCP connection
// through the VIP and talks on it; the master is stopped; the backup takes the VIP, and the same
// connection keeps working because the kernel's sync daemon had copied its entry to the backup.
// Without the synced entry the new master would answer the client's next segment with a reset
// (IPVS schedules only on SYN, and the VIP is local there).
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { startVigil, until } from './support.js';

const run = promisify(execFile);
const id = `vg${Math.random().toString(36).slice(2, 7)}`;
const ns = { lan: `${id}l`, d1: `${id}d1`, d2: `${id}d2`, rs: `${id}r` };
const VIP = '10.9.0.100';
const RS = '10.9.0.21';
const SYNCID = 7;
const dir = mkdtempSync(join(tmpdir(), 'vg-sync-'));
const daemons = new Map<string, ChildProcess>();
let rsPid: number | undefined;
let client: net.Socket | undefined;

const sh = (script: string) => execFileSync('bash', ['-ec', script], { encoding: 'utf8' });
const inNs = (n: string, ...cmd: string[]) =>
  execFileSync('ip', ['netns', 'exec', n, ...cmd], { encoding: 'utf8' });

before(() => {
  assert.equal(process.env.IPVS_VM, '1', 'these tests run inside scripts/ipvs-vm.sh');
  // One bridge (in its own namespace) is the LAN; this namespace is the client at 10.9.0.2.
  // Multicast snooping off: the sync daemons talk over 224.0.0.81 and must not wait for IGMP.
  let script = `modprobe ip_vs
    ip netns add ${ns.lan}
    ip -n ${ns.lan} link add br0 type bridge mcast_snooping 0; ip -n ${ns.lan} link set br0 up
    ip link add ${id}c type veth peer name p0 netns ${ns.lan}
    ip -n ${ns.lan} link set p0 master br0 up
    ip addr add 10.9.0.2/24 dev ${id}c; ip link set ${id}c up\n`;
  const hosts: [string, string][] = [
    [ns.d1, '10.9.0.11'],
    [ns.d2, '10.9.0.12'],
    [ns.rs, RS],
  ];
  hosts.forEach(([n, addr], i) => {
    script += `ip netns add ${n}
      ip -n ${ns.lan} link add p${i + 1} type veth peer name eth0 netns ${n}
      ip -n ${ns.lan} link set p${i + 1} master br0 up
      ip -n ${n} addr add ${addr}/24 dev eth0; ip -n ${n} link set eth0 up; ip -n ${n} link set lo up\n`;
  });
  // The DR real server holds the VIP on lo and neither answers nor announces ARP for it.
  script += `ip netns exec ${ns.rs} sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
    ip -n ${ns.rs} addr add ${VIP}/32 dev lo\n`;
  sh(script);
  // An echo server: one connection is all the test needs (busybox nc -e cat).
  const echo = spawn('ip', ['netns', 'exec', ns.rs, 'busybox', 'nc', '-l', '-p', '80', '-e', 'cat'], {
    stdio: 'ignore',
  });
  rsPid = echo.pid;
});

after(async () => {
  client?.destroy();
  for (const d of daemons.values()) if (d.exitCode === null && d.signalCode === null) d.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  if (rsPid) {
    try {
      process.kill(rsPid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  // whatever still runs in our namespaces was started by this suite (vigil's children, nc)
  sh(`for n in ${Object.values(ns).join(' ')}; do for p in $(ip netns pids $n 2>/dev/null); do kill -9 $p 2>/dev/null || true; done; done
    ip link del ${id}c 2>/dev/null || true
    for n in ${Object.values(ns).join(' ')}; do ip netns del $n 2>/dev/null || true; done`);
  rmSync(dir, { recursive: true, force: true });
});

function config(name: string, priority: number): string {
  return `global_defs {
    router_id ${name}
    lvs_engine ipvs
    lvs_sync_daemon eth0 VI_1 id ${SYNCID}
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority ${priority}
    advert_int 1
    virtual_ipaddress {
        ${VIP}/32 dev eth0
    }
}
virtual_server ${VIP} 80 {
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server ${RS} 80 {
        weight 1
    }
}
`;
}

function startDirector(n: string, name: string, priority: number): string {
  const conf = join(dir, `${name}.conf`);
  writeFileSync(conf, config(name, priority));
  const rt = join(dir, name);
  const d = startVigil(n, conf, rt);
  daemons.set(name, d);
  return rt;
}

async function vrrpState(rt: string): Promise<string | undefined> {
  const r = await run(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'status', '--json', '--runtime-dir', rt],
    {
      encoding: 'utf8',
    },
  );
  const s = JSON.parse(r.stdout) as {
    children: { vrrp?: { status?: { instances?: { name: string; state: string }[] } } };
  };
  return s.children.vrrp?.status?.instances?.find((i) => i.name === 'VI_1')?.state;
}

/** `ipvsadm -L --daemon` in a director: "master sync daemon (mcast=eth0, syncid=7, ...)" lines. */
const daemonsIn = (n: string) =>
  inNs(n, 'ipvsadm', '-L', '--daemon')
    .split('\n')
    .filter((l) => l.includes('sync daemon'));

/** The TCP entry client -> VIP -> real server in a director's connection table (ipvsadm -Lnc). */
const entryIn = (n: string, clientPort: number) =>
  inNs(n, 'ipvsadm', '-Lnc')
    .split('\n')
    .find((l) => l.includes(`10.9.0.2:${clientPort}`) && l.includes(`${VIP}:80`) && l.includes(`${RS}:80`));

/** Sends one line on the connection and waits for its echo. */
function roundTrip(sock: net.Socket, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = '';
    const timer = setTimeout(
      () => done(new Error(`no echo of '${line}' within 15 s (got '${got}')`)),
      15_000,
    );
    const onData = (b: Buffer) => {
      got += b.toString();
      if (got.includes(`${line}\n`)) done();
    };
    const onEnd = (e?: Error) => done(e ?? new Error(`connection closed before the echo of '${line}'`));
    const done = (e?: Error) => {
      clearTimeout(timer);
      sock.off('data', onData).off('error', onEnd).off('close', onClose);
      if (e) reject(e);
      else resolve();
    };
    const onClose = () => onEnd();
    sock.on('data', onData).on('error', onEnd).on('close', onClose);
    sock.write(`${line}\n`);
  });
}

test(
  'lvs_sync_daemon: an established connection survives a director failover',
  { timeout: 400_000 },
  async () => {
    const rt1 = startDirector(ns.d1, 'd1', 150);
    const rt2 = startDirector(ns.d2, 'd2', 100);
    await until('d1 MASTER', async () => ((await vrrpState(rt1)) === 'MASTER' ? true : undefined), 180_000);
    await until('d2 BACKUP', async () => ((await vrrpState(rt2)) === 'BACKUP' ? true : undefined), 60_000);
    // The VRRP state drives the kernel's daemons: master on d1, backup on d2, with our sync id.
    const d1 = await until(
      'master sync daemon on d1',
      () => (daemonsIn(ns.d1).length ? daemonsIn(ns.d1) : undefined),
      30_000,
    );
    assert.equal(d1.length, 1, d1.join('\n'));
    assert.match(d1[0]!, new RegExp(`^master sync daemon \\(mcast=eth0, syncid=${SYNCID}\\b`));
    const d2 = await until(
      'backup sync daemon on d2',
      () => (daemonsIn(ns.d2).length ? daemonsIn(ns.d2) : undefined),
      30_000,
    );
    assert.equal(d2.length, 1, d2.join('\n'));
    assert.match(d2[0]!, new RegExp(`^backup sync daemon \\(mcast=eth0, syncid=${SYNCID}\\b`));
    // The checker child programmed the DR service on both.
    await until(
      'IPVS service on d2',
      () => (inNs(ns.d2, 'ipvsadm', '-Ln').includes(`${RS}:80`) ? true : undefined),
      60_000,
    );

    // The client connects through the VIP (to d1) and talks: the kernel syncs an entry once it has
    // seen a few packets of it (sync_threshold 3), and flushes to the backup within ~2 s.
    client = await until(
      'connection through the VIP',
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect({ host: VIP, port: 80, localAddress: '10.9.0.2' }, () => resolve(s));
          s.once('error', reject);
        }),
      30_000,
    );
    const clientPort = client.localPort!;
    for (let i = 0; i < 4; i++) await roundTrip(client, `before ${i}`);
    assert.ok(entryIn(ns.d1, clientPort), 'the master has the connection entry');
    const synced = await until('the entry synced to d2', () => entryIn(ns.d2, clientPort), 30_000);
    assert.match(synced, /ESTABLISHED/);

    // Fail over: the master stops (resigning with priority 0), the backup takes the VIP.
    daemons.get('d1')!.kill('SIGTERM');
    await until('d2 MASTER', async () => ((await vrrpState(rt2)) === 'MASTER' ? true : undefined), 60_000);
    const after2 = await until(
      'd2 switches to a master sync daemon',
      () => (daemonsIn(ns.d2).some((l) => l.startsWith('master')) ? daemonsIn(ns.d2) : undefined),
      30_000,
    );
    assert.deepEqual(
      after2.map((l) => l.split(' ')[0]),
      ['master'],
      'the backup daemon stopped when the master one started',
    );
    assert.ok(inNs(ns.d2, 'ip', '-4', 'addr', 'show', 'dev', 'eth0').includes(VIP), 'd2 holds the VIP');

    // The same connection, through the new master.
    for (let i = 0; i < 3; i++) await roundTrip(client, `after ${i}`);
    assert.equal(client.destroyed, false);

    // On shutdown the director stops its sync daemon.
    const stopped = daemons.get('d2')!;
    const exited = new Promise((r) => stopped.once('exit', r));
    stopped.kill('SIGTERM');
    await exited;
    assert.deepEqual(daemonsIn(ns.d2), []);
  },
);
