// Lab topologies of the seed guides. Addresses follow the first guide (lb01 192.168.1.10, lb02
// .11, rs01 .21, rs02 .22, VIP .100) with a client at .50. VIPs are left unassigned: VRRP (vigil
// or keepalived) owns them.
import type { LabSpec } from './lab.js';

export type GuideNode = 'client' | 'director1' | 'director2' | 'rs1' | 'rs2';

export interface GuideTopology {
  spec: LabSpec;
  /** Node name -> its IPv4 / IPv6 address (real servers: on their segment), without prefix. */
  ipv4: Record<GuideNode, string>;
  ipv6: Record<GuideNode, string>;
  /** A free address on the segment for the virtual IP. */
  vip4: string;
  vip6: string;
  prefix4: number;
  prefix6: number;
}

const HOSTS: Record<GuideNode, number> = { client: 50, director1: 10, director2: 11, rs1: 21, rs2: 22 };
const NODES = Object.keys(HOSTS) as GuideNode[];

function checkSubnet(subnet: number): void {
  if (!Number.isInteger(subnet) || subnet < 0 || subnet > 254) throw new RangeError(`bad subnet ${subnet}`);
}

function addressing(subnet: number): Pick<GuideTopology, 'ipv4' | 'ipv6'> {
  const ipv4 = {} as Record<GuideNode, string>;
  const ipv6 = {} as Record<GuideNode, string>;
  for (const n of NODES) {
    ipv4[n] = `192.168.${subnet}.${HOSTS[n]}`;
    ipv6[n] = `fd00:${subnet}::${HOSTS[n]}`;
  }
  return { ipv4, ipv6 };
}

/**
 * LVS-DR (and proxy) layout: everyone on one L2 segment, 192.168.<subnet>.0/24 and
 * fd00:<subnet>::/64 (default subnet 1, as the guide).
 */
export function guideTopology(subnet = 1): GuideTopology {
  checkSubnet(subnet);
  const { ipv4, ipv6 } = addressing(subnet);
  return {
    spec: {
      segments: ['lan'],
      nodes: NODES.map((name) => ({ name, addresses: [`${ipv4[name]}/24`, `${ipv6[name]}/64`] })),
    },
    ipv4,
    ipv6,
    vip4: `192.168.${subnet}.100`,
    vip6: `fd00:${subnet}::100`,
    prefix4: 24,
    prefix6: 64,
  };
}

export interface NatTopology extends GuideTopology {
  /** Directors' addresses on the private segment. */
  private4: Record<'director1' | 'director2', string>;
  /** The private-side VIP the real servers route through (VRRP moves it with the public one). */
  gatewayVip4: string;
}

/**
 * LVS-NAT layout: client and directors on a public segment (192.168.<subnet>.0/24), directors
 * and real servers on a private one (192.168.<subnet+1>.0/24). Real servers route via the
 * private VIP; directors forward.
 */
export function natTopology(subnet = 1): NatTopology {
  checkSubnet(subnet);
  const { ipv4, ipv6 } = addressing(subnet);
  const priv = subnet + 1;
  const private4 = { director1: `192.168.${priv}.10`, director2: `192.168.${priv}.11` };
  const gatewayVip4 = `192.168.${priv}.100`;
  for (const n of ['rs1', 'rs2'] as const) {
    ipv4[n] = `192.168.${priv}.${HOSTS[n]}`;
    ipv6[n] = `fd00:${priv}::${HOSTS[n]}`;
  }
  const director = (name: 'director1' | 'director2'): LabSpec['nodes'][number] => ({
    name,
    interfaces: [
      { segment: 'public', addresses: [`${ipv4[name]}/24`, `${ipv6[name]}/64`] },
      { segment: 'private', addresses: [`${private4[name]}/24`, `fd00:${priv}::${HOSTS[name]}/64`] },
    ],
    sysctls: { 'net.ipv4.ip_forward': '1' },
  });
  const rs = (name: 'rs1' | 'rs2'): LabSpec['nodes'][number] => ({
    name,
    interfaces: [{ segment: 'private', addresses: [`${ipv4[name]}/24`, `${ipv6[name]}/64`] }],
    routes: [`default via ${gatewayVip4}`],
  });
  return {
    spec: {
      segments: ['public', 'private'],
      nodes: [
        {
          name: 'client',
          interfaces: [{ segment: 'public', addresses: [`${ipv4.client}/24`, `${ipv6.client}/64`] }],
        },
        director('director1'),
        director('director2'),
        rs('rs1'),
        rs('rs2'),
      ],
    },
    ipv4,
    ipv6,
    vip4: `192.168.${subnet}.100`,
    vip6: `fd00:${subnet}::100`,
    prefix4: 24,
    prefix6: 64,
    private4,
    gatewayVip4,
  };
}
