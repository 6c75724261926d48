// use_vmac against a real keepalived 2.2.7 with the same configuration: the master's VIP lives on
// a private macvlan with the VRRP virtual MAC, so a client resolves the VIP to 00:00:5e:00:01:VRID
// whichever daemon is master, and adverts leave from that MAC (from the base interface's own
// with vmac_xmit_base). The vmac and keepalived's sysctls are there while vigil runs, gone after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import {
  type Daemon,
  hasVip,
  startKeepalived,
  startVigil,
  stopDaemon,
  waitFor,
  waitState,
} from './harness.js';

const NET = '192.168.76';
const VIP = `${NET}.100`;
const VMAC = '00:00:5e:00:01:4c'; // VRID 76

function conf(priority: number, extra = ''): string {
  return `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 76
  priority ${priority}
  advert_int 1
  use_vmac
${extra}  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
}

/**
 * The MAC in the ARP reply the client gets for the VIP (tcpdump on the client while a TCP connect
 * to a closed port makes it ask). The reply, not the neighbour table: the master's own ARP request
 * back (its route to the client is eth0's) names the VIP from eth0's MAC, as under keepalived.
 */
async function vipMac(lab: Lab): Promise<string | null> {
  const dump = lab.spawn('c', [
    'timeout',
    '5',
    'tcpdump',
    '-U',
    '-l',
    '-n',
    '-c',
    '1',
    '-i',
    'eth0',
    'arp[6:2] = 2',
  ]);
  let out = '';
  dump.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  const listening = new Promise<void>((resolve) => {
    let err = '';
    dump.stderr?.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('listening on')) resolve();
    });
    dump.once('exit', () => resolve());
  });
  const ended = new Promise<void>((resolve) => dump.once('exit', () => resolve()));
  await listening;
  await lab.exec('c', ['ip', 'neigh', 'flush', 'dev', 'eth0']);
  await lab.exec('c', ['curl', '-s', '--connect-timeout', '1', `http://${VIP}:9/`]).catch(() => undefined);
  await ended;
  return new RegExp(`Reply ${VIP.replace(/\./g, '\\.')} is-at ([0-9a-f:]{17})`).exec(out)?.[1] ?? null;
}

/** The source MAC of the next VRRP advert the client sees. */
async function advertSourceMac(lab: Lab): Promise<string> {
  const r = await lab.exec('c', [
    'timeout',
    '5',
    'tcpdump',
    '-l',
    '-n',
    '-e',
    '-c',
    '1',
    '-i',
    'eth0',
    'ip proto 112',
  ]);
  const m = /^\S+ ([0-9a-f:]{17}) >/m.exec(r.stdout);
  if (!m) throw new Error(`no advert seen: ${r.stdout} ${r.stderr}`);
  return m[1]!;
}

async function sysctl(lab: Lab, node: string, key: string): Promise<string> {
  return (await lab.exec(node, ['cat', `/proc/sys/net/ipv4/conf/${key}`])).stdout.trim();
}

test('use_vmac: the VIP answers with the virtual MAC on vigil and on keepalived 2.2.7 alike', async (t) => {
  if (
    !requireSystem(
      t,
      netnsUnavailable(),
      commandUnavailable('keepalived'),
      commandUnavailable('tcpdump'),
      commandUnavailable('curl'),
    )
  )
    return;
  const lab = await createLab({
    nodes: [
      { name: 'k', addresses: [`${NET}.11/24`] },
      { name: 'v', addresses: [`${NET}.12/24`] },
      { name: 'c', addresses: [`${NET}.50/24`] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-vmac-'));
  const daemons: Daemon[] = [];
  try {
    const baseArp = [await sysctl(lab, 'v', 'eth0/arp_ignore'), await sysctl(lab, 'v', 'eth0/arp_filter')];
    // Strict reverse-path filtering for the whole namespace: the vmac needs it off (the kernel
    // applies max(all, interface)), so keepalived moves the value onto each interface.
    await lab.exec('v', ['sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=1']);
    const eth0Rp = await sysctl(lab, 'v', 'eth0/rp_filter');
    const v = await startVigil(lab, 'v', join(dir, 'v'), conf(150));
    daemons.push(v);
    await waitState(v, 'VI_1', 'MASTER', 20_000);
    const link = JSON.parse((await lab.exec('v', ['ip', '-j', '-d', 'link', 'show', 'vrrp.76'])).stdout) as {
      address: string;
      link: string;
      linkinfo: { info_kind: string; info_data: { mode: string } };
    }[];
    assert.deepEqual(
      [link[0]?.address, link[0]?.link, link[0]?.linkinfo.info_kind, link[0]?.linkinfo.info_data.mode],
      [VMAC, 'eth0', 'macvlan', 'private'],
    );
    assert.ok(await waitFor('the VIP on vrrp.76', async () => hasVip(lab, 'v', VIP), 3000));
    const onVmac = (await lab.exec('v', ['ip', '-4', '-o', 'addr', 'show', 'dev', 'vrrp.76'])).stdout;
    assert.match(onVmac, new RegExp(`inet ${VIP.replace(/\./g, '\\.')}/24`));
    assert.deepEqual(
      [
        await sysctl(lab, 'v', 'vrrp.76/arp_ignore'),
        await sysctl(lab, 'v', 'vrrp.76/accept_local'),
        await sysctl(lab, 'v', 'vrrp.76/rp_filter'),
        await sysctl(lab, 'v', 'eth0/arp_ignore'),
        await sysctl(lab, 'v', 'eth0/arp_filter'),
      ],
      ['1', '1', '0', '1', '1'],
    );
    assert.deepEqual(
      [await sysctl(lab, 'v', 'all/rp_filter'), await sysctl(lab, 'v', 'eth0/rp_filter')],
      ['0', '1'],
      'all.rp_filter moved onto eth0',
    );
    assert.equal(await vipMac(lab), VMAC, 'the client resolves the VIP to the virtual MAC (vigil master)');
    assert.equal(await advertSourceMac(lab), VMAC, "vigil's adverts leave from the vmac");

    // keepalived with use_vmac and a higher priority takes over: same MAC for the client.
    const k = await startKeepalived(lab, 'k', join(dir, 'k'), conf(200));
    daemons.push(k);
    await waitState(v, 'VI_1', 'BACKUP', 20_000);
    await waitFor('the VIP on keepalived', async () => hasVip(lab, 'k', VIP), 5000);
    assert.ok(!(await hasVip(lab, 'v', VIP)));
    assert.equal(
      await vipMac(lab),
      VMAC,
      'the client resolves the VIP to the virtual MAC (keepalived master)',
    );
    await stopDaemon(lab, k, 'SIGTERM');
    await waitState(v, 'VI_1', 'MASTER', 10_000);
    assert.equal(await vipMac(lab), VMAC);

    // SIGTERM: the vmac goes, the base interface's ARP sysctls are put back.
    await stopDaemon(lab, v, 'SIGTERM');
    const left = await lab.exec('v', ['ip', 'link', 'show', 'vrrp.76']).catch((e: Error) => e);
    assert.ok(left instanceof Error, 'vrrp.76 removed at stop');
    assert.deepEqual(
      [await sysctl(lab, 'v', 'eth0/arp_ignore'), await sysctl(lab, 'v', 'eth0/arp_filter')],
      baseArp,
    );
    assert.deepEqual(
      [await sysctl(lab, 'v', 'all/rp_filter'), await sysctl(lab, 'v', 'eth0/rp_filter')],
      ['1', eth0Rp],
      'rp_filter put back',
    );

    // vmac_xmit_base: the VIP still on the vmac, the adverts from eth0's own MAC.
    const base = JSON.parse((await lab.exec('v', ['ip', '-j', 'link', 'show', 'eth0'])).stdout) as {
      address: string;
    }[];
    const v2 = await startVigil(lab, 'v', join(dir, 'v2'), conf(150, '  vmac_xmit_base\n'));
    daemons.push(v2);
    await waitState(v2, 'VI_1', 'MASTER', 20_000);
    assert.equal(await advertSourceMac(lab), base[0]!.address, 'vmac_xmit_base adverts leave from eth0');
    assert.equal(await vipMac(lab), VMAC);
    await stopDaemon(lab, v2, 'SIGTERM');
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.kind} on ${d.node}:\n${d.output()}`);
    throw e;
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
