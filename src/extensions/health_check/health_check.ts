// The health_check extension: an HTTP endpoint for liveness/readiness probes.
//
// GET <path>          200 {"status":"Server available","upSince":...,"uptime":...} while the host
//                     is healthy, else 503 {"status":"Server not available",...}
// GET <path>?verbose  the same, plus "components": every component's reported status
// anything else       404 (405 for another method on <path>)
import http from 'node:http';
import type { CreateSettings, Extension, Host } from '../../component/component.js';
import { errorMessage } from '../../component/errors.js';
import { splitEndpoint } from '../../config/types.js';
import { listen } from '../../transport/listen.js';
import type { HealthCheckConfig } from './config.js';

/** Limits for a probe endpoint: small, short-lived requests only. */
const LIMITS = {
  maxHeaderSize: 8 * 1024,
  maxHeadersCount: 64,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 128,
  maxRequestsPerSocket: 1_000,
} as const;

export interface HealthBody {
  readonly status: 'Server available' | 'Server not available';
  readonly upSince: string;
  readonly uptime: string;
  readonly components?: ReadonlyArray<{
    readonly id: string;
    readonly kind: string;
    readonly status: string;
    readonly error?: string;
    readonly since: string;
  }>;
}

export class HealthCheckExtension implements Extension {
  private server: http.Server | undefined;
  private bound: { host: string; port: number } | undefined;
  private upSince = 0;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: HealthCheckConfig,
    private readonly now: () => number = Date.now,
  ) {}

  async start(host: Host): Promise<void> {
    if (this.server !== undefined) return;
    const { host: addr, port } = splitEndpoint(this.config.endpoint);
    const server = http.createServer({ maxHeaderSize: LIMITS.maxHeaderSize }, (req, res) =>
      this.handle(host, req, res),
    );
    server.headersTimeout = LIMITS.headersTimeoutMs;
    server.requestTimeout = LIMITS.requestTimeoutMs;
    server.keepAliveTimeout = LIMITS.keepAliveTimeoutMs;
    server.maxHeadersCount = LIMITS.maxHeadersCount;
    server.maxConnections = LIMITS.maxConnections;
    server.maxRequestsPerSocket = LIMITS.maxRequestsPerSocket;
    // No 'clientError' listener: Node answers malformed requests itself (400, 431 for oversized
    // headers, 408 on timeouts) and closes the socket.
    const info = await listen(server, port, addr, (err) =>
      this.settings.logger.error({ err: errorMessage(err) }, 'health_check server error'),
    );
    this.bound = { host: info.address, port: info.port };
    this.server = server;
    this.upSince = this.now();
    this.settings.logger.info(
      { endpoint: `${info.address}:${info.port}`, path: this.config.path },
      'health_check serving',
    );
  }

  /** The address actually bound (the port is useful with `endpoint: 127.0.0.1:0`). */
  address(): { host: string; port: number } | undefined {
    return this.bound;
  }

  shutdown(): Promise<void> {
    if (this.stopping === undefined) {
      const server = this.server;
      this.stopping =
        server === undefined
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            });
    }
    return this.stopping;
  }

  /** The JSON body for the current state. */
  body(host: Host, verbose: boolean): { healthy: boolean; body: HealthBody } {
    const healthy = host.healthy();
    const now = this.now();
    const base = {
      status: healthy ? ('Server available' as const) : ('Server not available' as const),
      upSince: new Date(this.upSince).toISOString(),
      uptime: formatUptime(now - this.upSince),
    };
    if (!verbose) return { healthy, body: base };
    const components = host.statuses().map((s) => ({
      id: s.id,
      kind: s.kind,
      status: s.status,
      ...(s.error === undefined ? {} : { error: s.error }),
      since: new Date(s.since).toISOString(),
    }));
    return { healthy, body: { ...base, components } };
  }

  private handle(host: Host, req: http.IncomingMessage, res: http.ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      send(res, 400, 'text/plain; charset=utf-8', 'bad request\n', req.method === 'HEAD');
      return;
    }
    if (url.pathname !== this.config.path) {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n', req.method === 'HEAD');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false);
      return;
    }
    try {
      const { healthy, body } = this.body(host, url.searchParams.has('verbose'));
      send(res, healthy ? 200 : 503, 'application/json', `${JSON.stringify(body)}\n`, req.method === 'HEAD');
    } catch (err) {
      this.settings.logger.error({ err: errorMessage(err) }, 'health_check could not read the host status');
      send(res, 500, 'text/plain; charset=utf-8', 'internal error\n', req.method === 'HEAD');
    }
  }
}

function send(res: http.ServerResponse, status: number, type: string, text: string, headOnly: boolean): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(headOnly ? undefined : text);
}

/** A Go-style duration (`850ms`, `49.013s`, `3m2.5s`, `1h0m7s`). */
export function formatUptime(ms: number): string {
  const t = Math.max(0, Math.round(ms));
  if (t < 1000) return `${t}ms`;
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  const s = (t % 60_000) / 1000;
  let out = '';
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  return `${out}${Number(s.toFixed(3))}s`;
}
