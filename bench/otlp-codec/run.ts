// OTLP protobuf codec benchmark: our hand-written codec against protobufjs static code (the
// generated root.js of @opentelemetry/otlp-transformer 0.214, as `otlp-decode`) on the same
// bytes. Traces: 100 spans x 10 attributes with a realistic resource. Metrics: 1,000 data points
// (40% sums, 30% gauges, 30% histograms). Logs: 100 records.
//
// Each workload runs in its own child process (a workload's garbage and heap sizing would
// otherwise tax the next one), where every op is warmed up and then timed in several samples
// interleaved with its peer. The table shows the median throughput, the p50/p99 latency of
// single ops, and our/protobufjs ratios. Peak RSS is measured per op in yet another child that
// runs only that op, so each number belongs to one implementation. Node flags given to this
// process (e.g. --max-semi-space-size=64) are passed on to the children.
//
//   node dist/bench/otlp-codec/run.js [--quick] [--json]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { countItems } from '../../src/pdata/batch.js';
import { realisticLogs, realisticMetrics, realisticTraces } from '../../src/pdata/gen.js';
import { requestFromJson, requestToJson } from '../../src/pdata/json/index.js';
import { type RequestBySignal, SIGNALS, type Signal } from '../../src/pdata/model.js';
import { decodeRequest, encodeRequest, scanRequest } from '../../src/pdata/proto/index.js';
import { PB_REQUEST, type Pb } from '../../src/pdata/testdata/protobufjs.js';

const quick = process.argv.includes('--quick');
const SAMPLES = quick ? 3 : 9;
const SAMPLE_MS = quick ? 150 : 300;
const WARMUP_MS = quick ? 300 : 1000;
const RSS_CHILD_MS = quick ? 400 : 1500;

const LABELS: Record<Signal, string> = {
  traces: '100 spans x 10 attributes, realistic resource',
  metrics: '1,000 points: 40% sums, 30% gauges, 30% histograms',
  logs: '100 log records',
};

interface Op {
  name: string;
  impl: 'ours' | 'protobufjs';
  signal: Signal;
  /** Bytes per op: the protobuf size (JSON ops: the JSON text size). */
  bytes: number;
  items: number;
  run: () => unknown;
}

interface Result {
  signal: Signal;
  op: string;
  impl: string;
  bytes: number;
  items: number;
  opsPerSec: number;
  p50us: number;
  p99us: number;
  peakRssMiB: number;
}

let sink: unknown;

function workload(signal: Signal): RequestBySignal[Signal] {
  switch (signal) {
    case 'traces':
      return realisticTraces(100, 1, 10);
    case 'metrics':
      return realisticMetrics(1000);
    case 'logs':
      return realisticLogs(100);
  }
}

function opsFor(signal: Signal): Op[] {
  const req = workload(signal);
  const Type = PB_REQUEST[signal];
  const bytes = encodeRequest(signal, req);
  const theirBytes = Buffer.from(bytes);
  const theirs: Pb = Type.decode(theirBytes);
  if (Buffer.compare(Buffer.from(Type.encode(theirs).finish()), Buffer.from(bytes)) !== 0) {
    throw new Error(`${signal}: protobufjs does not re-encode our bytes identically`);
  }
  const ours = decodeRequest(signal, bytes);
  const json = requestToJson(signal, ours);
  const base = { signal, bytes: bytes.length, items: countItems(signal, req) };
  return [
    { ...base, name: 'decode', impl: 'ours', run: () => decodeRequest(signal, bytes) },
    { ...base, name: 'decode', impl: 'protobufjs', run: () => Type.decode(theirBytes) },
    { ...base, name: 'encode', impl: 'ours', run: () => encodeRequest(signal, ours) },
    { ...base, name: 'encode', impl: 'protobufjs', run: () => Type.encode(theirs).finish() },
    { ...base, name: 'scan', impl: 'ours', run: () => scanRequest(signal, bytes) },
    { ...base, name: 'json-decode', impl: 'ours', bytes: json.length, run: () => requestFromJson(signal, json) },
    { ...base, name: 'json-encode', impl: 'ours', bytes: json.length, run: () => requestToJson(signal, ours) },
  ];
}

/** Runs op for ms milliseconds; returns ops/s and appends single-op latencies (ms) to lat. */
function timeFor(op: Op, ms: number, lat: number[] | undefined): number {
  const run = op.run;
  const start = performance.now();
  const deadline = start + ms;
  let now = start;
  let n = 0;
  while (now < deadline) {
    const t0 = now;
    sink = run();
    now = performance.now();
    lat?.push(now - t0);
    n++;
  }
  return (n * 1000) / (now - start);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

function measure(ops: readonly Op[]): Omit<Result, 'peakRssMiB'>[] {
  for (const op of ops) timeFor(op, WARMUP_MS, undefined);
  const rates = ops.map((): number[] => []);
  const lats = ops.map((): number[] => []);
  for (let s = 0; s < SAMPLES; s++) {
    // Interleaved, so that GC and CPU-frequency drift hit every op alike.
    for (const [i, op] of ops.entries()) rates[i]!.push(timeFor(op, SAMPLE_MS, lats[i]));
  }
  return ops.map((op, i) => {
    const sorted = lats[i]!.sort((a, b) => a - b);
    return {
      signal: op.signal,
      op: op.name,
      impl: op.impl,
      bytes: op.bytes,
      items: op.items,
      opsPerSec: percentile(
        rates[i]!.sort((a, b) => a - b),
        0.5,
      ),
      p50us: percentile(sorted, 0.5) * 1000,
      p99us: percentile(sorted, 0.99) * 1000,
    };
  });
}

function child(args: string[]): string {
  const out = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (out.status !== 0) throw new Error(`benchmark child ${args.join(' ')} failed:\n${out.stderr}`);
  return out.stdout.trim();
}

/** Child: one workload, all its ops interleaved; prints the results as JSON. */
function workloadChild(signal: Signal): void {
  process.stdout.write(JSON.stringify(measure(opsFor(signal))));
}

/** Child: one op alone; prints the peak RSS of this process in MiB. */
function rssChild(signal: Signal, name: string, impl: string): void {
  const op = opsFor(signal).find((o) => o.name === name && o.impl === impl);
  if (op === undefined) throw new Error(`no op ${signal} ${name} ${impl}`);
  timeFor(op, RSS_CHILD_MS, undefined);
  process.stdout.write(String(process.resourceUsage().maxRSS / 1024));
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function table(rows: readonly Result[]): string {
  const header = ['signal', 'op', 'impl', 'MB/s', 'items/s', 'ops/s', 'p50 µs', 'p99 µs', 'peak RSS MiB', 'ours/pbjs'];
  const cells = rows.map((r) => {
    const peer = rows.find((x) => x.signal === r.signal && x.op === r.op && x.impl !== r.impl);
    const ratio = peer === undefined || r.impl !== 'ours' ? '' : `${fmt(r.opsPerSec / peer.opsPerSec, 2)}x`;
    return [
      r.signal,
      r.op,
      r.impl,
      fmt((r.opsPerSec * r.bytes) / 1e6, 1),
      fmt(r.opsPerSec * r.items),
      fmt(r.opsPerSec),
      fmt(r.p50us, 1),
      fmt(r.p99us, 1),
      fmt(r.peakRssMiB, 1),
      ratio,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    `| ${row.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < 3 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...cells.map(line)].join('\n');
}

function main(): void {
  const argv = process.argv;
  const w = argv.indexOf('--workload-child');
  if (w >= 0) {
    workloadChild(argv[w + 1] as Signal);
    return;
  }
  const r = argv.indexOf('--rss-child');
  if (r >= 0) {
    rssChild(argv[r + 1] as Signal, argv[r + 2] ?? '', argv[r + 3] ?? '');
    return;
  }

  const asJson = argv.includes('--json');
  const mode = quick ? ['--quick'] : [];
  const rows: Result[] = [];
  for (const signal of SIGNALS) {
    if (!asJson) process.stderr.write(`measuring ${signal} (${LABELS[signal]})...\n`);
    const results = JSON.parse(child(['--workload-child', signal, ...mode])) as Omit<Result, 'peakRssMiB'>[];
    for (const res of results) {
      const rss = Number(child(['--rss-child', res.signal, res.op, res.impl, ...mode]));
      rows.push({ ...res, peakRssMiB: rss });
    }
  }
  if (asJson) {
    process.stdout.write(`${JSON.stringify({ node: process.version, execArgv: process.execArgv, rows })}\n`);
    return;
  }
  const flags = process.execArgv.length === 0 ? 'default V8 flags' : process.execArgv.join(' ');
  process.stdout.write(
    `\nNode ${process.version} (${flags}); median of ${SAMPLES} samples x ${SAMPLE_MS} ms after ${WARMUP_MS} ms warm-up\n`,
  );
  for (const signal of SIGNALS) {
    const size = rows.find((x) => x.signal === signal && x.op === 'decode')?.bytes ?? 0;
    process.stdout.write(`  ${signal}: ${LABELS[signal]}, ${fmt(size / 1024, 1)} KiB protobuf\n`);
  }
  process.stdout.write(`\n${table(rows)}\n`);
  process.stdout.write(
    `\nMB/s counts protobuf bytes (JSON text bytes for json-*). Peak RSS: a child process running only that op for ${RSS_CHILD_MS} ms.\n`,
  );
  if (sink === Symbol.for('never')) process.stdout.write('\n');
}

main();
