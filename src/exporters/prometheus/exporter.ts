// The prometheus exporter: a pull endpoint. Batches are folded into an accumulator (latest
// cumulative value per series); GET /metrics renders it as Prometheus text 0.0.4 or, when the
// scraper asks for it and it is enabled, OpenMetrics 1.0. Points it cannot store are counted in
// otelcol_exporter_send_failed_metric_points_total with a reason; the pipeline never fails.
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createGzip } from 'node:zlib';
import type { CreateSettings, Exporter } from '../../component/component.js';
import { errorMessage, permanentError } from '../../component/errors.js';
import { formatComponentId } from '../../component/id.js';
import { durationMs, splitEndpoint } from '../../config/types.js';
import type { Batch } from '../../pdata/batch.js';
import { CONTENT_TYPE, type ExpositionFormat } from '../../prometheus/textwrite.js';
import type { CounterSeries } from '../../telemetry/metrics.js';
import { RateLimitedLog } from '../../telemetry/ratelimit.js';
import { listen } from '../../transport/listen.js';
import { Accumulator, type PointDropReason } from './accumulator.js';
import type { PrometheusExporterConfig } from './config.js';
import { acceptsGzip, negotiateFormat, type ScrapeFormat } from './negotiate.js';
import { PROTOBUF_CONTENT_TYPE, renderProtobuf } from './protobuf.js';
import { renderChunkIterator, renderExposition } from './render.js';

/** Bodies under this size are sent uncompressed even when gzip is accepted. */
const GZIP_MIN_BYTES = 1024;
/** Scrapes rendered at the same time; more get 503 (each render holds a full copy of the page). */
const MAX_CONCURRENT_SCRAPES = 4;

export interface PrometheusExporter extends Exporter<'metrics'> {
  /** The bound port (after start). */
  readonly port: number;
  /** The accumulator (tests and benchmarks). */
  readonly accumulator: Accumulator;
  /** Render the page as a scrape would (expires old series first). */
  render(format: ExpositionFormat): string;
}

function contentType(format: ScrapeFormat): string {
  return format === 'protobuf' ? PROTOBUF_CONTENT_TYPE : CONTENT_TYPE[format];
}

export interface PrometheusExporterOptions {
  /** Wall clock in ms (tests drive expiry with it). */
  readonly now?: () => number;
  /** A connection with no traffic either way for this long is closed, including one whose
   * client stopped reading a page (it would otherwise hold the page and a scrape slot for
   * ever). Default 30 s. */
  readonly idleTimeoutMs?: number;
}

export function createPrometheusExporter(
  settings: CreateSettings,
  cfg: PrometheusExporterConfig,
  opts: PrometheusExporterOptions = {},
): PrometheusExporter {
  const now = opts.now ?? Date.now;
  const name = formatComponentId(settings.id);
  const labels = { exporter: name };
  const log = new RateLimitedLog(settings.logger, 10_000);
  const expirationMs = durationMs(cfg.metric_expiration);
  const acc = new Accumulator({
    namespace: cfg.namespace,
    constLabels: cfg.const_labels,
    resourceToTelemetry: cfg.resource_to_telemetry_conversion.enabled,
    addMetricSuffixes: cfg.add_metric_suffixes,
    expirationMs,
    expoBounds: cfg.exponential_histogram_buckets,
  });

  const m = settings.metrics;
  const sent = m
    .counter(
      'otelcol_exporter_sent_metric_points_total',
      'Number of metric points successfully sent to the destination.',
    )
    .with(labels);
  const failed = m.counter(
    'otelcol_exporter_send_failed_metric_points_total',
    'Number of metric points the exporter failed to send, by reason.',
  );
  const failedBy = new Map<PointDropReason, CounterSeries>();
  const expired = m
    .counter(
      'switchyard_exporter_prometheus_expired_series_total',
      'Series removed after metric_expiration without updates.',
    )
    .with(labels);
  const scrapes = m.counter(
    'switchyard_exporter_prometheus_scrapes_total',
    'Scrapes of /metrics, by format and status code.',
  );
  const seriesGauge = m.gauge('switchyard_exporter_prometheus_series', 'Series currently exposed on /metrics.');
  const seriesSeries = seriesGauge.with(labels);
  seriesGauge.onCollect(() => seriesSeries.set(acc.seriesCount));

  let server: http.Server | undefined;
  let port = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let inFlight = 0;

  const expire = (): void => {
    const n = acc.expire(now());
    if (n > 0) expired.add(n);
  };

  const render = (format: ExpositionFormat): string => {
    expire();
    return renderExposition(acc, { format, sendTimestamps: cfg.send_timestamps });
  };

  const offered = { openMetrics: cfg.enable_open_metrics, protobuf: cfg.enable_native_histograms };

  /** The page; text formats let the event loop run between chunks (a big page takes a while). */
  const renderBody = async (format: ScrapeFormat): Promise<Buffer[]> => {
    if (format === 'protobuf') return renderProtobuf(acc, { sendTimestamps: cfg.send_timestamps });
    const chunks: Buffer[] = [];
    for (const text of renderChunkIterator(acc, { format, sendTimestamps: cfg.send_timestamps })) {
      chunks.push(Buffer.from(text, 'utf8'));
      await nextTurn();
    }
    return chunks;
  };

  const answer = (
    res: http.ServerResponse,
    code: number,
    text: string,
    headers: http.OutgoingHttpHeaders = {},
  ): void => {
    res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }).end(text);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    // Scrapes carry no body: never read one.
    req.resume();
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      answer(res, 404, 'not found; metrics are on /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      answer(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    const format = negotiateFormat(req.headers.accept, offered);
    if (inFlight >= MAX_CONCURRENT_SCRAPES) {
      scrapes.add(1, { exporter: name, format, code: '503' });
      answer(res, 503, 'too many concurrent scrapes\n', { 'Retry-After': '1' });
      return;
    }
    inFlight++;
    try {
      expire();
      const chunks = await renderBody(format);
      let total = 0;
      for (const c of chunks) total += c.length;
      const headers: http.OutgoingHttpHeaders = {
        'Content-Type': contentType(format),
        Vary: 'Accept, Accept-Encoding',
      };
      scrapes.add(1, { exporter: name, format, code: '200' });
      if (req.method === 'HEAD') {
        res.writeHead(200, headers).end();
        return;
      }
      if (total >= GZIP_MIN_BYTES && acceptsGzip(req.headers['accept-encoding'])) {
        headers['Content-Encoding'] = 'gzip';
        res.writeHead(200, headers);
        const gz = createGzip();
        const done = pipeline(gz, res);
        for (const c of chunks) gz.write(c);
        gz.end();
        chunks.length = 0;
        await done;
        return;
      }
      headers['Content-Length'] = total;
      res.writeHead(200, headers);
      for (const c of chunks) res.write(c);
      res.end();
    } finally {
      inFlight--;
    }
  };

  const exporter: PrometheusExporter = {
    mutatesData: false,
    get port() {
      return port;
    },
    accumulator: acc,
    render,
    async consume(batch: Batch<'metrics'>): Promise<void> {
      if (stopped) throw permanentError('SY_SHUTTING_DOWN', `exporter ${name} is shut down`);
      let req: ReturnType<Batch<'metrics'>['request']>;
      try {
        req = batch.request();
      } catch (err) {
        failed.add(batch.itemCount, { exporter: name, reason: 'decode' });
        throw permanentError('SY_DECODE', `exporter ${name}: ${errorMessage(err)}`, err);
      }
      const r = acc.ingest(req, now());
      sent.add(r.accepted);
      for (const [reason, n] of r.dropped) {
        let c = failedBy.get(reason);
        if (c === undefined) {
          c = failed.with({ exporter: name, reason });
          failedBy.set(reason, c);
        }
        c.add(n);
        log.warn(reason, { exporter: name, reason, points: n }, `dropped ${n} metric points (${reason})`);
      }
    },
    async start(): Promise<void> {
      const { host, port: p } = splitEndpoint(cfg.endpoint);
      const srv = http.createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
        handle(req, res).catch((err: unknown) => {
          settings.logger.warn({ error: errorMessage(err) }, 'prometheus exporter failed to answer a scrape');
          if (!res.headersSent) answer(res, 500, 'internal error\n');
          else res.destroy();
        });
      });
      srv.headersTimeout = 10_000;
      srv.requestTimeout = 30_000;
      srv.keepAliveTimeout = 65_000;
      // No 'timeout' listener: Node destroys a socket idle this long (a stalled reader too).
      srv.timeout = opts.idleTimeoutMs ?? 30_000;
      srv.maxConnections = 128;
      const bound = await listen(srv, p, host, (err) => {
        settings.logger.warn({ error: errorMessage(err) }, 'prometheus exporter server error');
      });
      server = srv;
      port = bound.port;
      settings.logger.info({ endpoint: `${host}:${port}` }, 'serving /metrics');
      const every = Math.min(60_000, Math.max(1000, Math.floor(expirationMs / 2)));
      timer = setInterval(expire, every);
      timer.unref();
    },
    async shutdown(): Promise<void> {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      const srv = server;
      server = undefined;
      seriesGauge.remove(labels);
      if (srv === undefined) return;
      await new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeAllConnections();
      });
    },
  };
  return exporter;
}
