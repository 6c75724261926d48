// An LVS-only DR director on the nft engine: no vrrp_instance, the VIP configured by hand. The
// interface to direct-route on comes from the route to the real servers; `vigil check` asks the
// same routes, so it says OK only for what the daemon can apply, and an error at the
// virtual_server when the routes cannot give the interface.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import { requests, startServer } from '../nft/traffic.js';
import { startVigil, stopDaemon, waitFor, type Daemon } from '../vrrpd/harness.js';

const VIP = '10.76.0.100';
const RS1 = '10.76.0.21';
const RS2 = '10.76.0.22';
const CLI = join(import.meta.dirname, '../../../src/cli/main.ts');

const rsSysctls = {
  'net.ipv4.conf.all.arp_ignore': '1',
  'net.ipv4.conf.all.arp_announce': '2',
  'net.ipv4.conf.lo.arp_ignore': '1',
  'net.ipv4.conf.lo.arp_announce': '2',
};

const conf = (servers: string[]): string => `global_defs {
    lvs_engine nft
}
virtual_server ${VIP} 80 {
    delay_loop 1
    lb_algo rr
    lb_kind DR
    protocol TCP
${servers.map((a) => `    real_server ${a} 80 {\n        TCP_CHECK {\n            connect_timeout 1\n        }\n    }`).join('\n')}
}
`;

describe('nft DR without a vrrp_instance (LVS-only director, VIP set by hand)', () => {
  let lab: Lab | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'vg-drnv-'));
  const daemons: Daemon[] = [];
  const unavailable = [netnsUnavailable(), commandUnavailable('nft')];

  before(async () => {
    if (unavailable.some(Boolean)) return;
    lab = await createLab({
      nodes: [
        { name: 'client', addresses: ['10.76.0.10/24'] },
        // The operator's own VIP, on the director's one interface.
        { name: 'director', addresses: ['10.76.0.1/24', `${VIP}/32`] },
        { name: 'rs1', addresses: [`${RS1}/24`], sysctls: rsSysctls },
        { name: 'rs2', addresses: [`${RS2}/24`], sysctls: rsSysctls },
      ],
    });
    for (const rs of ['rs1', 'rs2']) {
      await lab.exec(rs, ['ip', 'addr', 'add', `${VIP}/32`, 'dev', 'lo']);
      await startServer(lab, rs);
    }
  });

  after(async () => {
    for (const d of daemons) if (lab) await stopDaemon(lab, d, 'SIGKILL');
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const check = async (text: string): Promise<{ code: number; out: string; file: string }> => {
    const file = join(dir, `check-${Math.random().toString(36).slice(2)}.conf`);
    writeFileSync(file, text);
    const r = await lab!.exec('director', [process.execPath, '--import', 'tsx', CLI, 'check', '-f', file], {
      allowFailure: true,
      timeoutMs: 60_000,
    });
    return { code: r.code, out: r.stdout + r.stderr, file };
  };

  it('vigil check says OK, and the daemon forwards to both real servers through the routed interface', async (t) => {
    if (!requireSystem(t, ...unavailable) || !lab) return;
    const text = conf([RS1, RS2]);
    const c = await check(text);
    assert.equal(c.code, 0, c.out);
    assert.match(c.out, /configuration OK/);

    const d = await startVigil(lab, 'director', join(dir, 'd'), text);
    daemons.push(d);
    let got: Record<string, number> = {};
    await waitFor(
      'answers from rs1 and rs2 through the VIP',
      async () => {
        got = await requests(lab!, 'client', VIP, 80, 20);
        return got.rs1! > 0 && got.rs2! > 0 && got.rs1! + got.rs2! === 20;
      },
      20_000,
      300,
    );
    const nft = (await lab.exec('director', ['nft', 'list', 'tables'])).stdout;
    assert.match(nft, /table netdev vigil_dr_eth0/);
    assert.doesNotMatch(d.output(), /DR needs the director interface|cannot find the director's interface/);
    await stopDaemon(lab, d, 'SIGTERM');
    assert.equal((await lab.exec('director', ['nft', 'list', 'tables'])).stdout.trim(), '', d.output());
  });

  it('a real server the director has no route to: vigil check fails at the virtual_server line', async (t) => {
    if (!requireSystem(t, ...unavailable) || !lab) return;
    const c = await check(conf([RS1, '10.99.0.2']));
    assert.equal(c.code, 1, c.out);
    assert.ok(
      c.out.includes(
        `${c.file}:4:1: error: virtual_server ${VIP}:80: lb_kind DR on the nft engine forwards on the director's interface, and no vrrp_instance names it; the route to the real servers would, but this director has no route to real server 10.99.0.2`,
      ),
      c.out,
    );
    assert.doesNotMatch(c.out, /configuration OK/);
  });
});
