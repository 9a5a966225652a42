// Identity of an attribute set: the key a metric stream's series are told apart by. Attribute
// order never matters (the data model treats attributes as a set), and values of different types
// never collide ("1" the string is not 1 the int, nor 1.0 the double).
import type { AnyValue, KeyValue } from '../pdata/model.js';

/** Appends an unambiguous encoding of `v` to `out`: a type tag, then the value. */
function encodeValue(v: AnyValue, out: string[]): void {
  if (v === null) {
    out.push('_');
  } else if (typeof v === 'string') {
    // Length-prefixed so that no string can imitate a separator.
    out.push('s', String(v.length), ':', v);
  } else if (typeof v === 'boolean') {
    out.push(v ? 'T' : 'F');
  } else if (typeof v === 'bigint') {
    out.push('i', v.toString(), ';');
  } else if (typeof v === 'number') {
    // Object.is keeps -0 apart from 0 the way the wire does; NaN stringifies stably.
    out.push('d', Object.is(v, -0) ? '-0' : String(v), ';');
  } else if (v instanceof Uint8Array) {
    out.push('b', Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'), ';');
  } else if (Array.isArray(v)) {
    out.push('[', String(v.length), ':');
    for (const e of v) encodeValue(e, out);
    out.push(']');
  } else {
    // A kvlist is itself a set: encode it canonically too.
    out.push('{', attrsKey(v.kvlist), '}');
  }
}

function byKey(a: KeyValue, b: KeyValue): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Canonical string key of an attribute set: equal for equal sets whatever their order.
 * Duplicate keys (illegal, but seen on the wire) keep the last value, as the SDKs do.
 */
export function attrsKey(attrs: readonly KeyValue[]): string {
  const n = attrs.length;
  if (n === 0) return '';
  let sorted: readonly KeyValue[] = attrs;
  for (let i = 1; i < n; i++) {
    if (attrs[i - 1]!.key >= attrs[i]!.key) {
      sorted = dedupeLast([...attrs].sort(byKey));
      break;
    }
  }
  const out: string[] = [];
  for (const kv of sorted) {
    out.push(String(kv.key.length), ':', kv.key, '=');
    encodeValue(kv.value, out);
    out.push('\n');
  }
  return out.join('');
}

/** `sorted` is sorted by key (stable); keep the last of each run of equal keys. */
function dedupeLast(sorted: KeyValue[]): KeyValue[] {
  const out: KeyValue[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (i + 1 < sorted.length && sorted[i + 1]!.key === sorted[i]!.key) continue;
    out.push(sorted[i]!);
  }
  return out;
}

/** The attribute set sorted by key with duplicate keys resolved (last wins); `attrs` is not changed. */
export function canonicalAttrs(attrs: readonly KeyValue[]): KeyValue[] {
  for (let i = 1; i < attrs.length; i++) {
    if (attrs[i - 1]!.key >= attrs[i]!.key) return dedupeLast([...attrs].sort(byKey));
  }
  return [...attrs];
}

/** 32-bit FNV-1a of a string's UTF-16 code units, then a murmur3 finaliser for avalanche. */
export function hash32(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** murmur3's 32-bit finaliser: spreads every input bit over the output. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Render an attribute value for people (pages, logs, reports): strings bare, others as JSON-ish text. */
export function attrValueText(v: AnyValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  if (Array.isArray(v)) return `[${v.map(attrValueText).join(',')}]`;
  return `{${v.kvlist.map((kv) => `${kv.key}=${attrValueText(kv.value)}`).join(',')}}`;
}
