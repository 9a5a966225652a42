// Validating scan: walks a whole request exactly as ./decode.ts does (same tags, wire types,
// bounds, UTF-8 and depth rules) but builds nothing; returns the item count. It is the receiver's
// hot path. Errors carry only the byte offset: index.ts re-runs the decoder to name the path.
import * as F from './fields.js';
import {
  fail,
  invalidUtf8At,
  MAX_DEPTH,
  type Reader,
  readLength,
  readTag,
  skipField,
  subEnd,
  varint64,
} from './wire.js';

function skipVarint(r: Reader, end: number): void {
  const pos = r.pos;
  if (pos < end && r.buf[pos]! < 0x80) r.pos = pos + 1;
  else varint64(r, end);
}

function skipFixed(r: Reader, end: number, n: number): void {
  if (r.pos + n > end) fail(n === 8 ? 'truncated fixed64' : 'truncated fixed32', r.pos);
  r.pos += n;
}

function skipBytes(r: Reader, end: number): void {
  const len = readLength(r, end);
  r.pos += len;
}

function skipString(r: Reader, end: number): void {
  const len = readLength(r, end);
  const start = r.pos;
  const stop = start + len;
  r.pos = stop;
  // ASCII eight bytes at a time; the full UTF-8 check starts at the first byte >= 0x80.
  const view = r.view;
  let i = start;
  while (i + 8 <= stop && ((view.getInt32(i) | view.getInt32(i + 4)) & 0x80808080) === 0) i += 8;
  const buf = r.buf;
  for (; i < stop; i++) {
    if (buf[i]! >= 0x80) {
      const bad = invalidUtf8At(buf, i, stop);
      if (bad >= 0) fail('invalid UTF-8 in string', bad);
      return;
    }
  }
}

function scanAnyValue(r: Reader, end: number, depth: number): void {
  if (depth > MAX_DEPTH) fail(`values nested deeper than ${MAX_DEPTH}`, r.pos);
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case 0x0a:
        skipString(r, end);
        break;
      case 0x10:
      case 0x18:
        skipVarint(r, end);
        break;
      case 0x21:
        skipFixed(r, end, 8);
        break;
      case 0x2a:
        scanArrayValue(r, subEnd(r, end), depth);
        break;
      case 0x32:
        scanKeyValueList(r, subEnd(r, end), depth);
        break;
      case 0x3a:
        skipBytes(r, end);
        break;
      default:
        skipField(r, tag, end, F.ANY_VALUE_KNOWN);
    }
  }
}

function scanArrayValue(r: Reader, end: number, depth: number): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 0x0a) scanAnyValue(r, subEnd(r, end), depth + 1);
    else skipField(r, tag, end, F.LIST_KNOWN);
  }
}

function scanKeyValueList(r: Reader, end: number, depth: number): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 0x0a) scanKeyValue(r, subEnd(r, end), depth + 1);
    else skipField(r, tag, end, F.LIST_KNOWN);
  }
}

function scanKeyValue(r: Reader, end: number, depth: number): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 0x0a) skipString(r, end);
    else if (tag === 0x12) scanAnyValue(r, subEnd(r, end), depth + 1);
    else skipField(r, tag, end, F.KEY_VALUE_KNOWN);
  }
}

function scanAttribute(r: Reader, end: number): void {
  scanKeyValue(r, subEnd(r, end), 0);
}

function scanResource(r: Reader, end: number): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 0x0a) scanAttribute(r, end);
    else if (tag === 0x10) skipVarint(r, end);
    else skipField(r, tag, end, F.RESOURCE_KNOWN);
  }
}

function scanScope(r: Reader, end: number): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case 0x0a:
      case 0x12:
        skipString(r, end);
        break;
      case 0x1a:
        scanAttribute(r, end);
        break;
      case 0x20:
        skipVarint(r, end);
        break;
      default:
        skipField(r, tag, end, F.SCOPE_KNOWN);
    }
  }
}

/** Request -> Resource* -> Scope* -> items: the three levels every signal shares. */
type ItemScanner = (r: Reader, end: number) => number;

export function scanRequestBody(r: Reader, end: number, scanItem: ItemScanner): number {
  let n = 0;
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 0x0a) n += scanResourceX(r, subEnd(r, end), scanItem);
    else skipField(r, tag, end, F.REQUEST_KNOWN);
  }
  return n;
}

function scanResourceX(r: Reader, end: number, scanItem: ItemScanner): number {
  let n = 0;
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 0x12) n += scanScopeX(r, subEnd(r, end), scanItem);
    else if (tag === 0x0a) scanResource(r, subEnd(r, end));
    else if (tag === 0x1a) skipString(r, end);
    else skipField(r, tag, end, F.RESOURCE_X_KNOWN);
  }
  return n;
}

function scanScopeX(r: Reader, end: number, scanItem: ItemScanner): number {
  let n = 0;
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 0x12) n += scanItem(r, subEnd(r, end));
    else if (tag === 0x0a) scanScope(r, subEnd(r, end));
    else if (tag === 0x1a) skipString(r, end);
    else skipField(r, tag, end, F.SCOPE_X_KNOWN);
  }
  return n;
}

// ---------------------------------------------------------------- traces

export function scanSpan(r: Reader, end: number): number {
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case 0x0a:
      case 0x12:
      case 0x22:
        skipBytes(r, end);
        break;
      case 0x1a:
      case 0x2a:
        skipString(r, end);
        break;
      case 0x30:
      case 0x50:
      case 0x60:
      case 0x70:
        skipVarint(r, end);
        break;
      case 0x39:
      case 0x41:
        skipFixed(r, end, 8);
        break;
      case 0x4a:
        scanAttribute(r, end);
        break;
      case 0x5a:
        scanEvent(r, subEnd(r, end));
        break;
      case 0x6a:
        scanLink(r, subEnd(r, end));
        break;
      case 0x7a:
        scanStatus(r, subEnd(r, end));
        break;
      case 0x85:
        skipFixed(r, end, 4);
        break;
      default:
        skipField(r, tag, end, F.SPAN_KNOWN);
    }
  }
  return 1;
}

function scanEvent(r: Reader, end: number): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case 0x09:
        skipFixed(r, end, 8);
        break;
      case 0x12:
        skipString(r, end);
        break;
      case 0x1a:
        scanAttribute(r, end);
        break;
      case 0x20:
        skipVarint(r, end);
        break;
      default:
        skipField(r, tag, end, F.EVENT_KNOWN);
    }
  }
}

function scanLink(r: Reader, end: number): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case 0x0a:
      case 0x12:
        skipBytes(r, end);
        break;
      case 0x1a:
        skipString(r, end);
        break;
      case 0x22:
        scanAttribute(r, end);
        break;
      case 0x28:
        skipVarint(r, end);
        break;
      case 0x35:
        skipFixed(r, end, 4);
        break;
      default:
        skipField(r, tag, end, F.LINK_KNOWN);
    }
  }
}

function scanStatus(r: Reader, end: number): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 0x12) skipString(r, end);
    else if (tag === 0x18) skipVarint(r, end);
    else skipField(r, tag, end, F.STATUS_KNOWN);
  }
}

// ---------------------------------------------------------------- metrics

export function scanMetric(r: Reader, end: number): number {
  let n = 0;
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case 0x0a:
      case 0x12:
      case 0x1a:
        skipString(r, end);
        break;
      case 0x2a:
      case 0x3a:
      case 0x4a:
      case 0x52:
      case 0x5a:
        // A later data field replaces an earlier one (oneof), and so does its count.
        n = scanMetricData(r, subEnd(r, end), tag);
        break;
      case 0x62:
        scanAttribute(r, end);
        break;
      default:
        skipField(r, tag, end, F.METRIC_KNOWN);
    }
  }
  return n;
}

function scanMetricData(r: Reader, end: number, metricTag: number): number {
  let n = 0;
  const known = F.metricDataKnown(metricTag);
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 0x0a) {
      const sub = subEnd(r, end);
      if (metricTag === 0x2a || metricTag === 0x3a) scanNumberPoint(r, sub);
      else if (metricTag === 0x4a) scanHistogramPoint(r, sub);
      else if (metricTag === 0x52) scanExponentialPoint(r, sub);
      else scanSummaryPoint(r, sub);
      n++;
    } else if ((tag === 0x10 && known !== F.GAUGE_KNOWN) || (tag === 0x18 && known === F.SUM_KNOWN)) {
      skipVarint(r, end);
    } else {
      skipField(r, tag, end, known);
    }
  }
  return n;
}

function scanNumberPoint(r: Reader, end: number): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case 0x11:
      case 0x19:
      case 0x21:
      case 0x31:
        skipFixed(r, end, 8);
        break;
      case 0x2a:
        scanExemplar(r, subEnd(r, end));
        break;
      case 0x3a:
        scanAttribute(r, end);
        break;
      case 0x40:
        skipVarint(r, end);
        break;
      default:
        skipField(r, tag, end, F.NUMBER_POINT_KNOWN);
    }
  }
}

function scanHistogramPoint(r: Reader, end: number): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case 0x11:
      case 0x19:
      case 0x21:
      case 0x29:
      case 0x31:
      case 0x39:
      case 0x59:
      case 0x61:
        skipFixed(r, end, 8);
        break;
      case 0x32:
      case 0x3a:
        skipPackedFixed64(r, end);
        break;
      case 0x42:
        scanExemplar(r, subEnd(r, end));
        break;
      case 0x4a:
        scanAttribute(r, end);
        break;
      case 0x50:
        skipVarint(r, end);
        break;
      default:
        skipField(r, tag, end, F.HISTOGRAM_POINT_KNOWN);
    }
  }
}

function skipPackedFixed64(r: Reader, end: number): void {
  const len = readLength(r, end);
  if (len % 8 !== 0) fail(`packed fixed64 length ${len} is not a multiple of 8`, r.pos);
  r.pos += len;
}

function scanExponentialPoint(r: Reader, end: number): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case 0x0a:
        scanAttribute(r, end);
        break;
      case 0x11:
      case 0x19:
      case 0x21:
      case 0x29:
      case 0x39:
      case 0x61:
      case 0x69:
      case 0x71:
        skipFixed(r, end, 8);
        break;
      case 0x30:
      case 0x50:
        skipVarint(r, end);
        break;
      case 0x42:
      case 0x4a:
        scanBuckets(r, subEnd(r, end));
        break;
      case 0x5a:
        scanExemplar(r, subEnd(r, end));
        break;
      default:
        skipField(r, tag, end, F.EXPONENTIAL_POINT_KNOWN);
    }
  }
}

function scanBuckets(r: Reader, end: number): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 0x08 || tag === 0x10) {
      skipVarint(r, end);
    } else if (tag === 0x12) {
      const stop = subEnd(r, end);
      while (r.pos < stop) skipVarint(r, stop);
    } else {
      skipField(r, tag, end, F.BUCKETS_KNOWN);
    }
  }
}

function scanSummaryPoint(r: Reader, end: number): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case 0x11:
      case 0x19:
      case 0x21:
      case 0x29:
        skipFixed(r, end, 8);
        break;
      case 0x32:
        scanQuantile(r, subEnd(r, end));
        break;
      case 0x3a:
        scanAttribute(r, end);
        break;
      case 0x40:
        skipVarint(r, end);
        break;
      default:
        skipField(r, tag, end, F.SUMMARY_POINT_KNOWN);
    }
  }
}

function scanQuantile(r: Reader, end: number): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === 0x09 || tag === 0x11) skipFixed(r, end, 8);
    else skipField(r, tag, end, F.QUANTILE_KNOWN);
  }
}

function scanExemplar(r: Reader, end: number): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case 0x11:
      case 0x19:
      case 0x31:
        skipFixed(r, end, 8);
        break;
      case 0x22:
      case 0x2a:
        skipBytes(r, end);
        break;
      case 0x3a:
        scanAttribute(r, end);
        break;
      default:
        skipField(r, tag, end, F.EXEMPLAR_KNOWN);
    }
  }
}

// ---------------------------------------------------------------- logs

export function scanLogRecord(r: Reader, end: number): number {
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case 0x09:
      case 0x59:
        skipFixed(r, end, 8);
        break;
      case 0x10:
      case 0x38:
        skipVarint(r, end);
        break;
      case 0x1a:
      case 0x62:
        skipString(r, end);
        break;
      case 0x2a:
        scanAnyValue(r, subEnd(r, end), 0);
        break;
      case 0x32:
        scanAttribute(r, end);
        break;
      case 0x45:
        skipFixed(r, end, 4);
        break;
      case 0x4a:
      case 0x52:
        skipBytes(r, end);
        break;
      default:
        skipField(r, tag, end, F.LOG_RECORD_KNOWN);
    }
  }
  return 1;
}
