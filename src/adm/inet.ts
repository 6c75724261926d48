// Address text as ipvsadm reads and prints it: inet_aton's liberal IPv4 forms ("10.1" is
// 10.0.0.1, "0x0a000001" too), inet_pton's IPv6, and the 32-bit words its sort compares. Pure.
import { isIPv6 } from 'node:net';

/** inet_aton: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x); the last fills the rest. */
export function inetAton(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) n = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) n = parseInt(p, 10);
    else return undefined;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255)) return undefined;
  const room = 2 ** (8 * (4 - nums.length)) - 1;
  if (last > room) return undefined;
  let v = 0;
  for (const n of nums) v = v * 256 + n;
  return v * (room + 1) + last;
}

export function ipv4Text(v: number): string {
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

/** inet_pton(AF_INET6) then inet_ntop: the canonical compressed text, or undefined. */
export function canonicalIpv6(text: string): string | undefined {
  if (!isIPv6(text) || text.includes('%')) return undefined;
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

/** The four 32-bit words of an address (IPv4 fills the first, as in IPVS's address union). */
export function addressWords(address: string): [number, number, number, number] {
  if (!address.includes(':')) return [inetAton(address) ?? 0, 0, 0, 0];
  const full = expandIpv6(address);
  const w = (i: number) => parseInt(full[2 * i]! + full[2 * i + 1]!.padStart(4, '0'), 16);
  return [w(0), w(1), w(2), w(3)];
}

function expandIpv6(address: string): string[] {
  let text = address;
  // An embedded IPv4 tail becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = inetAton(v4[1]!) ?? 0;
    text = text.slice(0, v4.index) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...zeros, ...t].map((g) => g.padStart(4, '0'));
}
