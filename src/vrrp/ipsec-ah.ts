// VRRPv2 with IPsec AH as keepalived 2.2.7 implements it (vrrp.c: vrrp_build_ipsecah,
// vrrp_update_pkt, vrrp_in_chk_ipsecah; vrrp_ipsecah.c). The IPv4 packet is protocol 51 and
// carries a 24-byte AH header (next header 112, payload length 4, SPI = the sender's IPv4
// address, a sequence number, a 96-bit ICV) before the VRRP packet, whose auth type is 2 and
// authentication data zero. The ICV is HMAC-MD5 keyed with auth_pass (8 bytes, zero-padded) over
// the IP header with TOS, fragment field and checksum zeroed (and TTL too for unicast), the AH
// header with a zero ICV, and the VRRP packet, cut to 12 bytes. keepalived builds the IP header
// itself (IP_HDRINCL), so the ICV covers an IP id it chose. Pure: bytes in, bytes out.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { encodeIpv4Header, IPPROTO_VRRP, passwordBytes } from './packet.js';

export const IPPROTO_AH = 51;
export const AH_HEADER_LEN = 24;
const AH_PAYLOAD_LEN = 4; // (24 / 4) - 2, RFC 2402
const ICV_LEN = 12;

/** The ICV over an IPv4 header, an AH header and the VRRP packet (inputs are not modified). */
export function ahIcv(
  ipHeader: Uint8Array,
  ah: Uint8Array,
  vrrp: Uint8Array,
  key: string,
  unicast: boolean,
): Buffer {
  const ip = Buffer.from(ipHeader);
  ip.writeUInt8(0, 1); // TOS
  ip.writeUInt16BE(0, 6); // flags and fragment offset
  ip.writeUInt16BE(0, 10); // checksum
  if (unicast) ip.writeUInt8(0, 8); // TTL
  const a = Buffer.from(ah);
  a.fill(0, 12, 12 + ICV_LEN);
  return createHmac('md5', passwordBytes(key))
    .update(ip)
    .update(a)
    .update(vrrp)
    .digest()
    .subarray(0, ICV_LEN);
}

export interface AhSend {
  source: string;
  destination: string;
  /** IP id (keepalived counts from 1, skipping 0 which the kernel would replace). */
  id: number;
  seq: number;
  key: string;
  unicast: boolean;
  /** The VRRP packet (auth type 2, zero authentication data). */
  vrrp: Uint8Array;
}

/** The whole IPv4 packet keepalived sends (for an IP_HDRINCL socket; the kernel fills the checksum). */
export function encodeAhPacket(p: AhSend): Buffer {
  const ip = encodeIpv4Header({
    source: p.source,
    destination: p.destination,
    payloadLength: AH_HEADER_LEN + p.vrrp.length,
    id: p.id,
    protocol: IPPROTO_AH,
  });
  ip.writeUInt16BE(0, 10);
  const ah = Buffer.alloc(AH_HEADER_LEN);
  ah.writeUInt8(IPPROTO_VRRP, 0);
  ah.writeUInt8(AH_PAYLOAD_LEN, 1);
  ip.copy(ah, 4, 12, 16); // SPI: the source address
  ah.writeUInt32BE(p.seq >>> 0, 8);
  ahIcv(ip, ah, p.vrrp, p.key, p.unicast).copy(ah, 12);
  return Buffer.concat([ip, ah, p.vrrp]);
}

export type AhCheck =
  | { ok: true; vrrp: Buffer; seq: number }
  | { ok: false; reason: 'ah-length' | 'ah-next-header' | 'ah-icv' | 'ah-spi' | 'ah-seq'; detail: string };

/**
 * Checks what follows a received IPv4 header of protocol 51: the AH header for VRRP, the ICV
 * (a wrong auth_pass or a changed packet) and the SPI. The sequence number is the caller's (it
 * shares the counter with sending, as keepalived does). Returns the VRRP packet.
 */
export function checkAh(ipHeader: Uint8Array, payload: Uint8Array, key: string, unicast: boolean): AhCheck {
  const b = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (b.length < AH_HEADER_LEN || ipHeader.length < 20)
    return { ok: false, reason: 'ah-length', detail: `AH packet of ${b.length} bytes` };
  if (b.readUInt8(0) !== IPPROTO_VRRP)
    return { ok: false, reason: 'ah-next-header', detail: `AH next header ${b.readUInt8(0)}, not VRRP` };
  const ah = b.subarray(0, AH_HEADER_LEN);
  const vrrp = b.subarray(AH_HEADER_LEN);
  const want = ahIcv(ipHeader, ah, vrrp, key, unicast);
  if (!timingSafeEqual(want, ah.subarray(12, 12 + ICV_LEN)))
    return {
      ok: false,
      reason: 'ah-icv',
      detail: 'invalid IPSEC HMAC-MD5 value (fields changed or a wrong auth_pass)',
    };
  if (!Buffer.from(ipHeader).subarray(12, 16).equals(ah.subarray(4, 8)))
    return { ok: false, reason: 'ah-spi', detail: 'AH SPI is not the source address' };
  return { ok: true, vrrp: Buffer.from(vrrp), seq: ah.readUInt32BE(8) };
}

/**
 * One instance's AH state, as keepalived keeps it: a single sequence counter that sending
 * increments and receiving raises (an advert whose number is not above it is a replay and is
 * dropped), and the IP id of sent packets.
 */
export class AhSession {
  seq = 0;
  private ipId = 0;

  constructor(readonly key: string) {}

  /** The IPv4 packet for one advert (every destination of one send shares id and number). */
  wrap(vrrp: Uint8Array, source: string, destinations: readonly string[], unicast: boolean): Buffer[] {
    // The kernel replaces an id of 0, which would break the ICV: keepalived skips it.
    this.ipId = (this.ipId + 1) & 0xffff || 1;
    if (this.seq < 0xfffffffe) this.seq++;
    const { seq, ipId: id, key } = this;
    return destinations.map((destination) =>
      encodeAhPacket({ source, destination, id, seq, key, unicast, vrrp }),
    );
  }

  /** Checks a received AH packet; on success the counter moves to its number. */
  unwrap(ipHeader: Uint8Array, payload: Uint8Array, unicast: boolean): AhCheck {
    const r = checkAh(ipHeader, payload, this.key, unicast);
    if (!r.ok) return r;
    if (r.seq <= this.seq)
      return {
        ok: false,
        reason: 'ah-seq',
        detail: `IPSEC-AH sequence number ${r.seq} already processed (local ${this.seq})`,
      };
    this.seq = r.seq;
    return r;
  }

  /** The counters, for a reload to carry (keepalived keeps them over a reload). */
  counters(): { seq: number; ipId: number } {
    return { seq: this.seq, ipId: this.ipId };
  }

  resume(c: { seq: number; ipId: number }): void {
    this.seq = c.seq;
    this.ipId = c.ipId;
  }

  /** keepalived, as master, on a lower-priority advert: continue above the sender's number. */
  syncAbove(seq: number): void {
    this.seq = Math.min(seq + 1, 0xfffffffe);
  }
}
