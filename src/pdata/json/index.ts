// OTLP/JSON codec (protobuf JSON mapping with OTLP's exceptions: hex ids, integer enums).
// (Placeholder signatures; the implementation lands with the codec.)
import type { PartialSuccess, RequestBySignal, Signal } from '../model.js';

/** Parse an OTLP/JSON request. Throws DecodeError naming the JSON path of the fault. */
export function requestFromJson<S extends Signal>(signal: S, text: string | Uint8Array): RequestBySignal[S] {
  throw new Error(`requestFromJson(${signal}, ${text.length}) not implemented`);
}
/** Serialize a request as OTLP/JSON (one line, no trailing newline). */
export function requestToJson<S extends Signal>(signal: S, req: RequestBySignal[S]): string {
  throw new Error(`requestToJson(${signal}, ${String(req)}) not implemented`);
}
export function responseToJson(signal: Signal, partial?: PartialSuccess): string {
  throw new Error(`responseToJson(${signal}, ${String(partial)}) not implemented`);
}
export function responseFromJson(signal: Signal, text: string | Uint8Array): PartialSuccess | undefined {
  throw new Error(`responseFromJson(${signal}, ${text.length}) not implemented`);
}
