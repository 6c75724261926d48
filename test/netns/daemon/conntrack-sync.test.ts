// conntrack_sync: two vigil directors with the nft engine in NAT mode replicate conntrack through
// Debian's conntrackd; a client holds one TCP connection through the VIP to a real server, the
// master is stopped, and that same connection carries bytes both ways through the new master.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, natTopology, type Lab } from '../../../src/lab/index.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import { startVigil, stopDaemon, waitFor, waitState, type Daemon } from '../vrrpd/harness.js';
import { HOLDER, SERVER, lines } from './tcp-session.js';

const topo = natTopology(61);
const PORT = 7000;

function conf(priority: number): string {
  const rs = (a: string): string => `    real_server ${a} ${PORT} {
        TCP_CHECK {
            connect_timeout 1
        }
    }`;
  return `global_defs {
    lvs_engine nft
    conntrack_sync eth1 VI_1
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 61
    priority ${priority}
    advert_int 1
    virtual_ipaddress {
        ${topo.vip4}/24 dev eth0
        ${topo.gatewayVip4}/24 dev eth1
    }
}
virtual_server ${topo.vip4} ${PORT} {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
${rs(topo.ipv4.rs1)}
${rs(topo.ipv4.rs2)}
}
`;
}

describe('conntrack_sync: nft NAT connections survive a director failover', () => {
  let lab: Lab | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'vg-ct-'));
  const daemons: Daemon[] = [];
  const unavailable = [netnsUnavailable(), commandUnavailable('nft'), commandUnavailable('conntrackd')];

  before(async () => {
    if (unavailable.some(Boolean)) return;
    lab = await createLab(topo.spec);
    // No mid-stream pickup: without the replicated entry the new master would take the
    // connection's next packet as INVALID, so only conntrack_sync can carry it over.
    for (const d of ['director1', 'director2'])
      await lab.exec(d, ['sysctl', '-q', '-w', 'net.netfilter.nf_conntrack_tcp_loose=0']);
    for (const rs of ['rs1', 'rs2']) {
      const server = lab.spawn(rs, [process.execPath, '-e', SERVER, rs, String(PORT)]);
      assert.equal(await lines(server).next(`${rs} listening`), 'ready');
    }
  });

  after(async () => {
    for (const d of daemons) if (lab) await stopDaemon(lab, d, 'SIGKILL');
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  // Shared by the steps, in order: each one starts where the previous one left the lab.
  let d1: Daemon;
  let d2: Daemon;
  let out: ReturnType<typeof lines>;
  let client: ChildProcess;
  let server = '';
  let conn = '';
  let clientPort = '';
  let n = 1;
  const ctd = (d: Daemon, ...args: string[]): Promise<{ stdout: string }> =>
    lab!.exec(d.node, ['conntrackd', '-C', join(d.dir, 'conntrackd.conf'), ...args]);
  /** The director's conntrackd external cache (entries replicated from its peer) has the connection. */
  const inExternalCache = (d: Daemon): Promise<boolean> =>
    waitFor(
      `${d.node}: external cache holds the connection`,
      async () =>
        (await ctd(d, '-e').catch(() => ({ stdout: '' }))).stdout
          .split('\n')
          .some((l) => l.includes(`sport=${clientPort}`) && l.includes('ESTABLISHED')),
      10_000,
    );
  /** The director's kernel table has the connection with its NAT binding (committed by -c). */
  const inKernel = (node: string): Promise<boolean> =>
    waitFor(
      `${node}: kernel conntrack has the connection`,
      async () => {
        const ct = (
          await lab!.exec(node, ['conntrack', '-L', '-p', 'tcp', '--sport', clientPort], {
            allowFailure: true,
          })
        ).stdout;
        return ct.includes('ESTABLISHED') && ct.includes(`dst=${topo.vip4}`);
      },
      10_000,
    );
  /** The conntrackd processes in a node's namespace. */
  const conntrackdPids = async (node: string): Promise<number[]> =>
    (await lab!.exec(node, ['ip', 'netns', 'pids', lab!.node(node).ns])).stdout
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'conntrackd';
        } catch {
          return false; // gone meanwhile
        }
      });
  /** A short line and a 200 kB one, answered by the same server on the same connection. */
  async function sameConnectionWorks(through: string): Promise<void> {
    client.stdin!.write('ping\n');
    assert.equal(await out.next(`answer through ${through}`), `${server} conn=${conn} n=${++n} len=4`);
    client.stdin!.write('LEN:200000\n');
    assert.equal(await out.next(`200 kB through ${through}`), `${server} conn=${conn} n=${++n} len=200000`);
    assert.ok(!out.all.some((l) => l.startsWith('closed') || l.startsWith('error')), out.all.join(' | '));
  }

  it("the backup holds the master's connection in conntrackd's external cache", async (t) => {
    if (!requireSystem(t, ...unavailable) || !lab) return;
    d1 = await startVigil(lab, 'director1', join(dir, 'd1'), conf(150));
    daemons.push(d1);
    await waitState(d1, 'VI_1', 'MASTER', 15_000);
    d2 = await startVigil(lab, 'director2', join(dir, 'd2'), conf(100));
    daemons.push(d2);
    await waitState(d2, 'VI_1', 'BACKUP', 15_000);
    await waitFor(
      "both real servers in director1's nft table",
      async () => {
        const nft = (await lab!.exec('director1', ['nft', 'list', 'table', 'inet', 'vigil'])).stdout;
        return nft.includes(topo.ipv4.rs1) && nft.includes(topo.ipv4.rs2);
      },
      15_000,
    );
    client = lab.spawn('client', [process.execPath, '-e', HOLDER, topo.vip4, String(PORT)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    out = lines(client);
    const connected = await out.next('client connected');
    assert.match(connected, /^connected \d+$/);
    clientPort = connected.split(' ')[1]!;
    client.stdin!.write('hello\n');
    const first = /^(rs[12]) conn=(\d+) n=1 len=5$/.exec(await out.next('first answer'));
    assert.ok(first, `unexpected first answer: ${out.all.join(' | ')}`);
    [, server, conn] = first as unknown as [string, string, string];
    assert.ok(await inExternalCache(d2));
    // primary-backup.sh's steps, as each director's log tells them.
    assert.match(d1.output(), /conntrack_sync: VI_1 MASTER: conntrackd -c, -f, -R, -B\n/);
    assert.match(d2.output(), /conntrack_sync: VI_1 BACKUP: conntrackd -t, -n\n/);
  });

  it('SIGTERM on the master: the same connection works through the new master', async (t) => {
    if (!requireSystem(t, ...unavailable) || !lab) return;
    await stopDaemon(lab, d1, 'SIGTERM');
    await waitState(d2, 'VI_1', 'MASTER', 10_000);
    assert.ok(await inKernel('director2'));
    await sameConnectionWorks('director2');
  });

  it('a restarted director learns the connection (-n resync) and carries it when it preempts', async (t) => {
    if (!requireSystem(t, ...unavailable) || !lab) return;
    d1 = await startVigil(lab, 'director1', join(dir, 'd1'), conf(150));
    daemons.push(d1);
    // It starts as backup and asks the master for everything: the connection arrives in bulk.
    assert.ok(await inExternalCache(d1));
    await waitState(d1, 'VI_1', 'MASTER', 15_000);
    await waitState(d2, 'VI_1', 'BACKUP', 5000);
    assert.ok(await inKernel('director1'));
    await sameConnectionWorks('director1 again');
  });

  it('conntrackd killed on the backup: vigil restarts it and it asks the master for the table again', async (t) => {
    if (!requireSystem(t, ...unavailable) || !lab) return;
    const [ctdPid] = await conntrackdPids('director2');
    assert.ok(ctdPid, 'conntrackd runs in director2');
    process.kill(ctdPid, 'SIGKILL');
    await waitFor(
      'restart logged',
      async () => d2.output().includes('conntrack_sync: conntrackd restarted'),
      10_000,
    );
    assert.match(d2.output(), /conntrack_sync: conntrackd exited \(SIGKILL\); restarting in 1 s/);
    // The fresh daemon's empty cache is refilled from the master (-n again).
    assert.ok(await inExternalCache(d2));
  });

  it('SIGKILL on the master (conntrackd dies with it): the backup takes the connection over', async (t) => {
    if (!requireSystem(t, ...unavailable) || !lab) return;
    assert.ok(await inExternalCache(d2));
    await stopDaemon(lab, d1, 'SIGKILL');
    await waitState(d2, 'VI_1', 'MASTER', 10_000);
    assert.ok(await inKernel('director2'));
    await sameConnectionWorks('director2 after SIGKILL');
    lab.kill(client, 'SIGTERM');
  });

  it('a conntrackd that cannot start: its own errors in the log, VRRP carries on, nothing left after stop', async (t) => {
    if (!requireSystem(t, ...unavailable) || !lab) return;
    // An address the interface does not have: conntrackd cannot open its channel.
    const bad = await startVigil(
      lab,
      'client',
      join(dir, 'bad'),
      `global_defs {\n    lvs_engine nft\n    conntrack_sync eth0 VI_9 address 10.123.0.1\n}\nvrrp_instance VI_9 {\n    interface eth0\n    virtual_router_id 99\n    priority 100\n    advert_int 1\n    virtual_ipaddress {\n        192.168.61.200\n    }\n}\n`,
    );
    daemons.push(bad);
    await waitState(bad, 'VI_9', 'MASTER', 15_000);
    const log = bad.output();
    assert.match(log, /error: conntrackd: can't open channel socket/);
    assert.match(
      log,
      /error: conntrack_sync: conntrackd exited \(code 1\): conntrackd cannot start, please review your configuration; restarting in 1 s/,
    );
    assert.match(
      log,
      /error: conntrack_sync: VI_9 MASTER: conntrackd is not running; its steps wait for its restart/,
    );
    assert.doesNotMatch(log, /\n\s+at .+:\d+:\d+/);
    await stopDaemon(lab, bad, 'SIGTERM');
    assert.equal(bad.child.exitCode, 0, log);
    const left = await conntrackdPids('client');
    assert.deepEqual(left, []);
  });
});
