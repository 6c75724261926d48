// Persistence (IPVS "persistent" services): a template keyed by the client address masked by the
// persistence granularity pins that client to one real server; every connection through the
// template restarts its timeout, and it expires `timeout` after the last one ended. Pure: the
// caller passes the time in milliseconds.
import { isIPv4, isIPv6 } from 'node:net';

/** Parses an address into bytes (4 or 16); null when it is not an IP address. */
export function addressBytes(address: string): Uint8Array | null {
  if (isIPv4(address)) return Uint8Array.from(address.split('.').map(Number));
  if (!isIPv6(address)) return null;
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  const tail: number[] = [];
  if (v4) {
    tail.push(...v4[1]!.split('.').map(Number));
    text = text.slice(0, -v4[1]!.length) + '0:0';
  }
  const [head = '', rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    bytes[2 * i] = v >> 8;
    bytes[2 * i + 1] = v & 0xff;
  });
  if (v4) bytes.set(tail, 12);
  return bytes;
}

/** Prefix length of a dotted IPv4 netmask or an IPv6 prefix length; null when invalid. */
export function prefixLength(netmask: string, family: 4 | 6): number | null {
  if (family === 6 || /^\d+$/.test(netmask)) {
    const n = Number(netmask.replace(/^\//, ''));
    return Number.isInteger(n) && n >= 0 && n <= (family === 4 ? 32 : 128) ? n : null;
  }
  const b = addressBytes(netmask);
  if (!b || b.length !== 4) return null;
  const bits = [...b].map((x) => x.toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : null;
}

/** The persistence key of a client: its address masked to the granularity. */
export function persistenceKey(client: string, netmask: string | undefined): string {
  const bytes = addressBytes(client);
  if (!bytes) return client;
  const family = bytes.length === 4 ? 4 : 6;
  const bits = netmask === undefined ? bytes.length * 8 : (prefixLength(netmask, family) ?? bytes.length * 8);
  const out = bytes.map((v, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return v & ((0xff << (8 - keep)) & 0xff);
  });
  return family === 4 ? [...out].join('.') : Buffer.from(out).toString('hex');
}

interface Template {
  destId: string;
  /** Connections currently using the template; it cannot expire while any are open. */
  refs: number;
  expires: number;
}

/** Persistence templates of one service. */
export class PersistenceTable {
  private readonly templates = new Map<string, Template>();

  constructor(
    /** Seconds, as persistence_timeout. */
    private readonly timeoutSec: number,
    private readonly netmask?: string,
  ) {}

  get size(): number {
    return this.templates.size;
  }

  /** The server this client is pinned to, if its template is live. */
  lookup(client: string, now: number): string | null {
    const key = persistenceKey(client, this.netmask);
    const t = this.templates.get(key);
    if (!t) return null;
    if (t.refs === 0 && now >= t.expires) {
      this.templates.delete(key);
      return null;
    }
    return t.destId;
  }

  /** Records a connection of `client` to `destId` (creates or refreshes the template). */
  open(client: string, destId: string, now: number): void {
    const key = persistenceKey(client, this.netmask);
    const t = this.templates.get(key);
    if (t && t.destId === destId) {
      t.refs++;
      t.expires = now + this.timeoutSec * 1000;
    } else {
      this.templates.set(key, { destId, refs: 1, expires: now + this.timeoutSec * 1000 });
    }
  }

  /** A connection of `client` to `destId` ended: the template's timeout runs from now. */
  close(client: string, destId: string, now: number): void {
    const t = this.templates.get(persistenceKey(client, this.netmask));
    if (!t || t.destId !== destId) return;
    t.refs = Math.max(0, t.refs - 1);
    t.expires = now + this.timeoutSec * 1000;
  }

  /** Forgets templates pointing at a server (removed from the service). */
  dropDest(destId: string): void {
    for (const [k, t] of this.templates) if (t.destId === destId) this.templates.delete(k);
  }

  /** Drops expired idle templates; returns how many. */
  sweep(now: number): number {
    let n = 0;
    for (const [k, t] of this.templates) {
      if (t.refs === 0 && now >= t.expires) {
        this.templates.delete(k);
        n++;
      }
    }
    return n;
  }
}
