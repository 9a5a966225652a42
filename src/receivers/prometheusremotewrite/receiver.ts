// The remote write receiver: POST /api/v1/write, snappy block + protobuf WriteRequest -> OTLP
// metrics. Answers 204 when the pipeline took the data; 400 for bodies that are not snappy or not
// a WriteRequest (naming the field and byte offset), 413 over the size limits, 415 for another
// content type or encoding (including remote write 2.0), 405/404 for other methods and paths,
// 503 (+ Retry-After when advised) when the pipeline refuses retryably, 400 when permanently.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Consumer, CreateSettings, Host, Receiver } from '../../component/component.js';
import {
  type BadRequestReason,
  memoryRefusal,
  ReceiverHelper,
  retryAfterSeconds,
} from '../../helpers/receiverhelper.js';
import { Batch } from '../../pdata/batch.js';
import {
  decodeV2Request,
  decodeWriteRequest,
  RemoteWriteDecodeError,
  type V2Counts,
  type WriteRequest,
} from '../../prometheus/remotewrite/proto.js';
import { SnappyError, snappyDecompress } from '../../prometheus/remotewrite/snappy.js';
import { listen } from '../../transport/listen.js';
import { type ResolvedPrwReceiverConfig, WRITE_PATH } from './config.js';
import { flushAssembled, ReceiverState, type TranslateResult, toOtlp } from './translate.js';

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: BadRequestReason,
    message: string,
  ) {
    super(message);
  }
}

export class PrwReceiver implements Receiver {
  private server: Server | undefined;
  private host: Host | undefined;
  private readonly helper: ReceiverHelper;
  readonly state: ReceiverState;
  private address: AddressInfo | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing = false;

  constructor(
    settings: CreateSettings,
    private readonly cfg: ResolvedPrwReceiverConfig,
    private readonly next: Consumer<'metrics'>,
  ) {
    this.helper = new ReceiverHelper({ settings, transport: 'http' });
    this.state = new ReceiverState({
      maxSeries: cfg.maxSeries,
      ttlMs: cfg.ttlMs,
      maxMetadata: cfg.maxMetadata,
      assemblyTimeoutMs: cfg.assemblyTimeoutMs,
    });
  }

  /** The bound port (after start). */
  get port(): number {
    return this.address?.port ?? 0;
  }

  async start(host: Host): Promise<void> {
    this.host = host;
    const server = createServer(
      { headersTimeout: 30_000, requestTimeout: 60_000, keepAliveTimeout: 65_000 },
      (req, res) => this.handle(req, res),
    );
    this.server = server;
    this.address = await listen(server, this.cfg.port, this.cfg.host, (err) =>
      this.helper.warn('server-error', { err: err.message }, 'HTTP server error'),
    );
    this.helper.logger.info(
      { endpoint: `${this.address.address}:${this.address.port}${WRITE_PATH}` },
      'remote write receiver listening',
    );
    const every = Math.max(50, Math.min(1000, Math.floor(this.cfg.assemblyTimeoutMs / 4)));
    this.flushTimer = setInterval(() => {
      if (this.flushing) return;
      this.flushing = true;
      this.flush(false)
        .catch((err: unknown) =>
          this.helper.warn(
            'flush',
            { err: err instanceof Error ? err.message : String(err) },
            'histogram flush failed',
          ),
        )
        .finally(() => {
          this.flushing = false;
        });
    }, every);
    this.flushTimer.unref();
  }

  async shutdown(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    if (this.flushTimer !== undefined) clearInterval(this.flushTimer);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2000).unref();
    });
    // Histogram points still waiting for parts go on with what arrived.
    await this.flush(true);
  }

  /** Send on assembled points that waited past the timeout (all of them at shutdown). Nobody
   * resends these: a refusal is counted by the helper as refused points. */
  private async flush(all: boolean): Promise<void> {
    const t = flushAssembled(this.state, Date.now(), all);
    this.countDropped(t);
    if (t.points === 0) return;
    await this.helper.consume(this.next, Batch.fromRequest('metrics', t.request));
  }

  private countDropped(t: TranslateResult): { hist: number; samples: number } {
    let hist = 0;
    let samples = 0;
    for (const [reason, n] of t.dropped) {
      this.helper.refused('metrics', reason, n);
      if (HISTOGRAM_REASONS.has(reason)) hist += n;
      else samples += n;
    }
    return { hist, samples };
  }

  private answer(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
    if (res.headersSent) return;
    if (status === 204) {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    const body = `${text}\n`;
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      ...headers,
    });
    res.end(body);
  }

  private refuse(req: IncomingMessage, res: ServerResponse, r: HttpRefusal): void {
    this.helper.badRequest(r.reason, r.message, { status: r.status });
    // Unread body: close the connection rather than read it.
    if (!req.complete) res.setHeader('connection', 'close');
    this.answer(res, r.status, r.message);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.process(req, res).catch((err: unknown) => {
      if (err instanceof HttpRefusal) {
        this.refuse(req, res, err);
        return;
      }
      const msg = err instanceof Error ? err.message : String(err);
      this.helper.badRequest('internal', msg);
      this.answer(res, 500, 'internal error');
    });
  }

  private async process(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== WRITE_PATH)
      throw new HttpRefusal(404, 'not_found', `unknown path ${path}; remote write is served at ${WRITE_PATH}`);
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      throw new HttpRefusal(405, 'method', `method ${req.method} not allowed; use POST`);
    }
    const version = checkContentType(req.headers['content-type']);
    const enc = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
    if (enc !== '' && enc !== 'snappy') {
      throw new HttpRefusal(
        415,
        'unsupported_media_type',
        `unsupported Content-Encoding "${enc}"; remote write bodies are snappy`,
      );
    }
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > this.cfg.maxBodyBytes) {
      throw new HttpRefusal(
        413,
        'too_large',
        `request body of ${declared} bytes exceeds the limit of ${this.cfg.maxBodyBytes} bytes`,
      );
    }
    const retryMs = memoryRefusal(this.host);
    if (retryMs !== undefined) {
      this.helper.badRequest('memory_limit', 'memory limit reached');
      res.setHeader('connection', 'close');
      this.answer(res, 503, 'memory limit reached, retry later', { 'retry-after': retryAfterSeconds(retryMs) });
      return;
    }
    const body = await readBody(req, this.cfg.maxBodyBytes);
    let raw: Buffer;
    try {
      raw = snappyDecompress(body, this.cfg.maxDecompressedBytes);
    } catch (err) {
      if (err instanceof SnappyError && err.kind === 'too_large') throw new HttpRefusal(413, 'too_large', err.message);
      throw new HttpRefusal(
        400,
        'decode',
        `body is not snappy (block format): ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    let wr: WriteRequest;
    let v2: V2Counts | undefined;
    try {
      if (version === 'v2') {
        const d = decodeV2Request(raw);
        wr = d.request;
        v2 = d.counts;
      } else wr = decodeWriteRequest(raw);
    } catch (err) {
      if (err instanceof RemoteWriteDecodeError && err.kind === 'too_large') {
        throw new HttpRefusal(
          413,
          'too_large',
          `${version === 'v2' ? 'v2 Request' : 'WriteRequest'} too large: ${err.message}`,
        );
      }
      if (err instanceof RemoteWriteDecodeError) {
        throw new HttpRefusal(
          400,
          'decode',
          `malformed ${version === 'v2' ? 'v2 Request' : 'WriteRequest'}: ${err.message}`,
        );
      }
      throw err;
    }
    const t = toOtlp(wr, this.state, Date.now());
    const { hist: droppedHist, samples: droppedSamples } = this.countDropped(t);
    // Remote write 2.0: say what was written (approximate when translation dropped points: a
    // dropped classic-histogram point stands for several samples).
    const written: Record<string, string> =
      v2 === undefined
        ? {}
        : {
            'x-prometheus-remote-write-samples-written': String(Math.max(0, v2.samples - droppedSamples)),
            'x-prometheus-remote-write-histograms-written': String(Math.max(0, v2.histograms - droppedHist)),
            'x-prometheus-remote-write-exemplars-written': String(v2.exemplars),
          };
    if (t.points === 0) {
      this.answer(res, 204, '', written);
      return;
    }
    const outcome = await this.helper.consume(this.next, Batch.fromRequest('metrics', t.request));
    if (outcome.ok) {
      this.answer(res, 204, '', written);
      return;
    }
    if (outcome.permanent) {
      this.answer(res, 400, `pipeline rejected the data: ${outcome.message}`);
      return;
    }
    // The sender resends this request; its histogram points wait for it again.
    this.state.assembler.restore(t.assembled);
    const headers: Record<string, string> =
      outcome.retryAfterMs === undefined ? {} : { 'retry-after': retryAfterSeconds(outcome.retryAfterMs) };
    this.answer(res, 503, `pipeline refused the data, retry later: ${outcome.message}`, headers);
  }
}

const HISTOGRAM_REASONS: ReadonlySet<string> = new Set([
  'float_histogram',
  'gauge_histogram',
  'unsupported_schema',
  'invalid_histogram',
]);

/** Remote write 1.0 (no `proto=` or `proto=prometheus.WriteRequest`) or 2.0. */
function checkContentType(ct: string | undefined): 'v1' | 'v2' {
  if (ct === undefined || ct.trim() === '') return 'v1';
  const [type, ...params] = ct.split(';').map((x) => x.trim().toLowerCase());
  if (type !== 'application/x-protobuf') {
    throw new HttpRefusal(
      415,
      'unsupported_media_type',
      `unsupported Content-Type "${ct}"; use application/x-protobuf`,
    );
  }
  for (const p of params) {
    if (!p.startsWith('proto=')) continue;
    const msg = p.slice(6).replace(/^"|"$/g, '');
    if (msg === 'prometheus.writerequest') return 'v1';
    if (msg === 'io.prometheus.write.v2.request') return 'v2';
    throw new HttpRefusal(
      415,
      'unsupported_media_type',
      `unsupported remote write message "${msg}": use prometheus.WriteRequest (1.0) or io.prometheus.write.v2.Request (2.0)`,
    );
  }
  return 'v1';
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        req.pause();
        reject(new HttpRefusal(413, 'too_large', `request body exceeds the limit of ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(new HttpRefusal(400, 'timeout', `reading the request failed: ${err.message}`));
    });
  });
}
