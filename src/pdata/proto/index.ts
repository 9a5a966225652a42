// Hand-written protobuf codec for the OTLP Export*ServiceRequest/Response messages.
// (Placeholder signatures; the implementation lands with the codec.)
import type { PartialSuccess, RequestBySignal, Signal } from '../model.js';

/** Fully decode a request. Throws DecodeError on truncated or malformed input. */
export function decodeRequest<S extends Signal>(signal: S, bytes: Uint8Array): RequestBySignal[S] {
  throw new Error(`decodeRequest(${signal}, ${bytes.length}) not implemented`);
}
/** Encode a request to protobuf. */
export function encodeRequest<S extends Signal>(signal: S, req: RequestBySignal[S]): Uint8Array {
  throw new Error(`encodeRequest(${signal}, ${String(req)}) not implemented`);
}
/** Validate the wire structure of a request without building objects; return its item count
 * (spans, metric data points, log records). Throws DecodeError on malformed input. */
export function scanRequest(signal: Signal, bytes: Uint8Array): number {
  throw new Error(`scanRequest(${signal}, ${bytes.length}) not implemented`);
}
/** Encode an Export*ServiceResponse; undefined partial success -> empty message. */
export function encodeResponse(signal: Signal, partial?: PartialSuccess): Uint8Array {
  throw new Error(`encodeResponse(${signal}, ${String(partial)}) not implemented`);
}
/** Decode an Export*ServiceResponse. */
export function decodeResponse(signal: Signal, bytes: Uint8Array): PartialSuccess | undefined {
  throw new Error(`decodeResponse(${signal}, ${bytes.length}) not implemented`);
}
