// virtual_server_group address entries as keepalived 2.2.7 reads them (check_data.c
// alloc_vsg_entry): ADDRESS, ADDRESS-LAST (IPv4: the last octet in decimal; IPv6: the last
// 16-bit group in hex), ADDRESS-ADDRESS (a full range), ADDRESS/PREFIX (host bits must be zero).
import { isIP } from 'node:net';

/** `tooLarge`: keepalived would take it, vigil cannot (an error); other failures keepalived skips. */
export type GroupAddress =
  | { ok: true; address: string; family: 4 | 6; last?: string }
  | { ok: false; message: string; tooLarge?: true };

/** At most this many addresses per entry: each one is a service in the data plane. */
export const MAX_RANGE = 65536;

function toBig(address: string, family: 4 | 6): bigint {
  if (family === 4) return address.split('.').reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n);
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (v4) {
    const n = toBig(v4, 4);
    text = `${text.slice(0, -v4.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const hs = head ? head.split(':') : [];
  const ts = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? hs : [...hs, ...Array<string>(8 - hs.length - ts.length).fill('0'), ...ts];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function fromBig(n: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => Number((n >> s) & 0xffn)).join('.');
  const g = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: the longest run of two or more zero groups becomes '::'.
  let best = -1;
  let len = 0;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > len && j - i >= 2) [best, len] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + len).join(':')}`;
}

/** Reads one entry's address (without its port). */
export function parseGroupAddress(text: string): GroupAddress {
  const bad = (message: string): GroupAddress => ({ ok: false, message });
  const slash = text.indexOf('/');
  const dash = text.indexOf('-');
  const start = text.slice(0, slash >= 0 ? slash : dash >= 0 ? dash : undefined);
  const family = isIP(start);
  if (family !== 4 && family !== 6) return bad(`'${text}' is not an IP address, range or prefix`);
  const bits = family === 4 ? 32 : 128;
  const first = toBig(start, family);
  const single: GroupAddress = { ok: true, address: fromBig(first, family), family };
  let last: bigint;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > bits) return bad(`invalid netmask in '${text}'`);
    const host = (1n << BigInt(bits - Number(p))) - 1n;
    if (first & host) return bad(`address mask bits not empty in '${text}'`);
    last = first | host;
  } else if (dash >= 0) {
    const end = text.slice(dash + 1);
    if (end.includes(family === 4 ? '.' : ':')) {
      if (isIP(end) !== family) return bad(`invalid range end in '${text}'`);
      last = toBig(end, family);
      if (last < first) return bad(`address range end is less than address range start in '${text}'`);
    } else {
      const low =
        family === 4 ? /^\d+$/.test(end) && Number(end) : /^[0-9a-f]+$/i.test(end) && parseInt(end, 16);
      const max = family === 4 ? 0xff : 0xffff;
      if (low === false || low > max)
        return bad(`range end '${end}' in '${text}' is not a number up to ${max}`);
      if (BigInt(low) <= (first & BigInt(max)))
        return bad(`address range end is not greater than address range start in '${text}'`);
      last = (first & ~BigInt(max)) | BigInt(low);
    }
  } else return single;
  if (last === first) return single;
  if (last - first + 1n > BigInt(MAX_RANGE))
    return {
      ok: false,
      tooLarge: true,
      message: `'${text}' has ${last - first + 1n} addresses; vigil programs at most ${MAX_RANGE} per entry`,
    };
  return { ...single, last: fromBig(last, family) };
}

/** Every address from `first` to `last` inclusive (last absent: first alone). */
export function rangeAddresses(first: string, last: string | undefined, family: 4 | 6): string[] {
  if (last === undefined) return [first];
  const out: string[] = [];
  const end = toBig(last, family);
  for (let n = toBig(first, family); n <= end && out.length < MAX_RANGE; n++) out.push(fromBig(n, family));
  return out;
}
