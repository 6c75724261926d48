// The playable labs of `vigil demo` and `vigil lab up NAME`: for each seed-guide topology, the
// namespaces (presets.ts), the two directors' keepalived.conf as the guides write them, what runs
// on the real servers and which services a client can reach. Pure: no OS access here.
import { guideTopology, natTopology, type GuideTopology } from './presets.js';
import type { LabSpec } from './lab.js';

export type Engine = 'auto' | 'ipvs' | 'nft' | 'userspace';
export const ENGINES: readonly Engine[] = ['auto', 'ipvs', 'nft', 'userspace'];

export type DirectorNode = 'director1' | 'director2';
export const DIRECTORS: readonly DirectorNode[] = ['director1', 'director2'];

/** A service the client reaches through a VIP. */
export interface LabService {
  name: string;
  vip: string;
  port: number;
  /** http: answers GET / with the server's name; tcp: writes the name and closes. */
  kind: 'http' | 'tcp';
  /** The VRRP instance that owns the VIP. */
  instance: string;
}

export interface LabRealServer {
  node: 'rs1' | 'rs2';
  address: string;
  /** DR: VIPs `vigil realserver` puts on lo, with the ARP sysctls (the guides' rs script). */
  drVips: string[];
}

export interface Scenario {
  name: string;
  summary: string;
  topology: GuideTopology;
  spec: LabSpec;
  /** keepalived.conf text per director. */
  configs: Record<DirectorNode, string>;
  /** Which director is meant to master each VRRP instance (highest priority). */
  masters: Record<string, DirectorNode>;
  realServers: LabRealServer[];
  services: LabService[];
}

export interface ScenarioOptions {
  /** VRRP advert_int in seconds (fractions switch to VRRPv3, which allows them). */
  advertInt: number;
  engine: Engine;
}

export const DEFAULT_OPTIONS: ScenarioOptions = { advertInt: 1, engine: 'auto' };

interface Preset {
  summary: string;
  build: (o: ScenarioOptions) => Omit<Scenario, 'name' | 'summary'>;
}

interface InstanceSpec {
  name: string;
  vrid: number;
  master: DirectorNode;
  /** `ADDR/LEN dev IF` lines. */
  vips: string[];
}

interface ServiceSpec {
  vip: string;
  port: number;
  kind: 'dr' | 'nat';
  check: 'http' | 'tcp';
  realServers: string[];
}

function vrrpBlock(i: InstanceSpec, me: DirectorNode, o: ScenarioOptions): string {
  const master = i.master === me;
  // VRRPv2 carries whole seconds only; keepalived and vigil take fractions with version 3.
  const v3 = !Number.isInteger(o.advertInt);
  return `vrrp_instance ${i.name} {
    state ${master ? 'MASTER' : 'BACKUP'}
    interface eth0
    virtual_router_id ${i.vrid}
    priority ${master ? 150 : 100}
    advert_int ${o.advertInt}
${v3 ? '    version 3\n' : ''}${
    v3
      ? ''
      : `    authentication {
        auth_type PASS
        auth_pass vigil
    }
`
  }    virtual_ipaddress {
${i.vips.map((v) => `        ${v}\n`).join('')}    }
}
`;
}

function serviceBlock(s: ServiceSpec): string {
  const check =
    s.check === 'http'
      ? `        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }`
      : `        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }`;
  return `virtual_server ${s.vip} ${s.port} {
    delay_loop 2
    lb_algo rr
    lb_kind ${s.kind === 'dr' ? 'DR' : 'NAT'}
    protocol TCP
${s.realServers
  .map(
    (rs) => `    real_server ${rs} ${s.port} {
        weight 1
${check}
    }
`,
  )
  .join('')}}
`;
}

function directorConfig(
  me: DirectorNode,
  what: string,
  engine: Engine,
  instances: InstanceSpec[],
  services: ServiceSpec[],
  o: ScenarioOptions,
): string {
  return [
    `! vigil lab: ${me}, ${what}\n`,
    `global_defs {
    router_id ${me}
    lvs_engine ${engine}
}
`,
    ...instances.map((i) => vrrpBlock(i, me, o)),
    ...services.map(serviceBlock),
  ].join('\n');
}

function configsFor(
  what: string,
  engine: Engine,
  instances: InstanceSpec[],
  services: ServiceSpec[],
  o: ScenarioOptions,
): Pick<Scenario, 'configs' | 'masters'> {
  const configs = {} as Record<DirectorNode, string>;
  for (const d of DIRECTORS) configs[d] = directorConfig(d, what, engine, instances, services, o);
  return { configs, masters: Object.fromEntries(instances.map((i) => [i.name, i.master])) };
}

function drLab(o: ScenarioOptions, dual: boolean): Omit<Scenario, 'name' | 'summary'> {
  const t = guideTopology(1);
  const db = '192.168.1.101';
  const rsAddrs = [t.ipv4.rs1, t.ipv4.rs2];
  const instances: InstanceSpec[] = [
    { name: 'VI_WEB', vrid: 51, master: 'director1', vips: [`${t.vip4}/24 dev eth0`] },
  ];
  const services: ServiceSpec[] = [
    { vip: t.vip4, port: 80, kind: 'dr', check: 'http', realServers: rsAddrs },
  ];
  const lanes: LabService[] = [{ name: 'web', vip: t.vip4, port: 80, kind: 'http', instance: 'VI_WEB' }];
  if (dual) {
    instances.push({ name: 'VI_DB', vrid: 52, master: 'director2', vips: [`${db}/24 dev eth0`] });
    services.push({ vip: db, port: 3306, kind: 'dr', check: 'tcp', realServers: rsAddrs });
    lanes.push({ name: 'db', vip: db, port: 3306, kind: 'tcp', instance: 'VI_DB' });
  }
  const vips = lanes.map((s) => s.vip);
  return {
    topology: t,
    spec: t.spec,
    ...configsFor(dual ? 'LVS-DR dual master (web + db)' : 'LVS-DR', o.engine, instances, services, o),
    realServers: [
      { node: 'rs1', address: t.ipv4.rs1, drVips: vips },
      { node: 'rs2', address: t.ipv4.rs2, drVips: vips },
    ],
    services: lanes,
  };
}

function natLab(o: ScenarioOptions): Omit<Scenario, 'name' | 'summary'> {
  const t = natTopology(1);
  const instances: InstanceSpec[] = [
    {
      name: 'VI_WEB',
      vrid: 51,
      master: 'director1',
      // The private-side VIP is the real servers' default gateway: it moves with the public one.
      vips: [`${t.vip4}/24 dev eth0`, `${t.gatewayVip4}/24 dev eth1`],
    },
  ];
  const services: ServiceSpec[] = [
    { vip: t.vip4, port: 80, kind: 'nat', check: 'http', realServers: [t.ipv4.rs1, t.ipv4.rs2] },
  ];
  return {
    topology: t,
    spec: t.spec,
    ...configsFor('LVS-NAT', o.engine, instances, services, o),
    realServers: [
      { node: 'rs1', address: t.ipv4.rs1, drVips: [] },
      { node: 'rs2', address: t.ipv4.rs2, drVips: [] },
    ],
    services: [{ name: 'web', vip: t.vip4, port: 80, kind: 'http', instance: 'VI_WEB' }],
  };
}

function proxyLab(o: ScenarioOptions): Omit<Scenario, 'name' | 'summary'> {
  const t = guideTopology(1);
  const instances: InstanceSpec[] = [
    { name: 'VI_WEB', vrid: 51, master: 'director1', vips: [`${t.vip4}/24 dev eth0`] },
  ];
  // A user-space proxy (as the guides' nginx/haproxy behind keepalived): it opens its own
  // connections to the real servers, so they need neither the VIP nor a route back.
  const services: ServiceSpec[] = [
    { vip: t.vip4, port: 80, kind: 'nat', check: 'http', realServers: [t.ipv4.rs1, t.ipv4.rs2] },
  ];
  return {
    topology: t,
    spec: t.spec,
    ...configsFor('user-space proxy fronted by VRRP', 'userspace', instances, services, o),
    realServers: [
      { node: 'rs1', address: t.ipv4.rs1, drVips: [] },
      { node: 'rs2', address: t.ipv4.rs2, drVips: [] },
    ],
    services: [{ name: 'web', vip: t.vip4, port: 80, kind: 'http', instance: 'VI_WEB' }],
  };
}

const PRESETS: Record<string, Preset> = {
  dr: { summary: 'LVS-DR, one VIP, director1 master (the seed guides)', build: (o) => drLab(o, false) },
  'dual-master': {
    summary: 'LVS-DR dual master: web VIP on director1, db VIP on director2',
    build: (o) => drLab(o, true),
  },
  nat: { summary: 'LVS-NAT: public and private segments, directors are the gateway', build: natLab },
  proxy: { summary: 'user-space proxy (lvs_engine userspace) fronted by VRRP', build: proxyLab },
};

export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

/** One line per preset, for usage texts. */
export function presetList(): string {
  const w = Math.max(...PRESET_NAMES.map((n) => n.length));
  return PRESET_NAMES.map((n) => `  ${n.padEnd(w)}  ${PRESETS[n]!.summary}`).join('\n');
}

export class ScenarioError extends Error {}

export function scenario(name: string, o: ScenarioOptions = DEFAULT_OPTIONS): Scenario {
  const p = Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
  if (!p) throw new ScenarioError(`no lab preset named '${name}'; presets: ${PRESET_NAMES.join(', ')}`);
  if (!Number.isFinite(o.advertInt) || o.advertInt < 0.01 || o.advertInt > 255)
    throw new ScenarioError(`advert interval ${o.advertInt} s is out of range (0.01 to 255)`);
  return { name, summary: p.summary, ...p.build(o) };
}
