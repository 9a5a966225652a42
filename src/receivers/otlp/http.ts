// OTLP/HTTP (HTTP/1.1) server on node:http: protobuf and JSON bodies, gzip/deflate, a body limit
// enforced on the bytes as sent and again while decompressing, early refusal under memory
// pressure, and status codes as the OTLP spec wants them.
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';
import type { Consumer, Host } from '../../component/component.js';
import {
  type BadRequestReason,
  memoryRefusal,
  type ReceiverHelper,
  retryAfterSeconds,
} from '../../helpers/receiverhelper.js';
import { Batch } from '../../pdata/batch.js';
import { DecodeError } from '../../pdata/errors.js';
import { responseToJson } from '../../pdata/json/index.js';
import type { Signal } from '../../pdata/model.js';
import { encodeResponse } from '../../pdata/proto/index.js';
import { GrpcStatus } from '../../transport/grpc.js';
import { listen } from '../../transport/listen.js';
import type { ResolvedCorsConfig, ResolvedHttpConfig } from './config.js';
import { clip, encodeRpcStatus, httpStatusForRefusal, type RpcStatus, rpcStatusToJson } from './status.js';

type Format = 'proto' | 'json';
type Encoding = 'identity' | 'gzip' | 'deflate';
type Next = Readonly<Partial<{ [S in Signal]: Consumer<S> }>>;

const CT_PROTO = 'application/x-protobuf';
const CT_JSON = 'application/json';
const ACCEPTED_TYPES = `${CT_PROTO}, ${CT_JSON}`;
const ACCEPTED_ENCODINGS = 'gzip, deflate, identity';
/** A rejected request whose unread body is at most this big is drained to keep the connection;
 * a bigger (or unknown-size) one gets `Connection: close`. */
const DRAIN_LIMIT = 64 * 1024;
/** How long shutdown waits for requests in flight before closing their connections. */
const SHUTDOWN_GRACE_MS = 5000;

export interface OtlpHttpServerOptions {
  readonly config: ResolvedHttpConfig;
  readonly next: Next;
  readonly helper: ReceiverHelper;
  readonly host: () => Host | undefined;
}

/** A request refused before (or while) its body was read. */
interface Rejection {
  readonly format: Format;
  readonly status: number;
  readonly reason: BadRequestReason;
  readonly code: RpcStatus['code'];
  readonly message: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly retryDelayMs?: number;
  /** Count it as a bad request (default true). */
  readonly count?: boolean;
}

/** Why reading a body stopped. */
class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly reason: BadRequestReason,
    message: string,
  ) {
    super(message);
  }
}

/** Media type of a Content-Type header, without parameters, lower case. */
function mediaType(value: string | undefined): string {
  if (value === undefined) return '';
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
}

function formatOf(contentType: string): Format | undefined {
  if (contentType === CT_PROTO) return 'proto';
  if (contentType === CT_JSON) return 'json';
  return undefined;
}

function encodingOf(value: string | undefined): Encoding | undefined {
  if (value === undefined) return 'identity';
  const v = value.trim().toLowerCase();
  switch (v) {
    case '':
    case 'identity':
      return 'identity';
    case 'gzip':
    case 'x-gzip':
      return 'gzip';
    case 'deflate':
      return 'deflate';
    default:
      return undefined;
  }
}

function contentLength(headers: IncomingHttpHeaders): number | undefined {
  const v = headers['content-length'];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

export class OtlpHttpServer {
  private server: Server | undefined;
  private readonly routes = new Map<string, Signal>();
  private readonly emptyResponse = new Map<string, Uint8Array | string>();
  private readonly allowedPaths: string;
  private readonly limit: number;
  private readonly cors: ResolvedCorsConfig | undefined;
  private closing = false;

  constructor(private readonly opts: OtlpHttpServerOptions) {
    const { paths } = opts.config;
    for (const signal of ['traces', 'metrics', 'logs'] as const) this.routes.set(paths[signal], signal);
    this.allowedPaths = [...this.routes.keys()].join(', ');
    this.limit = opts.config.maxRequestBodySize;
    this.cors = opts.config.cors;
  }

  /** Bind and listen; resolves with the bound address. */
  listen(): Promise<AddressInfo> {
    const c = this.opts.config;
    const server = createServer(
      {
        headersTimeout: c.headersTimeoutMs,
        requestTimeout: c.requestTimeoutMs,
        keepAliveTimeout: c.keepAliveTimeoutMs,
        // Timeouts are checked on this interval (Node's default, 30 s, makes them coarse).
        connectionsCheckingInterval: Math.max(250, Math.min(2000, Math.floor(c.headersTimeoutMs / 2) || 2000)),
      },
      (req, res) => this.handle(req, res),
    );
    // Handle `Expect: 100-continue` ourselves so a request refused up front never sends its body.
    server.on('checkContinue', (req, res) => this.handle(req, res));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.onClientError(err, socket));
    this.server = server;
    return listen(server, c.port, c.host, (err) =>
      this.opts.helper.warn('server-error', { err: err.message }, 'HTTP server error'),
    );
  }

  /** Stop accepting; let requests in flight finish (up to a grace period), then close. Answers
   * given meanwhile carry `Connection: close`. */
  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    this.closing = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Connections become idle as their last answer goes out: close them as they do.
    server.closeIdleConnections();
    const poll = setInterval(() => server.closeIdleConnections(), 25);
    const deadline = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    try {
      await closed;
    } finally {
      clearInterval(poll);
      clearTimeout(deadline);
    }
  }

  private onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    let status = 400;
    let text = 'Bad Request';
    let reason: BadRequestReason = 'decode';
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      status = 408;
      text = 'Request Timeout';
      reason = 'timeout';
    } else if (err.code === 'HPE_HEADER_OVERFLOW') {
      status = 431;
      text = 'Request Header Fields Too Large';
      reason = 'too_large';
    }
    this.opts.helper.badRequest(reason, `malformed HTTP request: ${err.code ?? err.message}`);
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroySoon();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    req.on('error', noop);
    res.on('error', noop);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const signal = this.routes.get(path);
    const ct = mediaType(req.headers['content-type']);
    const format = formatOf(ct);
    const replyAs: Format = format ?? 'json';

    if (signal === undefined) {
      this.reject(req, res, {
        format: replyAs,
        status: 404,
        reason: 'not_found',
        code: GrpcStatus.UNIMPLEMENTED,
        message: `unknown path ${clip(path)}: this receiver serves POST ${this.allowedPaths}`,
      });
      return;
    }
    const cors = this.cors;
    if (cors !== undefined && req.headers.origin !== undefined) {
      if (req.method === 'OPTIONS') {
        this.preflight(req, res, cors);
        return;
      }
      const origin = req.headers.origin;
      if (cors.allowedOrigins.some((re) => re.test(origin))) {
        res.setHeader('Access-Control-Allow-Origin', origin);
        res.setHeader('Vary', 'Origin');
      }
    }
    if (req.method !== 'POST') {
      this.reject(req, res, {
        format: replyAs,
        status: 405,
        reason: 'method',
        code: GrpcStatus.UNIMPLEMENTED,
        message: `method ${clip(req.method)} not allowed on ${path}: use POST`,
        headers: {
          Allow: cors === undefined ? 'POST' : 'POST, OPTIONS',
        },
      });
      return;
    }
    const consumer = this.opts.next[signal] as Consumer<Signal> | undefined;
    if (consumer === undefined) {
      this.reject(req, res, {
        format: replyAs,
        status: 404,
        reason: 'not_found',
        code: GrpcStatus.UNIMPLEMENTED,
        message: `this receiver has no ${signal} pipeline: ${path} is not served`,
      });
      return;
    }
    if (format === undefined) {
      const what = ct === '' ? 'a missing content type' : `content type "${clip(ct)}"`;
      this.reject(req, res, {
        format: replyAs,
        status: 415,
        reason: 'unsupported_media_type',
        code: GrpcStatus.INVALID_ARGUMENT,
        message: `${what} is not supported: use one of ${ACCEPTED_TYPES}`,
      });
      return;
    }
    const encoding = encodingOf(req.headers['content-encoding']);
    if (encoding === undefined) {
      this.reject(req, res, {
        format,
        status: 415,
        reason: 'unsupported_media_type',
        code: GrpcStatus.INVALID_ARGUMENT,
        message: `content encoding "${clip(req.headers['content-encoding'])}" is not supported: use one of ${ACCEPTED_ENCODINGS}`,
        headers: { 'Accept-Encoding': ACCEPTED_ENCODINGS },
      });
      return;
    }
    if (this.closing) {
      this.reject(req, res, {
        format,
        status: 503,
        reason: 'internal',
        code: GrpcStatus.UNAVAILABLE,
        message: 'the receiver is shutting down',
        headers: { 'Retry-After': '1' },
        retryDelayMs: 1000,
        count: false,
      });
      return;
    }
    const refuseMs = memoryRefusal(this.opts.host());
    if (refuseMs !== undefined) {
      this.reject(req, res, {
        format,
        status: 503,
        reason: 'memory_limit',
        code: GrpcStatus.UNAVAILABLE,
        message: 'memory limit reached, retry later',
        headers: { 'Retry-After': retryAfterSeconds(refuseMs) },
        retryDelayMs: refuseMs,
      });
      return;
    }
    const declared = contentLength(req.headers);
    if (declared !== undefined && declared > this.limit) {
      this.reject(req, res, {
        format,
        status: 413,
        reason: 'too_large',
        code: GrpcStatus.RESOURCE_EXHAUSTED,
        message: `request body of ${declared} bytes exceeds the limit of ${this.limit} bytes`,
      });
      return;
    }
    if (req.headers.expect !== undefined && /^100-continue$/i.test(req.headers.expect)) res.writeContinue();

    this.readBody(req, encoding).then(
      (body) => this.process(res, signal, consumer, format, body),
      (err: unknown) => {
        if (err instanceof BodyError) {
          if (err.status === 0) {
            // The client went away; nothing to answer.
            return;
          }
          const code = err.status === 413 ? GrpcStatus.RESOURCE_EXHAUSTED : GrpcStatus.INVALID_ARGUMENT;
          this.reject(req, res, { format, status: err.status, reason: err.reason, code, message: err.message });
        } else {
          this.reject(req, res, {
            format,
            status: 500,
            reason: 'internal',
            code: GrpcStatus.INTERNAL,
            message: `reading the request failed: ${String(err)}`,
          });
        }
      },
    );
  }

  private async process(
    res: ServerResponse,
    signal: Signal,
    consumer: Consumer<Signal>,
    format: Format,
    body: Buffer,
  ): Promise<void> {
    const helper = this.opts.helper;
    try {
      let batch: Batch;
      try {
        batch = format === 'proto' ? Batch.fromProto(signal, body) : Batch.fromJson(signal, body);
      } catch (err) {
        if (err instanceof DecodeError) {
          helper.badRequest('decode', err.message, { signal });
          this.send(res, format, 400, {
            code: GrpcStatus.INVALID_ARGUMENT,
            message: `malformed ${format === 'proto' ? 'protobuf' : 'JSON'} request: ${err.message}`,
          });
        } else {
          const message = err instanceof Error ? err.message : String(err);
          helper.badRequest('internal', message, { signal });
          this.send(res, format, 500, {
            code: GrpcStatus.INTERNAL,
            message: `decoding the request failed: ${message}`,
          });
        }
        return;
      }
      if (batch.itemCount === 0) {
        // Nothing to pass on (as the Collector does); still a success.
        this.success(res, signal, format);
        return;
      }
      const outcome = await helper.consume(consumer, batch);
      if (outcome.ok) {
        this.success(res, signal, format);
        return;
      }
      const { status, rpc } = httpStatusForRefusal(outcome);
      const headers: OutgoingHttpHeaders = {};
      if (status === 503 && rpc.retryDelayMs !== undefined)
        headers['Retry-After'] = retryAfterSeconds(rpc.retryDelayMs);
      this.send(res, format, status, rpc, headers);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      helper.badRequest('internal', message, { signal });
      if (!res.headersSent) this.send(res, format, 500, { code: GrpcStatus.INTERNAL, message });
      else res.destroy();
    }
  }

  private success(res: ServerResponse, signal: Signal, format: Format): void {
    const key = format === 'proto' ? signal : `${signal}:json`;
    let body = this.emptyResponse.get(key);
    if (body === undefined) {
      body = format === 'proto' ? encodeResponse(signal) : responseToJson(signal);
      this.emptyResponse.set(key, body);
    }
    if (res.destroyed) return;
    if (this.closing) res.setHeader('Connection', 'close');
    res.writeHead(200, {
      'Content-Type': format === 'proto' ? CT_PROTO : CT_JSON,
      'Content-Length': typeof body === 'string' ? Buffer.byteLength(body) : body.length,
    });
    res.end(body);
  }

  private send(
    res: ServerResponse,
    format: Format,
    status: number,
    rpc: RpcStatus,
    headers: OutgoingHttpHeaders = {},
  ): void {
    if (res.headersSent || res.destroyed) return;
    const body = format === 'proto' ? encodeRpcStatus(rpc) : rpcStatusToJson(rpc);
    headers['Content-Type'] = format === 'proto' ? CT_PROTO : CT_JSON;
    headers['Content-Length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    if (this.closing) headers.Connection = 'close';
    res.writeHead(status, headers);
    res.end(body);
  }

  /** Answer a request refused before (or while) reading its body, and count it. */
  private reject(req: IncomingMessage, res: ServerResponse, r: Rejection): void {
    const headers: OutgoingHttpHeaders = { ...r.headers };
    if (r.count !== false) this.opts.helper.badRequest(r.reason, r.message, { status: r.status });
    if (!req.complete) {
      const declared = contentLength(req.headers);
      const unread = declared === undefined ? Number.POSITIVE_INFINITY : declared;
      const hasBody = declared !== undefined || req.headers['transfer-encoding'] !== undefined;
      // Draining a small body keeps the connection; a big or endless one is not worth reading.
      if (hasBody && (unread > DRAIN_LIMIT || req.readableDidRead)) headers.Connection = 'close';
    }
    this.send(res, r.format, r.status, { code: r.code, message: r.message, retryDelayMs: r.retryDelayMs }, headers);
  }

  private preflight(req: IncomingMessage, res: ServerResponse, cors: ResolvedCorsConfig): void {
    const origin = req.headers.origin as string;
    const headers: OutgoingHttpHeaders = { Vary: 'Origin', 'Content-Length': 0 };
    const method = req.headers['access-control-request-method'];
    if (cors.allowedOrigins.some((re) => re.test(origin)) && method !== undefined && method.toUpperCase() === 'POST') {
      headers['Access-Control-Allow-Origin'] = origin;
      headers['Access-Control-Allow-Methods'] = 'POST';
      const requested = req.headers['access-control-request-headers'];
      if (requested !== undefined && requested.trim() !== '') {
        const list = requested
          .split(',')
          .map((h) => h.trim().toLowerCase())
          .filter((h) => h !== '');
        const allowed = cors.allowedHeaders;
        const ok = allowed === undefined ? list : list.filter((h) => allowed.has(h));
        if (ok.length > 0) headers['Access-Control-Allow-Headers'] = ok.join(', ');
      }
      if (cors.maxAge > 0) headers['Access-Control-Max-Age'] = String(cors.maxAge);
    }
    res.writeHead(204, headers);
    res.end();
  }

  /**
   * Read the body, decompressing as it arrives. Both the bytes as sent and the decompressed bytes
   * are counted against the limit; reading stops as soon as either passes it.
   */
  private readBody(req: IncomingMessage, encoding: Encoding): Promise<Buffer> {
    const limit = this.limit;
    return new Promise<Buffer>((resolve, reject) => {
      let settled = false;
      let raw = 0;
      let out = 0;
      const chunks: Buffer[] = [];
      let inflater: Gunzip | Inflate | undefined;

      const cleanup = (): void => {
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('close', onClose);
        req.pause();
        if (inflater !== undefined) {
          inflater.off('data', onOut);
          inflater.off('end', onOutEnd);
          inflater.off('drain', onDrain);
          inflater.destroy();
        }
      };
      const fail = (err: BodyError): void => {
        if (settled) return;
        settled = true;
        chunks.length = 0;
        cleanup();
        reject(err);
      };
      const finish = (): void => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, out));
      };
      const onData = (chunk: Buffer): void => {
        raw += chunk.length;
        if (raw > limit) {
          fail(new BodyError(413, 'too_large', `request body exceeds the limit of ${limit} bytes`));
          return;
        }
        if (inflater === undefined) {
          out += chunk.length;
          chunks.push(chunk);
        } else if (!inflater.write(chunk)) {
          req.pause();
        }
      };
      const onEnd = (): void => {
        if (inflater === undefined) finish();
        else inflater.end();
      };
      const onClose = (): void => {
        if (!req.complete) fail(new BodyError(0, 'internal', 'client closed the connection'));
      };
      const onOut = (chunk: Buffer): void => {
        out += chunk.length;
        if (out > limit) {
          fail(new BodyError(413, 'too_large', `decompressed request body exceeds the limit of ${limit} bytes`));
          return;
        }
        chunks.push(chunk);
      };
      const onOutEnd = (): void => finish();
      const onDrain = (): void => {
        if (!settled) req.resume();
      };

      if (encoding !== 'identity') {
        inflater =
          encoding === 'gzip' ? createGunzip({ chunkSize: 64 * 1024 }) : createInflate({ chunkSize: 64 * 1024 });
        inflater.on('error', (err: NodeJS.ErrnoException) => {
          fail(new BodyError(400, 'decode', `invalid ${encoding} body: ${err.message}`));
        });
        inflater.on('data', onOut);
        inflater.on('end', onOutEnd);
        inflater.on('drain', onDrain);
      }
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('close', onClose);
    });
  }
}

function noop(): void {}
