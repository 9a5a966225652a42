// Protobuf wire-format reading: varints, fixed-width scalars, strings, bytes, skipping.
// Every read is bounded by the end of the enclosing message, so a length that overruns its
// parent is caught where it is read. Errors carry the byte offset; message decoders add the
// field path as the error unwinds (see `inField`), so the happy path pays nothing for it.
import { DecodeError } from '../errors.js';

/** Wire types (low three bits of a tag). */
export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const SGROUP = 3;
export const EGROUP = 4;
export const I32 = 5;

/** AnyValue and group nesting limit; deeper input is rejected rather than overflowing the stack. */
export const MAX_DEPTH = 128;

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32', '6', '7'];

/** Node's Buffer string fast paths (present since Node 0.x, not in the public typings). */
interface NativeText {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);
const NO_TEXT = Buffer.alloc(0) as unknown as NativeText;

/** A decode failure at a byte offset; `segs` collects the field path innermost first. */
export class WireError extends Error {
  readonly segs: string[] = [];
  /** True once a message decoder has handled the error, so its parent appends an index. */
  nested = false;
  constructor(
    readonly what: string,
    readonly offset: number,
  ) {
    super(what);
  }
}

/** The public form of a protobuf decode failure: "<field path>: <what> at byte <offset>". */
export class ProtoDecodeError extends DecodeError {
  constructor(
    readonly path: string,
    readonly what: string,
    readonly offset: number,
  ) {
    const prefix = path === '' ? '' : `${path}: `;
    super(`${prefix}${what}`, `${path === '' ? '' : `${path}, `}byte ${offset}`);
    // The offset already ends the sentence; DecodeError's "(at ...)" suffix would repeat it.
    this.message = `${prefix}${what} at byte ${offset}`;
  }
}

export function toDecodeError(e: unknown): unknown {
  if (!(e instanceof WireError)) return e;
  return new ProtoDecodeError(e.segs.slice().reverse().join('.'), e.what, e.offset);
}

/**
 * Called from a message decoder's catch block: names the field the error happened in.
 * `index` is the position of the element being decoded for repeated message fields, -1 otherwise.
 * `tag` is 0 when the error happened while reading a tag.
 */
export function inField(e: unknown, names: readonly string[], tag: number, index: number): unknown {
  if (!(e instanceof WireError)) return e;
  if (tag !== 0) {
    const field = tag >>> 3;
    const name = names[field] || `field ${field}`;
    e.segs.push(e.nested && index >= 0 ? `${name}[${index}]` : name);
  }
  e.nested = true;
  return e;
}

/** The state of one decode: the input, its text and number views, and the read position. */
export class Reader {
  readonly buf: Uint8Array;
  readonly text: NativeText;
  readonly view: DataView;
  pos = 0;
  /** High 32 bits of the last 64-bit varint read by `varint64`. */
  hi = 0;

  /** `withText` false: for the scan, which validates strings but never builds them. */
  constructor(bytes: Uint8Array, withText = true) {
    this.buf = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.text = withText
      ? (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as NativeText)
      : NO_TEXT;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}

export function fail(what: string, offset: number): never {
  throw new WireError(what, offset);
}

/** Reads a tag; rejects field number 0 and tags over 32 bits. */
export function readTag(r: Reader, end: number): number {
  const buf = r.buf;
  const pos = r.pos;
  if (pos + 1 < end) {
    const b0 = buf[pos]!;
    if (b0 < 0x80) {
      if (b0 < 8) fail('invalid field number 0', pos);
      r.pos = pos + 1;
      return b0;
    }
    const b1 = buf[pos + 1]!;
    if (b1 < 0x80) {
      const tag = (b0 & 0x7f) | (b1 << 7);
      // An over-long encoding (80 00) can still spell field number 0.
      if (tag < 8) fail('invalid field number 0', pos);
      r.pos = pos + 2;
      return tag;
    }
  }
  return readTagSlow(r, end);
}

function readTagSlow(r: Reader, end: number): number {
  const start = r.pos;
  const lo = varint64(r, end);
  if (r.hi !== 0 || lo >>> 3 === 0) fail(r.hi !== 0 ? 'field number out of range' : 'invalid field number 0', start);
  return lo;
}

/** Reads a varint and returns its low 32 bits as an unsigned number. */
export function varint32(r: Reader, end: number): number {
  const pos = r.pos;
  if (pos < end) {
    const b = r.buf[pos]!;
    if (b < 0x80) {
      r.pos = pos + 1;
      return b;
    }
  }
  return varint64(r, end);
}

/** Reads a varint of up to 10 bytes; returns the low 32 bits and leaves the high 32 in `r.hi`. */
export function varint64(r: Reader, end: number): number {
  const buf = r.buf;
  let pos = r.pos;
  let lo = 0;
  let hi = 0;
  let b = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) fail('truncated varint', r.pos);
    b = buf[pos++]!;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      r.pos = pos;
      r.hi = 0;
      return lo >>> 0;
    }
  }
  if (pos >= end) fail('truncated varint', r.pos);
  b = buf[pos++]!;
  lo |= (b & 0x0f) << 28;
  hi = (b & 0x7f) >> 4;
  if (b >= 0x80) {
    for (let shift = 3; shift < 32; shift += 7) {
      if (pos >= end) fail('truncated varint', r.pos);
      b = buf[pos++]!;
      if (shift === 31 && b > 1) fail('varint overflows 64 bits', r.pos);
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    if (b >= 0x80) fail('varint longer than 10 bytes', r.pos);
  }
  r.pos = pos;
  r.hi = hi >>> 0;
  return lo >>> 0;
}

/** Reads a length prefix and checks that the bytes it announces are inside `end`. */
export function readLength(r: Reader, end: number): number {
  const start = r.pos;
  let len = 0;
  if (start < end && r.buf[start]! < 0x80) {
    len = r.buf[start]!;
    r.pos = start + 1;
  } else {
    len = varint64(r, end);
    if (r.hi !== 0) fail('length over 2^32 past end of buffer', start);
  }
  if (len > end - r.pos) fail(`length ${len} past end of buffer`, start);
  return len;
}

/** Reads a length prefix and returns the end offset of the sub-message it announces. */
export function subEnd(r: Reader, end: number): number {
  const pos = r.pos;
  if (pos < end) {
    const b = r.buf[pos]!;
    if (b < 0x80 && b <= end - pos - 1) {
      r.pos = pos + 1;
      return pos + 1 + b;
    }
  }
  const len = readLength(r, end);
  return r.pos + len;
}

export function readFixed32(r: Reader, end: number): number {
  const pos = r.pos;
  if (pos + 4 > end) fail('truncated fixed32', pos);
  r.pos = pos + 4;
  return r.view.getUint32(pos, true);
}

export function readFixed64(r: Reader, end: number): bigint {
  const pos = r.pos;
  if (pos + 8 > end) fail('truncated fixed64', pos);
  r.pos = pos + 8;
  return r.view.getBigUint64(pos, true);
}

export function readSfixed64(r: Reader, end: number): bigint {
  const pos = r.pos;
  if (pos + 8 > end) fail('truncated fixed64', pos);
  r.pos = pos + 8;
  return r.view.getBigInt64(pos, true);
}

export function readDouble(r: Reader, end: number): number {
  const pos = r.pos;
  if (pos + 8 > end) fail('truncated double', pos);
  r.pos = pos + 8;
  return r.view.getFloat64(pos, true);
}

export function readBool(r: Reader, end: number): boolean {
  return (varint64(r, end) | r.hi) !== 0;
}

/** int32 / enum: the low 32 bits, signed. */
export function readInt32(r: Reader, end: number): number {
  return varint32(r, end) | 0;
}

export function readSint32(r: Reader, end: number): number {
  const n = varint32(r, end);
  return (n >>> 1) ^ -(n & 1);
}

/** int64 varint as a signed bigint, without BigInt arithmetic when it fits in 53 bits. */
export function readInt64(r: Reader, end: number): bigint {
  const lo = varint64(r, end);
  const hi = r.hi;
  if (hi < 0x200000) return BigInt(hi * 4294967296 + lo);
  if (hi >= 0xffe00000) return BigInt((hi - 4294967296) * 4294967296 + lo);
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
}

/** uint64 varint as a bigint. */
export function readUint64(r: Reader, end: number): bigint {
  const lo = varint64(r, end);
  const hi = r.hi;
  if (hi < 0x200000) return BigInt(hi * 4294967296 + lo);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export function readBytes(r: Reader, end: number): Uint8Array {
  const len = readLength(r, end);
  if (len === 0) return EMPTY_BYTES;
  const start = r.pos;
  r.pos = start + len;
  return r.buf.slice(start, start + len);
}

// ---------------------------------------------------------------- strings

const INTERN_MAX = 32;
const INTERN_BITS = 12;
const internStrings: string[] = new Array<string>(1 << INTERN_BITS).fill('');
/** The UTF-8 bytes of each cached string (comparing bytes is cheaper than charCodeAt). */
const internBytes = new Uint8Array((1 << INTERN_BITS) * INTERN_MAX);
const internView = new DataView(internBytes.buffer);
const internLengths = new Uint8Array(1 << INTERN_BITS);

export function readString(r: Reader, end: number): string {
  const len = readLength(r, end);
  const start = r.pos;
  const stop = start + len;
  r.pos = stop;
  if (len === 0) return '';
  if (len <= INTERN_MAX) return shortString(r, start, stop);
  return longString(r, start, stop);
}

/** Short strings: repeated keys and values come back from a small table instead of being
 * allocated again. The slot is chosen from the length and four sampled bytes; a hit is confirmed
 * by comparing every byte, and only ASCII strings are stored, so a hit is known to be valid. */
function shortString(r: Reader, start: number, stop: number): string {
  const buf = r.buf;
  const len = stop - start;
  const h = Math.imul(
    len ^
      (buf[start]! << 8) ^
      (buf[stop - 1]! << 16) ^
      (buf[start + (len >> 1)]! << 24) ^
      (buf[start + (len >> 2)]! << 4),
    0x9e3779b1,
  );
  const slot = h >>> (32 - INTERN_BITS);
  const base = slot * INTERN_MAX;
  if (internLengths[slot] === len) {
    const view = r.view;
    const words = len & ~3;
    let i = 0;
    while (i < words && internView.getInt32(base + i) === view.getInt32(start + i)) i += 4;
    if (i >= words) {
      while (i < len && internBytes[base + i] === buf[start + i]) i++;
      if (i === len) return internStrings[slot]!;
    }
  }
  for (let i = start; i < stop; i++) {
    if (buf[i]! >= 0x80) return longString(r, start, stop);
  }
  const s = r.text.latin1Slice(start, stop);
  internStrings[slot] = s;
  internLengths[slot] = len;
  for (let i = 0; i < len; i++) internBytes[base + i] = buf[start + i]!;
  return s;
}

function longString(r: Reader, start: number, stop: number): string {
  const s = r.text.utf8Slice(start, stop);
  // The decoder substitutes U+FFFD for invalid input; only then is a precise check needed.
  if (s.indexOf('\ufffd') !== -1) {
    const bad = invalidUtf8At(r.buf, start, stop);
    if (bad >= 0) fail('invalid UTF-8 in string', bad);
  }
  return s;
}

/** Checks that buf[start, stop) is valid UTF-8 (no overlongs, surrogates or values past
 * U+10FFFF); returns -1 when valid, else the offset of the first bad byte. */
export function invalidUtf8At(buf: Uint8Array, start: number, stop: number): number {
  let i = start;
  while (i < stop) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    if (b < 0xc2) return i;
    if (b < 0xe0) {
      if (i + 1 >= stop || (buf[i + 1]! & 0xc0) !== 0x80) return i;
      i += 2;
      continue;
    }
    if (b < 0xf0) {
      if (i + 2 >= stop) return i;
      const b1 = buf[i + 1]!;
      const lo = b === 0xe0 ? 0xa0 : 0x80;
      const hi = b === 0xed ? 0x9f : 0xbf;
      if (b1 < lo || b1 > hi || (buf[i + 2]! & 0xc0) !== 0x80) return i;
      i += 3;
      continue;
    }
    if (b < 0xf5) {
      if (i + 3 >= stop) return i;
      const b1 = buf[i + 1]!;
      const lo = b === 0xf0 ? 0x90 : 0x80;
      const hi = b === 0xf4 ? 0x8f : 0xbf;
      if (b1 < lo || b1 > hi || (buf[i + 2]! & 0xc0) !== 0x80 || (buf[i + 3]! & 0xc0) !== 0x80) return i;
      i += 4;
      continue;
    }
    return i;
  }
  return -1;
}

// ---------------------------------------------------------------- skipping

/**
 * Skips the value of a field this decoder does not read. `known` is a bit set of the field
 * numbers (1..31) the message defines: a known field arriving with a wire type its case did
 * not accept is an error, anything else is an unknown field and is skipped.
 */
export function skipField(r: Reader, tag: number, end: number, known: number): void {
  const field = tag >>> 3;
  const wt = tag & 7;
  if (field < 32 && (known & (1 << field)) !== 0) {
    fail(`wrong wire type ${WIRE_NAMES[wt]} for field ${field}`, r.pos);
  }
  skipValue(r, tag, end, 0);
}

/** Skips one value of any wire type (groups included, to the matching end-group tag). */
export function skipValue(r: Reader, tag: number, end: number, depth: number): void {
  const pos = r.pos;
  switch (tag & 7) {
    case VARINT:
      varint64(r, end);
      return;
    case I64:
      if (pos + 8 > end) fail('truncated fixed64', pos);
      r.pos = pos + 8;
      return;
    case LEN:
      {
        const len = readLength(r, end);
        r.pos += len;
      }
      return;
    case I32:
      if (pos + 4 > end) fail('truncated fixed32', pos);
      r.pos = pos + 4;
      return;
    case SGROUP:
      skipGroup(r, tag >>> 3, end, depth + 1);
      return;
    case EGROUP:
      fail('end-group tag without a start-group', pos);
      break;
    default:
      fail(`invalid wire type ${tag & 7}`, pos);
  }
}

function skipGroup(r: Reader, field: number, end: number, depth: number): void {
  if (depth > MAX_DEPTH) fail(`groups nested deeper than ${MAX_DEPTH}`, r.pos);
  while (r.pos < end) {
    const tag = readTag(r, end);
    if ((tag & 7) === EGROUP) {
      if (tag >>> 3 !== field) fail(`end-group tag for field ${tag >>> 3} inside group ${field}`, r.pos);
      return;
    }
    skipValue(r, tag, end, depth);
  }
  fail(`unterminated group ${field}`, r.pos);
}

/** Bit set of field numbers, for `skipField`. */
export function fieldSet(...fields: number[]): number {
  let set = 0;
  for (const f of fields) set |= 1 << f;
  return set;
}
