/**
 * Fast 32-bit hashing for target assignment.
 *
 * Strings are hashed over their UTF-16 code units (what `charCodeAt` returns), so the value is the
 * same on every JavaScript engine and never needs a `TextEncoder` pass. Two independent lanes are
 * computed in one pass: lane 1 is FNV-1a 32 and lane 2 a multiply-xorshift lane; both go through the
 * MurmurHash3 `fmix32` finaliser. Values are returned as signed 32-bit integers (`| 0`) so that hot
 * loops stay in small-integer arithmetic; compare them as signed integers, or use {@link unsigned}.
 *
 * These functions are part of the pinned weighted-rendezvous algorithm: changing any constant here
 * changes assignments and requires a new `RENDEZVOUS_VERSION`.
 */

/** MurmurHash3 fmix32 finaliser (a bijection on 32-bit integers), as a signed 32-bit integer. */
export function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** A signed 32-bit integer read as unsigned. */
export const unsigned = (x: number): number => x >>> 0;

/** Lane 1 of {@link hashString}. */
export function hash32(s: string, seed = 0): number {
  let a = (0x811c9dc5 ^ seed) | 0;
  for (let i = 0; i < s.length; i++) a = Math.imul(a ^ s.charCodeAt(i), 0x01000193);
  return fmix32(a ^ s.length);
}

/**
 * Hashes the `key` of every item (lanes 1 and 2) into `h1[i]` and `h2[i]`. One pass over the code
 * units; no allocation per key.
 */
export function hashKeys(items: ArrayLike<{ readonly key: string }>, h1: Int32Array, h2: Int32Array): void {
  const n = items.length;
  for (let k = 0; k < n; k++) {
    const s = (items[k] as { readonly key: string }).key;
    let a = 0x811c9dc5 | 0;
    let b = 0x9747b28c | 0;
    for (let i = 0; i < s.length; i++) {
      const ch = s.charCodeAt(i);
      a = Math.imul(a ^ ch, 0x01000193);
      b = Math.imul(b ^ ch, 0x5bd1e995);
      b ^= b >>> 15;
    }
    const x = fmix32(a ^ s.length);
    h1[k] = x;
    h2[k] = fmix32(b ^ Math.imul(x, 0x27d4eb2d));
  }
}
