// A fast series key for hot paths: for the common case (keys already sorted and unique, every value a string)
// a concatenation; otherwise the canonical attrsKey. Keys of the two forms never collide: the fast form starts
// with a marker character attrsKey output cannot start with (attrsKey output starts with a digit or is empty).
//
// Attribute order never matters: a set that is not sorted (or has duplicate keys) is canonicalised first, so every
// permutation of a set gets the same key, in the same form.
//
// `seriesKey` builds the key by concatenation (fast to build and look up, but a rope in memory);
// `storedSeriesKey` builds the same string flat, for keys that are kept in a map (a rope of n parts costs
// several times the bytes of the flat string).
import type { KeyValue } from '../pdata/model.js';
import { attrsKey, canonicalAttrs } from './attrs.js';

function fastForm(attrs: readonly KeyValue[]): boolean {
  let prev = '';
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i] as KeyValue;
    if (typeof kv.value !== 'string' || (i > 0 && kv.key <= prev)) return false;
    prev = kv.key;
  }
  return true;
}

/** All values are strings (whatever the key order). */
function allStrings(attrs: readonly KeyValue[]): boolean {
  for (let i = 0; i < attrs.length; i++) if (typeof (attrs[i] as KeyValue).value !== 'string') return false;
  return true;
}

/** The key of a set that is not in fast form: the fast form of its canonical order when that has one. */
function slowKey(attrs: readonly KeyValue[], flat: boolean): string {
  if (!allStrings(attrs)) return attrsKey(attrs);
  const canon = canonicalAttrs(attrs);
  return flat ? storedSeriesKey(canon) : seriesKey(canon);
}

export function seriesKey(attrs: readonly KeyValue[]): string {
  const n = attrs.length;
  if (n === 0) return '';
  if (!fastForm(attrs)) return slowKey(attrs, false);
  let out = '#';
  for (let i = 0; i < n; i++) {
    const kv = attrs[i] as KeyValue;
    const v = kv.value as string;
    out += `${kv.key.length}:${kv.key}=${v.length}:${v}`;
  }
  return out;
}

export function storedSeriesKey(attrs: readonly KeyValue[]): string {
  const n = attrs.length;
  if (n === 0) return '';
  if (!fastForm(attrs)) return slowKey(attrs, true);
  const parts: string[] = ['#'];
  for (let i = 0; i < n; i++) {
    const kv = attrs[i] as KeyValue;
    const v = kv.value as string;
    parts.push(String(kv.key.length), ':', kv.key, '=', String(v.length), ':', v);
  }
  return parts.join('');
}
