// A deliberately minimal OTLP/HTTP pass-through with the same command line and config surface
// the benchmark gives the collector (`collector --config FILE`): receive, walk the protobuf to
// count items, concatenate request bodies (concatenated Export*ServiceRequest messages are one
// valid message), flush on send_batch_size or timeout, POST to the exporter endpoint, answer 200.
// It is NOT a collector (no queue, no retry, no own metrics beyond RSS). It exists for two
// reasons: to check the driver before the real collector works, and as a yardstick: what node:http
// in + out costs on this machine, so that the collector's figures can be read against it.
//
//   node dist/bench/otlp-ingest/run.js --target baseline
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { type BenchSignal, countItems } from './wire.js';

const gzip = promisify(zlib.gzip);

interface BaselineConfig {
  receiver: { host: string; port: number };
  exporter: { host: string; port: number; compression: string };
  batchSize: number;
  timeoutMs: number;
  metrics: { host: string; port: number } | undefined;
}

function hostPort(endpoint: string): { host: string; port: number } {
  const u = new URL(endpoint.includes('://') ? endpoint : `http://${endpoint}`);
  return { host: u.hostname, port: Number(u.port) };
}

function get(obj: unknown, ...keys: string[]): unknown {
  let cur = obj;
  for (const k of keys) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function loadConfig(file: string): BaselineConfig {
  const doc: unknown = parseYaml(readFileSync(file, 'utf8'));
  const str = (v: unknown, what: string): string => {
    if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`baseline: ${what} missing in ${file}`);
    return String(v);
  };
  const timeout = str(get(doc, 'processors', 'batch', 'timeout') ?? '200ms', 'processors.batch.timeout');
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(timeout);
  if (!m) throw new Error(`baseline: timeout "${timeout}" must be Nms or Ns`);
  const address = get(doc, 'service', 'telemetry', 'metrics', 'address');
  return {
    receiver: hostPort(str(get(doc, 'receivers', 'otlp', 'protocols', 'http', 'endpoint'), 'receiver endpoint')),
    exporter: {
      ...hostPort(str(get(doc, 'exporters', 'otlphttp', 'endpoint'), 'exporter endpoint')),
      compression: String(get(doc, 'exporters', 'otlphttp', 'compression') ?? 'none'),
    },
    batchSize: Number(get(doc, 'processors', 'batch', 'send_batch_size') ?? 8192),
    timeoutMs: Number(m[1]) * (m[2] === 's' ? 1000 : 1),
    metrics: typeof address === 'string' ? hostPort(address) : undefined,
  };
}

function main(argv: string[]): void {
  const i = argv.indexOf('--config');
  const file = i >= 0 ? argv[i + 1] : undefined;
  if (argv[0] !== 'collector' || file === undefined) throw new Error('usage: baseline.js collector --config FILE');
  const cfg = loadConfig(file);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const pending: Record<BenchSignal, { bufs: Buffer[]; items: number; timer: NodeJS.Timeout | undefined }> = {
    traces: { bufs: [], items: 0, timer: undefined },
    metrics: { bufs: [], items: 0, timer: undefined },
  };
  let inFlightExports = 0;

  const post = async (signal: BenchSignal, body: Buffer): Promise<void> => {
    const wire = cfg.exporter.compression === 'gzip' ? await gzip(body) : body;
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-protobuf',
      'Content-Length': String(wire.length),
    };
    if (cfg.exporter.compression === 'gzip') headers['Content-Encoding'] = 'gzip';
    inFlightExports++;
    await new Promise<void>((resolve) => {
      const req = http.request({ agent, ...cfg.exporter, method: 'POST', path: `/v1/${signal}`, headers }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', (err) => {
        process.stderr.write(`baseline: export failed: ${err.message}\n`);
        resolve();
      });
      req.end(wire);
    });
    inFlightExports--;
  };

  const flush = (signal: BenchSignal): void => {
    const p = pending[signal];
    if (p.timer !== undefined) clearTimeout(p.timer);
    p.timer = undefined;
    if (p.bufs.length === 0) return;
    const body = Buffer.concat(p.bufs);
    p.bufs = [];
    p.items = 0;
    void post(signal, body);
  };

  const server = http.createServer((req, res) => {
    const signal: BenchSignal | undefined =
      req.url === '/v1/traces' ? 'traces' : req.url === '/v1/metrics' ? 'metrics' : undefined;
    if (req.method !== 'POST' || signal === undefined) {
      req.resume();
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      let items: number;
      try {
        items = countItems(signal, body);
      } catch {
        res.writeHead(400).end();
        return;
      }
      const p = pending[signal];
      p.bufs.push(body);
      p.items += items;
      if (p.items >= cfg.batchSize) flush(signal);
      else p.timer ??= setTimeout(() => flush(signal), cfg.timeoutMs);
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Length': '0' }).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(cfg.receiver.port, cfg.receiver.host);

  const metrics =
    cfg.metrics &&
    http
      .createServer((_req, res) => {
        const rss = process.memoryUsage().rss;
        res
          .writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' })
          .end(`# TYPE otelcol_process_memory_rss_bytes gauge\notelcol_process_memory_rss_bytes ${rss}\n`);
      })
      .listen(cfg.metrics.port, cfg.metrics.host);

  process.once('SIGTERM', () => {
    server.close();
    metrics?.close();
    flush('traces');
    flush('metrics');
    const wait = (): void => {
      if (inFlightExports === 0) process.exit(0);
      else setTimeout(wait, 10);
    };
    wait();
  });
}

main(process.argv.slice(2));
