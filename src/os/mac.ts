// Ethernet addresses: text <-> 6 bytes. Pure.

/** Parses aa:bb:cc:dd:ee:ff (or '-' separated) into 6 bytes. */
export function parseMac(text: string): Buffer {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-f]{1,2}$/i.test(p))) {
    throw new TypeError(`not a MAC address: '${text}'`);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}
