// Wire facts the network exporters share: Retry-After, google.rpc.Status (with RetryInfo) in
// protobuf and JSON, header checks, and bounded reading of response bodies.
//
// google.rpc.Status  { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
// google.protobuf.Any { string type_url = 1; bytes value = 2; }
// google.rpc.RetryInfo { google.protobuf.Duration retry_delay = 1; }
// google.protobuf.Duration { int64 seconds = 1; int32 nanos = 2; }
import type { Readable } from 'node:stream';
import type { ConfigProblem } from '../../component/component.js';
import { clampRetryDelay, errorMessage, PipelineError, permanentError } from '../../component/errors.js';
import { DecodeError } from '../../pdata/errors.js';
import type { Signal } from '../../pdata/model.js';

/** User-Agent / user-agent metadata of our exporters. */
export const USER_AGENT = `switchyard/0.1.0 (node ${process.version})`;

/** Responses bodies read by exporters are cut at this many bytes. */
export const MAX_RESPONSE_BYTES = 1 << 20;

export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/** `Retry-After`: delay-seconds or an HTTP date. Milliseconds from now; undefined when absent
 * or malformed. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+$/.test(v)) return clampRetryDelay(Number(v) * 1000);
  // An HTTP date names its day or month ("Wed, 21 Oct 2015 07:28:00 GMT"); bare numbers that
  // are not delay-seconds ("-5", "1.5") are malformed.
  if (!/[A-Za-z]/.test(v)) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return clampRetryDelay(t - now);
}

export interface RpcStatus {
  readonly code: number;
  readonly message: string;
  /** RetryInfo.retry_delay in milliseconds, when a RetryInfo detail was present. */
  readonly retryDelayMs: number | undefined;
}

/** Decode a protobuf google.rpc.Status (e.g. `grpc-status-details-bin`, an OTLP/HTTP error body).
 * Returns undefined for anything malformed; never throws. */
export function decodeRpcStatus(bytes: Uint8Array): RpcStatus | undefined {
  let code = 0;
  let message = '';
  let retryDelayMs: number | undefined;
  const ok = walk(bytes, (field, wire, value) => {
    if (field === 1 && wire === 0) code = Number(BigInt.asIntN(32, value as bigint));
    else if (field === 2 && wire === 2) message = utf8(value as Uint8Array);
    else if (field === 3 && wire === 2) {
      const any = decodeAny(value as Uint8Array);
      if (any === undefined) return false;
      if (any.typeUrl === RETRY_INFO_TYPE_URL) {
        const d = decodeRetryInfo(any.value);
        if (d === undefined) return false;
        retryDelayMs = d;
      }
    }
    return true;
  });
  return ok ? { code, message, retryDelayMs } : undefined;
}

function decodeAny(bytes: Uint8Array): { typeUrl: string; value: Uint8Array } | undefined {
  let typeUrl = '';
  let value: Uint8Array = new Uint8Array(0);
  const ok = walk(bytes, (field, wire, v) => {
    if (field === 1 && wire === 2) typeUrl = utf8(v as Uint8Array);
    else if (field === 2 && wire === 2) value = v as Uint8Array;
    return true;
  });
  return ok ? { typeUrl, value } : undefined;
}

/** RetryInfo -> retry_delay in milliseconds (0 when unset). */
export function decodeRetryInfo(bytes: Uint8Array): number | undefined {
  let ms = 0;
  const ok = walk(bytes, (field, wire, v) => {
    if (field === 1 && wire === 2) {
      let seconds = 0n;
      let nanos = 0n;
      const dOk = walk(v as Uint8Array, (f, w, x) => {
        if (f === 1 && w === 0) seconds = BigInt.asIntN(64, x as bigint);
        else if (f === 2 && w === 0) nanos = BigInt.asIntN(32, x as bigint);
        return true;
      });
      if (!dOk) return false;
      ms = Math.max(0, Number(seconds) * 1000 + Number(nanos) / 1e6);
    }
    return true;
  });
  return ok ? clampRetryDelay(ms) : undefined;
}

/** Encode a google.rpc.Status, optionally with a RetryInfo detail (tests and fakes use this). */
export function encodeRpcStatus(code: number, message: string, retryDelayMs?: number): Uint8Array {
  const parts: number[] = [];
  if (code !== 0) {
    parts.push(0x08);
    pushVarint(parts, BigInt.asUintN(64, BigInt(code)));
  }
  if (message !== '') pushBytes(parts, 2, Buffer.from(message, 'utf8'));
  if (retryDelayMs !== undefined) {
    const seconds = Math.floor(retryDelayMs / 1000);
    const nanos = Math.round((retryDelayMs - seconds * 1000) * 1e6);
    const duration: number[] = [];
    if (seconds !== 0) {
      duration.push(0x08);
      pushVarint(duration, BigInt(seconds));
    }
    if (nanos !== 0) {
      duration.push(0x10);
      pushVarint(duration, BigInt(nanos));
    }
    const retryInfo: number[] = [];
    pushBytes(retryInfo, 1, Uint8Array.from(duration));
    const any: number[] = [];
    pushBytes(any, 1, Buffer.from(RETRY_INFO_TYPE_URL, 'utf8'));
    pushBytes(any, 2, Uint8Array.from(retryInfo));
    pushBytes(parts, 3, Uint8Array.from(any));
  }
  return Uint8Array.from(parts);
}

/** google.rpc.Status in its JSON form (`{"code":3,"message":"..."}`); undefined otherwise. */
export function parseJsonStatus(text: string): { code: number; message: string } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const rec = v as Record<string, unknown>;
  const message = typeof rec.message === 'string' ? rec.message : undefined;
  if (message === undefined) return undefined;
  return { code: typeof rec.code === 'number' ? rec.code : 0, message };
}

// ------------------------------------------------------------------ protobuf walking

type FieldValue = bigint | Uint8Array | undefined;

/** Visit each field; `visit` returns false to stop as malformed. Returns false when malformed. */
function walk(buf: Uint8Array, visit: (field: number, wire: number, value: FieldValue) => boolean): boolean {
  let pos = 0;
  const readVarint = (): bigint | undefined => {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) return undefined;
      const b = buf[pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    return undefined;
  };
  while (pos < buf.length) {
    const tag = readVarint();
    if (tag === undefined) return false;
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (field === 0) return false;
    let value: FieldValue;
    switch (wire) {
      case 0:
        value = readVarint();
        if (value === undefined) return false;
        break;
      case 1:
        if (pos + 8 > buf.length) return false;
        pos += 8;
        break;
      case 2: {
        const len = readVarint();
        if (len === undefined || len > BigInt(buf.length - pos)) return false;
        value = buf.subarray(pos, pos + Number(len));
        pos += Number(len);
        break;
      }
      case 5:
        if (pos + 4 > buf.length) return false;
        pos += 4;
        break;
      default:
        return false;
    }
    if (!visit(field, wire, value)) return false;
  }
  return true;
}

function pushVarint(out: number[], v: bigint): void {
  let x = v;
  while (x > 0x7fn) {
    out.push(Number((x & 0x7fn) | 0x80n));
    x >>= 7n;
  }
  out.push(Number(x));
}

function pushBytes(out: number[], field: number, bytes: Uint8Array): void {
  out.push((field << 3) | 2);
  pushVarint(out, BigInt(bytes.length));
  for (const b of bytes) out.push(b);
}

function utf8(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

// ------------------------------------------------------------------ headers

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const GRPC_KEY_RE = /^[0-9a-z_.-]+$/;

/** Check user-configured HTTP headers (or gRPC metadata with `grpc: true`): valid names, no
 * control characters in values, none of the names the exporter sets itself. */
export function validateHeaders(
  headers: Readonly<Record<string, string>>,
  reserved: readonly string[],
  opts: { readonly grpc: boolean },
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    const path = ['headers', name];
    if (opts.grpc ? !GRPC_KEY_RE.test(lower) : !TOKEN_RE.test(name)) {
      problems.push({
        path,
        message: opts.grpc
          ? 'invalid metadata key: use letters, digits, "_", "-" and "." only'
          : "invalid header name: use letters, digits and !#$%&'*+-.^_`|~ only",
      });
      continue;
    }
    if (reserved.includes(lower) || (opts.grpc && lower.startsWith('grpc-'))) {
      problems.push({ path, message: `"${lower}" is set by the exporter and cannot be configured` });
      continue;
    }
    // Values are secrets: never echo them in messages.
    const binary = opts.grpc && lower.endsWith('-bin');
    if (!binary && /[^\t\x20-\x7e\x80-\xff]/.test(value)) {
      problems.push({ path, message: 'the value contains control or non-Latin-1 characters' });
    }
  }
  return problems;
}

// ------------------------------------------------------------------ bodies

/** Collect a response body of at most `limit` bytes. A longer body is cut there and the stream
 * destroyed (nothing more is read), so a misbehaving peer costs at most `limit` bytes. */
export function readBounded(
  stream: Readable,
  limit: number = MAX_RESPONSE_BYTES,
): Promise<{ body: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (truncated: boolean): void => {
      if (done) return;
      done = true;
      resolve({ body: Buffer.concat(chunks, size), truncated });
    };
    stream.on('data', (chunk: Buffer) => {
      if (done) return;
      const room = limit - size;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        size = limit;
        finish(true);
        stream.destroy();
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    stream.on('end', () => finish(false));
    stream.on('error', (err) => {
      if (!done) {
        done = true;
        reject(err);
      }
    });
    stream.on('close', () => {
      if (!done) {
        done = true;
        reject(new Error('the response stream closed before its end'));
      }
    });
  });
}

/** What a failure to encode a batch means for its export: it can never be sent (permanent). */
export function encodeFailure(err: unknown, signal: Signal): PipelineError {
  if (err instanceof PipelineError) return err;
  if (err instanceof DecodeError) return permanentError('SY_DECODE', err.message, err);
  return permanentError('SY_INTERNAL', `encoding the ${signal} request failed: ${errorMessage(err)}`, err);
}

/** Memoizes an async per-batch encoding (body, frame) so retries of one batch reuse it; a failed
 * encoding is forgotten (it is permanent anyway), and entries go with their batch (WeakMap). */
export function perBatch<B extends object>(encode: (batch: B) => Promise<Buffer>): (batch: B) => Promise<Buffer> {
  const cache = new WeakMap<B, Promise<Buffer>>();
  return (batch) => {
    let p = cache.get(batch);
    if (p === undefined) {
      p = encode(batch);
      cache.set(batch, p);
      p.catch(() => cache.delete(batch));
    }
    return p;
  };
}
