// Stable 32-bit hashes for the hashing schedulers (sh, dh, mh, lblc). They need only be fixed
// and well spread in user space; the kernel engines carry their own.

/** FNV-1a over a string, then a murmur3 finaliser so close inputs spread; `seed` gives independent hashes. */
export function hash32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
