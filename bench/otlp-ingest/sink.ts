// The sink the collector exports to: a node:http server that answers every OTLP/HTTP export with
// 200 and an empty application/x-protobuf body (an empty Export*ServiceResponse), counts the items
// that arrive (by walking the protobuf itself) and notes the arrival time of every latency marker.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { type BenchSignal, countItems, findMarkers } from './wire.js';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);

export interface SinkCounts {
  requests: number;
  items: number;
  /** Bytes on the wire (compressed when the exporter compresses). */
  wireBytes: number;
  bodyBytes: number;
  /** Requests we could not decompress or walk (answered 400). */
  malformed: number;
}

export interface Sink {
  readonly port: number;
  readonly counts: Readonly<Record<BenchSignal, SinkCounts>>;
  /** Content-Encoding values seen, with request counts. */
  readonly encodings: ReadonlyMap<string, number>;
  /** Per signal: marker sequence number -> first arrival. */
  readonly arrivals: Readonly<Record<BenchSignal, Map<number, Arrival>>>;
  /** Markers seen more than once (data delivered twice). */
  readonly duplicateMarkers: number;
  /** Requests to paths other than /v1/traces and /v1/metrics. */
  readonly unexpected: number;
  /** First malformed-request reason, for the report. */
  readonly firstError: string | undefined;
  close(): Promise<void>;
}

export interface Arrival {
  /** performance.now() when the export request carrying the marker had fully arrived, ms. */
  readonly at: number;
  /** Which export request (per signal, counted from 0) carried it. */
  readonly exportIndex: number;
}

const emptyCounts = (): SinkCounts => ({ requests: 0, items: 0, wireBytes: 0, bodyBytes: 0, malformed: 0 });

export async function startSink(host = '127.0.0.1'): Promise<Sink> {
  const counts: Record<BenchSignal, SinkCounts> = { traces: emptyCounts(), metrics: emptyCounts() };
  const encodings = new Map<string, number>();
  const arrivals: Record<BenchSignal, Map<number, Arrival>> = { traces: new Map(), metrics: new Map() };
  let duplicateMarkers = 0;
  let unexpected = 0;
  let firstError: string | undefined;

  const signalOf = (url: string | undefined): BenchSignal | undefined => {
    const path = (url ?? '').split('?')[0];
    if (path === '/v1/traces') return 'traces';
    if (path === '/v1/metrics') return 'metrics';
    return undefined;
  };

  const handle = async (signal: BenchSignal, encoding: string, wire: Buffer, arrivedAt: number): Promise<void> => {
    const c = counts[signal];
    const exportIndex = c.requests++;
    c.wireBytes += wire.length;
    let body: Buffer;
    switch (encoding) {
      case '':
      case 'identity':
        body = wire;
        break;
      case 'gzip':
        body = await gunzip(wire);
        break;
      case 'deflate':
        body = await inflate(wire);
        break;
      default:
        throw new Error(`unsupported Content-Encoding "${encoding}"`);
    }
    c.bodyBytes += body.length;
    c.items += countItems(signal, body);
    const seen = arrivals[signal];
    for (const seq of findMarkers(body)) {
      if (seen.has(seq)) duplicateMarkers++;
      else seen.set(seq, { at: arrivedAt, exportIndex });
    }
  };

  const server = http.createServer((req, res) => {
    const signal = req.method === 'POST' ? signalOf(req.url) : undefined;
    if (signal === undefined) {
      unexpected++;
      req.resume();
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    const encoding = (req.headers['content-encoding'] ?? '').toLowerCase();
    encodings.set(encoding || 'none', (encodings.get(encoding || 'none') ?? 0) + 1);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const arrivedAt = performance.now();
      const wire = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      handle(signal, encoding, wire, arrivedAt).then(
        () => {
          res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Length': '0' }).end();
        },
        (err: unknown) => {
          counts[signal].malformed++;
          firstError ??= err instanceof Error ? err.message : String(err);
          res.writeHead(400, { 'Content-Type': 'text/plain' }).end('malformed\n');
        },
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    counts,
    encodings,
    arrivals,
    get duplicateMarkers() {
      return duplicateMarkers;
    },
    get unexpected() {
      return unexpected;
    },
    get firstError() {
      return firstError;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
