// Switchyard side of bench/statsd: the statsd receiver in its own process (forked by run.ts with an
// IPC channel), feeding a consumer that sums the `bench.*` counters of every flushed batch. Flushes
// are driven from here every second so that each flush's latency (aggregate -> request -> Batch ->
// consumer) can be timed.
// Messages in: {cmd: 'report'} -> flush now and answer {counted, flushMs[]}; {cmd: 'stop'}.
import type { Consumer, Host } from '../../src/component/component.js';
import type { Batch } from '../../src/pdata/batch.js';
import { type StatsdReceiver, statsdReceiverFactory } from '../../src/receivers/statsd/factory.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { MetricsRegistry } from '../../src/telemetry/metrics.js';

const port = Number(process.argv[2] ?? 0);
let counted = 0;
const flushMs: number[] = [];

const sink: Consumer<'metrics'> = {
  mutatesData: false,
  async consume(batch: Batch<'metrics'>): Promise<void> {
    for (const rm of batch.request().resourceMetrics) {
      for (const sm of rm.scopeMetrics) {
        for (const m of sm.metrics) {
          if (!m.name.startsWith('bench.') || m.data?.type !== 'sum') continue;
          for (const p of m.data.dataPoints) counted += Number(p.value);
        }
      }
    }
  },
};

const host: Host = {
  reportStatus: () => {},
  healthy: () => true,
  statuses: () => [],
  memoryGuard: () => undefined,
};

const registry = new MetricsRegistry();
const rx = statsdReceiverFactory.create(
  { id: { type: 'statsd', name: '' }, kind: 'receiver', logger: silentLogger(), metrics: registry },
  { endpoint: `127.0.0.1:${port}`, aggregation_interval: '1h' },
  { metrics: sink },
) as StatsdReceiver;

async function timedFlush(): Promise<void> {
  const t0 = process.hrtime.bigint();
  await rx.flush();
  flushMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
}

let flushing: Promise<void> = Promise.resolve();
await rx.start(host);
const timer = setInterval(() => {
  flushing = flushing.then(timedFlush);
}, 1000);

process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'report') {
    flushing = flushing.then(timedFlush).then(() => {
      process.send?.({ counted, flushMs: flushMs.splice(0) });
    });
  } else if (msg.cmd === 'stop') {
    clearInterval(timer);
    void rx.shutdown().then(() => process.exit(0));
  }
});
process.send?.({ ready: rx.address().port });
