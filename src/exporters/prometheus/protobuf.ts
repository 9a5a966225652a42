// Accumulator state -> the Prometheus protobuf exposition (io.prometheus.client.MetricFamily,
// varint-length-delimited), the only scrape format that carries native histograms. Field numbers
// are those of prometheus/client_model metrics.proto.
import type { Accumulator, Family, Series } from './accumulator.js';
import { type NativeBuckets, renderNative } from './native.js';

export const PROTOBUF_CONTENT_TYPE =
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

const MetricType = { COUNTER: 0, GAUGE: 1, SUMMARY: 2, HISTOGRAM: 4 } as const;

/** A growable protobuf writer. */
class Writer {
  private buf = Buffer.allocUnsafe(256);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(v: number | bigint): void {
    let n = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (n > 0x7fn) {
      this.buf[this.pos++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.buf[this.pos++] = Number(n);
  }

  /** Varint of a small non-negative integer (fast path). */
  uint(v: number): void {
    if (v < 0 || v > 0x7fffffff) {
      this.varint(v);
      return;
    }
    this.ensure(5);
    let n = v;
    while (n > 0x7f) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
  }

  tag(field: number, wire: 0 | 1 | 2): void {
    this.uint((field << 3) | wire);
  }

  double(field: number, v: number): void {
    this.tag(field, 1);
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  uint64(field: number, v: number | bigint): void {
    this.tag(field, 0);
    if (typeof v === 'bigint' ? v >= 0n && v <= 0x7fffffffn : v >= 0 && v <= 0x7fffffff) this.uint(Number(v));
    else this.varint(v);
  }

  sint32(field: number, v: number): void {
    this.tag(field, 0);
    this.uint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  string(field: number, s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.tag(field, 2);
    this.uint(n);
    this.ensure(n);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += n;
  }

  bytes(field: number, w: Writer): void {
    this.tag(field, 2);
    this.uint(w.pos);
    this.ensure(w.pos);
    w.buf.copy(this.buf, this.pos, 0, w.pos);
    this.pos += w.pos;
  }

  /** Packed repeated sint64. */
  packedSint64(field: number, vs: readonly bigint[]): void {
    if (vs.length === 0) return;
    const w = new Writer();
    for (const v of vs) w.varint((v << 1n) ^ (v >> 63n));
    this.bytes(field, w);
  }

  reset(): void {
    this.pos = 0;
  }

  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

/** `k="v",...` as written by the accumulator -> pairs (unescaped). */
export function parseLabelText(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('="', i);
    const name = text.slice(i, eq);
    let j = eq + 2;
    let v = '';
    const close = text.indexOf('"', j);
    if (text.lastIndexOf('\\', close) < j) {
      out.push([name, text.slice(j, close)]);
      i = close + 2;
      continue;
    }
    for (;;) {
      const c = text[j];
      if (c === '"') break;
      if (c === '\\') {
        const n = text[j + 1];
        v += n === 'n' ? '\n' : (n as string);
        j += 2;
      } else {
        v += c;
        j++;
      }
    }
    out.push([name, v]);
    i = j + 2; // past `",`
  }
  return out;
}

function timestamp(field: number, ns: bigint, w: Writer): void {
  const t = new Writer();
  const sec = ns / 1_000_000_000n;
  t.uint64(1, sec);
  const nanos = Number(ns - sec * 1_000_000_000n);
  if (nanos !== 0) {
    t.tag(2, 0);
    t.uint(nanos);
  }
  w.bytes(field, t);
}

function varintSize(n: number): number {
  let size = 1;
  let v = n;
  while (v > 0x7f) {
    v >>>= 7;
    size++;
  }
  return size;
}

/** Label pairs written in place (no nested writer per pair). */
function labels(m: Writer, labelText: string): void {
  for (const [k, v] of parseLabelText(labelText)) {
    const kn = Buffer.byteLength(k, 'utf8');
    const vn = Buffer.byteLength(v, 'utf8');
    m.tag(1, 2);
    m.uint(1 + varintSize(kn) + kn + 1 + varintSize(vn) + vn);
    m.string(1, k);
    m.string(2, v);
  }
}

function spans(h: Writer, spanField: number, deltaField: number, b: NativeBuckets): void {
  for (const s of b.spans) {
    const sw = new Writer();
    sw.sint32(1, s.offset);
    sw.tag(2, 0);
    sw.uint(s.length);
    h.bytes(spanField, sw);
  }
  h.packedSint64(deltaField, b.deltas);
}

function metric(f: Family, s: Series, sendTimestamps: boolean): Writer {
  const m = new Writer();
  labels(m, s.labelText);
  const v = s.value;
  const created = s.start > 0n;
  switch (v.kind) {
    case 'number': {
      const w = new Writer();
      w.double(1, Number(v.value));
      if (f.type === 'counter') {
        if (created) timestamp(3, s.start, w);
        m.bytes(3, w);
      } else {
        m.bytes(2, w);
      }
      break;
    }
    case 'histogram': {
      const h = new Writer();
      h.uint64(1, v.count);
      if (v.sum !== undefined) h.double(2, v.sum);
      const native = v.native === undefined ? undefined : renderNative(v.native);
      if (native === undefined) {
        let cum = 0n;
        for (let i = 0; i < v.bounds.length; i++) {
          cum += v.counts[i] as bigint;
          const b = new Writer();
          b.uint64(1, cum);
          b.double(2, v.bounds[i] as number);
          h.bytes(3, b);
        }
      } else {
        h.sint32(5, native.schema);
        h.double(6, native.zeroThreshold);
        h.uint64(7, native.zeroCount);
        spans(h, 9, 10, native.negative);
        spans(h, 12, 13, native.positive);
        if (native.positive.spans.length === 0 && native.negative.spans.length === 0) {
          // An empty native histogram must still look native: a no-op span.
          const sw = new Writer();
          sw.sint32(1, 0);
          sw.tag(2, 0);
          sw.uint(0);
          h.bytes(12, sw);
        }
      }
      if (created) timestamp(15, s.start, h);
      m.bytes(7, h);
      break;
    }
    case 'summary': {
      const w = new Writer();
      w.uint64(1, v.count);
      w.double(2, v.sum);
      for (const q of v.quantiles) {
        const qw = new Writer();
        qw.double(1, q.quantile);
        qw.double(2, q.value);
        w.bytes(3, qw);
      }
      if (created) timestamp(4, s.start, w);
      m.bytes(4, w);
      break;
    }
    default: {
      const never: never = v;
      throw new Error(`unknown series value ${String(never)}`);
    }
  }
  if (sendTimestamps) {
    m.tag(6, 0);
    m.varint(s.time / 1_000_000n);
  }
  return m;
}

function typeOf(f: Family): number {
  switch (f.type) {
    case 'counter':
      return MetricType.COUNTER;
    case 'gauge':
      return MetricType.GAUGE;
    case 'histogram':
      return MetricType.HISTOGRAM;
    case 'summary':
      return MetricType.SUMMARY;
    default: {
      const never: never = f.type;
      throw new Error(`unknown family type ${String(never)}`);
    }
  }
}

function delimited(fw: Writer, out: Buffer[]): void {
  const len = new Writer();
  len.uint(fw.pos);
  out.push(len.take(), fw.take());
}

/**
 * Every family as a length-delimited MetricFamily, `target_info` first, families sorted by name.
 * Exponential histograms carry native buckets (schema capped at 8; classic buckets when the scale
 * is below -4); explicit histograms carry classic buckets.
 */
export function renderProtobuf(acc: Accumulator, opts: { readonly sendTimestamps: boolean }): Buffer[] {
  const out: Buffer[] = [];
  if (acc.targets.size > 0) {
    const fw = new Writer();
    fw.string(1, 'target_info');
    fw.string(2, 'Target metadata');
    fw.tag(3, 0);
    fw.uint(MetricType.GAUGE);
    for (const t of acc.targets.values()) {
      const m = new Writer();
      labels(m, t.labelText);
      const g = new Writer();
      g.double(1, 1);
      m.bytes(2, g);
      fw.bytes(4, m);
    }
    delimited(fw, out);
  }
  for (const name of [...acc.families.keys()].sort()) {
    const f = acc.families.get(name) as Family;
    if (f.series.size === 0) continue;
    const fw = new Writer();
    fw.string(1, f.name);
    if (f.help !== '') fw.string(2, f.help);
    fw.tag(3, 0);
    fw.uint(typeOf(f));
    for (const s of f.series.values()) fw.bytes(4, metric(f, s, opts.sendTimestamps));
    if (f.unit !== '' && f.name.replace(/_total$/, '').endsWith(`_${f.unit}`)) fw.string(5, f.unit);
    delimited(fw, out);
  }
  return out;
}
