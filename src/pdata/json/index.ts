// OTLP/JSON codec (protobuf JSON mapping with OTLP's exceptions: hex ids, integer enums).
import { DecodeError } from '../errors.js';
import type { PartialSuccess, RequestBySignal, Signal } from '../model.js';
import {
  logsFromValue,
  metricsFromValue,
  NeedsLossless,
  responseFromValue,
  toDecodeError,
  tracesFromValue,
  withLossless,
} from './decode.js';
import { logsJson, metricsJson, tracesJson } from './encode.js';
import { parseLossless } from './lossless.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function toText(text: string | Uint8Array): string {
  if (typeof text === 'string') return text;
  try {
    return utf8.decode(text);
  } catch {
    throw new DecodeError('invalid UTF-8 in JSON text', '$');
  }
}

function parse(text: string, exact: boolean): unknown {
  try {
    return exact ? parseLossless(text) : JSON.parse(text);
  } catch (e) {
    if (e instanceof SyntaxError) throw new DecodeError(`invalid JSON: ${e.message}`, '$');
    if (e instanceof RangeError) throw new DecodeError('invalid JSON: nested too deeply', '$');
    throw e;
  }
}

/** Parses and walks; if an integer field held a number beyond 2^53, parses again without
 * losing digits. */
function decode<T>(text: string | Uint8Array, walk: (v: unknown) => T): T {
  const s = toText(text);
  try {
    return withLossless(false, () => walk(parse(s, false)));
  } catch (e) {
    if (!(e instanceof NeedsLossless)) throw toDecodeError(e);
  }
  try {
    return withLossless(true, () => walk(parse(s, true)));
  } catch (e) {
    throw toDecodeError(e);
  }
}

/** Parse an OTLP/JSON request. Throws DecodeError naming the JSON path of the fault. */
export function requestFromJson<S extends Signal>(signal: S, text: string | Uint8Array): RequestBySignal[S] {
  switch (signal) {
    case 'traces':
      return decode(text, tracesFromValue) as RequestBySignal[S];
    case 'metrics':
      return decode(text, metricsFromValue) as RequestBySignal[S];
    case 'logs':
      return decode(text, logsFromValue) as RequestBySignal[S];
    default:
      throw new TypeError(`unknown signal ${String(signal)}`);
  }
}

/** Serialize a request as OTLP/JSON (one line, no trailing newline). */
export function requestToJson<S extends Signal>(signal: S, req: RequestBySignal[S]): string {
  switch (signal) {
    case 'traces':
      return tracesJson(req as RequestBySignal['traces']);
    case 'metrics':
      return metricsJson(req as RequestBySignal['metrics']);
    case 'logs':
      return logsJson(req as RequestBySignal['logs']);
    default:
      throw new TypeError(`unknown signal ${String(signal)}`);
  }
}

function rejectedKeys(signal: Signal): readonly [string, string] {
  switch (signal) {
    case 'traces':
      return ['rejectedSpans', 'rejected_spans'];
    case 'metrics':
      return ['rejectedDataPoints', 'rejected_data_points'];
    case 'logs':
      return ['rejectedLogRecords', 'rejected_log_records'];
    default:
      throw new TypeError(`unknown signal ${String(signal)}`);
  }
}

export function responseToJson(signal: Signal, partial?: PartialSuccess): string {
  const key = rejectedKeys(signal)[0];
  if (partial === undefined) return '{}';
  const parts: string[] = [];
  if (partial.rejected !== 0n) parts.push(`"${key}":"${partial.rejected}"`);
  if (partial.errorMessage !== '') parts.push(`"errorMessage":${JSON.stringify(partial.errorMessage)}`);
  return `{"partialSuccess":{${parts.join(',')}}}`;
}

export function responseFromJson(signal: Signal, text: string | Uint8Array): PartialSuccess | undefined {
  const keys = rejectedKeys(signal);
  return decode(text, (v) => responseFromValue(v, keys));
}
