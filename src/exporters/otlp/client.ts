// A minimal gRPC unary client over node:http2: one session per client, reconnected when it
// closes or the server sends GOAWAY; 5-byte message framing; status from the trailers (or a
// trailers-only response); google.rpc.Status details for RetryInfo.
import http2 from 'node:http2';
import { promisify } from 'node:util';
import { gunzip as gunzipCb, inflate as inflateCb } from 'node:zlib';
import { decodeRpcStatus, MAX_RESPONSE_BYTES } from '../../helpers/exporterhelper/index.js';
import type { LoadedTls } from '../../helpers/exporterhelper/tls.js';
import { decodeGrpcMessage, GrpcStatus, parseFrames } from '../../transport/grpc.js';
import type { ParsedEndpoint } from './config.js';

const gunzip = promisify(gunzipCb);
const inflate = promisify(inflateCb);
/** How long a PING may take before a silent connection is replaced. */
const PING_TIMEOUT_MS = 2000;

export interface GrpcCallResult {
  /** grpc-status (mapped from the HTTP status when the server sent none). */
  readonly code: number;
  readonly message: string;
  /** RetryInfo.retry_delay from grpc-status-details-bin, in ms. */
  readonly retryDelayMs: number | undefined;
  /** The response message (decompressed), for OK calls. */
  readonly body: Buffer;
}

/** Transport failure: no gRPC status could be read (connection refused, reset, GOAWAY...). */
export class GrpcTransportError extends Error {
  constructor(
    message: string,
    readonly errno?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GrpcTransportError';
  }
}

/** HTTP status -> gRPC code, for responses without grpc-status (grpc/doc/http-grpc-status-mapping.md). */
export function grpcCodeForHttpStatus(status: number): number {
  switch (status) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}

const STATUS_NAMES = new Map<number, string>(Object.entries(GrpcStatus).map(([k, v]) => [v, k]));

export function grpcStatusName(code: number): string {
  return STATUS_NAMES.get(code) ?? `code ${code}`;
}

type ResponseHeaders = http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader;

export class GrpcClient {
  private current: http2.ClientHttp2Session | undefined;
  private closed = false;
  private readonly probing = new Set<http2.ClientHttp2Session>();
  /** Sessions opened so far (tests check reconnects). */
  sessionsOpened = 0;

  constructor(
    private readonly endpoint: ParsedEndpoint,
    private readonly tls: LoadedTls | undefined,
  ) {}

  /** One unary call. Resolves with the gRPC status (OK or not); rejects with a
   * GrpcTransportError when there is none, or with `signal.reason` when aborted. */
  unary(
    path: string,
    metadata: Readonly<Record<string, string>>,
    frame: Buffer,
    signal: AbortSignal,
  ): Promise<GrpcCallResult> {
    return new Promise<GrpcCallResult>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      let stream: http2.ClientHttp2Stream;
      let session: http2.ClientHttp2Session;
      try {
        session = this.session();
        stream = session.request({ ':method': 'POST', ':path': path, ...metadata });
      } catch (err) {
        this.current = undefined;
        reject(new GrpcTransportError(`cannot start a call: ${describe(err)}`, errnoOf(err), { cause: err }));
        return;
      }
      let headers: ResponseHeaders | undefined;
      let trailers: http2.IncomingHttpHeaders | undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      let tooBig = false;
      let streamError: unknown;
      let settled = false;

      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = (): void => {
        settle(() => reject(signal.reason));
        if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
        // Still connecting (e.g. a black-holed address): start over with a fresh connection.
        if (session.connecting) {
          this.discard(session);
        } else if (headers === undefined) {
          // Not a byte of answer: the connection may be half-open (peer gone, a middlebox
          // dropped it). Check it, or every later call would time out on it too.
          this.probe(session);
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });

      stream.on('response', (h) => {
        headers = h;
      });
      stream.on('trailers', (t) => {
        trailers = t;
      });
      stream.on('data', (chunk: Buffer) => {
        if (tooBig) return;
        if (size + chunk.length > MAX_RESPONSE_BYTES) {
          tooBig = true;
          stream.close(http2.constants.NGHTTP2_CANCEL);
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      stream.on('error', (err) => {
        streamError = err;
      });
      stream.on('close', () => {
        if (settled) return;
        const rstCode = stream.rstCode ?? 0;
        this.finish(headers, trailers, Buffer.concat(chunks, size), tooBig, streamError, rstCode).then(
          (r) => settle(() => resolve(r)),
          (e: unknown) => settle(() => reject(e)),
        );
      });
      stream.end(frame);
    });
  }

  private async finish(
    headers: ResponseHeaders | undefined,
    trailers: http2.IncomingHttpHeaders | undefined,
    body: Buffer,
    tooBig: boolean,
    streamError: unknown,
    rstCode: number,
  ): Promise<GrpcCallResult> {
    if (headers === undefined) {
      const why =
        streamError !== undefined ? describe(streamError) : `stream closed without a response (HTTP/2 code ${rstCode})`;
      throw new GrpcTransportError(why, errnoOf(streamError), { cause: streamError });
    }
    const statusText = header(trailers, 'grpc-status') ?? header(headers, 'grpc-status');
    if (statusText === undefined) {
      const httpStatus = Number(headers[':status'] ?? 0);
      if (httpStatus !== 200) {
        return {
          code: grpcCodeForHttpStatus(httpStatus),
          message: `HTTP ${httpStatus} without grpc-status`,
          retryDelayMs: undefined,
          body: Buffer.alloc(0),
        };
      }
      const why =
        streamError !== undefined
          ? describe(streamError)
          : tooBig
            ? `response over ${MAX_RESPONSE_BYTES} bytes`
            : `stream ended without grpc-status (HTTP/2 code ${rstCode})`;
      throw new GrpcTransportError(why, errnoOf(streamError), { cause: streamError });
    }
    const code = Number(statusText);
    const message = decodeGrpcMessage(header(trailers, 'grpc-message') ?? header(headers, 'grpc-message'));
    let retryDelayMs: number | undefined;
    const details = header(trailers, 'grpc-status-details-bin') ?? header(headers, 'grpc-status-details-bin');
    if (details !== undefined) retryDelayMs = decodeRpcStatus(Buffer.from(details, 'base64'))?.retryDelayMs;
    if (!Number.isInteger(code) || code < 0) {
      return {
        code: GrpcStatus.UNKNOWN,
        message: `invalid grpc-status "${statusText}"`,
        retryDelayMs,
        body: Buffer.alloc(0),
      };
    }
    if (code !== GrpcStatus.OK || tooBig) return { code, message, retryDelayMs, body: Buffer.alloc(0) };
    // OK: the response message (if any) is in the first frame.
    let msg: Buffer = Buffer.alloc(0);
    try {
      const frame = parseFrames(body, MAX_RESPONSE_BYTES)[0];
      if (frame !== undefined) {
        msg = frame.data;
        if (frame.compressed) {
          const enc = header(headers, 'grpc-encoding') ?? 'identity';
          const limit = { maxOutputLength: MAX_RESPONSE_BYTES };
          if (enc === 'gzip') msg = await gunzip(msg, limit);
          else if (enc === 'deflate') msg = await inflate(msg, limit);
          else msg = Buffer.alloc(0);
        }
      }
    } catch {
      // A malformed response body after OK: the data was accepted; ignore the body.
      msg = Buffer.alloc(0);
    }
    return { code, message, retryDelayMs, body: msg };
  }

  private session(): http2.ClientHttp2Session {
    if (this.closed) throw new Error('client closed');
    const s = this.current;
    if (s !== undefined && !s.closed && !s.destroyed) return s;
    const tls = this.endpoint.secure ? (this.tls ?? { rejectUnauthorized: true }) : undefined;
    const session = http2.connect(this.endpoint.authority, tls === undefined ? {} : { ...tls });
    this.sessionsOpened++;
    const drop = (): void => {
      if (this.current === session) this.current = undefined;
    };
    // Errors reach the calls through their streams; the session is just replaced.
    session.on('error', drop);
    session.on('goaway', drop);
    session.on('close', drop);
    this.current = session;
    return session;
  }

  private discard(session: http2.ClientHttp2Session): void {
    if (this.current === session) this.current = undefined;
    session.destroy();
  }

  /** PING the session; replace it when the answer does not come within PING_TIMEOUT_MS. */
  private probe(session: http2.ClientHttp2Session): void {
    if (this.probing.has(session) || session.destroyed || session.closed) return;
    this.probing.add(session);
    const done = (alive: boolean): void => {
      clearTimeout(timer);
      this.probing.delete(session);
      if (!alive) this.discard(session);
    };
    const timer = setTimeout(() => done(false), PING_TIMEOUT_MS);
    timer.unref();
    try {
      session.ping((err) => done(err === null));
    } catch {
      done(false);
    }
  }

  /** Close the session (gracefully; destroyed after `graceMs`). */
  async close(graceMs = 1000): Promise<void> {
    this.closed = true;
    const s = this.current;
    this.current = undefined;
    if (s === undefined || s.closed || s.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        s.destroy();
        resolve();
      }, graceMs);
      s.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function header(h: http2.IncomingHttpHeaders | undefined, name: string): string | undefined {
  if (h === undefined) return undefined;
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    // A stream cancelled because its session failed: the session's error is the story.
    if (err.cause instanceof Error) return describe(err.cause);
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
