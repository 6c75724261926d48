// IP address text <-> network-order bytes for the VRRP codec and election (Node has no inet_pton).
// Pure; throws a TypeError naming the text when it is not an address.
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 4 | 6;

export function addressFamily(addr: string): Family {
  if (isIPv4(addr)) return 4;
  if (isIPv6(addr)) return 6;
  throw new TypeError(`not an IP address: '${addr}'`);
}

/** 4 or 16 bytes in network order. A zone suffix (fe80::1%eth0) is ignored. */
export function addressBytes(addr: string): Buffer {
  const text = addr.replace(/%.*$/, '');
  if (isIPv4(text)) return Buffer.from(text.split('.').map(Number));
  if (!isIPv6(text)) throw new TypeError(`not an IP address: '${addr}'`);
  const words = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const b = addressBytes(g);
        out.push(b.readUInt16BE(0), b.readUInt16BE(2));
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const dbl = text.indexOf('::');
  const head = words(dbl >= 0 ? text.slice(0, dbl) : text);
  const tail = dbl >= 0 ? words(text.slice(dbl + 2)) : [];
  const out = Buffer.alloc(16);
  head.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  tail.forEach((w, i) => out.writeUInt16BE(w, 16 - (tail.length - i) * 2));
  return out;
}

/** Text form of 4 or 16 bytes (IPv6 compressed as RFC 5952: longest zero run, first on a tie). */
export function addressText(b: Uint8Array): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.length === 4) return `${buf[0]}.${buf[1]}.${buf[2]}.${buf[3]}`;
  if (buf.length !== 16) throw new TypeError(`an IP address has 4 or 16 bytes, not ${buf.length}`);
  const w = Array.from({ length: 8 }, (_, i) => buf.readUInt16BE(i * 2));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** Numeric comparison (as keepalived's inet_inaddrcmp): <0, 0, >0. Different families compare by family. */
export function compareAddresses(a: string, b: string): number {
  const x = addressBytes(a);
  const y = addressBytes(b);
  if (x.length !== y.length) return x.length - y.length;
  return Buffer.compare(x, y);
}

export function isMulticastAddress(addr: string): boolean {
  const b = addressBytes(addr);
  return b.length === 4 ? (b.readUInt8(0) & 0xf0) === 0xe0 : b.readUInt8(0) === 0xff;
}
