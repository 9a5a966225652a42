// OTLP/HTTP exporter: one POST per batch over keep-alive node:http / node:https agents, with
// response handling per the OTLP/HTTP spec (partial success, retryable 429/502/503/504 with
// Retry-After, everything else permanent with the server's google.rpc.Status message).
import type { CreateSettings, Exporter } from '../../component/component.js';
import { errorMessage, permanentError, retryableError } from '../../component/errors.js';
import { HttpPostClient, type HttpResult, lowerKeys, printable } from '../../helpers/exporterhelper/httpclient.js';
import {
  createExporter,
  decodeRpcStatus,
  encodeFailure,
  MAX_RESPONSE_BYTES,
  type PartialSendResult,
  parseJsonStatus,
  parseRetryAfter,
  perBatch,
  USER_AGENT,
} from '../../helpers/exporterhelper/index.js';
import type { Batch } from '../../pdata/batch.js';
import { responseFromJson } from '../../pdata/json/index.js';
import type { PartialSuccess, Signal } from '../../pdata/model.js';
import { decodeResponse } from '../../pdata/proto/index.js';
import { RateLimitedLog } from '../../telemetry/ratelimit.js';
import { isRetryableHttpStatus } from '../../transport/grpc.js';
import { gzipBody } from '../compression.js';
import { type OtlpHttpExporterConfig, signalUrl } from './config.js';

const CONTENT_TYPE = { proto: 'application/x-protobuf', json: 'application/json' } as const;

export function createOtlpHttpExporter<S extends Signal>(
  settings: CreateSettings,
  cfg: OtlpHttpExporterConfig,
  signal: S,
): Exporter<S> {
  const target = signalUrl(cfg, signal);
  if (target === undefined) {
    throw new Error(
      `exporter ${settings.id.type}${settings.id.name === '' ? '' : `/${settings.id.name}`}: no URL for ${signal}: set endpoint or ${signal}_endpoint`,
    );
  }
  const client = new OtlpHttpClient(settings, cfg, signal, new URL(target));
  return createExporter(settings, signal, cfg, (batch, abort) => client.send(batch, abort), {
    shutdown: async () => client.close(),
  });
}

class OtlpHttpClient<S extends Signal> {
  private readonly http: HttpPostClient;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly log: RateLimitedLog;
  /** Encoded (and compressed) bodies, so retries do not encode again. */
  private readonly body = perBatch((batch: Batch<S>) => this.encode(batch));

  constructor(
    settings: CreateSettings,
    private readonly cfg: OtlpHttpExporterConfig,
    private readonly signal: S,
    url: URL,
  ) {
    this.http = new HttpPostClient(url, {
      tls: cfg.tls,
      maxSockets: cfg.sending_queue.enabled ? Math.max(1, cfg.sending_queue.num_consumers) : 64,
      lifo: true,
    });
    this.headers = {
      'user-agent': USER_AGENT,
      ...lowerKeys(cfg.headers),
      'content-type': CONTENT_TYPE[cfg.encoding],
      ...(cfg.compression === 'gzip' ? { 'content-encoding': 'gzip' } : {}),
    };
    this.log = new RateLimitedLog(settings.logger);
  }

  close(): void {
    this.http.close();
  }

  async send(batch: Batch<S>, abort: AbortSignal): Promise<PartialSendResult | undefined> {
    const body = await this.body(batch);
    let res: HttpResult;
    try {
      res = await this.http.post(body, this.headers, abort);
    } catch (err) {
      if (abort.aborted) throw abort.reason;
      throw retryableError('SY_EXPORT_RETRYABLE', `POST ${this.http.where}: ${networkMessage(err)}`, undefined, err);
    }
    if (res.status >= 200 && res.status < 300) return this.partialSuccess(res);
    const detail = statusDetail(res);
    const message = `POST ${this.http.where}: HTTP ${res.status}${detail === '' ? '' : `: ${detail}`}`;
    if (isRetryableHttpStatus(res.status)) {
      const header = res.headers['retry-after'];
      throw retryableError('SY_EXPORT_RETRYABLE', message, parseRetryAfter(header));
    }
    throw permanentError('SY_EXPORT_PERMANENT', message);
  }

  private async encode(batch: Batch<S>): Promise<Buffer> {
    let raw: Buffer;
    try {
      if (this.cfg.encoding === 'json') {
        raw = Buffer.from(batch.toJson(), 'utf8');
      } else {
        const bytes = batch.toProto();
        raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
    } catch (err) {
      throw encodeFailure(err, this.signal);
    }
    return this.cfg.compression === 'gzip' ? gzipBody(raw, this.cfg.compression_params) : raw;
  }

  /** 2xx: decode Export*ServiceResponse.partial_success, if any. */
  private partialSuccess(res: HttpResult): PartialSendResult | undefined {
    if (res.body.length === 0) return undefined;
    const ct = String(res.headers['content-type'] ?? '').toLowerCase();
    const json = ct.includes('json') || (!ct.includes('protobuf') && this.cfg.encoding === 'json');
    let partial: PartialSuccess | undefined;
    try {
      if (res.truncated) throw new Error(`response body over ${MAX_RESPONSE_BYTES} bytes`);
      partial = json ? responseFromJson(this.signal, res.body) : decodeResponse(this.signal, res.body);
    } catch (err) {
      // The data was accepted (2xx); an unreadable response body is worth a warning, not a retry.
      this.log.warn(
        'bad_response',
        { url: this.http.where, status: res.status, error: errorMessage(err) },
        'could not decode the export response; treating it as full success',
      );
      return undefined;
    }
    if (partial === undefined) return undefined;
    const rejected = Number(partial.rejected);
    if (rejected > 0) return { rejectedItems: rejected, message: partial.errorMessage };
    if (partial.errorMessage !== '') {
      this.log.warn(
        'partial_success_warning',
        { url: this.http.where, message: partial.errorMessage },
        'export succeeded with a warning from the destination',
      );
    }
    return undefined;
  }
}

/** The server's explanation of a failed request: google.rpc.Status message (protobuf or JSON),
 * else the start of a text body, else the HTTP reason phrase. */
function statusDetail(res: HttpResult): string {
  const ct = String(res.headers['content-type'] ?? '').toLowerCase();
  if (res.body.length > 0) {
    if (ct.includes('protobuf')) {
      const st = decodeRpcStatus(res.body);
      if (st !== undefined && st.message !== '') return st.message;
    } else if (ct.includes('json')) {
      const st = parseJsonStatus(res.body.toString('utf8'));
      if (st !== undefined && st.message !== '') return st.message;
    }
    if (ct.startsWith('text/') || ct.includes('json') || ct === '') {
      return printable(res.body.subarray(0, 512).toString('utf8'));
    }
  }
  return res.statusMessage;
}

function networkMessage(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const msg = errorMessage(err);
  return typeof code === 'string' && !msg.includes(code) ? `${code}: ${msg}` : msg;
}
