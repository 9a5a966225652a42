// The own-telemetry endpoint: Prometheus text of the collector's otelcol_* metrics, plus process
// metrics (RSS, CPU, heap, uptime) refreshed on each scrape.
import http from 'node:http';
import { splitEndpoint } from '../config/types.js';
import { listen } from '../transport/listen.js';
import type { MetricsRegistry } from './metrics.js';

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

/** Serve `/metrics` on `address` (host:port); server errors after binding go to `onError`. */
export async function startTelemetryServer(
  address: string,
  registry: MetricsRegistry,
  onError: (err: Error) => void,
): Promise<TelemetryServer> {
  const { host, port } = splitEndpoint(address);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      const body = registry.render();
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found; own metrics are on /metrics\n');
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
