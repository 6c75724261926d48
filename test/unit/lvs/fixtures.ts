// Mutable destination views for scheduler tests (the engine's counts change in place).
import type { ConnInfo, DestView } from '../../../src/dataplane/proxy/schedulers/index.js';

export type Dest = { -readonly [K in keyof DestView]: DestView[K] };

export function dest(id: string, weight = 1, extra: Partial<Dest> = {}): Dest {
  return { id, address: id, port: 80, weight, activeConns: 0, inactiveConns: 0, overloaded: false, ...extra };
}

export function conn(client = '192.0.2.1', clientPort = 40000, destination = '198.51.100.1'): ConnInfo {
  return { client, clientPort, destination, destinationPort: 80 };
}

export function clientN(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}
