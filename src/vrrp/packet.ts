// VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798) adverts over IPv4 and IPv6: codec, checksums and the
// receive-side validation in keepalived's order (keepalived/vrrp/vrrp.c vrrp_check_packet).
// Pure: no sockets. The OS adapter hands in the payload plus what the IP layer told it.
import { addressBytes, addressText, isMulticastAddress, type Family } from './address.js';

export const IPPROTO_VRRP = 112;
export const VRRP_TTL = 255;
export const VRRP_TYPE_ADVERT = 1;
export const VRRP_PRIO_OWNER = 255;
export const VRRP_PRIO_STOP = 0;
export const VRRP_HEADER_LEN = 8;
/** v2 over IPv4 always carries 8 bytes of authentication data (zero unless PASS). */
export const VRRP_AUTH_LEN = 8;
/** keepalived sets IP precedence "internetwork control" on IPv4 adverts. */
export const VRRP_IPV4_TOS = 0xc0;
const IPV4_HEADER_LEN = 20;
const IPV6_HEADER_LEN = 40;

export type VrrpVersion = 2 | 3;
export const AUTH_NONE = 0;
export const AUTH_PASS = 1;
export const AUTH_AH = 2;

/** One advert as on the wire. */
export interface Advert {
  /** 2 or 3 when valid; decode keeps whatever the packet says so validation can name it. */
  version: number;
  /** 1 = advertisement; anything else is rejected on receive. */
  type: number;
  vrid: number;
  priority: number;
  /** Advert interval in centiseconds: v2 carries whole seconds (×100 here), v3 12 bits of cs. */
  intervalCs: number;
  /** v2 only (0 for v3): 0 none, 1 PASS, 2 AH. */
  authType: number;
  /** v2/IPv4 only: the 8 authentication bytes (PASS: the password, NUL padded). Empty otherwise. */
  authData: Buffer;
  /** Virtual addresses in packet order, as text. */
  addresses: string[];
  /** The checksum field as carried (decode) or computed (encode). */
  checksum: number;
}

/** What the sender chooses; the checksum is computed. */
export interface AdvertFields {
  version: VrrpVersion;
  type?: number;
  vrid: number;
  priority: number;
  intervalCs: number;
  authType: number;
  authData?: Buffer;
  addresses: string[];
}

/** Packs a configured `auth_pass` as keepalived does: at most 8 bytes, NUL padded. */
export function passwordBytes(pass: string): Buffer {
  const out = Buffer.alloc(VRRP_AUTH_LEN);
  Buffer.from(pass, 'utf8').copy(out, 0, 0, VRRP_AUTH_LEN);
  return out;
}

// ---- checksums -------------------------------------------------------------------------------

/** Ones' complement sum of 16-bit big-endian words (odd trailing byte padded with zero). */
function sum16(buf: Uint8Array, acc = 0): number {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const even = b.length & ~1;
  for (let i = 0; i < even; i += 2) acc += b.readUInt16BE(i);
  if (b.length & 1) acc += b.readUInt8(b.length - 1) << 8;
  return acc;
}

function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return ~acc & 0xffff;
}

/** RFC 1071 Internet checksum of the bytes (0 when the bytes carry a correct checksum). */
export function internetChecksum(buf: Uint8Array): number {
  return fold(sum16(buf));
}

function pseudoHeaderSum(family: Family, source: string, destination: string, length: number): number {
  const src = addressBytes(source);
  const dst = addressBytes(destination);
  const expect = family === 4 ? 4 : 16;
  if (src.length !== expect || dst.length !== expect)
    throw new TypeError(`pseudo-header addresses must be IPv${family}: ${source} -> ${destination}`);
  let acc = sum16(src) + sum16(dst);
  // IPv4: zero, protocol, 16-bit length. IPv6: 32-bit length, 3 zero bytes, next header.
  acc += IPPROTO_VRRP + (length & 0xffff) + (family === 6 ? Math.floor(length / 0x10000) : 0);
  return acc;
}

/** Which checksum a packet carries: v2/IPv4 covers the VRRP packet only; v3/IPv4 and IPv6 add the pseudo-header. */
export function usesPseudoHeader(version: VrrpVersion, family: Family): boolean {
  return family === 6 || version === 3;
}

/**
 * The checksum of a VRRP packet (its checksum field treated as zero is not assumed: pass the
 * packet with the field zeroed to compute, or as received to verify — 0 means valid).
 */
export function vrrpChecksum(
  packet: Uint8Array,
  version: VrrpVersion,
  family: Family,
  source?: string,
  destination?: string,
): number {
  if (!usesPseudoHeader(version, family)) return internetChecksum(packet);
  if (source === undefined || destination === undefined)
    throw new TypeError(`VRRPv${version}/IPv${family} checksum needs the source and destination addresses`);
  return fold(sum16(packet, pseudoHeaderSum(family, source, destination, packet.length)));
}

// ---- lengths ---------------------------------------------------------------------------------

/** Length of the VRRP packet for a version, family and address count (keepalived's vrrp_pkt_len). */
export function vrrpPacketLength(version: VrrpVersion, family: Family, count: number): number {
  return (
    VRRP_HEADER_LEN + (family === 4 && version === 2 ? VRRP_AUTH_LEN : 0) + count * (family === 4 ? 4 : 16)
  );
}

// ---- encode ----------------------------------------------------------------------------------

export interface EncodeOptions {
  family: Family;
  /** Source and destination of the IP packet: needed for the pseudo-header (v3/IPv4, IPv6). */
  source?: string;
  destination?: string;
}

/** Builds the VRRP packet (what goes after the IP header) with its checksum filled in. */
export function encodeAdvert(a: AdvertFields, opts: EncodeOptions): Buffer {
  const { family } = opts;
  if (a.addresses.length > 255)
    throw new RangeError(`VRRP carries at most 255 addresses, not ${a.addresses.length}`);
  const buf = Buffer.alloc(vrrpPacketLength(a.version, family, a.addresses.length));
  buf.writeUInt8(((a.version & 0x0f) << 4) | ((a.type ?? VRRP_TYPE_ADVERT) & 0x0f), 0);
  buf.writeUInt8(a.vrid & 0xff, 1);
  buf.writeUInt8(a.priority & 0xff, 2);
  buf.writeUInt8(a.addresses.length, 3);
  if (a.version === 2) {
    buf.writeUInt8(a.authType & 0xff, 4);
    buf.writeUInt8(Math.floor(a.intervalCs / 100) & 0xff, 5);
  } else {
    buf.writeUInt16BE(Math.floor(a.intervalCs) & 0x0fff, 4); // reserved bits zero
  }
  let off = VRRP_HEADER_LEN;
  for (const addr of a.addresses) {
    const b = addressBytes(addr);
    if (b.length !== (family === 4 ? 4 : 16)) throw new TypeError(`${addr} is not an IPv${family} address`);
    b.copy(buf, off);
    off += b.length;
  }
  if (family === 4 && a.version === 2 && a.authData) a.authData.copy(buf, off, 0, VRRP_AUTH_LEN);
  buf.writeUInt16BE(vrrpChecksum(buf, a.version, family, opts.source, opts.destination), 6);
  return buf;
}

export interface Ipv4HeaderFields {
  source: string;
  destination: string;
  /** Length of what follows the header. */
  payloadLength: number;
  id?: number;
  ttl?: number;
  tos?: number;
  protocol?: number;
}

/** A 20-byte IPv4 header as keepalived builds it (tos 0xc0, no fragment flags, TTL 255) with its checksum. */
export function encodeIpv4Header(h: Ipv4HeaderFields): Buffer {
  const buf = Buffer.alloc(IPV4_HEADER_LEN);
  buf.writeUInt8(0x45, 0);
  buf.writeUInt8(h.tos ?? VRRP_IPV4_TOS, 1);
  buf.writeUInt16BE(IPV4_HEADER_LEN + h.payloadLength, 2);
  buf.writeUInt16BE((h.id ?? 0) & 0xffff, 4);
  buf.writeUInt16BE(0, 6);
  buf.writeUInt8(h.ttl ?? VRRP_TTL, 8);
  buf.writeUInt8(h.protocol ?? IPPROTO_VRRP, 9);
  addressBytes(h.source).copy(buf, 12);
  addressBytes(h.destination).copy(buf, 16);
  buf.writeUInt16BE(internetChecksum(buf), 10);
  return buf;
}

// ---- decode ----------------------------------------------------------------------------------

export type DecodeError = { ok: false; reason: 'packet-length'; detail: string };
export type Decoded = { ok: true; advert: Advert } | DecodeError;

/**
 * Parses a VRRP packet (what follows the IP header). Never throws: anything that cannot be read
 * gives a reason. The packet may be longer than the addresses need (padding); validation judges that.
 */
export function decodeAdvert(packet: Uint8Array, family: Family): Decoded {
  const b = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
  if (b.length < VRRP_HEADER_LEN)
    return {
      ok: false,
      reason: 'packet-length',
      detail: `VRRP packet too short: ${b.length} bytes, header needs 8`,
    };
  const vt = b.readUInt8(0);
  const version = vt >> 4;
  const count = b.readUInt8(3);
  // Only 2 and 3 have a layout; other versions decode as v3 so validation can name the version.
  const v: VrrpVersion = version === 2 ? 2 : 3;
  const need = vrrpPacketLength(v, family, count);
  if (b.length < need)
    return {
      ok: false,
      reason: 'packet-length',
      detail: `VRRP packet too short: ${b.length} bytes, ${count} address(es) need ${need}`,
    };
  const alen = family === 4 ? 4 : 16;
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) {
    const off = VRRP_HEADER_LEN + i * alen;
    addresses.push(addressText(b.subarray(off, off + alen)));
  }
  const authOff = VRRP_HEADER_LEN + count * alen;
  const advert: Advert = {
    version,
    type: vt & 0x0f,
    vrid: b.readUInt8(1),
    priority: b.readUInt8(2),
    intervalCs: v === 2 ? b.readUInt8(5) * 100 : b.readUInt16BE(4) & 0x0fff,
    authType: v === 2 ? b.readUInt8(4) : 0,
    authData:
      v === 2 && family === 4 ? Buffer.from(b.subarray(authOff, authOff + VRRP_AUTH_LEN)) : Buffer.alloc(0),
    addresses,
    checksum: b.readUInt16BE(6),
  };
  return { ok: true, advert };
}

export interface Ipv4Header {
  headerLength: number;
  tos: number;
  totalLength: number;
  id: number;
  ttl: number;
  protocol: number;
  checksum: number;
  source: string;
  destination: string;
}

/** Parses an IPv4 header; null when the bytes cannot be one. */
export function decodeIpv4Header(bytes: Uint8Array): Ipv4Header | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < IPV4_HEADER_LEN) return null;
  const vihl = b.readUInt8(0);
  const headerLength = (vihl & 0x0f) * 4;
  if (vihl >> 4 !== 4 || headerLength < IPV4_HEADER_LEN || b.length < headerLength) return null;
  return {
    headerLength,
    tos: b.readUInt8(1),
    totalLength: b.readUInt16BE(2),
    id: b.readUInt16BE(4),
    ttl: b.readUInt8(8),
    protocol: b.readUInt8(9),
    checksum: b.readUInt16BE(10),
    source: addressText(b.subarray(12, 16)),
    destination: addressText(b.subarray(16, 20)),
  };
}

export interface Ipv6Header {
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  source: string;
  destination: string;
}

export function decodeIpv6Header(bytes: Uint8Array): Ipv6Header | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < IPV6_HEADER_LEN || b.readUInt8(0) >> 4 !== 6) return null;
  const w = b.readUInt32BE(0);
  return {
    trafficClass: (w >>> 20) & 0xff,
    flowLabel: w & 0xfffff,
    payloadLength: b.readUInt16BE(4),
    nextHeader: b.readUInt8(6),
    hopLimit: b.readUInt8(7),
    source: addressText(b.subarray(8, 24)),
    destination: addressText(b.subarray(24, 40)),
  };
}

/**
 * A whole captured IP packet (IPv4 with header, or IPv6 with its fixed header) as the OS adapter
 * would hand it over: the VRRP payload and what the IP layer says. Null when it is not one.
 */
export function splitIpPacket(bytes: Uint8Array): ReceivedAdvert | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length === 0) return null;
  if (b.readUInt8(0) >> 4 === 4) {
    const h = decodeIpv4Header(b);
    if (!h) return null;
    return {
      family: 4,
      ipHeader: Buffer.from(b.subarray(0, h.headerLength)),
      payload: Buffer.from(b.subarray(h.headerLength)),
      source: h.source,
      destination: h.destination,
      ttl: h.ttl,
      multicast: isMulticastAddress(h.destination),
    };
  }
  const h = decodeIpv6Header(b);
  if (!h) return null;
  return {
    family: 6,
    payload: Buffer.from(b.subarray(IPV6_HEADER_LEN)),
    source: h.source,
    destination: h.destination,
    ttl: h.hopLimit,
    multicast: isMulticastAddress(h.destination),
  };
}

// ---- validation ------------------------------------------------------------------------------

/** What the OS adapter received (src/os/vrrp-socket.ts VrrpDatagram fits this shape). */
export interface ReceivedAdvert {
  family: Family;
  /** The VRRP packet (IPv4: after the IP header). */
  payload: Uint8Array;
  /** IPv4: the IP header as received. */
  ipHeader?: Uint8Array;
  source: string;
  destination: string;
  /** IPv4 TTL / IPv6 hop limit, or -1 when the kernel did not tell. */
  ttl: number;
  /** Whether the destination was multicast (IPv6: from IPV6_PKTINFO). */
  multicast: boolean;
}

/** The instance settings the validator checks against. */
export interface AdvertCheck {
  version: VrrpVersion;
  family: Family;
  /** Our advert_int in centiseconds. */
  intervalCs: number;
  /** 0 none, 1 PASS (AH is not supported). */
  authType: number;
  /** PASS: the 8 bytes from passwordBytes(auth_pass). */
  authData?: Buffer;
  /** Virtual addresses configured (text). */
  addresses: string[];
  /** Unicast peers; empty or absent means multicast. */
  unicastPeers?: { address: string; minTtl?: number; maxTtl?: number }[];
  /** keepalived's check_unicast_src / vrrp_check_unicast_src. */
  checkUnicastSource?: boolean;
  /** Check the VIP list (false when vrrp_skip_check_adv_addr applies to an advert from the known master). */
  checkAddresses?: boolean;
  /** owner_ignore_adverts with our effective priority 255: drop everything. */
  ownerIgnoresAdverts?: boolean;
  /** The multicast group used for old-style unicast v3 checksums (default 224.0.0.18). */
  mcastGroup4?: string;
  /**
   * A multicast instance's group: adverts sent to another group are not for it (keepalived binds
   * its socket to the group, so it never sees them).
   */
  group?: string;
}

/** Why a received packet was not accepted; every one is a counter. */
export type RejectReason =
  | 'packet-length' // too short/long for its address count, or IP total length disagrees
  | 'ttl' // TTL / hop limit not 255 (multicast) or outside a unicast peer's range
  | 'version'
  | 'invalid-auth-type' // v2 auth type not 0, 1 or 2
  | 'auth-type-mismatch' // v2 auth type differs from ours
  | 'auth-failure' // v2 PASS data differs
  | 'interval-mismatch' // v2 advert_int differs (dropped, as keepalived)
  | 'invalid-type'
  | 'checksum'
  | 'multicast-mismatch' // multicast packet on a unicast instance or the reverse
  | 'multicast-group' // sent to another multicast group than the instance's
  | 'owner-ignore' // we are address owner with owner_ignore_adverts
  | 'unicast-source' // source not in unicast_peer
  | 'unknown-vrid'; // no instance for the VRID on this interface (counted by the dispatcher)

export const REJECT_REASONS: readonly RejectReason[] = [
  'packet-length',
  'ttl',
  'version',
  'invalid-auth-type',
  'auth-type-mismatch',
  'auth-failure',
  'interval-mismatch',
  'invalid-type',
  'checksum',
  'multicast-mismatch',
  'multicast-group',
  'owner-ignore',
  'unicast-source',
  'unknown-vrid',
];

/** Accepted but worth a log line and a counter. */
export type AdvertNote =
  | 'address-count-mismatch' // keepalived: "expected N VIPs but received M" (addr_list_err)
  | 'address-mismatch' // a configured VIP is missing from the advert (addr_list_err)
  | 'interval-differs' // v3: the master's interval differs from ours (logged only)
  | 'old-unicast-checksum' // v3 unicast checksum made with the multicast group (keepalived < 2.0.x peers)
  | 'priority-zero';

export type Validation =
  | { verdict: 'ok'; advert: Advert; notes: AdvertNote[] }
  /** 'ko' is an invalid packet, 'drop' one not for us (keepalived's VRRP_PACKET_KO / _DROP). */
  | { verdict: 'ko' | 'drop'; reason: RejectReason; detail: string; advert?: Advert };

function reject(
  verdict: 'ko' | 'drop',
  reason: RejectReason,
  detail: string,
  advert?: Advert,
): Validation & { verdict: 'ko' | 'drop' } {
  return advert ? { verdict, reason, detail, advert } : { verdict, reason, detail };
}

/** Ethernet frames shorter than 60 bytes are padded; keepalived accepts that padding (modulo VLAN tags). */
function isEthernetPadding(expected: number, received: number): boolean {
  const ETH_PAYLOAD_MIN = 60 - 14;
  return (
    expected < ETH_PAYLOAD_MIN &&
    expected < received &&
    (received - expected) % 4 === (4 - (ETH_PAYLOAD_MIN % 4)) % 4
  );
}

/** Checks a received packet against an instance, in keepalived's order. Never throws. */
export function validateAdvert(rx: ReceivedAdvert, cfg: AdvertCheck): Validation {
  try {
    return validate(rx, cfg);
  } catch (e) {
    // Only malformed adapter input (bad address text) can get here.
    return reject('ko', 'packet-length', `unreadable packet: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function validate(rx: ReceivedAdvert, cfg: AdvertCheck): Validation {
  const payload = Buffer.from(rx.payload.buffer, rx.payload.byteOffset, rx.payload.byteLength);
  const unicast = (cfg.unicastPeers?.length ?? 0) > 0;
  const ipLen = rx.family === 4 ? (rx.ipHeader?.byteLength ?? IPV4_HEADER_LEN) : 0;
  const received = ipLen + payload.length;

  // 1. Length: the whole VRRP packet for its address count, no more (bar Ethernet padding).
  if (payload.length < VRRP_HEADER_LEN)
    return reject('ko', 'packet-length', `packet too short: ${payload.length} bytes after the IP header`);
  const version = payload.readUInt8(0) >> 4;
  const count = payload.readUInt8(3);
  const expected = ipLen + vrrpPacketLength(version === 2 ? 2 : 3, rx.family, count);
  if (received !== expected && !isEthernetPadding(expected, received))
    return reject(
      'ko',
      'packet-length',
      `packet too ${received > expected ? 'long' : 'short'}: length ${received}, expect ${expected}`,
    );
  const decoded = decodeAdvert(payload, rx.family);
  if (!decoded.ok) return reject('ko', decoded.reason, decoded.detail);
  const a = decoded.advert;

  // 2. TTL / hop limit 255 unless unicast.
  if (!unicast && rx.ttl !== -1 && rx.ttl !== VRRP_TTL)
    return reject('ko', 'ttl', `invalid TTL/HL: received ${rx.ttl}, expect ${VRRP_TTL}`, a);

  // 3. Version.
  if (version !== cfg.version)
    return reject('ko', 'version', `wrong VRRP version: received ${version}, expect ${cfg.version}`, a);

  if (cfg.version === 2) {
    // 4. Authentication.
    if (a.authType !== AUTH_NONE && a.authType !== AUTH_PASS && a.authType !== AUTH_AH)
      return reject('ko', 'invalid-auth-type', `invalid auth type ${a.authType}`, a);
    if (a.authType !== cfg.authType)
      return reject(
        'ko',
        'auth-type-mismatch',
        `received auth type ${a.authType}, expecting ${cfg.authType}`,
        a,
      );
    if (cfg.authType === AUTH_PASS && rx.family === 4) {
      const want = cfg.authData ?? Buffer.alloc(VRRP_AUTH_LEN);
      if (want.length !== VRRP_AUTH_LEN || !a.authData.equals(want))
        return reject('ko', 'auth-failure', 'received an invalid password', a);
    }
    // 5. v2: the interval must match ours, else another router runs this VRID (dropped).
    if (a.intervalCs !== cfg.intervalCs)
      return reject(
        'drop',
        'interval-mismatch',
        `advertisement interval mismatch: mine ${cfg.intervalCs / 100} s, received ${a.intervalCs / 100} s`,
        a,
      );
  }

  // 6. Type.
  if (a.type !== VRRP_TYPE_ADVERT)
    return reject('ko', 'invalid-type', `invalid packet type ${a.type}, expect ${VRRP_TYPE_ADVERT}`, a);

  const notes: AdvertNote[] = [];
  // 7. IPv4 total length.
  if (rx.family === 4 && rx.ipHeader) {
    const h = decodeIpv4Header(rx.ipHeader);
    if (!h) return reject('ko', 'packet-length', 'unreadable IPv4 header', a);
    if (
      h.totalLength !== received &&
      !(h.totalLength < received && isEthernetPadding(h.totalLength, received))
    )
      return reject('ko', 'packet-length', `IP total length ${h.totalLength} but received ${received}`, a);
  }

  // 8. Checksum over exactly the VRRP packet (not any padding).
  const vrrpLen = vrrpPacketLength(cfg.version, rx.family, count);
  const pkt = payload.subarray(0, vrrpLen);
  if (vrrpChecksum(pkt, cfg.version, rx.family, rx.source, rx.destination) !== 0) {
    const group = cfg.mcastGroup4 ?? '224.0.0.18';
    const oldStyle =
      unicast &&
      rx.family === 4 &&
      cfg.version === 3 &&
      rx.destination !== group &&
      vrrpChecksum(pkt, 3, 4, rx.source, group) === 0;
    if (!oldStyle)
      return reject('ko', 'checksum', `invalid VRRPv${cfg.version} checksum 0x${hex4(a.checksum)}`, a);
    notes.push('old-unicast-checksum');
  }

  // 9. v3: a different interval is logged only (backups adopt the master's).
  if (cfg.version === 3 && a.intervalCs !== cfg.intervalCs) notes.push('interval-differs');

  // 10. Multicast packet on a multicast instance, unicast on a unicast one.
  const multicastPkt = rx.family === 4 ? isMulticastAddress(rx.destination) : rx.multicast;
  if (multicastPkt === unicast)
    return reject(
      'ko',
      'multicast-mismatch',
      `expected ${unicast ? 'unicast' : 'multicast'} packet but received ${multicastPkt ? 'multicast' : 'unicast'}`,
      a,
    );

  if (
    multicastPkt &&
    cfg.group !== undefined &&
    addressText(addressBytes(rx.destination)) !== addressText(addressBytes(cfg.group))
  )
    return reject('drop', 'multicast-group', `sent to ${rx.destination}, not to our group ${cfg.group}`, a);

  if (cfg.ownerIgnoresAdverts)
    return reject('drop', 'owner-ignore', 'dropping packet: we are address owner', a);

  // 11. VIP list: counted and logged, not rejected.
  if (count !== cfg.addresses.length) notes.push('address-count-mismatch');
  else if (cfg.checkAddresses !== false) {
    const have = new Set(a.addresses.map((x) => addressText(addressBytes(x))));
    if (cfg.addresses.some((x) => !have.has(addressText(addressBytes(x))))) notes.push('address-mismatch');
  }

  // 12. Unicast source must be a configured peer (when asked to check).
  if (unicast && cfg.checkUnicastSource) {
    const src = addressText(addressBytes(rx.source));
    const peer = cfg.unicastPeers?.find((p) => addressText(addressBytes(p.address)) === src);
    if (!peer)
      return reject('ko', 'unicast-source', `unicast source address ${rx.source} not a unicast peer`, a);
    if (rx.ttl !== -1 && (rx.ttl < (peer.minTtl ?? 0) || rx.ttl > (peer.maxTtl ?? 255)))
      return reject(
        'drop',
        'ttl',
        `TTL/HL ${rx.ttl} not in range ${peer.minTtl ?? 0} - ${peer.maxTtl ?? 255}`,
        a,
      );
  }

  if (a.priority === VRRP_PRIO_STOP) notes.push('priority-zero');
  return { verdict: 'ok', advert: a, notes };
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

// ---- counters --------------------------------------------------------------------------------

/** Per-instance receive counters, named as keepalived's stats where one exists. */
export interface AdvertCounters {
  advertRcvd: number;
  priZeroRcvd: number;
  /** keepalived's addr_list_err counts VIP mismatches and multicast/unicast mismatches. */
  addrListErr: number;
  rejected: Record<RejectReason, number>;
}

export function newAdvertCounters(): AdvertCounters {
  const rejected = {} as Record<RejectReason, number>;
  for (const r of REJECT_REASONS) rejected[r] = 0;
  return { advertRcvd: 0, priZeroRcvd: 0, addrListErr: 0, rejected };
}

/** Adds one validation outcome to the counters (mutates and returns them). */
export function countValidation(c: AdvertCounters, v: Validation): AdvertCounters {
  if (v.verdict !== 'ok') {
    c.rejected[v.reason]++;
    if (v.reason === 'multicast-mismatch') c.addrListErr++;
    return c;
  }
  c.advertRcvd++;
  if (v.notes.includes('address-count-mismatch') || v.notes.includes('address-mismatch')) c.addrListErr++;
  if (v.notes.includes('priority-zero')) c.priZeroRcvd++;
  return c;
}
