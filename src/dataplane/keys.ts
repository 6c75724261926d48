// Stable identities of the LVS table's entries, shared by the planner (src/lvs) and the engines:
// a service by protocol and address (or fwmark), a destination by address and port. Pure.
import { hostPortText } from '../config/listen.js';
import type { ServiceKey } from './engine.js';

/** Stable identity of a virtual service: "tcp|10.0.0.1|80", "udp|[2001:db8::1]|53", "fwmark|4|1". */
export function serviceId(key: ServiceKey): string {
  if (key.kind === 'fwmark') return `fwmark|${key.family}|${key.fwmark}`;
  return `${key.protocol}|${hostPortText(key.address, key.port)}`;
}

/** Stable identity of a real server within its service: "10.0.0.2:80", "[2001:db8::2]:80". */
export function destId(d: { address: string; port: number }): string {
  return hostPortText(d.address, d.port);
}
