// Prometheus remote write 1.0 protobuf messages (prompb WriteRequest and its parts), encoded and
// decoded by hand. Field numbers (facts from prompb/remote.proto and prompb/types.proto):
//   WriteRequest   { 1 TimeSeries timeseries[]; 3 MetricMetadata metadata[] }
//   TimeSeries     { 1 Label labels[]; 2 Sample samples[]; 3 Exemplar exemplars[]; 4 Histogram histograms[] }
//   Label          { 1 string name; 2 string value }
//   Sample         { 1 double value; 2 int64 timestamp }
//   Exemplar       { 1 Label labels[]; 2 double value; 3 int64 timestamp }
//   Histogram      { 1 uint64 count_int | 2 double count_float; 3 double sum; 4 sint32 schema;
//                    5 double zero_threshold; 6 uint64 zero_count_int | 7 double zero_count_float;
//                    8 BucketSpan negative_spans[]; 9 sint64 negative_deltas[]; 10 double negative_counts[];
//                    11 BucketSpan positive_spans[]; 12 sint64 positive_deltas[]; 13 double positive_counts[];
//                    14 ResetHint reset_hint; 15 int64 timestamp }
//   BucketSpan     { 1 sint32 offset; 2 uint32 length }
//   MetricMetadata { 1 MetricType type; 2 string metric_family_name; 4 string help; 5 string unit }
// Timestamps are milliseconds since the epoch, held as numbers (exact up to 2^53 ms).

export interface Label {
  readonly name: string;
  readonly value: string;
}
export interface Sample {
  readonly value: number;
  readonly timestampMs: number;
}
export interface Exemplar {
  readonly labels: readonly Label[];
  readonly value: number;
  readonly timestampMs: number;
}
export interface BucketSpan {
  readonly offset: number;
  readonly length: number;
}
export const ResetHint = { UNKNOWN: 0, YES: 1, NO: 2, GAUGE: 3 } as const;
export type ResetHintValue = (typeof ResetHint)[keyof typeof ResetHint];

/** A native histogram: integer counts (`deltas`) or float counts (`counts`). */
export interface Histogram {
  readonly count: { readonly kind: 'int'; readonly value: bigint } | { readonly kind: 'float'; readonly value: number };
  readonly sum: number;
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCount:
    | { readonly kind: 'int'; readonly value: bigint }
    | { readonly kind: 'float'; readonly value: number };
  readonly negativeSpans: readonly BucketSpan[];
  readonly negativeDeltas: readonly bigint[];
  readonly negativeCounts: readonly number[];
  readonly positiveSpans: readonly BucketSpan[];
  readonly positiveDeltas: readonly bigint[];
  readonly positiveCounts: readonly number[];
  readonly resetHint: number;
  readonly timestampMs: number;
}
export interface TimeSeries {
  readonly labels: readonly Label[];
  readonly samples: readonly Sample[];
  readonly exemplars: readonly Exemplar[];
  readonly histograms: readonly Histogram[];
}
export const MetricType = {
  UNKNOWN: 0,
  COUNTER: 1,
  GAUGE: 2,
  HISTOGRAM: 3,
  GAUGEHISTOGRAM: 4,
  SUMMARY: 5,
  INFO: 6,
  STATESET: 7,
} as const;
export interface MetricMetadata {
  readonly type: number;
  readonly metricFamilyName: string;
  readonly help: string;
  readonly unit: string;
}
export interface WriteRequest {
  readonly timeseries: readonly TimeSeries[];
  readonly metadata: readonly MetricMetadata[];
}

/** The staleness marker: a NaN with this exact bit pattern ends a series. */
export const STALE_NAN_BITS = 0x7ff0000000000002n;
const staleView = new DataView(new ArrayBuffer(8));
staleView.setBigUint64(0, STALE_NAN_BITS);
export const STALE_NAN: number = staleView.getFloat64(0);

/** True when `v` carries the staleness marker's bits (an ordinary NaN does not). */
export function isStaleNaN(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  staleView.setFloat64(0, v);
  return staleView.getBigUint64(0) === STALE_NAN_BITS;
}

// ------------------------------------------------------------------------------------ encoding

/** A growable byte buffer with protobuf primitives. Reused across requests. */
export class ProtoWriter {
  buf: Buffer;
  view: DataView;
  pos = 0;

  constructor(size = 64 * 1024) {
    this.buf = Buffer.alloc(size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  reset(): void {
    this.pos = 0;
  }

  /** A copy of the bytes written so far. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.alloc(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Unsigned varint of a non-negative safe integer. */
  uvarint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** Varint of a 64-bit value given as bigint (two's complement for negatives). */
  varintBig(v: bigint): void {
    let u = BigInt.asUintN(64, v);
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  /** int64 varint of a safe integer (negatives take 10 bytes). */
  int64(v: number): void {
    if (v >= 0) this.uvarint(v);
    else this.varintBig(BigInt(v));
  }

  double(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  string(s: string): void {
    // Worst case 3 bytes per UTF-16 unit; write the text first, then put the length in front.
    const max = s.length * 3;
    this.ensure(max + 5);
    if (max < 128) {
      const n = this.buf.write(s, this.pos + 1, max, 'utf8');
      this.buf[this.pos] = n;
      this.pos += 1 + n;
      return;
    }
    const start = this.pos;
    this.pos += 5;
    const n = this.buf.write(s, this.pos, max, 'utf8');
    this.pos = start;
    const body = start + 5;
    this.uvarint(n);
    this.buf.copyWithin(this.pos, body, body + n);
    this.pos += n;
  }

  /** Start a length-delimited field: returns the mark for `close`. */
  open(): number {
    return this.pos;
  }

  /** Put the length of everything written since `mark` in front of it. */
  close(mark: number): void {
    const len = this.pos - mark;
    const size = varintSize(len);
    this.ensure(size);
    this.buf.copyWithin(mark + size, mark, this.pos);
    let v = len;
    let p = mark;
    while (v >= 0x80) {
      this.buf[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[p] = v;
    this.pos += size;
  }
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

function zigzag32(v: number): number {
  return ((v << 1) ^ (v >> 31)) >>> 0;
}

function zigzag64(v: bigint): bigint {
  return BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
}

/** Encode one label pair (as a Label message body, without the enclosing tag). */
export function writeLabel(w: ProtoWriter, tag: number, l: Label): void {
  w.byte(tag);
  const m = w.open();
  w.byte(0x0a);
  w.string(l.name);
  w.byte(0x12);
  w.string(l.value);
  w.close(m);
}

/** The encoded `labels` fields of a TimeSeries (tag 1, repeated): cacheable per series. */
export function encodeLabels(labels: readonly Label[], w: ProtoWriter = new ProtoWriter(256)): Buffer {
  w.reset();
  for (const l of labels) writeLabel(w, 0x0a, l);
  return w.finish();
}

export function writeSample(w: ProtoWriter, s: Sample): void {
  w.byte(0x12);
  const m = w.open();
  if (!Object.is(s.value, 0)) {
    w.byte(0x09);
    w.double(s.value);
  }
  if (s.timestampMs !== 0) {
    w.byte(0x10);
    w.int64(s.timestampMs);
  }
  w.close(m);
}

function writeExemplar(w: ProtoWriter, e: Exemplar): void {
  w.byte(0x1a);
  const m = w.open();
  for (const l of e.labels) writeLabel(w, 0x0a, l);
  if (!Object.is(e.value, 0)) {
    w.byte(0x11);
    w.double(e.value);
  }
  if (e.timestampMs !== 0) {
    w.byte(0x18);
    w.int64(e.timestampMs);
  }
  w.close(m);
}

function writeSpans(w: ProtoWriter, tag: number, spans: readonly BucketSpan[]): void {
  for (const s of spans) {
    w.byte(tag);
    const m = w.open();
    if (s.offset !== 0) {
      w.byte(0x08);
      w.uvarint(zigzag32(s.offset));
    }
    if (s.length !== 0) {
      w.byte(0x10);
      w.uvarint(s.length);
    }
    w.close(m);
  }
}

function writePackedSint64(w: ProtoWriter, tag: number, vs: readonly bigint[]): void {
  if (vs.length === 0) return;
  w.byte(tag);
  const m = w.open();
  for (const v of vs) w.varintBig(zigzag64(v));
  w.close(m);
}

function writePackedDouble(w: ProtoWriter, tag: number, vs: readonly number[]): void {
  if (vs.length === 0) return;
  w.byte(tag);
  w.uvarint(vs.length * 8);
  for (const v of vs) w.double(v);
}

export function writeHistogram(w: ProtoWriter, h: Histogram): void {
  w.byte(0x22);
  const m = w.open();
  if (h.count.kind === 'int') {
    w.byte(0x08);
    w.varintBig(h.count.value);
  } else {
    w.byte(0x11);
    w.double(h.count.value);
  }
  if (!Object.is(h.sum, 0)) {
    w.byte(0x19);
    w.double(h.sum);
  }
  if (h.schema !== 0) {
    w.byte(0x20);
    w.uvarint(zigzag32(h.schema));
  }
  if (!Object.is(h.zeroThreshold, 0)) {
    w.byte(0x29);
    w.double(h.zeroThreshold);
  }
  if (h.zeroCount.kind === 'int') {
    w.byte(0x30);
    w.varintBig(h.zeroCount.value);
  } else {
    w.byte(0x39);
    w.double(h.zeroCount.value);
  }
  writeSpans(w, 0x42, h.negativeSpans);
  writePackedSint64(w, 0x4a, h.negativeDeltas);
  writePackedDouble(w, 0x52, h.negativeCounts);
  writeSpans(w, 0x5a, h.positiveSpans);
  writePackedSint64(w, 0x62, h.positiveDeltas);
  writePackedDouble(w, 0x6a, h.positiveCounts);
  if (h.resetHint !== 0) {
    w.byte(0x70);
    w.uvarint(h.resetHint);
  }
  if (h.timestampMs !== 0) {
    w.byte(0x78);
    w.int64(h.timestampMs);
  }
  w.close(m);
}

/**
 * Append one TimeSeries (field 1 of WriteRequest). `labelBytes` are the series' encoded labels
 * (from `encodeLabels`), so a caller can cache them across requests.
 */
export function writeSeries(
  w: ProtoWriter,
  labelBytes: Uint8Array,
  samples: readonly Sample[],
  histograms: readonly Histogram[] = [],
  exemplars: readonly Exemplar[] = [],
): void {
  w.byte(0x0a);
  const m = w.open();
  w.raw(labelBytes);
  for (const s of samples) writeSample(w, s);
  for (const e of exemplars) writeExemplar(w, e);
  for (const h of histograms) writeHistogram(w, h);
  w.close(m);
}

export function writeMetadata(w: ProtoWriter, md: MetricMetadata): void {
  w.byte(0x1a);
  const m = w.open();
  if (md.type !== 0) {
    w.byte(0x08);
    w.uvarint(md.type);
  }
  if (md.metricFamilyName !== '') {
    w.byte(0x12);
    w.string(md.metricFamilyName);
  }
  if (md.help !== '') {
    w.byte(0x22);
    w.string(md.help);
  }
  if (md.unit !== '') {
    w.byte(0x2a);
    w.string(md.unit);
  }
  w.close(m);
}

/** Encode a whole WriteRequest (labels encoded as given: the caller sorts them). */
export function encodeWriteRequest(req: WriteRequest, w: ProtoWriter = new ProtoWriter()): Buffer {
  w.reset();
  const lw = new ProtoWriter(256);
  for (const ts of req.timeseries) {
    writeSeries(w, encodeLabels(ts.labels, lw), ts.samples, ts.histograms, ts.exemplars);
  }
  for (const md of req.metadata) writeMetadata(w, md);
  return w.finish();
}

// ------------------------------------------------------------------------------------ decoding

/** A malformed WriteRequest: names the field path and the byte offset. */
export class RemoteWriteDecodeError extends Error {
  constructor(
    readonly path: string,
    readonly what: string,
    readonly offset: number,
    /** `too_large`: well-formed so far, but over `maxElements`. */
    readonly kind: 'malformed' | 'too_large' = 'malformed',
  ) {
    super(`${path === '' ? '' : `${path}: `}${what} at byte ${offset}`);
    this.name = 'RemoteWriteDecodeError';
  }
}

class Fail extends Error {
  readonly segs: string[] = [];
  constructor(
    readonly what: string,
    readonly offset: number,
    readonly kind: 'malformed' | 'too_large' = 'malformed',
  ) {
    super(what);
  }
}

export interface DecodeLimits {
  /** Most labels in one series (default 1024). */
  readonly maxLabelsPerSeries?: number;
  /** Longest label name or value, in bytes (default 64 KiB). */
  readonly maxLabelBytes?: number;
  /**
   * Most decoded elements in one request: series, labels, samples, exemplars, histograms, spans,
   * bucket values, metadata, symbols and label refs (default 2,000,000). A 2-byte empty sample
   * costs ~30x its size as an object, and snappy shrinks runs of them ~20x: without a count, a
   * 3 MB body within the byte limits decodes into gigabytes.
   */
  readonly maxElements?: number;
}

export const DEFAULT_MAX_ELEMENTS = 2_000_000;

class In {
  pos = 0;
  elements = 0;
  readonly view: DataView;
  constructor(
    readonly buf: Uint8Array,
    readonly limits: Required<DecodeLimits>,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Count `n` decoded elements against `maxElements`. */
function take(r: In, at: number, n = 1): void {
  r.elements += n;
  if (r.elements > r.limits.maxElements) {
    throw new Fail(`more than ${r.limits.maxElements} elements in one request`, at, 'too_large');
  }
}

function varint(r: In, end: number): bigint {
  const start = r.pos;
  let lo = 0;
  let shift = 0;
  // Fast path: up to 4 bytes fit in 28 bits.
  while (r.pos < end && shift < 28) {
    const b = r.buf[r.pos++] as number;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) return BigInt(lo >>> 0);
    shift += 7;
  }
  let v = BigInt(lo >>> 0);
  let s = 28n;
  for (let i = 4; i < 10; i++) {
    if (r.pos >= end) throw new Fail('truncated varint', start);
    const b = r.buf[r.pos++] as number;
    v |= BigInt(b & 0x7f) << s;
    if (b < 0x80) return BigInt.asUintN(64, v);
    s += 7n;
  }
  throw new Fail('varint longer than 10 bytes', start);
}

/** A varint that must fit a non-negative safe integer (lengths, tags, enums). */
function smallVarint(r: In, end: number, what: string): number {
  const start = r.pos;
  const b = r.buf[r.pos];
  if (b !== undefined && b < 0x80 && r.pos < end) {
    r.pos++;
    return b;
  }
  const v = varint(r, end);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Fail(`${what} out of range`, start);
  return Number(v);
}

function tsVarint(r: In, end: number): number {
  const start = r.pos;
  // Non-negative values below 2^49 (7 bytes): plain arithmetic.
  let v0 = 0;
  let mul = 1;
  const buf = r.buf;
  for (let i = 0; i < 7 && r.pos < end; i++) {
    const b = buf[r.pos++] as number;
    v0 += (b & 0x7f) * mul;
    if (b < 0x80) return v0;
    mul *= 128;
  }
  r.pos = start;
  const v = BigInt.asIntN(64, varint(r, end));
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Fail('timestamp out of range', start);
  }
  return Number(v);
}

function double(r: In, end: number): number {
  if (r.pos + 8 > end) throw new Fail('truncated double', r.pos);
  const v = r.view.getFloat64(r.pos, true);
  r.pos += 8;
  return v;
}

function lenEnd(r: In, end: number): number {
  const start = r.pos;
  const n = smallVarint(r, end, 'length');
  if (n > end - r.pos) throw new Fail(`length ${n} runs past the end of the enclosing message`, start);
  return r.pos + n;
}

function str(r: In, end: number): string {
  const start = r.pos;
  const e = lenEnd(r, end);
  if (e - r.pos > r.limits.maxLabelBytes) {
    throw new Fail(`string of ${e - r.pos} bytes over the limit of ${r.limits.maxLabelBytes}`, start);
  }
  const buf = r.buf;
  if (e - r.pos <= 64) {
    // Short ASCII (the common case for label names and values): no decoder call.
    let ascii = '';
    let i = r.pos;
    for (; i < e; i++) {
      const c = buf[i] as number;
      if (c >= 0x80) break;
      ascii += String.fromCharCode(c);
    }
    if (i === e) {
      r.pos = e;
      return ascii;
    }
  }
  let s: string;
  try {
    s = decoder.decode(buf.subarray(r.pos, e));
  } catch {
    throw new Fail('invalid UTF-8', r.pos);
  }
  r.pos = e;
  return s;
}

function skip(r: In, wire: number, end: number, tagAt: number): void {
  switch (wire) {
    case 0:
      varint(r, end);
      return;
    case 1:
      if (r.pos + 8 > end) throw new Fail('truncated fixed64', r.pos);
      r.pos += 8;
      return;
    case 2:
      r.pos = lenEnd(r, end);
      return;
    case 5:
      if (r.pos + 4 > end) throw new Fail('truncated fixed32', r.pos);
      r.pos += 4;
      return;
    default:
      throw new Fail(`unsupported wire type ${wire}`, tagAt);
  }
}

function expectWire(wire: number, want: number, field: string, at: number): void {
  if (wire !== want) throw new Fail(`${field}: wire type ${wire}, expected ${want}`, at);
}

/** Run `fn`; on failure, push `seg` onto the error's field path. */
function within<T>(seg: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Fail) e.segs.push(seg);
    throw e;
  }
}

function readLabel(r: In, end: number): Label {
  let name = '';
  let value = '';
  let f = 0;
  try {
    while (r.pos < end) {
      const at = r.pos;
      const tag = smallVarint(r, end, 'tag');
      f = tag >>> 3;
      const wire = tag & 7;
      if (f === 1) {
        expectWire(wire, 2, 'name', at);
        name = str(r, end);
      } else if (f === 2) {
        expectWire(wire, 2, 'value', at);
        value = str(r, end);
      } else if (f === 0) throw new Fail('invalid field number 0', at);
      else skip(r, wire, end, at);
      f = 0;
    }
  } catch (e) {
    if (e instanceof Fail && f !== 0 && !e.what.includes(': wire type'))
      e.segs.push(f === 1 ? 'name' : f === 2 ? 'value' : `field ${f}`);
    throw e;
  }
  return { name, value };
}

function readSample(r: In, end: number): Sample {
  let value = 0;
  let timestampMs = 0;
  let f = 0;
  try {
    while (r.pos < end) {
      const at = r.pos;
      const tag = smallVarint(r, end, 'tag');
      f = tag >>> 3;
      const wire = tag & 7;
      if (f === 1) {
        expectWire(wire, 1, 'value', at);
        value = double(r, end);
      } else if (f === 2) {
        expectWire(wire, 0, 'timestamp', at);
        timestampMs = tsVarint(r, end);
      } else if (f === 0) throw new Fail('invalid field number 0', at);
      else skip(r, wire, end, at);
      f = 0;
    }
  } catch (e) {
    if (e instanceof Fail && (f === 1 || f === 2) && !e.what.includes(': wire type'))
      e.segs.push(f === 1 ? 'value' : 'timestamp');
    throw e;
  }
  return { value, timestampMs };
}

function readExemplar(r: In, end: number): Exemplar {
  const labels: Label[] = [];
  let value = 0;
  let timestampMs = 0;
  while (r.pos < end) {
    const at = r.pos;
    const tag = smallVarint(r, end, 'tag');
    const f = Math.floor(tag / 8);
    const wire = tag & 7;
    if (f === 1) {
      expectWire(wire, 2, 'labels', at);
      take(r, at);
      const i = labels.length;
      labels.push(
        within(`labels[${i}]`, () => {
          const e = lenEnd(r, end);
          return readLabel(r, e);
        }),
      );
    } else if (f === 2) {
      expectWire(wire, 1, 'value', at);
      value = within('value', () => double(r, end));
    } else if (f === 3) {
      expectWire(wire, 0, 'timestamp', at);
      timestampMs = within('timestamp', () => tsVarint(r, end));
    } else if (f === 0) throw new Fail('invalid field number 0', at);
    else skip(r, wire, end, at);
  }
  return { labels, value, timestampMs };
}

function readSpan(r: In, end: number): BucketSpan {
  let offset = 0;
  let length = 0;
  while (r.pos < end) {
    const at = r.pos;
    const tag = smallVarint(r, end, 'tag');
    const f = Math.floor(tag / 8);
    const wire = tag & 7;
    if (f === 1) {
      expectWire(wire, 0, 'offset', at);
      const u = Number(BigInt.asUintN(32, varint(r, end)));
      offset = (u >>> 1) ^ -(u & 1);
    } else if (f === 2) {
      expectWire(wire, 0, 'length', at);
      length = Number(BigInt.asUintN(32, varint(r, end)));
    } else if (f === 0) throw new Fail('invalid field number 0', at);
    else skip(r, wire, end, at);
  }
  return { offset, length };
}

function readSint64s(r: In, wire: number, end: number, into: bigint[]): void {
  const unzig = (u: bigint): bigint => (u >> 1n) ^ -(u & 1n);
  if (wire === 0) {
    take(r, r.pos);
    into.push(unzig(varint(r, end)));
    return;
  }
  if (wire !== 2) throw new Fail(`wire type ${wire}, expected 0 or 2`, r.pos);
  const e = lenEnd(r, end);
  while (r.pos < e) {
    take(r, r.pos);
    into.push(unzig(varint(r, e)));
  }
}

function readDoubles(r: In, wire: number, end: number, into: number[]): void {
  if (wire === 1) {
    take(r, r.pos);
    into.push(double(r, end));
    return;
  }
  if (wire !== 2) throw new Fail(`wire type ${wire}, expected 1 or 2`, r.pos);
  const start = r.pos;
  const e = lenEnd(r, end);
  if ((e - r.pos) % 8 !== 0) throw new Fail('packed doubles: length not a multiple of 8', start);
  take(r, start, (e - r.pos) / 8);
  while (r.pos < e) into.push(double(r, e));
}

function readHistogram(r: In, end: number): Histogram {
  let count: Histogram['count'] = { kind: 'int', value: 0n };
  let zeroCount: Histogram['zeroCount'] = { kind: 'int', value: 0n };
  let sum = 0;
  let schema = 0;
  let zeroThreshold = 0;
  let resetHint = 0;
  let timestampMs = 0;
  const negativeSpans: BucketSpan[] = [];
  const positiveSpans: BucketSpan[] = [];
  const negativeDeltas: bigint[] = [];
  const positiveDeltas: bigint[] = [];
  const negativeCounts: number[] = [];
  const positiveCounts: number[] = [];
  while (r.pos < end) {
    const at = r.pos;
    const tag = smallVarint(r, end, 'tag');
    const f = Math.floor(tag / 8);
    const wire = tag & 7;
    switch (f) {
      case 0:
        throw new Fail('invalid field number 0', at);
      case 1:
        expectWire(wire, 0, 'count_int', at);
        count = { kind: 'int', value: varint(r, end) };
        break;
      case 2:
        expectWire(wire, 1, 'count_float', at);
        count = { kind: 'float', value: double(r, end) };
        break;
      case 3:
        expectWire(wire, 1, 'sum', at);
        sum = double(r, end);
        break;
      case 4: {
        expectWire(wire, 0, 'schema', at);
        const u = Number(BigInt.asUintN(32, varint(r, end)));
        schema = (u >>> 1) ^ -(u & 1);
        break;
      }
      case 5:
        expectWire(wire, 1, 'zero_threshold', at);
        zeroThreshold = double(r, end);
        break;
      case 6:
        expectWire(wire, 0, 'zero_count_int', at);
        zeroCount = { kind: 'int', value: varint(r, end) };
        break;
      case 7:
        expectWire(wire, 1, 'zero_count_float', at);
        zeroCount = { kind: 'float', value: double(r, end) };
        break;
      case 8:
      case 11: {
        const name = f === 8 ? 'negative_spans' : 'positive_spans';
        expectWire(wire, 2, name, at);
        const list = f === 8 ? negativeSpans : positiveSpans;
        take(r, at);
        const i = list.length;
        list.push(
          within(`${name}[${i}]`, () => {
            const e = lenEnd(r, end);
            return readSpan(r, e);
          }),
        );
        break;
      }
      case 9:
        within('negative_deltas', () => readSint64s(r, wire, end, negativeDeltas));
        break;
      case 12:
        within('positive_deltas', () => readSint64s(r, wire, end, positiveDeltas));
        break;
      case 10:
        within('negative_counts', () => readDoubles(r, wire, end, negativeCounts));
        break;
      case 13:
        within('positive_counts', () => readDoubles(r, wire, end, positiveCounts));
        break;
      case 14:
        expectWire(wire, 0, 'reset_hint', at);
        resetHint = Number(BigInt.asUintN(32, varint(r, end)));
        break;
      case 15:
        expectWire(wire, 0, 'timestamp', at);
        timestampMs = within('timestamp', () => tsVarint(r, end));
        break;
      default:
        skip(r, wire, end, at);
    }
  }
  return {
    count,
    sum,
    schema,
    zeroThreshold,
    zeroCount,
    negativeSpans,
    negativeDeltas,
    negativeCounts,
    positiveSpans,
    positiveDeltas,
    positiveCounts,
    resetHint,
    timestampMs,
  };
}

function readSeries(r: In, end: number): TimeSeries {
  const labels: Label[] = [];
  const samples: Sample[] = [];
  const exemplars: Exemplar[] = [];
  const histograms: Histogram[] = [];
  while (r.pos < end) {
    const at = r.pos;
    const tag = smallVarint(r, end, 'tag');
    const f = Math.floor(tag / 8);
    const wire = tag & 7;
    if (f === 0) throw new Fail('invalid field number 0', at);
    if (f > 4) {
      skip(r, wire, end, at);
      continue;
    }
    const name = (['', 'labels', 'samples', 'exemplars', 'histograms'] as const)[f] as string;
    expectWire(wire, 2, name, at);
    try {
      take(r, at);
      const e = lenEnd(r, end);
      if (f === 1) {
        if (labels.length >= r.limits.maxLabelsPerSeries) {
          throw new Fail(`more than ${r.limits.maxLabelsPerSeries} labels in one series`, at);
        }
        labels.push(readLabel(r, e));
      } else if (f === 2) samples.push(readSample(r, e));
      else if (f === 3) exemplars.push(readExemplar(r, e));
      else histograms.push(readHistogram(r, e));
      r.pos = e;
    } catch (err) {
      if (err instanceof Fail) {
        const n = f === 1 ? labels.length : f === 2 ? samples.length : f === 3 ? exemplars.length : histograms.length;
        err.segs.push(`${name}[${n}]`);
      }
      throw err;
    }
  }
  return { labels, samples, exemplars, histograms };
}

function readMetadata(r: In, end: number): MetricMetadata {
  let type = 0;
  let metricFamilyName = '';
  let help = '';
  let unit = '';
  while (r.pos < end) {
    const at = r.pos;
    const tag = smallVarint(r, end, 'tag');
    const f = Math.floor(tag / 8);
    const wire = tag & 7;
    if (f === 1) {
      expectWire(wire, 0, 'type', at);
      type = Number(BigInt.asUintN(32, varint(r, end)));
    } else if (f === 2) {
      expectWire(wire, 2, 'metric_family_name', at);
      metricFamilyName = within('metric_family_name', () => str(r, end));
    } else if (f === 4) {
      expectWire(wire, 2, 'help', at);
      help = within('help', () => str(r, end));
    } else if (f === 5) {
      expectWire(wire, 2, 'unit', at);
      unit = within('unit', () => str(r, end));
    } else if (f === 0) throw new Fail('invalid field number 0', at);
    else skip(r, wire, end, at);
  }
  return { type, metricFamilyName, help, unit };
}

/** Decode a (decompressed) WriteRequest. Throws RemoteWriteDecodeError naming field and offset. */
export function decodeWriteRequest(bytes: Uint8Array, limits: DecodeLimits = {}): WriteRequest {
  const r = new In(bytes, {
    maxLabelsPerSeries: limits.maxLabelsPerSeries ?? 1024,
    maxLabelBytes: limits.maxLabelBytes ?? 65_536,
    maxElements: limits.maxElements ?? DEFAULT_MAX_ELEMENTS,
  });
  const end = bytes.length;
  const timeseries: TimeSeries[] = [];
  const metadata: MetricMetadata[] = [];
  try {
    while (r.pos < end) {
      const at = r.pos;
      const tag = smallVarint(r, end, 'tag');
      const f = Math.floor(tag / 8);
      const wire = tag & 7;
      if (f === 1) {
        expectWire(wire, 2, 'timeseries', at);
        try {
          take(r, at);
          const e = lenEnd(r, end);
          timeseries.push(readSeries(r, e));
        } catch (err) {
          if (err instanceof Fail) err.segs.push(`timeseries[${timeseries.length}]`);
          throw err;
        }
      } else if (f === 3) {
        expectWire(wire, 2, 'metadata', at);
        take(r, at);
        const i = metadata.length;
        metadata.push(
          within(`metadata[${i}]`, () => {
            const e = lenEnd(r, end);
            const md = readMetadata(r, e);
            r.pos = e;
            return md;
          }),
        );
      } else if (f === 0) throw new Fail('invalid field number 0', at);
      else skip(r, wire, end, at);
    }
  } catch (e) {
    if (e instanceof Fail) {
      throw new RemoteWriteDecodeError(e.segs.reverse().join('.'), e.what, e.offset, e.kind);
    }
    throw e;
  }
  return { timeseries, metadata };
}

// ------------------------------------------------------------------------ remote write 2.0
// io.prometheus.write.v2.Request { 4 string symbols[]; 5 TimeSeries timeseries[] }
// TimeSeries { 1 uint32 labels_refs[] (packed; name, value pairs); 2 Sample samples[];
//              3 Histogram histograms[]; 4 Exemplar exemplars[]; 5 Metadata metadata }
// Sample     { 1 double value; 2 int64 timestamp; 3 int64 start_timestamp }
// Exemplar   { 1 uint32 labels_refs[]; 2 double value; 3 int64 timestamp }
// Metadata   { 1 MetricType type; 3 uint32 help_ref; 4 uint32 unit_ref }
// Histogram: the 1.0 field numbers (unknown ones skipped). symbols[0] must be "".

export interface V2Counts {
  readonly samples: number;
  readonly histograms: number;
  readonly exemplars: number;
}

/** A 2.0 request resolved into the 1.0 shape (metadata per series becomes MetricMetadata named
 * by the series' `__name__`); sample start timestamps are kept in `startTimestampMs`. */
export interface DecodedV2 {
  readonly request: WriteRequest;
  readonly counts: V2Counts;
}

/** A 1.0 sample plus the 2.0 start timestamp (0 = unset). */
export interface SampleV2 extends Sample {
  readonly startTimestampMs: number;
}

function readRefs(r: In, wire: number, end: number, into: number[]): void {
  if (wire === 0) {
    take(r, r.pos);
    into.push(smallVarint(r, end, 'ref'));
    return;
  }
  if (wire !== 2) throw new Fail(`wire type ${wire}, expected 0 or 2`, r.pos);
  const e = lenEnd(r, end);
  while (r.pos < e) {
    take(r, r.pos);
    into.push(smallVarint(r, e, 'ref'));
  }
}

function resolveRefs(refs: readonly number[], symbols: readonly string[], at: number): Label[] {
  if (refs.length % 2 !== 0) throw new Fail(`labels_refs has an odd length ${refs.length}`, at);
  const out: Label[] = [];
  for (let i = 0; i < refs.length; i += 2) {
    const n = symbols[refs[i] as number];
    const v = symbols[refs[i + 1] as number];
    if (n === undefined || v === undefined) {
      throw new Fail(`labels_refs[${n === undefined ? i : i + 1}] points past the ${symbols.length} symbols`, at);
    }
    out.push({ name: n, value: v });
  }
  return out;
}

/** Decode a (decompressed) remote write 2.0 Request. Throws RemoteWriteDecodeError. */
export function decodeV2Request(bytes: Uint8Array, limits: DecodeLimits = {}): DecodedV2 {
  const r = new In(bytes, {
    maxLabelsPerSeries: limits.maxLabelsPerSeries ?? 1024,
    maxLabelBytes: limits.maxLabelBytes ?? 65_536,
    maxElements: limits.maxElements ?? DEFAULT_MAX_ELEMENTS,
  });
  const end = bytes.length;
  const symbols: string[] = [];
  const raw: Array<{ at: number; start: number; end: number }> = [];
  try {
    // Symbols may follow the series on the wire: collect both, resolve afterwards.
    while (r.pos < end) {
      const at = r.pos;
      const tag = smallVarint(r, end, 'tag');
      const f = tag >>> 3;
      const wire = tag & 7;
      if (f === 4) {
        expectWire(wire, 2, 'symbols', at);
        try {
          take(r, at);
          symbols.push(str(r, end));
        } catch (err) {
          if (err instanceof Fail) err.segs.push(`symbols[${symbols.length}]`);
          throw err;
        }
      } else if (f === 5) {
        expectWire(wire, 2, 'timeseries', at);
        try {
          take(r, at);
          const e = lenEnd(r, end);
          raw.push({ at, start: r.pos, end: e });
          r.pos = e;
        } catch (err) {
          if (err instanceof Fail) err.segs.push(`timeseries[${raw.length}]`);
          throw err;
        }
      } else if (f === 0) throw new Fail('invalid field number 0', at);
      else skip(r, wire, end, at);
    }
    if (symbols.length > 0 && symbols[0] !== '') throw new Fail('symbols[0] must be the empty string', 0);
    const timeseries: TimeSeries[] = [];
    const metadata: MetricMetadata[] = [];
    let nSamples = 0;
    let nHist = 0;
    let nEx = 0;
    for (let i = 0; i < raw.length; i++) {
      const span = raw[i] as { at: number; start: number; end: number };
      try {
        r.pos = span.start;
        const e = span.end;
        const refs: number[] = [];
        const samples: SampleV2[] = [];
        const histograms: Histogram[] = [];
        const exemplars: Exemplar[] = [];
        let md: { type: number; help: number; unit: number } | undefined;
        while (r.pos < e) {
          const at = r.pos;
          const tag = smallVarint(r, e, 'tag');
          const f = tag >>> 3;
          const wire = tag & 7;
          if (f === 1) readRefs(r, wire, e, refs);
          else if (f === 2) {
            expectWire(wire, 2, 'samples', at);
            take(r, at);
            const se = lenEnd(r, e);
            let value = 0;
            let ts = 0;
            let st = 0;
            while (r.pos < se) {
              const a2 = r.pos;
              const t2 = smallVarint(r, se, 'tag');
              const f2 = t2 >>> 3;
              if (f2 === 1) {
                expectWire(t2 & 7, 1, 'value', a2);
                value = double(r, se);
              } else if (f2 === 2) {
                expectWire(t2 & 7, 0, 'timestamp', a2);
                ts = tsVarint(r, se);
              } else if (f2 === 3) {
                expectWire(t2 & 7, 0, 'start_timestamp', a2);
                st = tsVarint(r, se);
              } else if (f2 === 0) throw new Fail('invalid field number 0', a2);
              else skip(r, t2 & 7, se, a2);
            }
            samples.push({ value, timestampMs: ts, startTimestampMs: st });
          } else if (f === 3) {
            expectWire(wire, 2, 'histograms', at);
            take(r, at);
            const he = lenEnd(r, e);
            histograms.push(readHistogram(r, he));
            r.pos = he;
          } else if (f === 4) {
            expectWire(wire, 2, 'exemplars', at);
            take(r, at);
            const ee = lenEnd(r, e);
            const erefs: number[] = [];
            let value = 0;
            let ts = 0;
            while (r.pos < ee) {
              const a2 = r.pos;
              const t2 = smallVarint(r, ee, 'tag');
              const f2 = t2 >>> 3;
              if (f2 === 1) readRefs(r, t2 & 7, ee, erefs);
              else if (f2 === 2) {
                expectWire(t2 & 7, 1, 'value', a2);
                value = double(r, ee);
              } else if (f2 === 3) {
                expectWire(t2 & 7, 0, 'timestamp', a2);
                ts = tsVarint(r, ee);
              } else if (f2 === 0) throw new Fail('invalid field number 0', a2);
              else skip(r, t2 & 7, ee, a2);
            }
            exemplars.push({ labels: resolveRefs(erefs, symbols, at), value, timestampMs: ts });
          } else if (f === 5) {
            expectWire(wire, 2, 'metadata', at);
            take(r, at);
            const me = lenEnd(r, e);
            const m = { type: 0, help: 0, unit: 0 };
            while (r.pos < me) {
              const a2 = r.pos;
              const t2 = smallVarint(r, me, 'tag');
              const f2 = t2 >>> 3;
              if (f2 === 1 || f2 === 3 || f2 === 4) {
                expectWire(t2 & 7, 0, f2 === 1 ? 'type' : f2 === 3 ? 'help_ref' : 'unit_ref', a2);
                const v = smallVarint(r, me, 'ref');
                if (f2 === 1) m.type = v;
                else if (f2 === 3) m.help = v;
                else m.unit = v;
              } else if (f2 === 0) throw new Fail('invalid field number 0', a2);
              else skip(r, t2 & 7, me, a2);
            }
            md = m;
          } else if (f === 0) throw new Fail('invalid field number 0', at);
          else skip(r, wire, e, at);
        }
        if (refs.length / 2 > r.limits.maxLabelsPerSeries) {
          throw new Fail(`more than ${r.limits.maxLabelsPerSeries} labels in one series`, span.start);
        }
        const labels = resolveRefs(refs, symbols, span.start);
        if (md !== undefined && (md.type !== 0 || md.help !== 0 || md.unit !== 0)) {
          const help = symbols[md.help];
          const unit = symbols[md.unit];
          if (help === undefined || unit === undefined)
            throw new Fail('metadata ref points past the symbols', span.start);
          const name = labels.find((l) => l.name === '__name__')?.value ?? '';
          metadata.push({ type: md.type, metricFamilyName: name, help, unit });
        }
        nSamples += samples.length;
        nHist += histograms.length;
        nEx += exemplars.length;
        timeseries.push({ labels, samples, histograms, exemplars });
      } catch (err) {
        if (err instanceof Fail) err.segs.push(`timeseries[${i}]`);
        throw err;
      }
    }
    return { request: { timeseries, metadata }, counts: { samples: nSamples, histograms: nHist, exemplars: nEx } };
  } catch (e) {
    if (e instanceof Fail) throw new RemoteWriteDecodeError(e.segs.reverse().join('.'), e.what, e.offset, e.kind);
    throw e;
  }
}

/** Encode a remote write 2.0 Request (for senders and tests): a symbol table per request. */
export function encodeV2Request(
  series: ReadonlyArray<{
    readonly labels: readonly Label[];
    readonly samples: readonly SampleV2[];
    readonly histograms?: readonly Histogram[];
    readonly metadata?: { readonly type: number; readonly help: string; readonly unit: string };
  }>,
): Buffer {
  const symbols = new Map<string, number>([['', 0]]);
  const sym = (s: string): number => {
    let i = symbols.get(s);
    if (i === undefined) {
      i = symbols.size;
      symbols.set(s, i);
    }
    return i;
  };
  const body = new ProtoWriter();
  for (const s of series) {
    body.byte(0x2a);
    const m = body.open();
    if (s.labels.length > 0) {
      body.byte(0x0a);
      const lm = body.open();
      for (const l of s.labels) {
        body.uvarint(sym(l.name));
        body.uvarint(sym(l.value));
      }
      body.close(lm);
    }
    for (const smp of s.samples) {
      body.byte(0x12);
      const sm = body.open();
      if (!Object.is(smp.value, 0)) {
        body.byte(0x09);
        body.double(smp.value);
      }
      if (smp.timestampMs !== 0) {
        body.byte(0x10);
        body.int64(smp.timestampMs);
      }
      if (smp.startTimestampMs !== 0) {
        body.byte(0x18);
        body.int64(smp.startTimestampMs);
      }
      body.close(sm);
    }
    for (const h of s.histograms ?? []) {
      // writeHistogram writes tag 4 (0x22); 2.0 puts histograms in field 3 (0x1a).
      const at = body.pos;
      writeHistogram(body, h);
      body.buf[at] = 0x1a;
    }
    if (s.metadata !== undefined) {
      body.byte(0x2a);
      const mm = body.open();
      if (s.metadata.type !== 0) {
        body.byte(0x08);
        body.uvarint(s.metadata.type);
      }
      const h = sym(s.metadata.help);
      const u = sym(s.metadata.unit);
      if (h !== 0) {
        body.byte(0x18);
        body.uvarint(h);
      }
      if (u !== 0) {
        body.byte(0x20);
        body.uvarint(u);
      }
      body.close(mm);
    }
    body.close(m);
  }
  const out = new ProtoWriter();
  for (const s of symbols.keys()) {
    out.byte(0x22);
    out.string(s);
  }
  out.raw(body.buf.subarray(0, body.pos));
  return out.finish();
}
