// Every representative rendering is accepted by the real nft (`nft -c` checks without applying),
// and the incremental transactions apply on top of the full one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { DestSpec, Forwarding, ServiceState } from '../../../src/dataplane/engine.js';
import { renderFull, renderServiceChange, type NftContext } from '../../../src/dataplane/nft/ruleset.js';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';

const dest = (address: string, weight: number, forwarding: Forwarding = 'nat', port = 80): DestSpec => ({
  address,
  port,
  forwarding,
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
});

const v4 = (port: number, protocol: 'tcp' | 'udp' | 'sctp' = 'tcp') =>
  ({ kind: 'addr', family: 4, address: '10.0.0.1', port, protocol }) as const;

const ctx: NftContext = {
  dr: { ifname: 'vgd0', mac: '02:00:00:00:00:01' },
  macs: new Map([
    ['10.0.0.5', '02:00:00:00:00:05'],
    ['10.0.0.6', '02:00:00:00:00:06'],
  ]),
  fullnat: { address4: '10.0.0.9', address6: 'fd00::9', ports: [40000, 49999] },
};

const services: ServiceState[] = [
  { key: v4(80), scheduler: 'wrr', flags: {}, dests: [dest('10.0.0.2', 3), dest('10.0.0.3', 1, 'fullnat')] },
  {
    key: v4(443),
    scheduler: 'rr',
    flags: {},
    persistenceTimeout: 300,
    persistenceNetmask: '255.255.255.0',
    dests: [dest('10.0.0.2', 1, 'nat', 8443), dest('10.0.0.3', 0, 'nat', 8443)],
  },
  {
    key: v4(53, 'udp'),
    scheduler: 'sh',
    flags: { port: true },
    dests: [dest('10.0.0.5', 1, 'dr', 53), dest('10.0.0.6', 2, 'dr', 53)],
  },
  {
    key: v4(25),
    scheduler: 'mh',
    flags: {},
    dests: [dest('10.0.0.5', 1, 'dr', 25), dest('10.0.0.6', 1, 'dr', 25)],
  },
  {
    key: v4(3868, 'sctp'),
    scheduler: 'wlc',
    flags: {},
    dests: [dest('10.0.0.2', 1, 'nat', 3868), dest('10.0.0.3', 1, 'nat', 3868)],
  },
  {
    key: v4(81),
    scheduler: 'fo',
    flags: {},
    dests: [dest('10.0.0.2', 1, 'nat', 81), dest('10.0.0.3', 5, 'nat', 81)],
  },
  { key: v4(82), scheduler: 'lc', flags: {}, dests: [dest('10.0.0.2', 0, 'nat', 82)] },
  {
    key: { kind: 'fwmark', family: 6, fwmark: 7 },
    scheduler: 'mh',
    flags: {},
    persistenceTimeout: 60,
    persistenceNetmask: '64',
    dests: [dest('fd00::2', 1, 'nat', 0), dest('fd00::3', 1, 'fullnat', 80)],
  },
  {
    key: { kind: 'fwmark', family: 4, fwmark: 9 },
    scheduler: 'dh',
    flags: {},
    dests: [dest('10.0.0.2', 2, 'nat', 0)],
  },
  {
    key: { kind: 'addr', family: 6, address: 'fd00::1', port: 80, protocol: 'tcp' },
    scheduler: 'lblc',
    flags: {},
    dests: [dest('fd00::2', 1), dest('fd00::3', 1)],
  },
];

describe('nft accepts the rendered scripts', () => {
  const ns = `vg${randomBytes(3).toString('hex')}-nftc`;
  let made = false;
  const nft = (args: string[], input: string): void => {
    execFileSync('ip', ['netns', 'exec', ns, 'nft', ...args], { input, stdio: ['pipe', 'ignore', 'pipe'] });
  };

  before(() => {
    if (netnsUnavailable() || commandUnavailable('nft')) return;
    execFileSync('ip', ['netns', 'add', ns]);
    made = true;
    execFileSync('ip', ['-n', ns, 'link', 'add', 'vgd0', 'type', 'veth', 'peer', 'name', 'vgd1']);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'vgd0', 'up']);
  });

  after(() => {
    if (made) execFileSync('ip', ['netns', 'del', ns]);
  });

  it('the full ruleset checks and applies; every change checks on top of it', (t) => {
    if (!requireSystem(t, netnsUnavailable(), commandUnavailable('nft'))) return;
    const full = renderFull(services, ctx);
    nft(['-c', '-f', '-'], full);
    nft(['-f', '-'], full);
    const listing = execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'ruleset']).toString();
    assert.match(listing, /fwd to "vgd0"/);
    assert.match(listing, /snat ip to 10\.0\.0\.9:40000-49999/);
    const edits: [ServiceState, ServiceState | undefined][] = [
      // weight change, server added, server removed, persistence dropped, scheduler change
      [services[0]!, { ...services[0]!, dests: [dest('10.0.0.2', 1), dest('10.0.0.4', 2, 'fullnat')] }],
      [services[1]!, { ...services[1]!, persistenceTimeout: undefined, persistenceNetmask: undefined }],
      [services[1]!, { ...services[1]!, persistenceTimeout: 10 }],
      [services[1]!, { ...services[1]!, persistenceNetmask: '255.255.0.0' }],
      [services[2]!, { ...services[2]!, scheduler: 'rr', dests: [dest('10.0.0.5', 1, 'dr', 53)] }],
      [services[7]!, { ...services[7]!, dests: [] }],
      [services[4]!, undefined],
      [services[3]!, undefined],
      // NAT -> DR moves the service to the netdev table
      [services[5]!, { ...services[5]!, dests: [dest('10.0.0.5', 1, 'dr', 81)] }],
    ];
    for (const [before, next] of edits) {
      const script = renderServiceChange(before, next, ctx).join('\n') + '\n';
      assert.doesNotThrow(() => nft(['-c', '-f', '-'], script), script);
    }
    const newOne = renderServiceChange(undefined, { ...services[0]!, key: v4(8080) }, ctx).join('\n') + '\n';
    nft(['-c', '-f', '-'], newOne);
  });
});
