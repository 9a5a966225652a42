// Protobuf wire-format writing, back to front.
// Encoding runs from the last field to the first into the end of a scratch buffer, so the
// length of a sub-message is known (mark - pos) right after its contents are written and one
// pass suffices: no size pre-pass, no forks. Fields are written in descending field-number
// order (repeated ones last element first), which yields ascending order in the output.

/** Node's Buffer write fast paths (not in the public typings). */
interface NativeWrite {
  utf8Write(s: string, offset: number, length: number): number;
  latin1Write(s: string, offset: number, length: number): number;
  copy(target: Uint8Array, targetStart: number, sourceStart: number, sourceEnd: number): number;
}

const INITIAL_SIZE = 64 * 1024;
/** Scratch buffers above this size are dropped after use instead of being kept for reuse. */
const KEEP_MAX = 8 * 1024 * 1024;

export class Writer {
  buf: Uint8Array = new Uint8Array(0);
  native: NativeWrite = Buffer.alloc(0) as unknown as NativeWrite;
  view: DataView = new DataView(new ArrayBuffer(0));
  /** Writing moves down from the end; `pos` is the first written byte. */
  pos = 0;

  constructor(size: number) {
    this.reset(size);
  }

  reset(size: number): void {
    const b = Buffer.allocUnsafeSlow(size);
    this.buf = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    this.native = b as unknown as NativeWrite;
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.pos = size;
  }

  /** Copies out what was written and rewinds for the next message. */
  finish(): Buffer {
    const size = this.buf.length;
    const out = Buffer.allocUnsafe(size - this.pos);
    this.native.copy(out, 0, this.pos, size);
    if (size > KEEP_MAX) this.reset(INITIAL_SIZE);
    else this.pos = size;
    return out;
  }

  /** Rewinds after a failed encode. */
  abort(): void {
    if (this.buf.length > KEEP_MAX) this.reset(INITIAL_SIZE);
    else this.pos = this.buf.length;
  }
}

export const writer = new Writer(INITIAL_SIZE);

/** Makes room for n more bytes below `pos`, moving what is written to the end of a larger buffer. */
function grow(w: Writer, n: number): void {
  const oldSize = w.buf.length;
  const used = oldSize - w.pos;
  let size = oldSize * 2;
  while (size - used < n) size *= 2;
  const old = w.buf;
  const oldPos = w.pos;
  w.reset(size);
  w.pos = size - used;
  w.buf.set(old.subarray(oldPos, oldSize), w.pos);
}

export function need(w: Writer, n: number): void {
  if (w.pos < n) grow(w, n);
}

export function varint32(w: Writer, v: number): void {
  if (w.pos < 5) grow(w, 5);
  const buf = w.buf;
  if (v < 0x80) {
    buf[--w.pos] = v;
    return;
  }
  let size = 2;
  if (v >= 0x4000) size = v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
  let p = w.pos - size;
  w.pos = p;
  while (v >= 0x80) {
    buf[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[p] = v;
}

/** A varint from two unsigned 32-bit halves. */
export function varint64(w: Writer, lo: number, hi: number): void {
  if (hi === 0) {
    varint32(w, lo);
    return;
  }
  if (w.pos < 10) grow(w, 10);
  let size = 5;
  for (let h = hi >>> 3; h !== 0; h >>>= 7) size++;
  const buf = w.buf;
  let p = w.pos - size;
  w.pos = p;
  for (let i = 0; i < 4; i++) {
    buf[p++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  // Fifth byte: 4 low bits left of lo, 3 bits of hi.
  let b = lo | ((hi & 0x07) << 4);
  hi >>>= 3;
  while (hi !== 0) {
    buf[p++] = b | 0x80;
    b = hi & 0x7f;
    hi >>>= 7;
  }
  buf[p] = b;
}

/** Writes a one-byte tag (field numbers 1..15). */
export function tag1(w: Writer, tag: number): void {
  if (w.pos < 1) grow(w, 1);
  w.buf[--w.pos] = tag;
}

/** Bytes written so far; a position that survives the buffer growing. */
export function mark(w: Writer): number {
  return w.buf.length - w.pos;
}

/** Closes a length-delimited field whose contents were written since `start` (a mark). */
export function closeLen(w: Writer, start: number, tag: number): void {
  varint32(w, w.buf.length - w.pos - start);
  if (tag < 0x80) tag1(w, tag);
  else varint32(w, tag);
}

/** int32 / enum: negative values take ten bytes, sign-extended. */
export function int32(w: Writer, v: number): void {
  if (v >= 0) varint32(w, v >>> 0);
  else varint64(w, v >>> 0, 0xffffffff);
}

export function sint32(w: Writer, v: number): void {
  varint32(w, ((v << 1) ^ (v >> 31)) >>> 0);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

export function int64(w: Writer, v: bigint): void {
  if (v >= -0x80000000n && v <= 0x7fffffffn) {
    int32(w, Number(v));
    return;
  }
  if (v < INT64_MIN || v > INT64_MAX) throw new RangeError(`${v} is outside the int64 range`);
  const u = BigInt.asUintN(64, v);
  varint64(w, Number(u & 0xffffffffn), Number(u >> 32n));
}

export function uint64(w: Writer, v: bigint): void {
  if (v >= 0n && v <= 0xffffffffn) {
    varint32(w, Number(v));
    return;
  }
  if (v < 0n || v > UINT64_MAX) throw new RangeError(`${v} is outside the uint64 range`);
  varint64(w, Number(v & 0xffffffffn), Number(v >> 32n));
}

export function fixed32(w: Writer, v: number): void {
  if (w.pos < 4) grow(w, 4);
  w.pos -= 4;
  w.view.setUint32(w.pos, v >>> 0, true);
}

export function fixed64(w: Writer, v: bigint): void {
  if (v < 0n || v > UINT64_MAX) throw new RangeError(`${v} is outside the uint64 range`);
  if (w.pos < 8) grow(w, 8);
  w.pos -= 8;
  w.view.setBigUint64(w.pos, v, true);
}

export function sfixed64(w: Writer, v: bigint): void {
  if (v < INT64_MIN || v > INT64_MAX) throw new RangeError(`${v} is outside the int64 range`);
  if (w.pos < 8) grow(w, 8);
  w.pos -= 8;
  w.view.setBigInt64(w.pos, v, true);
}

export function double(w: Writer, v: number): void {
  if (w.pos < 8) grow(w, 8);
  w.pos -= 8;
  w.view.setFloat64(w.pos, v, true);
}

/** String bytes and their length prefix (no tag). */
export function string(w: Writer, s: string): void {
  const n = s.length;
  if (n <= 64) {
    if (w.pos < n + 1) grow(w, n + 1);
    const buf = w.buf;
    let p = w.pos;
    let i = n - 1;
    for (; i >= 0; i--) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[--p] = c;
    }
    if (i < 0) {
      w.pos = p;
      varint32(w, n);
      return;
    }
  }
  const len = Buffer.byteLength(s, 'utf8');
  if (w.pos < len + 5) grow(w, len + 5);
  w.pos -= len;
  w.native.utf8Write(s, w.pos, len);
  varint32(w, len);
}

/** Bytes and their length prefix (no tag). */
export function bytes(w: Writer, b: Uint8Array): void {
  const n = b.length;
  if (w.pos < n + 5) grow(w, n + 5);
  if (n <= 32) {
    const buf = w.buf;
    let p = w.pos;
    for (let i = n - 1; i >= 0; i--) buf[--p] = b[i]!;
    w.pos = p;
  } else {
    w.pos -= n;
    w.buf.set(b, w.pos);
  }
  varint32(w, n);
}
