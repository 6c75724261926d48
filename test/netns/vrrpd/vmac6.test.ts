// use_vmac for an IPv6 instance against a real keepalived 2.2.7 with the same configuration:
// the VIP lives on a private macvlan with the MAC 00:00:5e:00:02:VRID, which carries the base
// interface's link-local address (and no address made from the virtual MAC) so adverts leave it
// from the address peers know; the client's neighbour entry for the VIP and the unsolicited NAs
// name the virtual MAC whichever daemon is master. With vmac_xmit_base the adverts leave eth0 and
// the vmac has no address. One master in both priority orders, failover and failback; after stop
// the macvlan is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlRequest, controlSocketPath } from '../../../src/daemon/control.js';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import {
  type Daemon,
  capturePackets,
  instanceOf,
  startKeepalived,
  startVigil,
  stopDaemon,
  vipHolders,
  waitFor,
  waitState,
} from './harness.js';

const NET = 'fd00:76::';
const VIP = `${NET}100`;
const VMAC = '00:00:5e:00:02:4c'; // VRID 76, IPv6
const NODES = ['k', 'v'];
// On the vmac as keepalived places them: an eVIP of the instance's family on its interface (dev
// eth0 included) goes on the vmac, one of the other family stays on eth0.
const EVIP4 = '10.76.0.100';
const EVIP6 = `${NET}101`;

function conf(priority: number, extra = ''): string {
  return `vrrp_instance VI_6 {
  state BACKUP
  interface eth0
  virtual_router_id 76
  priority ${priority}
  advert_int 1
  use_vmac
${extra}  virtual_ipaddress {
    ${VIP}/64
  }
  virtual_ipaddress_excluded {
    ${EVIP4}/24
    ${EVIP6}/64 dev eth0
  }
}
`;
}

interface LinkJson {
  ifname: string;
  address: string;
  link?: string;
  linkinfo?: { info_kind: string; info_data?: { mode: string } };
  inet6_addr_gen_mode?: string;
  addr_info?: { family: string; local: string; prefixlen: number; scope: string }[];
}

async function links(lab: Lab, node: string, args: string[] = []): Promise<LinkJson[]> {
  const out = JSON.parse((await lab.exec(node, ['ip', '-j', '-d', ...args])).stdout || '[]') as LinkJson[];
  // `ip -j` prints an empty object for each address a filter (scope) left out.
  for (const l of out) if (l.addr_info) l.addr_info = l.addr_info.filter((a) => a.local !== undefined);
  return out;
}

/** The interfaces holding each eVIP in the node. */
async function evipPlaces(lab: Lab, node: string): Promise<string[]> {
  const all = await links(lab, node, ['addr', 'show']);
  return [EVIP4, EVIP6].map((a) =>
    all
      .filter((l) => (l.addr_info ?? []).some((x) => x.local === a))
      .map((l) => l.ifname)
      .join(','),
  );
}

/** Interface names in the node (to compare before start and after stop). */
async function ifnames(lab: Lab, node: string): Promise<string[]> {
  return (await links(lab, node, ['link', 'show'])).map((l) => l.ifname).sort();
}

async function nftTables(lab: Lab, node: string): Promise<string> {
  return (await lab.exec(node, ['nft', 'list', 'tables'])).stdout;
}

/** The holder of the VIP once exactly one node has it, the same for a second look 1.5 s later. */
async function soleHolder(lab: Lab, want: string): Promise<void> {
  await waitFor(
    `${want} alone holding ${VIP}`,
    async () => {
      const h = await vipHolders(lab, NODES, VIP);
      return h.length === 1 && h[0] === want;
    },
    15_000,
  );
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(await vipHolders(lab, NODES, VIP), [want], 'one master');
}

/**
 * The client's neighbour entry for the VIP after it asks afresh (flush, then a TCP connect to a
 * closed port until the master's reset comes back, bounded): the MAC the master's vmac answered
 * the solicitation with.
 */
async function clientNeighbourMac(lab: Lab): Promise<string | undefined> {
  await lab.exec('c', ['ip', '-6', 'neigh', 'flush', 'dev', 'eth0']);
  await waitFor(
    `a reset from ${VIP}`,
    async () => {
      const r = await lab.exec('c', ['curl', '-s', '--connect-timeout', '1', `http://[${VIP}]:9/`], {
        allowFailure: true,
      });
      return r.code === 7; // connection refused: the VIP answered
    },
    8000,
    100,
  );
  const n = JSON.parse(
    (await lab.exec('c', ['ip', '-6', '-j', 'neigh', 'show', VIP, 'dev', 'eth0'])).stdout || '[]',
  ) as { lladdr?: string }[];
  return n[0]?.lladdr;
}

/** Starts listening on the client for an unsolicited NA (to ff02::1) for the VIP. */
function unsolicitedNa(lab: Lab): ReturnType<typeof capturePackets> {
  return capturePackets(lab, 'c', 'icmp6 and ip6[40] == 136 and dst host ff02::1', { seconds: 15 });
}

/** [source MAC, target, target link-layer address] of a captured NA. */
function naFields(out: string): [string | undefined, string | undefined, string | undefined] {
  return [
    /^\S+ ([0-9a-f:]{17}) >/m.exec(out)?.[1],
    /tgt is (\S+?),/.exec(out)?.[1],
    /link-address option \(2\), length 8 \(1\): ([0-9a-f:]{17})/.exec(out)?.[1],
  ];
}

/** Each captured packet's source MAC and its text (tcpdump -e -vv prints one over several lines). */
function packets(out: string): { mac: string; text: string }[] {
  return out
    .split(/\n(?=\d\d:\d\d:\d\d)/)
    .map((text) => ({ mac: /^\S+ ([0-9a-f:]{17}) >/.exec(text)?.[1] ?? '', text }))
    .filter((p) => p.mac !== '');
}

/** [source MAC, source address] of the next VRRP advert the client sees. */
async function advertSource(lab: Lab): Promise<[string | undefined, string | undefined]> {
  const out = await (await capturePackets(lab, 'c', 'ip6 proto 112', { seconds: 5 })).lines;
  return [/^\S+ ([0-9a-f:]{17}) >/m.exec(out)?.[1], /\) (\S+) > ff02::12:/.exec(out)?.[1]];
}

test('use_vmac, IPv6: vigil and keepalived 2.2.7 share one master on the virtual MAC 00:00:5e:00:02:VRID', async (t) => {
  if (
    !requireSystem(
      t,
      netnsUnavailable(),
      commandUnavailable('keepalived'),
      commandUnavailable('tcpdump'),
      commandUnavailable('curl'),
      commandUnavailable('nft'),
    )
  )
    return;
  const lab = await createLab({
    nodes: [
      { name: 'k', addresses: [`${NET}11/64`] },
      { name: 'v', addresses: [`${NET}12/64`] },
      { name: 'c', addresses: [`${NET}50/64`] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-vmac6-'));
  const daemons: Daemon[] = [];
  let n = 0;
  const vigil = async (conf: string): Promise<Daemon> => {
    const d = await startVigil(lab, 'v', join(dir, `v${n++}`), conf);
    daemons.push(d);
    return d;
  };
  const keepalived = async (conf: string): Promise<Daemon> => {
    const d = await startKeepalived(lab, 'k', join(dir, `k${n++}`), conf);
    daemons.push(d);
    return d;
  };
  try {
    const before = await ifnames(lab, 'v');
    const vLinkLocal = await lab.linkLocal('v');
    const [vEth0] = await links(lab, 'v', ['link', 'show', 'eth0']);

    // vigil at the higher priority: MASTER, the VIP on vrrp.76, keepalived BACKUP.
    const mld = await capturePackets(lab, 'c', 'dst host ff02::16', { count: 1000, seconds: 60 });
    let v = await vigil(conf(200));
    let k = await keepalived(conf(100));
    await waitState(v, 'VI_6', 'MASTER', 20_000);
    await soleHolder(lab, 'v');
    // MLD reports for the vmac's groups leave from eth0's MAC, never the virtual one (which a
    // switch would learn on the port of whoever sent it last), as keepalived's nftables rules do.
    assert.match(await nftTables(lab, 'v'), /table ip6 vigil_vmac/);
    const reports = packets(await mld.stop());
    assert.deepEqual(
      reports.filter((p) => p.mac === VMAC).map((p) => p.text),
      [],
      'no MLD report from the virtual MAC',
    );
    assert.ok(
      reports.some((p) => p.mac === vEth0?.address && /gaddr ff02::12 /.test(p.text)),
      `vigil's vmac joins ff02::12 by a report from eth0's MAC: ${reports.map((p) => p.text).join('\n')}`,
    );
    const [vmac] = await links(lab, 'v', ['addr', 'show', 'dev', 'vrrp.76']);
    assert.deepEqual(
      [vmac?.address, vmac?.link, vmac?.linkinfo?.info_kind, vmac?.linkinfo?.info_data?.mode],
      [VMAC, 'eth0', 'macvlan', 'private'],
    );
    assert.equal(
      (await links(lab, 'v', ['link', 'show', 'vrrp.76']))[0]?.inet6_addr_gen_mode,
      'none',
      'no address made from the virtual MAC',
    );
    assert.deepEqual(
      (vmac?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen} ${a.scope}`).sort(),
      [`${VIP}/64 global`, `${EVIP6}/64 global`, `${vLinkLocal}/64 link`].sort(),
      "the VIPs and eth0's link-local address, nothing else",
    );
    assert.deepEqual(await evipPlaces(lab, 'v'), ['eth0', 'vrrp.76'], 'eVIPs placed as keepalived');
    assert.equal(
      (await lab.exec('v', ['cat', '/proc/sys/net/ipv6/conf/vrrp.76/disable_ipv6'])).stdout.trim(),
      '0',
    );
    assert.deepEqual(
      await advertSource(lab),
      [VMAC, vLinkLocal],
      "adverts leave the vmac from eth0's link-local address",
    );
    assert.equal(
      await clientNeighbourMac(lab),
      VMAC,
      'the client resolves the VIP to the virtual MAC (vigil master)',
    );

    // Failover: vigil stops, keepalived takes the VIP and announces it from its own vmac.
    let na = await unsolicitedNa(lab);
    await stopDaemon(lab, v, 'SIGTERM');
    assert.deepEqual(naFields(await na.lines), [VMAC, VIP, VMAC], "keepalived's NA names the virtual MAC");
    await soleHolder(lab, 'k');
    assert.deepEqual(await evipPlaces(lab, 'k'), ['eth0', 'vrrp.76'], "keepalived's placement");
    assert.deepEqual(await ifnames(lab, 'v'), before, 'vrrp.76 removed at stop');
    assert.doesNotMatch(await nftTables(lab, 'v'), /vigil_vmac/, 'the MLD rules removed at stop');
    assert.equal(
      await clientNeighbourMac(lab),
      VMAC,
      'the client resolves the VIP to the virtual MAC (keepalived master)',
    );

    // Failback: vigil comes back at the higher priority, preempts and announces from its vmac.
    na = await unsolicitedNa(lab);
    v = await vigil(conf(200));
    await waitState(v, 'VI_6', 'MASTER', 20_000);
    assert.deepEqual(naFields(await na.lines), [VMAC, VIP, VMAC], "vigil's NA names the virtual MAC");
    await soleHolder(lab, 'v');
    await stopDaemon(lab, v, 'SIGTERM');
    await stopDaemon(lab, k, 'SIGTERM');

    // The other order: keepalived at the higher priority is master, vigil waits on its vmac.
    k = await keepalived(conf(200));
    await waitFor(
      'keepalived holding the VIP',
      async () => (await vipHolders(lab, NODES, VIP)).includes('k'),
      15_000,
    );
    v = await vigil(conf(100));
    await waitState(v, 'VI_6', 'BACKUP', 20_000);
    await soleHolder(lab, 'k');
    assert.equal(
      (await links(lab, 'v', ['link', 'show', 'vrrp.76']))[0]?.address,
      VMAC,
      'the backup has its vmac',
    );
    na = await unsolicitedNa(lab);
    await stopDaemon(lab, k, 'SIGTERM');
    await waitState(v, 'VI_6', 'MASTER', 10_000);
    assert.deepEqual(naFields(await na.lines), [VMAC, VIP, VMAC]);
    await soleHolder(lab, 'v');
    assert.equal(await clientNeighbourMac(lab), VMAC);
    k = await keepalived(conf(200));
    await waitState(v, 'VI_6', 'BACKUP', 20_000);
    await soleHolder(lab, 'k');
    await stopDaemon(lab, k, 'SIGTERM');
    await stopDaemon(lab, v, 'SIGTERM');
    assert.deepEqual(await ifnames(lab, 'v'), before, 'vrrp.76 removed at stop (as backup)');

    // vmac_xmit_base: adverts from eth0's own MAC, the vmac without an address but with the VIP.
    v = await vigil(conf(200, '  vmac_xmit_base\n'));
    k = await keepalived(conf(100, '  vmac_xmit_base\n'));
    await waitState(v, 'VI_6', 'MASTER', 20_000);
    await soleHolder(lab, 'v');
    assert.deepEqual(
      await advertSource(lab),
      [vEth0?.address, vLinkLocal],
      'vmac_xmit_base adverts leave eth0',
    );
    const [xvmac] = await links(lab, 'v', ['addr', 'show', 'dev', 'vrrp.76']);
    assert.deepEqual(
      (xvmac?.addr_info ?? []).map((a) => a.local).sort(),
      [VIP, EVIP6].sort(),
      'with vmac_xmit_base the vmac has the VIP and no link-local address',
    );
    assert.equal(await clientNeighbourMac(lab), VMAC);
    na = await unsolicitedNa(lab);
    await stopDaemon(lab, v, 'SIGTERM');
    assert.deepEqual(naFields(await na.lines), [VMAC, VIP, VMAC]);
    await soleHolder(lab, 'k');
    assert.deepEqual(await ifnames(lab, 'v'), before, 'vrrp.76 removed at stop (vmac_xmit_base)');
    v = await vigil(conf(200, '  vmac_xmit_base\n'));
    await waitState(v, 'VI_6', 'MASTER', 20_000);
    await soleHolder(lab, 'v');

    // A reload that drops vmac_xmit_base gives the kept vmac eth0's link-local address and sends
    // from it; one that sets it again takes the address away (keepalived's reload does both).
    const vmacLinkLocals = async (): Promise<string[]> =>
      (
        (await links(lab, 'v', ['-6', 'addr', 'show', 'dev', 'vrrp.76', 'scope', 'link']))[0]?.addr_info ?? []
      ).map((a) => a.local);
    const reload = async (text: string): Promise<void> => {
      writeFileSync(join(v.dir, 'vigil.conf'), text);
      const r = (await controlRequest(controlSocketPath(v.dir), { cmd: 'reload' })) as { reloaded: boolean };
      assert.equal(r.reloaded, true);
    };
    await reload(conf(200));
    await waitFor('the link-local address on vrrp.76', async () => (await vmacLinkLocals()).length > 0, 5000);
    assert.deepEqual(await vmacLinkLocals(), [vLinkLocal]);
    assert.deepEqual(await advertSource(lab), [VMAC, vLinkLocal], 'after the reload adverts leave the vmac');
    await reload(conf(200, '  vmac_xmit_base\n'));
    await waitFor(
      'no link-local address on vrrp.76',
      async () => (await vmacLinkLocals()).length === 0,
      5000,
    );
    assert.deepEqual(await advertSource(lab), [vEth0?.address, vLinkLocal], 'and eth0 again');
    assert.equal((await instanceOf(v, 'VI_6'))?.state, 'MASTER');
    await soleHolder(lab, 'v');
    await stopDaemon(lab, v, 'SIGTERM');
    await stopDaemon(lab, k, 'SIGTERM');
  } catch (e) {
    for (const d of daemons) console.log(`--- ${d.kind} on ${d.node} (${d.dir}):\n${d.output()}`);
    throw e;
  } finally {
    for (const d of daemons) await stopDaemon(lab, d, 'SIGKILL').catch(() => undefined);
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
