// Direct routing on the nft engine keeps connections across a director failover with no state to
// replicate: both directors build the same Maglev table from the same real servers and hash each
// flow the same way, and the real servers answer the client themselves. Two vigil directors,
// client connections held through the VIP, the master stopped: every connection goes on with its
// server. (NAT needs conntrack_sync instead: test/netns/daemon/conntrack-sync.test.ts.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, guideTopology, type Lab } from '../../../src/lab/index.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import { startVigil, stopDaemon, waitFor, waitState, type Daemon } from '../vrrpd/harness.js';
import { HOLDER, SERVER, lines } from './tcp-session.js';

const topo = guideTopology(62);
const PORT = 7000;
const SESSIONS = 8;

function conf(priority: number, algo: string): string {
  const rs = (a: string): string => `    real_server ${a} ${PORT} {
        TCP_CHECK {
            connect_timeout 1
        }
    }`;
  return `global_defs {
    lvs_engine nft
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 62
    priority ${priority}
    advert_int 1
    virtual_ipaddress {
        ${topo.vip4}/24 dev eth0
    }
}
virtual_server ${topo.vip4} ${PORT} {
    delay_loop 1
    lb_algo ${algo}
    lb_kind DR
    protocol TCP
${rs(topo.ipv4.rs1)}
${rs(topo.ipv4.rs2)}
}
`;
}

describe('nft DR: connections survive a director failover without any synchronisation', () => {
  let lab: Lab | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'vg-dr-'));
  const daemons: Daemon[] = [];
  const unavailable = [netnsUnavailable(), commandUnavailable('nft')];

  before(async () => {
    if (unavailable.some(Boolean)) return;
    const spec = structuredClone(topo.spec);
    for (const n of spec.nodes) {
      if (!n.name.startsWith('rs')) continue;
      // The guides' real-server setup: the VIP on lo, never answered for in ARP.
      n.sysctls = {
        'net.ipv4.conf.all.arp_ignore': '1',
        'net.ipv4.conf.all.arp_announce': '2',
        'net.ipv4.conf.lo.arp_ignore': '1',
        'net.ipv4.conf.lo.arp_announce': '2',
      };
    }
    lab = await createLab(spec);
    for (const rs of ['rs1', 'rs2']) {
      await lab.exec(rs, ['ip', 'addr', 'add', `${topo.vip4}/32`, 'dev', 'lo']);
      const server = lab.spawn(rs, [process.execPath, '-e', SERVER, rs, String(PORT)]);
      assert.equal(await lines(server).next(`${rs} listening`), 'ready');
    }
  });

  after(async () => {
    for (const d of daemons) if (lab) await stopDaemon(lab, d, 'SIGKILL');
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('mh: SIGTERM on the master, every held connection keeps its server through the new master', async (t) => {
    if (!requireSystem(t, ...unavailable) || !lab) return;
    const d1 = await startVigil(lab, 'director1', join(dir, 'd1'), conf(150, 'mh'));
    daemons.push(d1);
    await waitState(d1, 'VI_1', 'MASTER', 15_000);
    const d2 = await startVigil(lab, 'director2', join(dir, 'd2'), conf(100, 'mh'));
    daemons.push(d2);
    await waitState(d2, 'VI_1', 'BACKUP', 15_000);
    for (const node of ['director1', 'director2'])
      await waitFor(
        `both real servers in ${node}'s nft tables`,
        async () => {
          const nft = (await lab!.exec(node, ['nft', 'list', 'ruleset'])).stdout;
          return nft.includes(topo.ipv4.rs1) && nft.includes(topo.ipv4.rs2);
        },
        15_000,
      );

    const sessions = await Promise.all(
      Array.from({ length: SESSIONS }, async () => {
        const child = lab!.spawn('client', [process.execPath, '-e', HOLDER, topo.vip4, String(PORT)], {
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        const out = lines(child);
        assert.match(await out.next('client connected'), /^connected \d+$/);
        child.stdin!.write('hello\n');
        const m = /^(rs[12]) conn=(\d+) n=1 len=5$/.exec(await out.next('first answer'));
        assert.ok(m, out.all.join(' | '));
        return { child, out, server: m[1]!, conn: m[2]! };
      }),
    );
    // The hash spreads the sessions: both servers hold some, so both must be found again.
    assert.deepEqual(new Set(sessions.map((s) => s.server)), new Set(['rs1', 'rs2']));

    await stopDaemon(lab, d1, 'SIGTERM');
    await waitState(d2, 'VI_1', 'MASTER', 10_000);
    for (const s of sessions) {
      s.child.stdin!.write('LEN:100000\n');
      assert.equal(await s.out.next('answer through director2'), `${s.server} conn=${s.conn} n=2 len=100000`);
      assert.ok(
        !s.out.all.some((l) => l.startsWith('closed') || l.startsWith('error')),
        s.out.all.join(' | '),
      );
      lab.kill(s.child, 'SIGTERM');
    }
  });
});
