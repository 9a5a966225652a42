// google.rpc.Status (with an optional google.rpc.RetryInfo detail) in protobuf and JSON, and the
// mapping from pipeline outcomes to OTLP/HTTP and OTLP/gRPC answers.
//
// Field numbers (facts from googleapis google/rpc/status.proto, error_details.proto and
// protobuf's any.proto / duration.proto):
//   Status    { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
//   Any       { string type_url = 1; bytes value = 2; }
//   RetryInfo { google.protobuf.Duration retry_delay = 1; }
//   Duration  { int64 seconds = 1; int32 nanos = 2; }
import { clampRetryDelay } from '../../component/errors.js';
import type { FailedConsume } from '../../helpers/receiverhelper.js';
import { GrpcStatus, type GrpcStatusCode } from '../../transport/grpc.js';

export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

export interface RpcStatus {
  readonly code: GrpcStatusCode;
  readonly message: string;
  /** When set, a RetryInfo detail with this delay is attached. */
  readonly retryDelayMs?: number | undefined;
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

class Writer {
  readonly buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  varint(v: number): void {
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

/** google.protobuf.Duration bytes for a delay in milliseconds. */
function encodeDuration(delayMs: number): Uint8Array {
  const ms = clampRetryDelay(delayMs) ?? 0;
  const whole = Math.max(0, Math.floor(ms / 1000));
  const nanos = Math.max(0, Math.round((ms - whole * 1000) * 1e6));
  const size = (whole > 0 ? 1 + varintSize(whole) : 0) + (nanos > 0 ? 1 + varintSize(nanos) : 0);
  const w = new Writer(size);
  if (whole > 0) {
    w.varint(0x08);
    w.varint(whole);
  }
  if (nanos > 0) {
    w.varint(0x10);
    w.varint(nanos);
  }
  return w.buf;
}

/** google.rpc.RetryInfo wrapped in google.protobuf.Any. */
function encodeRetryInfoAny(ms: number): Uint8Array {
  const duration = encodeDuration(ms);
  const retryInfoSize = 1 + varintSize(duration.length) + duration.length;
  const typeUrl = Buffer.from(RETRY_INFO_TYPE_URL, 'latin1');
  const size = 1 + varintSize(typeUrl.length) + typeUrl.length + 1 + varintSize(retryInfoSize) + retryInfoSize;
  const w = new Writer(size);
  w.varint(0x0a);
  w.varint(typeUrl.length);
  w.bytes(typeUrl);
  w.varint(0x12);
  w.varint(retryInfoSize);
  w.varint(0x0a);
  w.varint(duration.length);
  w.bytes(duration);
  return w.buf;
}

/** google.rpc.Status in protobuf. */
export function encodeRpcStatus(status: RpcStatus): Buffer {
  const message = Buffer.from(status.message, 'utf8');
  const detail = status.retryDelayMs === undefined ? undefined : encodeRetryInfoAny(status.retryDelayMs);
  const size =
    (status.code !== 0 ? 1 + varintSize(status.code) : 0) +
    (message.length > 0 ? 1 + varintSize(message.length) + message.length : 0) +
    (detail === undefined ? 0 : 1 + varintSize(detail.length) + detail.length);
  const w = new Writer(size);
  if (status.code !== 0) {
    w.varint(0x08);
    w.varint(status.code);
  }
  if (message.length > 0) {
    w.varint(0x12);
    w.varint(message.length);
    w.bytes(message);
  }
  if (detail !== undefined) {
    w.varint(0x1a);
    w.varint(detail.length);
    w.bytes(detail);
  }
  return w.buf;
}

/** Protobuf JSON form of a Duration: seconds with 0, 3, 6 or 9 fractional digits, then `s`. */
export function durationJson(delayMs: number): string {
  const micros = Math.round((clampRetryDelay(delayMs) ?? 0) * 1000);
  if (micros % 1_000_000 === 0) return `${micros / 1_000_000}s`;
  if (micros % 1000 === 0) return `${(micros / 1_000_000).toFixed(3)}s`;
  return `${(micros / 1_000_000).toFixed(6)}s`;
}

/** google.rpc.Status in (protobuf) JSON. */
export function rpcStatusToJson(status: RpcStatus): string {
  const body: { code: number; message: string; details?: Array<Record<string, string>> } = {
    code: status.code,
    message: status.message,
  };
  if (status.retryDelayMs !== undefined) {
    body.details = [{ '@type': RETRY_INFO_TYPE_URL, retryDelay: durationJson(status.retryDelayMs) }];
  }
  return JSON.stringify(body);
}

/** A client-supplied value quoted in an answer or a log line, cut to a sane length. */
export function clip(value: string | undefined, max = 100): string {
  if (value === undefined) return '';
  return value.length <= max ? value : `${value.slice(0, max)}…`;
}

// ------------------------------------------------------------------ outcome mapping

/** How a refused consume is answered over gRPC. */
export function grpcStatusForRefusal(failed: FailedConsume): RpcStatus {
  if (failed.permanent) {
    return { code: GrpcStatus.INVALID_ARGUMENT, message: `data refused: ${failed.message}` };
  }
  return {
    code: GrpcStatus.UNAVAILABLE,
    message: `data refused, retry later: ${failed.message}`,
    retryDelayMs: failed.retryAfterMs,
  };
}

/** How a refused consume is answered over HTTP: status code, google.rpc.Status, Retry-After. */
export function httpStatusForRefusal(failed: FailedConsume): { status: number; rpc: RpcStatus } {
  const rpc = grpcStatusForRefusal(failed);
  return { status: failed.permanent ? 400 : 503, rpc };
}
