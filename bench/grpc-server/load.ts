// Closed-loop gRPC load on raw node:http2 (h2load-like): C connections, each keeping M unary calls
// in flight, for a warm-up and then a measured period. Prints one JSON line with calls/s, spans/s
// and latency percentiles.
//
//   node dist/bench/grpc-server/load.js PORT SPANS CONNECTIONS STREAMS WARMUP_S SECONDS
import { type ClientHttp2Session, connect } from 'node:http2';
import { performance } from 'node:perf_hooks';
import { ProtobufTraceSerializer } from 'otlp-decode';
import { encodeFrame, OTLP_GRPC_PATHS } from '../../src/transport/grpc.js';
import { makeSpans } from './spans.js';

const [port, spanCount, connections, streams, warmupS, seconds] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
  number,
  number,
  number,
];

const body = encodeFrame(ProtobufTraceSerializer.serializeRequest(await makeSpans(spanCount)) as Uint8Array, false);
const headers = {
  ':method': 'POST',
  ':path': OTLP_GRPC_PATHS.traces,
  'content-type': 'application/grpc',
  te: 'trailers',
};

let measuring = false;
let stopped = false;
let ok = 0;
let failed = 0;
const latencies: number[] = [];

function call(session: ClientHttp2Session): void {
  if (stopped || session.destroyed) return;
  const t0 = performance.now();
  const stream = session.request(headers);
  let grpcStatus: string | undefined;
  stream.on('response', (h) => {
    const s = h['grpc-status'];
    if (typeof s === 'string') grpcStatus = s;
  });
  stream.on('trailers', (t) => {
    const s = t['grpc-status'];
    if (typeof s === 'string') grpcStatus = s;
  });
  stream.on('data', () => {});
  stream.on('error', () => {});
  stream.on('close', () => {
    if (measuring) {
      if (grpcStatus === '0') ok++;
      else failed++;
      latencies.push(performance.now() - t0);
    }
    call(session);
  });
  stream.end(body);
}

const sessions: ClientHttp2Session[] = [];
for (let c = 0; c < connections; c++) {
  const session = connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  sessions.push(session);
  await new Promise<void>((resolve) => session.once('connect', () => resolve()));
  for (let m = 0; m < streams; m++) call(session);
}
await new Promise((r) => setTimeout(r, warmupS * 1000));
measuring = true;
const t0 = performance.now();
await new Promise((r) => setTimeout(r, seconds * 1000));
measuring = false;
const elapsed = (performance.now() - t0) / 1000;
stopped = true;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
process.stdout.write(
  `${JSON.stringify({
    spans: spanCount,
    bytes: body.length,
    callsPerS: Math.round(ok / elapsed),
    spansPerS: Math.round((ok * spanCount) / elapsed),
    failed,
    p50ms: Number(pct(0.5).toFixed(2)),
    p99ms: Number(pct(0.99).toFixed(2)),
  })}\n`,
);
for (const s of sessions) s.destroy();
process.exit(0);
