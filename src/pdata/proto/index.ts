// Hand-written protobuf codec for the OTLP Export*ServiceRequest/Response messages.
// Field numbers: opentelemetry-proto v1 (common, resource, trace, metrics, logs, collector/*).
import type { PartialSuccess, RequestBySignal, Signal } from '../model.js';
import { decodeLogs, decodeMetrics, decodeResponseMessage, decodeTraces } from './decode.js';
import { encodeLogs, encodeMetrics, encodeResponseMessage, encodeTraces } from './encode.js';
import * as F from './fields.js';
import { scanLogRecord, scanMetric, scanRequestBody, scanSpan } from './scan.js';
import { ProtoDecodeError, Reader, toDecodeError, WireError } from './wire.js';
import { writer } from './writer.js';

export { ProtoDecodeError } from './wire.js';

/** Fully decode a request. Throws DecodeError on truncated or malformed input. */
export function decodeRequest<S extends Signal>(signal: S, bytes: Uint8Array): RequestBySignal[S] {
  const r = new Reader(bytes);
  const end = bytes.length;
  try {
    switch (signal) {
      case 'traces':
        return decodeTraces(r, end) as RequestBySignal[S];
      case 'metrics':
        return decodeMetrics(r, end) as RequestBySignal[S];
      case 'logs':
        return decodeLogs(r, end) as RequestBySignal[S];
      default:
        throw new TypeError(`unknown signal ${String(signal)}`);
    }
  } catch (e) {
    throw toDecodeError(e);
  }
}

/** Encode a request to protobuf. */
export function encodeRequest<S extends Signal>(signal: S, req: RequestBySignal[S]): Uint8Array {
  try {
    switch (signal) {
      case 'traces':
        encodeTraces(writer, req as RequestBySignal['traces']);
        break;
      case 'metrics':
        encodeMetrics(writer, req as RequestBySignal['metrics']);
        break;
      case 'logs':
        encodeLogs(writer, req as RequestBySignal['logs']);
        break;
      default:
        throw new TypeError(`unknown signal ${String(signal)}`);
    }
  } catch (e) {
    writer.abort();
    throw e;
  }
  return writer.finish();
}

/** Validate the wire structure of a request without building objects; return its item count
 * (spans, metric data points, log records). Throws DecodeError on malformed input. */
export function scanRequest(signal: Signal, bytes: Uint8Array): number {
  const r = new Reader(bytes, false);
  try {
    switch (signal) {
      case 'traces':
        return scanRequestBody(r, bytes.length, scanSpan);
      case 'metrics':
        return scanRequestBody(r, bytes.length, scanMetric);
      case 'logs':
        return scanRequestBody(r, bytes.length, scanLogRecord);
      default:
        throw new TypeError(`unknown signal ${String(signal)}`);
    }
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    // The scanner keeps no path; the decoder fails at the same byte and names the field.
    decodeRequest(signal, bytes);
    throw new ProtoDecodeError('', e.what, e.offset);
  }
}

function partialNames(signal: Signal): readonly string[] {
  switch (signal) {
    case 'traces':
      return F.TRACES_PARTIAL;
    case 'metrics':
      return F.METRICS_PARTIAL;
    case 'logs':
      return F.LOGS_PARTIAL;
    default:
      throw new TypeError(`unknown signal ${String(signal)}`);
  }
}

/** Encode an Export*ServiceResponse; undefined partial success -> empty message. */
export function encodeResponse(signal: Signal, partial?: PartialSuccess): Uint8Array {
  partialNames(signal);
  try {
    encodeResponseMessage(writer, partial);
  } catch (e) {
    writer.abort();
    throw e;
  }
  return writer.finish();
}

/** Decode an Export*ServiceResponse. */
export function decodeResponse(signal: Signal, bytes: Uint8Array): PartialSuccess | undefined {
  try {
    return decodeResponseMessage(new Reader(bytes), bytes.length, partialNames(signal));
  } catch (e) {
    throw toDecodeError(e);
  }
}
