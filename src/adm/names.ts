// Port and host names as ipvsadm resolves them: ports through /etc/services (getservbyname /
// getservbyport), IPv4 host names both ways through /etc/hosts only (no DNS: vigil adm answers
// from local files, so an address without an /etc/hosts name stays numeric).
// Read once, on first use.
import { readFileSync } from 'node:fs';
import { inetAton, ipv4Text } from './inet.js';

export type NameProtocol = 'tcp' | 'udp' | 'sctp';

export interface AdmNames {
  /** Port number of a service name for a protocol (getservbyname). */
  port(name: string, protocol: NameProtocol): number | undefined;
  /** First service name of a port for a protocol (getservbyport). */
  portName(port: number, protocol: NameProtocol): string | undefined;
  /** IPv4 address (dotted) of a host name (gethostbyname, files only). */
  host(name: string): string | undefined;
  /** First /etc/hosts name of an address (gethostbyaddr, files only: no DNS). */
  hostName(address: string): string | undefined;
}

export function parseServices(text: string): {
  byName: Map<string, number>;
  byPort: Map<string, string>;
} {
  const byName = new Map<string, number>();
  const byPort = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [name, portProto, ...aliases] = line.split(/\s+/);
    const m = /^(\d+)\/(\w+)$/.exec(portProto ?? '');
    if (!name || !m) continue;
    const port = Number(m[1]);
    const proto = m[2]!;
    for (const n of [name, ...aliases]) if (!byName.has(`${n}/${proto}`)) byName.set(`${n}/${proto}`, port);
    if (!byPort.has(`${port}/${proto}`)) byPort.set(`${port}/${proto}`, name);
  }
  return { byName, byPort };
}

export function parseHosts(text: string): { byName: Map<string, string>; byAddress: Map<string, string> } {
  const hosts = new Map<string, string>();
  const byAddress = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const [addr, ...names] = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (!addr || addr.includes(':')) continue;
    const v = inetAton(addr);
    if (v === undefined) continue;
    for (const n of names) if (!hosts.has(n)) hosts.set(n, ipv4Text(v));
    if (names[0] && !byAddress.has(ipv4Text(v))) byAddress.set(ipv4Text(v), names[0]);
  }
  return { byName: hosts, byAddress };
}

/** Names from the given file texts (tests), or from /etc/services and /etc/hosts. */
export function fileNames(services?: string, hostsText?: string): AdmNames {
  let svc: ReturnType<typeof parseServices> | undefined;
  let hosts: ReturnType<typeof parseHosts> | undefined;
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  const s = () => (svc ??= parseServices(services ?? read('/etc/services')));
  const h = () => (hosts ??= parseHosts(hostsText ?? read('/etc/hosts')));
  return {
    port: (name, protocol) => s().byName.get(`${name}/${protocol}`),
    portName: (port, protocol) => s().byPort.get(`${port}/${protocol}`),
    host: (name) => h().byName.get(name),
    hostName: (address) => h().byAddress.get(address),
  };
}

let system: AdmNames | undefined;
export function systemNames(): AdmNames {
  return (system ??= fileNames());
}
