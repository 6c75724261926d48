// Addresses for the VRRP codec and election. The text <-> bytes conversions are src/base/inet.ts's
// (one implementation for the project); the election's numeric order is VRRP's own.
import { bytesToIp, ipFamily, ipToBytes, isMulticast, type Family } from '../base/inet.js';

export type { Family };
export const addressFamily = ipFamily;
export const addressBytes = ipToBytes;
export const addressText = bytesToIp;
export const isMulticastAddress = isMulticast;

/** Numeric comparison (as keepalived's inet_inaddrcmp): <0, 0, >0. Different families compare by family. */
export function compareAddresses(a: string, b: string): number {
  const x = ipToBytes(a);
  const y = ipToBytes(b);
  if (x.length !== y.length) return x.length - y.length;
  return Buffer.compare(x, y);
}
