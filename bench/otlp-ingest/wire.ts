// The benchmark's own view of the OTLP wire format: count items in an Export*ServiceRequest, read
// partial_success out of a response, and find latency markers. Deliberately independent of
// src/pdata so that the sink does not trust the code under test to count what it delivered.
// Field numbers are facts from opentelemetry-proto v1.

export type BenchSignal = 'traces' | 'metrics';

/** Marker strings patched into pre-encoded requests: same length, so no size prefix changes. */
export const MARKER_LENGTH = 11;
export const MARKER_PREFIX = 'SYLAT';
export const MARKER_DIGITS = MARKER_LENGTH - MARKER_PREFIX.length;
export const MARKER_MODULO = 10 ** MARKER_DIGITS;
/** The value every unmarked request carries in the marker attribute. */
export const UNMARKED_VALUE = 'NOLAT000000';
const MARKER_PREFIX_BYTES = Buffer.from(MARKER_PREFIX, 'latin1');

export class WireError extends Error {
  override readonly name = 'WireError';
}

/** A cursor over protobuf bytes that only knows how to skip and descend. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new WireError(`truncated varint at byte ${this.pos}`);
      const b = this.buf[this.pos++] as number;
      // Values past 2^53 lose precision; tags and lengths never get there.
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
      if (shift > 63) throw new WireError(`varint too long at byte ${this.pos}`);
    }
  }

  /** Skip a field's value of the given wire type. */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.advance(this.varint());
        return;
      case 5:
        this.advance(4);
        return;
      default:
        throw new WireError(`unsupported wire type ${wireType} at byte ${this.pos}`);
    }
  }

  advance(n: number): void {
    if (this.pos + n > this.end) throw new WireError(`field of ${n} bytes overruns its message at byte ${this.pos}`);
    this.pos += n;
  }
}

/** Calls `visit(start, end)` for every length-delimited field `field` of the message in [start, end). */
function forEachLen(
  buf: Uint8Array,
  start: number,
  end: number,
  field: number,
  visit: (s: number, e: number) => void,
): void {
  const r = new Reader(buf, start, end);
  while (r.pos < end) {
    const tag = r.varint();
    const f = Math.floor(tag / 8);
    const wt = tag & 7;
    if (f === field && wt === 2) {
      const len = r.varint();
      const s = r.pos;
      r.advance(len);
      visit(s, s + len);
    } else {
      r.skip(wt);
    }
  }
}

/** Number of LEN fields `field` in [start, end). */
function countLen(buf: Uint8Array, start: number, end: number, field: number): number {
  let n = 0;
  forEachLen(buf, start, end, field, () => {
    n++;
  });
  return n;
}

// Metric.data oneof: gauge=5, sum=7, histogram=9, exponential_histogram=10, summary=11; each has
// data_points = 1.
const METRIC_DATA_FIELDS: ReadonlySet<number> = new Set([5, 7, 9, 10, 11]);

function countMetricPoints(buf: Uint8Array, start: number, end: number): number {
  let n = 0;
  const r = new Reader(buf, start, end);
  while (r.pos < end) {
    const tag = r.varint();
    const f = Math.floor(tag / 8);
    const wt = tag & 7;
    if (wt === 2 && METRIC_DATA_FIELDS.has(f)) {
      const len = r.varint();
      const s = r.pos;
      r.advance(len);
      n += countLen(buf, s, s + len, 1);
    } else {
      r.skip(wt);
    }
  }
  return n;
}

/** Items in an Export{Trace,Metrics}ServiceRequest: spans or metric data points. Throws WireError
 * on malformed input. */
export function countItems(signal: BenchSignal, buf: Uint8Array): number {
  let n = 0;
  // Request.resource_* = 1; Resource*.scope_* = 2; Scope*.{spans,metrics} = 2.
  forEachLen(buf, 0, buf.length, 1, (rs, re) => {
    forEachLen(buf, rs, re, 2, (ss, se) => {
      if (signal === 'traces') {
        n += countLen(buf, ss, se, 2);
      } else {
        forEachLen(buf, ss, se, 2, (ms, me) => {
          n += countMetricPoints(buf, ms, me);
        });
      }
    });
  });
  return n;
}

/** Export*ServiceResponse.partial_success(1).rejected_*(1) as a number; 0 when absent. */
export function rejectedInResponse(buf: Uint8Array): number {
  let rejected = 0;
  forEachLen(buf, 0, buf.length, 1, (s, e) => {
    const r = new Reader(buf, s, e);
    while (r.pos < e) {
      const tag = r.varint();
      if (tag === 8) rejected = r.varint();
      else r.skip(tag & 7);
    }
  });
  return rejected;
}

/** Marker text for sequence number `seq` (wraps at MARKER_MODULO). */
export function markerText(seq: number): string {
  return MARKER_PREFIX + String(seq % MARKER_MODULO).padStart(MARKER_DIGITS, '0');
}

/** A copy of `template` with the marker slot at `offset` set to `seq`. The template is shared
 * by in-flight requests, so it is never patched in place. */
export function markedCopy(template: Buffer, offset: number, seq: number): Buffer {
  const copy = Buffer.from(template);
  copy.write(markerText(seq), offset, MARKER_LENGTH, 'latin1');
  return copy;
}

/** Every marker sequence number in `buf` (a request arriving at the sink). */
export function findMarkers(buf: Buffer): number[] {
  const found: number[] = [];
  let i = buf.indexOf(MARKER_PREFIX_BYTES);
  while (i !== -1 && i + MARKER_LENGTH <= buf.length) {
    let seq = 0;
    let ok = true;
    for (let j = i + MARKER_PREFIX.length; j < i + MARKER_LENGTH; j++) {
      const d = (buf[j] as number) - 48;
      if (d < 0 || d > 9) {
        ok = false;
        break;
      }
      seq = seq * 10 + d;
    }
    if (ok) found.push(seq);
    i = buf.indexOf(MARKER_PREFIX_BYTES, i + 1);
  }
  return found;
}

/** Offset of the single UNMARKED_VALUE slot in a template; throws unless there is exactly one. */
export function markerSlot(template: Buffer): number {
  const first = template.indexOf(UNMARKED_VALUE, 0, 'latin1');
  if (first === -1) throw new WireError('template carries no marker slot');
  if (template.indexOf(UNMARKED_VALUE, first + 1, 'latin1') !== -1) {
    throw new WireError('template carries more than one marker slot');
  }
  if (template.indexOf(MARKER_PREFIX_BYTES) !== -1) throw new WireError(`template already contains ${MARKER_PREFIX}`);
  return first;
}
