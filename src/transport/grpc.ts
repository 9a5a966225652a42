// gRPC over HTTP/2 wire facts shared by the OTLP receiver and exporter: message framing,
// status codes, and which codes are worth retrying (OTLP spec).

/** gRPC status codes (grpc/doc/statuscodes.md). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus];

/** OTLP/gRPC: retryable codes. RESOURCE_EXHAUSTED only when the server sent RetryInfo. */
export function isRetryableGrpcStatus(code: number, hasRetryInfo: boolean): boolean {
  switch (code) {
    case GrpcStatus.CANCELLED:
    case GrpcStatus.DEADLINE_EXCEEDED:
    case GrpcStatus.ABORTED:
    case GrpcStatus.OUT_OF_RANGE:
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DATA_LOSS:
      return true;
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return hasRetryInfo;
    default:
      return false;
  }
}

/** OTLP/HTTP: retryable status codes. */
export function isRetryableHttpStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/** Frame one message: 1 byte compressed flag, 4 bytes big-endian length, the message. */
export function encodeFrame(message: Uint8Array, compressed: boolean): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

export interface Frame {
  readonly compressed: boolean;
  readonly data: Buffer;
}

/** Thrown by parseFrames: `tooLarge` distinguishes RESOURCE_EXHAUSTED from a malformed stream. */
export class FrameError extends Error {
  constructor(
    message: string,
    readonly tooLarge: boolean,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

/** Split a complete request body into frames. Each frame's declared length is checked against
 * `maxMessageBytes` before anything is copied. */
export function parseFrames(body: Buffer, maxMessageBytes: number): Frame[] {
  const frames: Frame[] = [];
  let pos = 0;
  while (pos < body.length) {
    if (body.length - pos < 5) throw new FrameError(`truncated gRPC frame header at byte ${pos}`, false);
    const flag = body[pos] as number;
    if (flag > 1) throw new FrameError(`invalid gRPC compressed flag ${flag} at byte ${pos}`, false);
    const len = body.readUInt32BE(pos + 1);
    if (len > maxMessageBytes) {
      throw new FrameError(`gRPC message of ${len} bytes exceeds the limit of ${maxMessageBytes} bytes`, true);
    }
    if (body.length - pos - 5 < len) {
      throw new FrameError(`truncated gRPC message: header says ${len} bytes, ${body.length - pos - 5} present`, false);
    }
    frames.push({ compressed: flag === 1, data: body.subarray(pos + 5, pos + 5 + len) });
    pos += 5 + len;
  }
  return frames;
}

/** `grpc-timeout` header value (e.g. `5S`, `250m`) for a number of milliseconds. */
export function formatGrpcTimeout(ms: number): string {
  const v = Math.max(1, Math.ceil(ms));
  return v < 1e8 ? `${v}m` : `${Math.ceil(v / 1000)}S`;
}

/** Parse a `grpc-timeout` header into milliseconds; undefined when absent or malformed. */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (m === null) return undefined;
  const n = Number(m[1]);
  switch (m[2]) {
    case 'H':
      return n * 3_600_000;
    case 'M':
      return n * 60_000;
    case 'S':
      return n * 1000;
    case 'm':
      return n;
    case 'u':
      return n / 1000;
    case 'n':
      return n / 1e6;
    default:
      return undefined;
  }
}

/** `grpc-message` is percent-encoded (grpc/doc/PROTOCOL-HTTP2.md). */
export function encodeGrpcMessage(message: string): string {
  return encodeURIComponent(message).replace(/%20/g, ' ');
}

export function decodeGrpcMessage(value: string | undefined): string {
  if (value === undefined) return '';
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Service paths of the three OTLP Export RPCs. */
export const OTLP_GRPC_PATHS = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
} as const;

/** OTLP/HTTP default paths. */
export const OTLP_HTTP_PATHS = { traces: '/v1/traces', metrics: '/v1/metrics', logs: '/v1/logs' } as const;
