// bench/otlp-ingest: OTLP/HTTP in -> batch -> OTLP/HTTP out, on loopback, bounded, self-stopping.
//
//   npm run build && node dist/bench/otlp-ingest/run.js [--seconds 10] [--connections 16]
//
// The driver (this process) holds the load generator and the sink; the collector is a child
// process started from dist/src/cli/main.js with a generated config. Per signal (traces, then
// metrics): saturation (closed loop, N connections), then half load (open loop at 50% of the
// measured saturation rate) with marker-timed added latency; idle and peak RSS; zero-loss check.
// See bench/README.md for what each figure means.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { diffCounters, type LoadCounters, LoadGenerator } from './load.js';
import { metricsPayload, type Payload, tracePayload } from './payloads.js';
import {
  affinityOf,
  type Collector,
  cpuSeconds,
  freePort,
  hasTaskset,
  httpGet,
  type MachineCpu,
  machineCpu,
  memStatus,
  parsePromText,
  pinSelf,
  startCollector,
  sumSeries,
  waitReady,
} from './proc.js';
import { type Sink, startSink } from './sink.js';
import { type LatencySummary, summarize } from './stats.js';
import type { BenchSignal } from './wire.js';

const HOST = '127.0.0.1';
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SWITCHYARD_JS = path.join(REPO, 'dist/src/cli/main.js');
const BASELINE_JS = fileURLToPath(new URL('./baseline.js', import.meta.url));
const MB = 1024 * 1024;

// ------------------------------------------------------------------ goals and references (perf.md)
const GOALS = {
  traces: { perCore: 250_000, stretch: 400_000, unit: 'spans/s/core' },
  metrics: { perCore: 400_000, stretch: 1_000_000, unit: 'points/s/core' },
  p99AddedLatencyMs: 50,
  idleRssMb: 80,
} as const;
const REFERENCES = [
  'otelcol testbed (contrib e4c3003, 2023-07): 10k small spans/s at 6.2% of a core (OTLP-gRPC), ~160k spans/s/core extrapolated; 10k dp/s at 25.7% (~40k dp/s/core); idle 45 MiB',
  'Splunk OTel Collector sizing: 15,000 spans/s or 20,000 metric points/s per core',
];

// ------------------------------------------------------------------ options
interface Options {
  seconds: number;
  warmupSeconds: number;
  halfSeconds: number;
  connections: number;
  signals: BenchSignal[];
  compressions: ('none' | 'gzip')[];
  nodeArgs: string[];
  pin: boolean;
  waitQuietSeconds: number;
  out: string;
  validateOnly: boolean;
  spans: number;
  points: number;
  sendBatchSize: number;
  batchTimeout: string;
  stopDeadlineMs: number;
  target: 'switchyard' | 'baseline';
}

const USAGE = `usage: node dist/bench/otlp-ingest/run.js [options]
  --seconds N          measured seconds per phase (default 10)
  --warmup N           warm-up seconds before saturation (default 2)
  --half-seconds N     measured seconds at half load (default: --seconds)
  --connections N      concurrent keep-alive connections (default 16)
  --signals LIST       traces,metrics (default both)
  --compression C      exporter compression: none | gzip | both (default none)
  --node-arg ARG       extra node flag for the collector, repeatable (e.g. --node-arg=--cpu-prof)
  --no-pin             do not pin (default when taskset exists and >= 2 CPUs: collector on CPU 0,
                       driver on CPU 1)
  --wait-quiet N       wait up to N seconds for other processes to use < 0.15 cores before
                       starting (default 0: measure once, warn if busy)
  --spans N            spans per trace request (default 100)
  --points N           data points per metrics request (default 1000)
  --send-batch-size N  batch processor send_batch_size (default 8192)
  --batch-timeout D    batch processor timeout (default 200ms)
  --out FILE           JSON results (default .bench-out/otlp-ingest.json)
  --target T           switchyard (default) | baseline (bench/otlp-ingest/baseline.ts: a minimal
                       node:http pass-through, the yardstick for the collector's figures)
  --validate-only      write the collector config, run \`switchyard validate\` on it, exit`;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      'half-seconds': { type: 'string' },
      connections: { type: 'string', default: '16' },
      signals: { type: 'string', default: 'traces,metrics' },
      compression: { type: 'string', default: 'none' },
      'node-arg': { type: 'string', multiple: true, default: [] },
      'no-pin': { type: 'boolean', default: false },
      'wait-quiet': { type: 'string', default: '0' },
      spans: { type: 'string', default: '100' },
      points: { type: 'string', default: '1000' },
      'send-batch-size': { type: 'string', default: '8192' },
      'batch-timeout': { type: 'string', default: '200ms' },
      out: { type: 'string', default: path.join(REPO, '.bench-out/otlp-ingest.json') },
      'validate-only': { type: 'boolean', default: false },
      target: { type: 'string', default: 'switchyard' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const num = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}, got "${v}"`);
    return n;
  };
  const seconds = num('seconds', values.seconds, 1);
  const signals = (values.signals ?? '').split(',').filter((s) => s !== '');
  for (const s of signals) if (s !== 'traces' && s !== 'metrics') throw new Error(`--signals: unknown signal "${s}"`);
  const compression = values.compression ?? 'none';
  const compressions: ('none' | 'gzip')[] =
    compression === 'both' ? ['none', 'gzip'] : compression === 'none' || compression === 'gzip' ? [compression] : [];
  if (compressions.length === 0) throw new Error(`--compression must be none, gzip or both, got "${compression}"`);
  const nodeArgs = values['node-arg'] ?? [];
  const target = values.target;
  if (target !== 'switchyard' && target !== 'baseline') {
    throw new Error(`--target must be switchyard or baseline, got "${target}"`);
  }
  return {
    target,
    seconds,
    warmupSeconds: num('warmup', values.warmup, 0),
    halfSeconds: values['half-seconds'] === undefined ? seconds : num('half-seconds', values['half-seconds'], 1),
    connections: Math.floor(num('connections', values.connections, 1)),
    signals: signals as BenchSignal[],
    compressions,
    nodeArgs,
    pin: !values['no-pin'],
    waitQuietSeconds: num('wait-quiet', values['wait-quiet'], 0),
    out: path.resolve(values.out ?? ''),
    validateOnly: values['validate-only'] ?? false,
    spans: Math.floor(num('spans', values.spans, 1)),
    points: Math.floor(num('points', values.points, 10)),
    sendBatchSize: Math.floor(num('send-batch-size', values['send-batch-size'], 1)),
    batchTimeout: values['batch-timeout'] ?? '200ms',
    // A CPU profile is written at exit: give it time.
    stopDeadlineMs: nodeArgs.some((a) => a.startsWith('--cpu-prof') || a.startsWith('--heap-prof')) ? 30_000 : 10_000,
  };
}

// ------------------------------------------------------------------ collector config
function collectorConfig(
  o: Options,
  receiverPort: number,
  sinkPort: number,
  metricsPort: number,
  compression: string,
): string {
  const pipelines = o.signals
    .map((s) => `    ${s}:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [otlphttp]`)
    .join('\n');
  return `# Generated by bench/otlp-ingest/run.ts; do not edit.
receivers:
  otlp:
    protocols:
      http:
        endpoint: ${HOST}:${receiverPort}
processors:
  batch:
    send_batch_size: ${o.sendBatchSize}
    timeout: ${o.batchTimeout}
exporters:
  otlphttp:
    endpoint: http://${HOST}:${sinkPort}
    encoding: proto
    compression: ${compression}
service:
  pipelines:
${pipelines}
  telemetry:
    logs:
      level: warn
    metrics:
      level: normal
      address: ${HOST}:${metricsPort}
`;
}

function validate(configPath: string): { ok: boolean; output: string } {
  const r = spawnSync(process.execPath, [SWITCHYARD_JS, 'validate', '--config', configPath], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

// ------------------------------------------------------------------ measurement
interface Snap {
  readonly t: number;
  /** CLOCK_MONOTONIC in µs: the clock of V8 .cpuprofile timestamps. */
  readonly monoUs: number;
  readonly cpu: number;
  readonly mainCpu: number;
  readonly driverCpuUs: number;
  readonly machine: MachineCpu;
  readonly sinkItems: number;
  readonly gen: LoadCounters;
}

function snap(collector: Collector, sink: Sink, gen: LoadGenerator, signal: BenchSignal): Snap {
  const u = process.cpuUsage();
  return {
    t: performance.now(),
    monoUs: Number(process.hrtime.bigint() / 1000n),
    cpu: cpuSeconds(collector.pid),
    mainCpu: cpuSeconds(collector.pid, collector.pid),
    driverCpuUs: u.user + u.system,
    machine: machineCpu(),
    sinkItems: sink.counts[signal].items,
    gen: gen.snapshot(),
  };
}

interface PhaseResult {
  readonly phase: 'saturation' | 'half-load';
  readonly seconds: number;
  /** The window in CLOCK_MONOTONIC µs, to cut a collector --cpu-prof profile to it. */
  readonly monoWindowUs: [number, number];
  /** Half load: the request rate asked for. */
  readonly targetRequestsPerSec: number | undefined;
  readonly requestsPerSec: number;
  /** Items answered 200 by the receiver, per second. */
  readonly acceptedItemsPerSec: number;
  /** Items that reached the sink in the window, per second: the throughput figure. */
  readonly itemsPerSec: number;
  readonly collectorCpuSeconds: number;
  /** Collector CPU seconds per wall second (all threads). */
  readonly collectorCores: number;
  /** The same for its main thread only (the JS event loop; GC helpers and the libuv pool, e.g.
   * zlib, are the rest). */
  readonly mainThreadCores: number;
  /** itemsPerSec / collectorCores = items per collector CPU second. */
  readonly itemsPerCore: number;
  readonly driverCores: number;
  /** Busy cores on the machine that were neither the collector nor the driver nor irq/softirq
   * (other load). */
  readonly otherCores: number;
  /** irq + softirq cores (loopback networking not charged to either process). */
  readonly irqCores: number;
  readonly stealCores: number;
  readonly markEvery: number;
  /** Added latency: sink arrival - send, for marked requests sent in the window. */
  readonly latencyMs: LatencySummary;
  /** The same minus the time the request waited in the batch: arrival - send time of the last
   * marked request in the same export (the one that completed the batch). Exact with markEvery 1. */
  readonly latencyExclBatchMs: LatencySummary;
  /** Time waited in the batch: send of the batch's last marked request - own send. */
  readonly batchWaitMs: LatencySummary;
  /** Marked requests answered 200 in the window whose marker never reached the sink. */
  readonly markersMissing: number;
  readonly statuses: Record<string, number>;
  readonly skipped: number;
  readonly peakRssBytes: number;
  readonly maxQueueSize: number | undefined;
}

interface SignalResult {
  readonly signal: BenchSignal;
  readonly payload: string;
  readonly itemsPerRequest: number;
  readonly phases: PhaseResult[];
  /** Items the receiver answered 200 for (whole signal run, warm-up included). */
  readonly acceptedItems: number;
  readonly deliveredItems: number;
  /** accepted - delivered after drain (negative = duplicates). */
  readonly lostItems: number;
  readonly partialRejectedItems: number;
  readonly nonOk: Record<string, number>;
  readonly drainMs: number;
  /** send_batch_size / half-load item rate: how long the batch takes to fill by size. */
  readonly halfLoadBatchFillMs: number | undefined;
}

interface PhasePeaks {
  readonly peakRssBytes: number;
  /** Largest otelcol_exporter_queue_size (all queues) seen by 1 s scrapes of /metrics. */
  readonly maxQueueSize: number | undefined;
}

interface Poller {
  max: number;
  resetPhase(): PhasePeaks;
  stop(): void;
}

/** Polls VmRSS every `everyMs` and the exporter queue size (own metrics) every second. */
function pollCollector(pid: number, metricsPort: number, everyMs: number): Poller {
  let phaseMax = 0;
  let phaseQueue: number | undefined;
  let scraping = false;
  const state = {
    max: 0,
    resetPhase(): PhasePeaks {
      const peaks = { peakRssBytes: phaseMax, maxQueueSize: phaseQueue };
      phaseMax = 0;
      phaseQueue = undefined;
      return peaks;
    },
    stop(): void {
      clearInterval(timer);
      clearInterval(queueTimer);
    },
  };
  const timer = setInterval(() => {
    try {
      const { rssBytes } = memStatus(pid);
      if (rssBytes > state.max) state.max = rssBytes;
      if (rssBytes > phaseMax) phaseMax = rssBytes;
    } catch {
      // the process is gone; the run notices elsewhere
    }
  }, everyMs);
  const queueTimer = setInterval(() => {
    if (scraping) return;
    scraping = true;
    void scrape(metricsPort).then((samples) => {
      scraping = false;
      const q = sumSeries(samples, 'otelcol_exporter_queue_size');
      if (q !== undefined && (phaseQueue === undefined || q > phaseQueue)) phaseQueue = q;
    });
  }, 1000);
  return state;
}

function phaseResult(
  phase: PhaseResult['phase'],
  a: Snap,
  b: Snap,
  gen: LoadGenerator,
  sink: Sink,
  signal: BenchSignal,
  targetRequestsPerSec: number | undefined,
  peaks: PhasePeaks,
): PhaseResult {
  const wall = (b.t - a.t) / 1000;
  const d = diffCounters(a.gen, b.gen);
  const items = b.sinkItems - a.sinkItems;
  const cpu = b.cpu - a.cpu;
  const arrivals = sink.arrivals[signal];
  // The send time of the last marked request in each export = when its batch closed (about).
  const closedAt = new Map<number, number>();
  for (const [seq, sentAt] of gen.sendTimes) {
    const arrival = arrivals.get(seq);
    if (arrival === undefined) continue;
    const prev = closedAt.get(arrival.exportIndex);
    if (prev === undefined || sentAt > prev) closedAt.set(arrival.exportIndex, sentAt);
  }
  const latencies: number[] = [];
  const exclBatch: number[] = [];
  const batchWait: number[] = [];
  let missing = 0;
  for (const [seq, sentAt] of gen.sendTimes) {
    if (sentAt < a.t || sentAt >= b.t) continue;
    const arrival = arrivals.get(seq);
    if (arrival === undefined) {
      missing++;
      continue;
    }
    const closed = closedAt.get(arrival.exportIndex) ?? sentAt;
    latencies.push(arrival.at - sentAt);
    exclBatch.push(arrival.at - closed);
    batchWait.push(closed - sentAt);
  }
  return {
    phase,
    seconds: wall,
    monoWindowUs: [a.monoUs, b.monoUs],
    targetRequestsPerSec,
    requestsPerSec: d.sent / wall,
    acceptedItemsPerSec: d.acceptedItems / wall,
    itemsPerSec: items / wall,
    collectorCpuSeconds: cpu,
    collectorCores: cpu / wall,
    mainThreadCores: (b.mainCpu - a.mainCpu) / wall,
    itemsPerCore: cpu > 0 ? items / cpu : Number.NaN,
    driverCores: (b.driverCpuUs - a.driverCpuUs) / 1e6 / wall,
    otherCores: Math.max(
      0,
      (b.machine.busy -
        a.machine.busy -
        (b.machine.irq - a.machine.irq) -
        cpu -
        (b.driverCpuUs - a.driverCpuUs) / 1e6) /
        wall,
    ),
    irqCores: (b.machine.irq - a.machine.irq) / wall,
    stealCores: (b.machine.steal - a.machine.steal) / wall,
    markEvery: gen.markEvery,
    latencyMs: summarize(latencies),
    latencyExclBatchMs: summarize(exclBatch),
    batchWaitMs: summarize(batchWait),
    markersMissing: missing,
    statuses: d.statuses,
    skipped: d.skipped,
    ...peaks,
  };
}

/** Run `body` for `totalMs`, snapshotting at `fromMs` and at `totalMs` after the start. */
async function windowed(
  totalMs: number,
  fromMs: number,
  take: () => Snap,
  body: () => Promise<void>,
): Promise<[Snap, Snap]> {
  let a: Snap | undefined;
  let b: Snap | undefined;
  const t1 = setTimeout(() => {
    a = take();
  }, fromMs);
  const t2 = setTimeout(() => {
    b = take();
  }, totalMs);
  await body();
  clearTimeout(t1);
  clearTimeout(t2);
  a ??= take();
  b ??= take();
  return [a, b];
}

async function drain(sink: Sink, gen: LoadGenerator, signal: BenchSignal, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  let last = -1;
  let stableSince = t0;
  while (performance.now() - t0 < timeoutMs) {
    const got = sink.counts[signal].items;
    if (got >= gen.counters.acceptedItems) return performance.now() - t0;
    if (got !== last) {
      last = got;
      stableSince = performance.now();
    } else if (performance.now() - stableSince > 3000) {
      break; // nothing moved for 3 s: whatever is missing is lost
    }
    await sleep(10);
  }
  return performance.now() - t0;
}

async function runSignal(
  o: Options,
  signal: BenchSignal,
  payload: Payload,
  collector: Collector,
  sink: Sink,
  receiverPort: number,
  rss: Poller,
  log: (s: string) => void,
): Promise<SignalResult> {
  const gen = new LoadGenerator({
    host: HOST,
    port: receiverPort,
    payload,
    connections: o.connections,
    requestTimeoutMs: 30_000,
  });
  const take = (): Snap => snap(collector, sink, gen, signal);
  const alive = (): void => {
    const st = collector.exitStatus();
    if (st !== undefined) throw new Error(`collector exited (${st}) during the ${signal} run:\n${collector.output()}`);
  };
  const phases: PhaseResult[] = [];
  try {
    // (1) saturation: closed loop, warm-up then the measured window.
    log(`${signal}: saturation, ${o.connections} connections, ${o.warmupSeconds}s warm-up + ${o.seconds}s`);
    gen.markEvery = 1;
    rss.resetPhase();
    const [a, b] = await windowed((o.warmupSeconds + o.seconds) * 1000, o.warmupSeconds * 1000, take, () =>
      gen.runClosed((o.warmupSeconds + o.seconds) * 1000),
    );
    alive();
    await drain(sink, gen, signal, 10_000);
    const sat = phaseResult('saturation', a, b, gen, sink, signal, undefined, rss.resetPhase());
    phases.push(sat);
    log(
      `  ${fmtInt(sat.itemsPerSec)} items/s at ${sat.collectorCores.toFixed(2)} cores -> ${fmtInt(sat.itemsPerCore)}/core`,
    );

    // (2) half load: open loop at 50% of the measured saturation rate; 1 s settle, then measure.
    // Half of what was delivered: accepting faster than exporting only grows the queue.
    const rate = (0.5 * sat.itemsPerSec) / payload.items;
    const settleMs = 1000;
    log(
      `${signal}: half load, ${rate.toFixed(0)} req/s (${fmtInt(rate * payload.items)} items/s) for ${o.halfSeconds}s`,
    );
    const [c, d] = await windowed(settleMs + o.halfSeconds * 1000, settleMs, take, () =>
      gen.runPaced(rate, settleMs + o.halfSeconds * 1000, o.connections * 64),
    );
    alive();
    const drainMs = await drain(sink, gen, signal, 10_000);
    const half = phaseResult('half-load', c, d, gen, sink, signal, rate, rss.resetPhase());
    phases.push(half);
    log(
      `  p50 ${fmtMs(half.latencyMs.p50)} ms, p99 ${fmtMs(half.latencyMs.p99)} ms; excluding the batch wait p50 ${fmtMs(half.latencyExclBatchMs.p50)} ms, p99 ${fmtMs(half.latencyExclBatchMs.p99)} ms (${half.latencyMs.count} samples)`,
    );

    const accepted = gen.counters.acceptedItems;
    const delivered = sink.counts[signal].items;
    const nonOk: Record<string, number> = {};
    for (const [k, v] of Object.entries(gen.counters.statuses)) if (k !== '200') nonOk[k] = v;
    return {
      signal,
      payload: payload.shape,
      itemsPerRequest: payload.items,
      phases,
      acceptedItems: accepted,
      deliveredItems: delivered,
      lostItems: accepted - delivered,
      partialRejectedItems: gen.counters.partialRejected,
      nonOk,
      drainMs,
      halfLoadBatchFillMs: half.itemsPerSec > 0 ? (o.sendBatchSize / half.itemsPerSec) * 1000 : undefined,
    };
  } finally {
    gen.close();
  }
}

interface OwnCheck {
  readonly signal: BenchSignal;
  readonly receiverAccepted: number | undefined;
  readonly driverAccepted: number;
  readonly exporterSent: number | undefined;
  readonly sinkDelivered: number;
}

const OWN_NAMES: Record<BenchSignal, { accepted: string; sent: string }> = {
  traces: { accepted: 'otelcol_receiver_accepted_spans_total', sent: 'otelcol_exporter_sent_spans_total' },
  metrics: {
    accepted: 'otelcol_receiver_accepted_metric_points_total',
    sent: 'otelcol_exporter_sent_metric_points_total',
  },
};

interface RunResult {
  readonly compression: 'none' | 'gzip';
  readonly collectorCommand: string;
  readonly configPath: string;
  readonly readyMs: number;
  /** CPU affinity lists (taskset -c -p) of the collector and the driver. */
  readonly affinity: { collector: string; driver: string };
  readonly idleRssBytes: number;
  readonly idleRssOwnMetricBytes: number | undefined;
  readonly peakRssPolledBytes: number;
  readonly peakRssHwmBytes: number;
  readonly signals: SignalResult[];
  readonly sink: { encodings: Record<string, number>; malformed: number; unexpected: number; duplicateMarkers: number };
  readonly sinkFirstError: string | undefined;
  /** otelcol_* / switchyard_* pipeline counters at the end of the run. */
  readonly ownMetrics: Record<string, number>;
  /** The collector's own counters next to what the driver saw. */
  readonly ownCheck: OwnCheck[];
  readonly stop: { status: string; killed: boolean; stopMs: number };
}

async function scrape(metricsPort: number): Promise<Map<string, number>> {
  try {
    const [code, text] = await httpGet(HOST, metricsPort, '/metrics');
    return code === 200 ? parsePromText(text) : new Map();
  } catch {
    return new Map();
  }
}

async function runOnce(
  o: Options,
  compression: 'none' | 'gzip',
  payloads: ReadonlyMap<BenchSignal, Payload>,
  log: (s: string) => void,
  onCollector: (c: Collector | undefined) => void,
  pinned: boolean,
): Promise<RunResult> {
  const sink = await startSink(HOST);
  const receiverPort = await freePort(HOST);
  const metricsPort = await freePort(HOST);
  const configDir = path.join(path.dirname(o.out), 'otlp-ingest');
  mkdirSync(configDir, { recursive: true });
  const configPath = path.join(configDir, `${o.target}-${compression}.yaml`);
  writeFileSync(configPath, collectorConfig(o, receiverPort, sink.port, metricsPort, compression));
  const v = o.target === 'switchyard' ? validate(configPath) : { ok: true, output: '' };
  if (!v.ok) {
    await sink.close();
    throw new Error(`switchyard validate refused ${configPath}:\n${v.output}`);
  }
  const cpu = pinned ? 0 : undefined;
  const collector = startCollector({
    mainJs: o.target === 'switchyard' ? SWITCHYARD_JS : BASELINE_JS,
    configPath,
    nodeArgs: ['--max-semi-space-size=32', ...o.nodeArgs],
    cpu,
    cwd: REPO,
    logPath: path.join(configDir, `${o.target}-${compression}.log`),
  });
  onCollector(collector);
  log(`[${compression}] collector pid ${collector.pid}: ${collector.command}`);
  let rss: Poller | undefined;
  try {
    const readyMs = await waitReady(collector, HOST, receiverPort, metricsPort, 20_000);
    // Idle: let start-up garbage settle, then read RSS both ways.
    await sleep(2000);
    const idle = memStatus(collector.pid).rssBytes;
    const idleOwn = sumSeries(await scrape(metricsPort), 'otelcol_process_memory_rss_bytes');
    const affinity = { collector: affinityOf(collector.pid), driver: affinityOf(process.pid) };
    log(
      `[${compression}] ready in ${readyMs} ms; idle RSS ${(idle / MB).toFixed(1)} MB; CPUs: collector ${affinity.collector}, driver ${affinity.driver}`,
    );
    rss = pollCollector(collector.pid, metricsPort, 100);
    const signals: SignalResult[] = [];
    for (const signal of o.signals) {
      const payload = payloads.get(signal);
      if (payload === undefined) throw new Error(`no payload for ${signal}`);
      signals.push(await runSignal(o, signal, payload, collector, sink, receiverPort, rss, log));
    }
    rss.stop();
    const hwm = memStatus(collector.pid).hwmBytes;
    const own = await scrape(metricsPort);
    const ownMetrics: Record<string, number> = {};
    for (const [k, val] of own) {
      if (/^(otelcol_(receiver|processor|exporter)_|switchyard_(receiver|exporter|processor)_)/.test(k)) {
        ownMetrics[k] = val;
      }
    }
    const ownCheck = signals.map((sr) => ({
      signal: sr.signal,
      receiverAccepted: sumSeries(own, OWN_NAMES[sr.signal].accepted),
      driverAccepted: sr.acceptedItems,
      exporterSent: sumSeries(own, OWN_NAMES[sr.signal].sent),
      sinkDelivered: sr.deliveredItems,
    }));
    const stop = await collector.stop(o.stopDeadlineMs);
    onCollector(undefined);
    return {
      compression,
      collectorCommand: collector.command,
      configPath,
      readyMs,
      affinity,
      idleRssBytes: idle,
      idleRssOwnMetricBytes: idleOwn,
      peakRssPolledBytes: rss.max,
      peakRssHwmBytes: hwm,
      signals,
      sink: {
        encodings: Object.fromEntries(sink.encodings),
        malformed: sink.counts.traces.malformed + sink.counts.metrics.malformed,
        unexpected: sink.unexpected,
        duplicateMarkers: sink.duplicateMarkers,
      },
      sinkFirstError: sink.firstError,
      ownMetrics,
      ownCheck,
      stop,
    };
  } finally {
    rss?.stop();
    if (collector.exitStatus() === undefined) await collector.stop(o.stopDeadlineMs);
    onCollector(undefined);
    await sink.close();
  }
}

// ------------------------------------------------------------------ report
function fmtInt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return Math.round(n).toLocaleString('en-US');
}
const fmtMs = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '-');
const fmtMb = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : (n / MB).toFixed(1));

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(rows[0] ?? []), sep, ...rows.slice(1).map(line)].join('\n');
}

function report(o: Options, runs: RunResult[]): string {
  const rows: string[][] = [
    [
      'export',
      'signal',
      'phase',
      'items/s',
      'collector cores',
      'main thread',
      'items/s/core',
      'p50 ms',
      'p99 ms',
      'p99 excl batch',
      'idle RSS MB',
      'peak RSS MB',
      'max queue',
      'loss',
      'non-200',
      'driver cores',
      'irq cores',
      'other cores',
    ],
  ];
  const verdicts: string[] = [];
  for (const r of runs) {
    for (const s of r.signals) {
      for (const p of s.phases) {
        const non200 = Object.entries(p.statuses)
          .filter(([k]) => k !== '200')
          .map(([k, v]) => `${k}:${v}`)
          .join(' ');
        rows.push([
          r.compression,
          s.signal,
          p.phase,
          fmtInt(p.itemsPerSec),
          p.collectorCores.toFixed(2),
          p.mainThreadCores.toFixed(2),
          fmtInt(p.itemsPerCore),
          fmtMs(p.latencyMs.p50),
          fmtMs(p.latencyMs.p99),
          fmtMs(p.latencyExclBatchMs.p99),
          fmtMb(r.idleRssBytes),
          fmtMb(p.peakRssBytes),
          fmtInt(p.maxQueueSize),
          p.phase === 'half-load' ? `${fmtInt(s.lostItems)} of ${fmtInt(s.acceptedItems)}` : '',
          non200 === '' ? '0' : non200,
          p.driverCores.toFixed(2),
          p.irqCores.toFixed(2),
          p.otherCores.toFixed(2),
        ]);
        if (p.otherCores > 0.15) {
          verdicts.push(
            `WARNING ${r.compression}/${s.signal}/${p.phase}: other processes used ${p.otherCores.toFixed(2)} cores during the window; figures are noisy`,
          );
        }
        if (p.acceptedItemsPerSec > p.itemsPerSec * 1.05) {
          verdicts.push(
            `WARNING ${r.compression}/${s.signal}/${p.phase}: accepted ${fmtInt(p.acceptedItemsPerSec)} items/s but delivered ${fmtInt(p.itemsPerSec)}/s: the exporter fell behind and its queue grew (max ${fmtInt(p.maxQueueSize)} batches)`,
          );
        }
        if (p.phase === 'saturation' && p.driverCores > 0.9) {
          verdicts.push(
            `WARNING ${r.compression}/${s.signal}/${p.phase}: the driver used ${p.driverCores.toFixed(2)} cores: the load generator, not the collector, may be the limit`,
          );
        }
      }
      const sat = s.phases.find((p) => p.phase === 'saturation');
      const half = s.phases.find((p) => p.phase === 'half-load');
      const goal = GOALS[s.signal];
      if (sat) {
        verdicts.push(
          `${r.compression}/${s.signal}: ${fmtInt(sat.itemsPerCore)} ${goal.unit} vs goal ${fmtInt(goal.perCore)} (stretch ${fmtInt(goal.stretch)}): ${sat.itemsPerCore >= goal.perCore ? 'PASS' : 'FAIL'}`,
        );
      }
      if (half) {
        const fill = s.halfLoadBatchFillMs;
        const ok = (v: number): string => (v <= GOALS.p99AddedLatencyMs ? 'PASS' : 'FAIL');
        verdicts.push(
          `${r.compression}/${s.signal}: half-load p99 added latency ${fmtMs(half.latencyMs.p99)} ms total (${ok(half.latencyMs.p99)}), ${fmtMs(half.latencyExclBatchMs.p99)} ms excluding the batch wait (${ok(half.latencyExclBatchMs.p99)}) vs goal <= ${GOALS.p99AddedLatencyMs} ms; batch wait p50/p99 ${fmtMs(half.batchWaitMs.p50)}/${fmtMs(half.batchWaitMs.p99)} ms (the batch fills by size in ~${fmtMs(fill ?? Number.NaN)} ms at this rate; timeout ${o.batchTimeout}); ${half.latencyMs.count} samples, ${half.markersMissing} missing`,
        );
      }
      verdicts.push(
        `${r.compression}/${s.signal}: loss ${fmtInt(s.lostItems)} of ${fmtInt(s.acceptedItems)} accepted items: ${s.lostItems === 0 && Object.keys(s.nonOk).length === 0 ? 'PASS' : 'FAIL'}${Object.keys(s.nonOk).length > 0 ? ` (non-200: ${JSON.stringify(s.nonOk)})` : ''}`,
      );
    }
    for (const c of r.ownCheck) {
      const agree = c.receiverAccepted === c.driverAccepted && c.exporterSent === c.sinkDelivered;
      verdicts.push(
        `${r.compression}/${c.signal}: own metrics ${agree ? 'agree' : 'DISAGREE'}: receiver accepted ${fmtInt(c.receiverAccepted)} (driver got 200 for ${fmtInt(c.driverAccepted)}), exporter sent ${fmtInt(c.exporterSent)} (sink counted ${fmtInt(c.sinkDelivered)})`,
      );
    }
    verdicts.push(
      `${r.compression}: idle RSS ${fmtMb(r.idleRssBytes)} MB (own metric ${fmtMb(r.idleRssOwnMetricBytes)} MB) vs goal <= ${GOALS.idleRssMb} MB: ${r.idleRssBytes <= GOALS.idleRssMb * MB ? 'PASS' : 'FAIL'}; peak RSS ${fmtMb(r.peakRssPolledBytes)} MB polled, VmHWM ${fmtMb(r.peakRssHwmBytes)} MB`,
    );
  }
  return [
    `otlp-ingest: target ${o.target}, ${o.connections} connections, ${o.seconds}s saturation + ${o.halfSeconds}s half load per signal; latency = sink arrival - send, batch ${o.sendBatchSize}/${o.batchTimeout} included`,
    table(rows),
    '',
    'Goals (shared/reference/perf.md, per collector core; p99 at 50% load, batch timeout excluded):',
    ...verdicts.map((v) => `  ${v}`),
    '',
    'References:',
    ...REFERENCES.map((x) => `  ${x}`),
  ].join('\n');
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  const git = (args: string[]): string | undefined => {
    const r = spawnSync('git', args, { cwd: REPO, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  return {
    cpuModel: cpus[0]?.model,
    cpus: cpus.length,
    cpuMHz: cpus[0]?.speed,
    memGiB: +(os.totalmem() / 1024 ** 3).toFixed(1),
    kernel: os.release(),
    node: process.version,
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: (git(['status', '--porcelain']) ?? '') !== '',
  };
}

/** Cores used by other processes (irq/softirq excluded), sampled over 1 s while this process
 * idles. Waits up to `maxSeconds` for 3 quiet samples (< 0.15 cores) in a row, so as not to start
 * in a short lull of someone else's run. Returns the last sample. */
async function waitQuiet(maxSeconds: number): Promise<number> {
  const t0 = performance.now();
  let quietInARow = 0;
  for (;;) {
    const a = machineCpu();
    await sleep(1000);
    const b = machineCpu();
    const busy = b.busy - a.busy - (b.irq - a.irq);
    quietInARow = busy < 0.15 ? quietInARow + 1 : 0;
    if (quietInARow >= 3 || maxSeconds === 0 || performance.now() - t0 >= maxSeconds * 1000) return busy;
  }
}

// ------------------------------------------------------------------ main
async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  const t0 = performance.now();
  const log = (s: string): void => {
    process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${s}\n`);
  };
  if (o.validateOnly) {
    const dir = path.join(path.dirname(o.out), 'otlp-ingest');
    mkdirSync(dir, { recursive: true });
    const configPath = path.join(dir, 'collector-validate.yaml');
    writeFileSync(configPath, collectorConfig(o, 14318, 14319, 18888, o.compressions[0] ?? 'none'));
    const v = validate(configPath);
    process.stdout.write(`${configPath}: ${v.ok ? 'valid' : 'INVALID'}\n${v.output}\n`);
    return v.ok ? 0 : 1;
  }

  let current: Collector | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`${sig}: stopping the collector`);
    const c = current;
    void (c ? c.stop(5000) : Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const quiet = await waitQuiet(o.waitQuietSeconds);
  log(`other load before start: ${quiet.toFixed(2)} cores`);
  if (quiet > 0.15) log('WARNING: other processes are using CPU; figures will be noisy (see --wait-quiet)');
  // Decided before pinning ourselves: availableParallelism() follows our own affinity mask.
  const pinned = o.pin && os.availableParallelism() >= 2 && hasTaskset();
  if (pinned) pinSelf(1);
  log(`building payloads (${o.spans} spans/request, ${o.points} points/request)`);
  const payloads = new Map<BenchSignal, Payload>();
  if (o.signals.includes('traces')) payloads.set('traces', tracePayload(o.spans));
  if (o.signals.includes('metrics')) payloads.set('metrics', await metricsPayload(o.points));
  for (const p of payloads.values()) log(`  ${p.signal}: ${p.shape}`);

  const runs: RunResult[] = [];
  for (const compression of o.compressions) {
    runs.push(
      await runOnce(
        o,
        compression,
        payloads,
        log,
        (c) => {
          current = c;
        },
        pinned,
      ),
    );
  }
  const text = report(o, runs);
  process.stdout.write(`\n${text}\n`);
  const result = {
    benchmark: 'otlp-ingest',
    date: new Date().toISOString(),
    machine: machine(),
    options: { ...o, pinned },
    otherLoadBeforeStartCores: quiet,
    payloads: [...payloads.values()].map((p) => ({ signal: p.signal, shape: p.shape, bytes: p.body.length })),
    goals: GOALS,
    references: REFERENCES,
    runs,
    wallSeconds: (performance.now() - t0) / 1000,
  };
  mkdirSync(path.dirname(o.out), { recursive: true });
  writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${o.out} (${result.wallSeconds.toFixed(0)} s)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`otlp-ingest: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
