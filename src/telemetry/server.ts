// The own-telemetry endpoint: Prometheus text of the collector's otelcol_* metrics, plus process
// metrics (RSS, CPU, heap, uptime) refreshed on each scrape; the status page (`/`) and the
// cardinality explorer (`/cardinality`, `/api/cardinality`).
import http from 'node:http';
import {
  renderCardinalityPage,
  renderDisabledPage,
  renderMetricPage,
  renderUnknownMetric,
} from '../cardinality/page.js';
import { buildReport, metricDetail, suggestionFor } from '../cardinality/report.js';
import type { CardinalityTracker } from '../cardinality/tracker.js';
import { splitEndpoint } from '../config/types.js';
import { listen } from '../transport/listen.js';
import { HTML_HEADERS } from './html.js';
import type { MetricsRegistry } from './metrics.js';
import { renderStatusPage, type StatusSource } from './status-page.js';

export function registerProcessMetrics(registry: MetricsRegistry, startedAt = Date.now()): void {
  const rss = registry.gauge('otelcol_process_memory_rss_bytes', 'Total physical memory (resident set size) [bytes]');
  const cpu = registry.gauge('otelcol_process_cpu_seconds_total', 'Total CPU user and system time [seconds]');
  const heap = registry.gauge('otelcol_process_runtime_heap_alloc_bytes', 'Bytes of allocated JS heap objects');
  const external = registry.gauge(
    'switchyard_process_runtime_external_bytes',
    'Bytes held outside the JS heap (Buffers, ArrayBuffers)',
  );
  const uptime = registry.gauge('otelcol_process_uptime_seconds_total', 'Uptime of the process [seconds]');
  const refresh = (): void => {
    const mem = process.memoryUsage();
    rss.set(mem.rss);
    heap.set(mem.heapUsed);
    external.set(mem.external);
    const u = process.cpuUsage();
    cpu.set((u.user + u.system) / 1e6);
    uptime.set((Date.now() - startedAt) / 1000);
  };
  rss.onCollect(refresh);
}

export interface TelemetryServer {
  readonly port: number;
  close(): Promise<void>;
}

/** What the pages show besides the registry. Getters, because a reload replaces both. */
export interface TelemetryPages {
  /** The running service; undefined while none runs. */
  readonly status?: () => StatusSource | undefined;
  /** The cardinality tracker; undefined when tracking is off. */
  readonly cardinality?: () => CardinalityTracker | undefined;
}

const JSON_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
} as const;
const MAX_URL_LENGTH = 4096;

/** `?limit=`: 1..1000, 20 when absent or not a number. */
function limitParam(q: URLSearchParams): number {
  const n = Number.parseInt(q.get('limit') ?? '', 10);
  return Number.isFinite(n) ? Math.min(1000, Math.max(1, n)) : 20;
}

function handleCardinality(
  path: '/cardinality' | '/api/cardinality',
  q: URLSearchParams,
  tracker: CardinalityTracker | undefined,
  res: http.ServerResponse,
): void {
  const json = path === '/api/cardinality';
  if (tracker === undefined) {
    if (json) res.writeHead(404, JSON_HEADERS).end(`${JSON.stringify({ error: 'cardinality tracking is off' })}\n`);
    else res.writeHead(404, HTML_HEADERS).end(renderDisabledPage());
    return;
  }
  const metric = q.get('metric');
  const type = q.get('type') ?? undefined;
  if (metric !== null) {
    const detail = metricDetail(tracker, metric, type);
    if (detail === undefined) {
      if (json) res.writeHead(404, JSON_HEADERS).end(`${JSON.stringify({ error: 'metric not tracked', metric })}\n`);
      else res.writeHead(404, HTML_HEADERS).end(renderUnknownMetric(metric));
      return;
    }
    const suggestion = suggestionFor(detail);
    if (json) {
      res.writeHead(200, JSON_HEADERS).end(`${JSON.stringify({ metric: detail, suggestion: suggestion ?? null })}\n`);
    } else {
      res.writeHead(200, HTML_HEADERS).end(renderMetricPage(detail, suggestion, tracker.windowMinutes));
    }
    return;
  }
  const report = buildReport(tracker, { limit: limitParam(q), withKeys: false });
  if (json) res.writeHead(200, JSON_HEADERS).end(`${JSON.stringify(report)}\n`);
  else res.writeHead(200, HTML_HEADERS).end(renderCardinalityPage(report));
}

/** Serve `/metrics`, `/`, `/cardinality` and `/api/cardinality` on `address` (host:port); server
 * errors after binding go to `onError`. */
export async function startTelemetryServer(
  address: string,
  registry: MetricsRegistry,
  onError: (err: Error) => void,
  pages: TelemetryPages = {},
): Promise<TelemetryServer> {
  const { host, port } = splitEndpoint(address);
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (url.length > MAX_URL_LENGTH) {
      res.writeHead(414, { 'Content-Type': 'text/plain' }).end('URI too long\n');
      return;
    }
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    try {
      switch (path) {
        case '/metrics': {
          const body = registry.render();
          res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
          return;
        }
        case '/':
          res
            .writeHead(200, HTML_HEADERS)
            .end(renderStatusPage(pages.status?.(), registry, pages.cardinality?.() !== undefined));
          return;
        case '/cardinality':
        case '/api/cardinality':
          handleCardinality(path, params, pages.cardinality?.(), res);
          return;
        default:
          res
            .writeHead(404, { 'Content-Type': 'text/plain' })
            .end('not found; see / (status), /metrics, /cardinality, /api/cardinality\n');
      }
    } catch (err) {
      onError(err instanceof Error ? err : new Error(String(err)));
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('internal error\n');
    }
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const bound = await listen(server, port, host, onError);
  return {
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
