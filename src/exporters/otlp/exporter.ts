// OTLP/gRPC exporter: the Export RPC of each signal over a raw node:http2 client (./client.ts),
// with the exporter helper's queue, retries and timeout. Retryability follows the OTLP spec
// (isRetryableGrpcStatus); RetryInfo in grpc-status-details-bin sets the retry delay.
import type { CreateSettings, Exporter } from '../../component/component.js';
import { errorMessage, permanentError, retryableError } from '../../component/errors.js';
import { formatComponentId } from '../../component/id.js';
import {
  createExporter,
  encodeFailure,
  type PartialSendResult,
  perBatch,
  resolveHelperConfig,
  USER_AGENT,
} from '../../helpers/exporterhelper/index.js';
import { loadClientTls } from '../../helpers/exporterhelper/tls.js';
import type { Batch } from '../../pdata/batch.js';
import type { Signal } from '../../pdata/model.js';
import { decodeResponse } from '../../pdata/proto/index.js';
import { RateLimitedLog } from '../../telemetry/ratelimit.js';
import {
  encodeFrame,
  formatGrpcTimeout,
  GrpcStatus,
  isRetryableGrpcStatus,
  OTLP_GRPC_PATHS,
} from '../../transport/grpc.js';
import { gzipBody } from '../compression.js';
import { GrpcClient, GrpcTransportError, grpcStatusName } from './client.js';
import { type OtlpGrpcExporterConfig, type ParsedEndpoint, parseEndpoint } from './config.js';

export interface OtlpGrpcExporterHandle<S extends Signal> extends Exporter<S> {
  /** The underlying client (tests look at reconnects). */
  readonly client: GrpcClient;
}

export function createOtlpGrpcExporter<S extends Signal>(
  settings: CreateSettings,
  cfg: OtlpGrpcExporterConfig,
  signal: S,
): OtlpGrpcExporterHandle<S> {
  const ep = parseEndpoint(cfg.endpoint, cfg.tls.insecure);
  if (typeof ep === 'string') throw new Error(`exporter ${formatComponentId(settings.id)}: endpoint: ${ep}`);
  const sender = new OtlpGrpcSender(settings, cfg, signal, ep);
  const exporter = createExporter(settings, signal, cfg, (batch, abort) => sender.send(batch, abort), {
    shutdown: () => sender.client.close(),
  });
  return Object.assign(exporter, { client: sender.client });
}

class OtlpGrpcSender<S extends Signal> {
  readonly client: GrpcClient;
  private readonly path: string;
  private readonly metadata: Readonly<Record<string, string>>;
  private readonly where: string;
  private readonly log: RateLimitedLog;
  /** Encoded (and compressed) frames, so retries do not encode again. */
  private readonly frame = perBatch((batch: Batch<S>) => this.encode(batch));

  constructor(
    settings: CreateSettings,
    private readonly cfg: OtlpGrpcExporterConfig,
    private readonly signal: S,
    ep: ParsedEndpoint,
  ) {
    this.client = new GrpcClient(ep, ep.secure ? loadClientTls(cfg.tls) : undefined);
    this.path = OTLP_GRPC_PATHS[signal];
    this.where = `${ep.authority}${this.path}`;
    const timeoutMs = resolveHelperConfig(cfg).timeoutMs;
    const md: Record<string, string> = {};
    for (const [k, v] of Object.entries(cfg.headers)) md[k.toLowerCase()] = v;
    this.metadata = {
      ...md,
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': USER_AGENT,
      'grpc-accept-encoding': 'gzip,identity',
      ...(cfg.compression === 'gzip' ? { 'grpc-encoding': 'gzip' } : {}),
      ...(timeoutMs > 0 ? { 'grpc-timeout': formatGrpcTimeout(timeoutMs) } : {}),
    };
    this.log = new RateLimitedLog(settings.logger);
  }

  async send(batch: Batch<S>, abort: AbortSignal): Promise<PartialSendResult | undefined> {
    const frame = await this.frame(batch);
    let r: Awaited<ReturnType<GrpcClient['unary']>>;
    try {
      r = await this.client.unary(this.path, this.metadata, frame, abort);
    } catch (err) {
      if (abort.aborted) throw abort.reason;
      const msg = err instanceof GrpcTransportError ? err.message : errorMessage(err);
      throw retryableError('SY_EXPORT_RETRYABLE', `gRPC ${this.where}: ${msg}`, undefined, err);
    }
    if (r.code === GrpcStatus.OK) return this.partialSuccess(r.body);
    const message = `gRPC ${this.where}: ${grpcStatusName(r.code)}${r.message === '' ? '' : `: ${r.message}`}`;
    if (isRetryableGrpcStatus(r.code, r.retryDelayMs !== undefined)) {
      throw retryableError('SY_EXPORT_RETRYABLE', message, r.retryDelayMs);
    }
    throw permanentError('SY_EXPORT_PERMANENT', message);
  }

  private async encode(batch: Batch<S>): Promise<Buffer> {
    let bytes: Uint8Array;
    try {
      bytes = batch.toProto();
    } catch (err) {
      throw encodeFailure(err, this.signal);
    }
    if (this.cfg.compression === 'gzip') return encodeFrame(await gzipBody(bytes, this.cfg.compression_params), true);
    return encodeFrame(bytes, false);
  }

  private partialSuccess(body: Buffer): PartialSendResult | undefined {
    if (body.length === 0) return undefined;
    let partial: ReturnType<typeof decodeResponse>;
    try {
      partial = decodeResponse(this.signal, body);
    } catch (err) {
      this.log.warn(
        'bad_response',
        { endpoint: this.where, error: errorMessage(err) },
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
        { endpoint: this.where, message: partial.errorMessage },
        'export succeeded with a warning from the destination',
      );
    }
    return undefined;
  }
}
