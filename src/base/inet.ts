// IP address text <-> network-order bytes (Node has no inet_pton). Pure.
import { isIPv4, isIPv6 } from 'node:net';

export type Family = 4 | 6;

export function ipFamily(addr: string): Family {
  if (isIPv4(addr)) return 4;
  if (isIPv6(addr)) return 6;
  throw new TypeError(`not an IP address: '${addr}'`);
}

/** 4 or 16 bytes in network order. Throws a TypeError naming the text when it is not an address. */
export function ipToBytes(addr: string): Buffer {
  const text = addr.replace(/%.*$/, ''); // a zone (fe80::1%eth0) is not part of the address
  if (isIPv4(text)) return Buffer.from(text.split('.').map(Number));
  if (!isIPv6(text)) throw new TypeError(`not an IP address: '${addr}'`);
  const out = Buffer.alloc(16);
  let head = text;
  let tail = '';
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const words = (part: string): number[] => {
    if (part === '') return [];
    const groups = part.split(':');
    const last = groups[groups.length - 1]!;
    const res: number[] = [];
    for (const g of groups.slice(0, -1)) res.push(parseInt(g, 16));
    if (last.includes('.')) {
      const b = last.split('.').map(Number);
      res.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
    } else {
      res.push(parseInt(last, 16));
    }
    return res;
  };
  const h = words(head);
  const t = words(tail);
  h.forEach((w, i) => out.writeUInt16BE(w, i * 2));
  t.forEach((w, i) => out.writeUInt16BE(w, 16 - (t.length - i) * 2));
  return out;
}

/** Text form of 4 or 16 network-order bytes (IPv6 compressed per RFC 5952). */
export function bytesToIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) throw new TypeError(`an IP address has 4 or 16 bytes, not ${b.length}`);
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const w = Array.from({ length: 8 }, (_, i) => buf.readUInt16BE(i * 2));
  // The longest run (>= 2) of zero words becomes '::'; the first such run on a tie.
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

/** Whether the address is multicast (224.0.0.0/4, ff00::/8). */
export function isMulticast(addr: string): boolean {
  const b = ipToBytes(addr);
  return b.length === 4 ? (b[0]! & 0xf0) === 0xe0 : b[0] === 0xff;
}

/** Parses `ADDR[/PREFIX]`; the prefix defaults to the full length. */
export function parseCidr(text: string): { address: string; prefix: number; family: Family } {
  const [address = '', p, extra] = text.split('/');
  const family = ipFamily(address);
  const max = family === 4 ? 32 : 128;
  if (extra !== undefined || (p !== undefined && !/^\d{1,3}$/.test(p)) || Number(p ?? 0) > max) {
    throw new TypeError(`bad prefix length in '${text}'`);
  }
  return { address, prefix: p === undefined ? max : Number(p), family };
}
