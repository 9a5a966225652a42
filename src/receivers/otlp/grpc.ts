// OTLP/gRPC server on raw node:http2 (no grpc-js): the three unary Export RPCs. A gRPC unary
// request is one length-prefixed message (1 byte compressed flag, 4 bytes big-endian length);
// the answer is HEADERS, one DATA frame with the response message, and trailers carrying
// grpc-status. Errors are "trailers-only" answers: a single HEADERS frame with grpc-status,
// grpc-message and, for retryable refusals, grpc-status-details-bin holding a google.rpc.Status
// with a google.rpc.RetryInfo detail.
//
// Measured against @grpc/grpc-js in bench/grpc-server (see its README): raw http2 is faster.
import {
  createServer,
  type Http2Server,
  type Http2Session,
  constants as h2,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { gunzip, inflate } from 'node:zlib';
import type { Consumer, Host } from '../../component/component.js';
import { type BadRequestReason, memoryRefusal, type ReceiverHelper } from '../../helpers/receiverhelper.js';
import { Batch } from '../../pdata/batch.js';
import { DecodeError } from '../../pdata/errors.js';
import type { Signal } from '../../pdata/model.js';
import { encodeResponse } from '../../pdata/proto/index.js';
import {
  encodeFrame,
  encodeGrpcMessage,
  GrpcStatus,
  type GrpcStatusCode,
  OTLP_GRPC_PATHS,
} from '../../transport/grpc.js';
import { listen } from '../../transport/listen.js';
import type { ResolvedGrpcConfig } from './config.js';
import { clip, encodeRpcStatus, grpcStatusForRefusal, type RpcStatus } from './status.js';

type Next = Readonly<Partial<{ [S in Signal]: Consumer<S> }>>;
type Encoding = 'identity' | 'gzip' | 'deflate';

const ACCEPT_ENCODING = 'identity,gzip,deflate';
const SHUTDOWN_GRACE_MS = 5000;
/** Flow-control windows: big enough that a large message is not throttled by WINDOW_UPDATE round
 * trips; bounded by what we read anyway. */
const STREAM_WINDOW = 1024 * 1024;
const SESSION_WINDOW = 8 * 1024 * 1024;

export interface OtlpGrpcServerOptions {
  readonly config: ResolvedGrpcConfig;
  readonly next: Next;
  readonly helper: ReceiverHelper;
  readonly host: () => Host | undefined;
}

const PATHS: ReadonlyMap<string, Signal> = new Map([
  [OTLP_GRPC_PATHS.traces, 'traces'],
  [OTLP_GRPC_PATHS.metrics, 'metrics'],
  [OTLP_GRPC_PATHS.logs, 'logs'],
]);

function encodingOf(value: string | string[] | undefined): Encoding | undefined {
  if (value === undefined) return 'identity';
  if (typeof value !== 'string') return undefined;
  switch (value.trim().toLowerCase()) {
    case '':
    case 'identity':
      return 'identity';
    case 'gzip':
      return 'gzip';
    case 'deflate':
      return 'deflate';
    default:
      return undefined;
  }
}

interface Frame {
  readonly compressed: boolean;
  readonly data: Buffer;
}

/** Thrown while reading or unpacking the message. */
class RequestError extends Error {
  constructor(
    readonly code: GrpcStatusCode,
    readonly reason: BadRequestReason,
    message: string,
  ) {
    super(message);
  }
}

function decompress(encoding: Encoding, data: Buffer, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const cb = (err: Error | null, out: Buffer): void => {
      if (err === null) {
        resolve(out);
        return;
      }
      const code = (err as NodeJS.ErrnoException).code;
      if (err instanceof RangeError || code === 'ERR_BUFFER_TOO_LARGE') {
        reject(
          new RequestError(
            GrpcStatus.RESOURCE_EXHAUSTED,
            'too_large',
            `decompressed gRPC message exceeds the limit of ${maxBytes} bytes`,
          ),
        );
      } else {
        reject(new RequestError(GrpcStatus.INVALID_ARGUMENT, 'decode', `invalid ${encoding} message: ${err.message}`));
      }
    };
    // The convenience API honours maxOutputLength (streams do not); the compressed message is
    // already bounded by the same limit.
    if (encoding === 'gzip') gunzip(data, { maxOutputLength: maxBytes }, cb);
    else inflate(data, { maxOutputLength: maxBytes }, cb);
  });
}

export class OtlpGrpcServer {
  private server: Http2Server | undefined;
  private readonly sessions = new Set<Http2Session>();
  private readonly emptyFrames = new Map<Signal, Buffer>();
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  /** Streams still sending their message -> deadline (performance.now() ms). */
  private readonly reading = new Map<ServerHttp2Stream, number>();
  private sweeper: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(private readonly opts: OtlpGrpcServerOptions) {
    this.maxBytes = opts.config.maxRecvMsgBytes;
    this.timeoutMs = opts.config.streamTimeoutMs;
  }

  listen(): Promise<AddressInfo> {
    const c = this.opts.config;
    const server = createServer({
      settings: {
        maxConcurrentStreams: c.maxConcurrentStreams,
        initialWindowSize: STREAM_WINDOW,
        maxHeaderListSize: 16 * 1024,
      },
      // What nghttp2 may hold per connection (MB) before refusing new streams: room for two
      // messages at the size limit on top of Node's default 10.
      maxSessionMemory: Math.max(10, Math.ceil((2 * this.maxBytes) / (1024 * 1024)) + 10),
    });
    server.on('session', (session) => this.onSession(session));
    server.on('stream', (stream, headers) => this.onStream(stream, headers));
    server.on('sessionError', (err) =>
      this.opts.helper.warn('session-error', { err: err.message }, 'HTTP/2 session error'),
    );
    this.server = server;
    if (this.timeoutMs > 0) {
      this.sweeper = setInterval(() => this.sweep(), Math.min(1000, Math.max(50, this.timeoutMs / 4)));
      this.sweeper.unref();
    }
    return listen(server, c.port, c.host, (err) =>
      this.opts.helper.warn('server-error', { err: err.message }, 'HTTP/2 server error'),
    );
  }

  /** GOAWAY to every client: calls in flight finish (up to a grace period), new ones go elsewhere. */
  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    this.closing = true;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const sessionsClosed = [...this.sessions].map(
      (s) => new Promise<void>((resolve) => (s.closed ? resolve() : s.once('close', () => resolve()))),
    );
    for (const s of this.sessions) if (!s.closed) s.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(sessionsClosed),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    for (const s of this.sessions) if (!s.destroyed) s.destroy();
    await closed;
  }

  private onSession(session: Http2Session): void {
    this.sessions.add(session);
    session.on('error', noop);
    session.once('close', () => this.sessions.delete(session));
    if (this.closing) {
      session.close();
      return;
    }
    session.once('connect', () => {
      try {
        session.setLocalWindowSize(SESSION_WINDOW);
      } catch {
        // the session went away already
      }
    });
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on('error', noop);
    const helper = this.opts.helper;
    const method = headers[':method'];
    const path = headers[':path'] ?? '';
    if (method !== 'POST') {
      this.refuse(stream, GrpcStatus.UNIMPLEMENTED, 'method', `method ${clip(method)} not allowed: gRPC uses POST`);
      return;
    }
    const signal = PATHS.get(path);
    if (signal === undefined) {
      this.refuse(
        stream,
        GrpcStatus.UNIMPLEMENTED,
        'not_found',
        `unknown method ${clip(path)}: this receiver serves ${[...PATHS.keys()].join(', ')}`,
      );
      return;
    }
    const ct = headers['content-type'];
    if (ct !== 'application/grpc' && (ct === undefined || !/^application\/grpc(?:\+proto)?(?:;.*)?$/i.test(ct))) {
      if (ct !== undefined && /^application\/grpc/i.test(ct)) {
        this.refuse(
          stream,
          GrpcStatus.UNIMPLEMENTED,
          'unsupported_media_type',
          `content type "${clip(ct)}" is not supported: use application/grpc or application/grpc+proto`,
        );
      } else {
        // Not gRPC at all: the gRPC spec says HTTP 415.
        helper.badRequest('unsupported_media_type', `content type "${clip(ct)}" is not gRPC`);
        this.respondTrailersOnly(
          stream,
          { code: GrpcStatus.UNKNOWN, message: `content type "${clip(ct)}" is not supported: use application/grpc` },
          415,
        );
      }
      return;
    }
    const consumer = this.opts.next[signal] as Consumer<Signal> | undefined;
    if (consumer === undefined) {
      this.refuse(
        stream,
        GrpcStatus.UNIMPLEMENTED,
        'not_found',
        `this receiver has no ${signal} pipeline: ${path} is not served`,
      );
      return;
    }
    const encoding = encodingOf(headers['grpc-encoding']);
    if (encoding === undefined) {
      this.refuse(
        stream,
        GrpcStatus.UNIMPLEMENTED,
        'unsupported_media_type',
        `grpc-encoding "${clip(String(headers['grpc-encoding']))}" is not supported: use one of ${ACCEPT_ENCODING}`,
      );
      return;
    }
    if (this.closing) {
      this.respondTrailersOnly(stream, {
        code: GrpcStatus.UNAVAILABLE,
        message: 'the receiver is shutting down',
        retryDelayMs: 1000,
      });
      return;
    }
    const refuseMs = memoryRefusal(this.opts.host());
    if (refuseMs !== undefined) {
      this.refuse(stream, GrpcStatus.UNAVAILABLE, 'memory_limit', 'memory limit reached, retry later', refuseMs);
      return;
    }
    this.readMessage(stream, (err, frame) => {
      if (frame !== undefined) {
        this.process(stream, signal, consumer, encoding, frame).catch(noop);
        return;
      }
      if (err !== undefined) this.refuse(stream, err.code, err.reason, err.message);
    });
  }

  /** Drop streams whose message did not arrive within stream_timeout (one sweep per second
   * instead of a timer per stream). */
  private sweep(): void {
    const now = performance.now();
    for (const [stream, deadline] of this.reading) {
      if (deadline > now) continue;
      this.reading.delete(stream);
      this.opts.helper.badRequest(
        'timeout',
        `no complete request message within ${this.opts.config.streamTimeoutMs} ms`,
      );
      stream.emit('sy-timeout');
    }
  }

  /**
   * Read the single request message. The declared length is checked against the limit as soon
   * as the 5-byte prefix is in, before the message itself is read. Calls back once: with the
   * frame, with an error to answer, or with neither when the client went away.
   */
  private readMessage(stream: ServerHttp2Stream, cb: (err: RequestError | undefined, frame?: Frame) => void): void {
    const max = this.maxBytes;
    const chunks: Buffer[] = [];
    let total = 0;
    let expected = -1; // total bytes of prefix + message, once the prefix is known
    let settled = false;
    const cleanup = (): void => {
      settled = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onClose);
      stream.off('sy-timeout', onTimeout);
      if (this.timeoutMs > 0) this.reading.delete(stream);
    };
    const fail = (err: RequestError | undefined): void => {
      if (settled) return;
      chunks.length = 0;
      cleanup();
      cb(err);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (expected < 0) {
        chunks.push(chunk);
        if (total < 5) return;
        const head = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
        if (chunks.length > 1) {
          chunks.length = 0;
          chunks.push(head);
        }
        const flag = head[0] as number;
        if (flag > 1) {
          fail(new RequestError(GrpcStatus.INVALID_ARGUMENT, 'decode', `invalid gRPC compressed flag ${flag}`));
          return;
        }
        const len = head.readUInt32BE(1);
        if (len > max) {
          fail(
            new RequestError(
              GrpcStatus.RESOURCE_EXHAUSTED,
              'too_large',
              `gRPC message of ${len} bytes exceeds the limit of ${max} bytes`,
            ),
          );
          return;
        }
        expected = 5 + len;
      } else {
        chunks.push(chunk);
      }
      if (total > expected) {
        fail(new RequestError(GrpcStatus.INVALID_ARGUMENT, 'decode', 'a unary request must carry exactly one message'));
      }
    };
    const onEnd = (): void => {
      if (settled) return;
      if (total === 0) {
        fail(new RequestError(GrpcStatus.INVALID_ARGUMENT, 'decode', 'the request carries no message'));
        return;
      }
      if (expected < 0 || total < expected) {
        const want = expected < 0 ? 'at least 5' : String(expected);
        fail(
          new RequestError(
            GrpcStatus.INVALID_ARGUMENT,
            'decode',
            `truncated gRPC message: ${total} bytes received, ${want} expected`,
          ),
        );
        return;
      }
      cleanup();
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
      cb(undefined, { compressed: body[0] === 1, data: body.subarray(5) });
    };
    const onClose = (): void => fail(undefined);
    const onTimeout = (): void => {
      fail(undefined);
      stream.close(h2.NGHTTP2_CANCEL);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('close', onClose);
    if (this.timeoutMs > 0) {
      stream.on('sy-timeout', onTimeout);
      this.reading.set(stream, performance.now() + this.timeoutMs);
    }
  }

  private async process(
    stream: ServerHttp2Stream,
    signal: Signal,
    consumer: Consumer<Signal>,
    encoding: Encoding,
    frame: Frame,
  ): Promise<void> {
    const helper = this.opts.helper;
    try {
      let message = frame.data;
      if (frame.compressed) {
        if (encoding === 'identity') {
          this.refuse(stream, GrpcStatus.INTERNAL, 'decode', 'compressed message without a grpc-encoding header');
          return;
        }
        try {
          message = await decompress(encoding, message, this.maxBytes);
        } catch (err) {
          if (err instanceof RequestError) this.refuse(stream, err.code, err.reason, err.message);
          else throw err;
          return;
        }
      }
      let batch: Batch;
      try {
        batch = Batch.fromProto(signal, message);
      } catch (err) {
        if (err instanceof DecodeError) {
          this.refuse(stream, GrpcStatus.INVALID_ARGUMENT, 'decode', `malformed protobuf request: ${err.message}`);
        } else {
          this.refuse(stream, GrpcStatus.INTERNAL, 'internal', `decoding the request failed: ${errText(err)}`);
        }
        return;
      }
      if (batch.itemCount > 0) {
        const outcome = await helper.consume(consumer, batch);
        if (!outcome.ok) {
          this.respondTrailersOnly(stream, grpcStatusForRefusal(outcome));
          return;
        }
      }
      this.respondOk(stream, signal);
    } catch (err) {
      this.refuse(stream, GrpcStatus.INTERNAL, 'internal', errText(err));
    }
  }

  private respondOk(stream: ServerHttp2Stream, signal: Signal): void {
    if (stream.destroyed || stream.closed || stream.headersSent) return;
    let frame = this.emptyFrames.get(signal);
    if (frame === undefined) {
      frame = encodeFrame(encodeResponse(signal), false);
      this.emptyFrames.set(signal, frame);
    }
    try {
      stream.respond(OK_HEADERS, WAIT_FOR_TRAILERS);
      stream.once('wantTrailers', sendOkTrailers);
      stream.end(frame);
    } catch {
      // the stream was reset by the client meanwhile
    }
  }

  /** Count a request refused before its items were counted, and answer it. */
  private refuse(
    stream: ServerHttp2Stream,
    code: GrpcStatusCode,
    reason: BadRequestReason,
    message: string,
    retryDelayMs?: number,
  ): void {
    this.opts.helper.badRequest(reason, message, { grpcStatus: code });
    this.respondTrailersOnly(stream, { code, message, retryDelayMs });
  }

  /** A trailers-only answer: one HEADERS frame that ends the stream. */
  private respondTrailersOnly(stream: ServerHttp2Stream, status: RpcStatus, httpStatus = 200): void {
    if (stream.destroyed || stream.closed || stream.headersSent) return;
    const headers: OutgoingHttpHeaders = {
      ':status': httpStatus,
      'content-type': 'application/grpc',
      'grpc-accept-encoding': ACCEPT_ENCODING,
      'grpc-status': String(status.code),
      'grpc-message': encodeGrpcMessage(status.message),
    };
    if (status.retryDelayMs !== undefined) {
      headers['grpc-status-details-bin'] = encodeRpcStatus(status).toString('base64').replace(/=+$/, '');
    }
    try {
      stream.respond(headers, { endStream: true });
      // The client may still be sending: tell it to stop once the answer is out (RST_STREAM
      // NO_ERROR after our END_STREAM, as HTTP/2 allows), and drop whatever arrives meanwhile.
      if (!stream.readableEnded) {
        stream.removeAllListeners('data');
        stream.resume();
        stream.close(h2.NGHTTP2_NO_ERROR);
      }
    } catch {
      // the stream was reset by the client meanwhile
    }
  }
}

// Node copies these (it does not mutate them), so they can be shared by every answer.
const OK_HEADERS: OutgoingHttpHeaders = {
  ':status': 200,
  'content-type': 'application/grpc',
  'grpc-accept-encoding': ACCEPT_ENCODING,
};
const OK_TRAILERS: OutgoingHttpHeaders = { 'grpc-status': '0' };
const WAIT_FOR_TRAILERS = { waitForTrailers: true } as const;

function sendOkTrailers(this: ServerHttp2Stream): void {
  try {
    this.sendTrailers(OK_TRAILERS);
  } catch {
    // the stream was reset meanwhile
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function noop(): void {}
