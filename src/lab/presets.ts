// Lab topologies of the seed guides: a client, two directors and two real servers on one L2
// segment with private addresses. The VIP is left unassigned: VRRP (vigil or keepalived) owns it.
import type { LabSpec } from './lab.js';

export interface GuideTopology {
  spec: LabSpec;
  /** Node name -> its IPv4 / IPv6 address on the segment (without prefix). */
  ipv4: Record<GuideNode, string>;
  ipv6: Record<GuideNode, string>;
  /** A free address on the segment for the virtual IP. */
  vip4: string;
  vip6: string;
  prefix4: number;
  prefix6: number;
}

export type GuideNode = 'client' | 'director1' | 'director2' | 'rs1' | 'rs2';

const HOSTS: Record<GuideNode, number> = { client: 10, director1: 11, director2: 12, rs1: 21, rs2: 22 };

/** The guides' LVS topology on 192.168.<subnet>.0/24 and fd00:<subnet>::/64 (default subnet 10). */
export function guideTopology(subnet = 10): GuideTopology {
  if (!Number.isInteger(subnet) || subnet < 0 || subnet > 255) throw new RangeError(`bad subnet ${subnet}`);
  const ipv4 = {} as Record<GuideNode, string>;
  const ipv6 = {} as Record<GuideNode, string>;
  const nodes = (Object.keys(HOSTS) as GuideNode[]).map((name) => {
    ipv4[name] = `192.168.${subnet}.${HOSTS[name]}`;
    ipv6[name] = `fd00:${subnet}::${HOSTS[name]}`;
    return { name, addresses: [`${ipv4[name]}/24`, `${ipv6[name]}/64`] };
  });
  return {
    spec: { segments: ['lan'], nodes },
    ipv4,
    ipv6,
    vip4: `192.168.${subnet}.100`,
    vip6: `fd00:${subnet}::100`,
    prefix4: 24,
    prefix6: 64,
  };
}
