import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { PipelineError, permanentError, retryableError } from '../../component/errors.js';
import { DecodeError } from '../../pdata/errors.js';
import { ExponentialBackoff } from './backoff.js';
import {
  defaultHelperConfig,
  type HelperSettings,
  QueueSettings,
  RetrySettings,
  TimeoutSettings,
  validateHelperConfig,
} from './config.js';
import { createExporter, type SendFn } from './exporter.js';
import { sleep, testHost, testSettings, traces } from './testutil.js';

const fastRetry = (
  over: Partial<NonNullable<HelperSettings['retry_on_failure']>> = {},
): HelperSettings['retry_on_failure'] => ({
  enabled: true,
  initial_interval: '10ms',
  max_interval: '100ms',
  multiplier: 2,
  randomization_factor: 0,
  max_elapsed_time: '5s',
  ...over,
});

const direct = (over: HelperSettings = {}): HelperSettings => ({
  timeout: '1s',
  retry_on_failure: fastRetry(),
  sending_queue: { enabled: false },
  ...over,
});

function counter(s: ReturnType<typeof testSettings>, name: string, labels: Record<string, string> = {}): number {
  return s.metrics.counter(name, '').sum(labels);
}

function gauge(s: ReturnType<typeof testSettings>, name: string, labels: Record<string, string>): number {
  return s.metrics.gauge(name, '').get(labels);
}

/** A send whose calls wait until the test releases them. */
function gatedSend(): { send: SendFn<'traces'>; calls: number; release: () => void; started: Promise<void> } {
  const waiting: Array<() => void> = [];
  let onStart: () => void = () => {};
  const state = {
    calls: 0,
    started: new Promise<void>((r) => {
      onStart = r;
    }),
    release: (): void => {
      for (const w of waiting.splice(0)) w();
    },
    send: async (): Promise<void> => {
      state.calls++;
      onStart();
      await new Promise<void>((r) => waiting.push(r));
    },
  };
  return state;
}

describe('exporterhelper config', () => {
  if (!FormatRegistry.Has('duration')) FormatRegistry.Set('duration', () => true);

  it('schema defaults are the Collector defaults and match defaultHelperConfig', () => {
    const d = defaultHelperConfig();
    assert.deepEqual(Value.Default(RetrySettings, undefined), d.retry_on_failure);
    assert.deepEqual(Value.Default(QueueSettings, undefined), d.sending_queue);
    assert.equal(Value.Default(TimeoutSettings, undefined), '5s');
    assert.ok(Value.Check(RetrySettings, d.retry_on_failure));
    assert.ok(Value.Check(QueueSettings, d.sending_queue));
    assert.deepEqual(d.retry_on_failure, {
      enabled: true,
      initial_interval: '5s',
      max_interval: '30s',
      multiplier: 1.5,
      randomization_factor: 0.5,
      max_elapsed_time: '300s',
    });
    assert.deepEqual(d.sending_queue, {
      enabled: true,
      num_consumers: 10,
      queue_size: 1000,
      sizer: 'requests',
      block_on_overflow: false,
    });
  });

  it('rejects unknown keys and out-of-range values', () => {
    assert.ok(!Value.Check(QueueSettings, { ...defaultHelperConfig().sending_queue, queue_sise: 3 }));
    assert.ok(!Value.Check(QueueSettings, { ...defaultHelperConfig().sending_queue, sizer: 'megabytes' }));
    assert.ok(!Value.Check(RetrySettings, { ...defaultHelperConfig().retry_on_failure, randomization_factor: 2 }));
    assert.ok(!Value.Check(TimeoutSettings, '5 seconds'));
  });

  it('validate: max_interval must be >= initial_interval', () => {
    const cfg = defaultHelperConfig();
    assert.deepEqual(validateHelperConfig(cfg), []);
    const bad = { ...cfg, retry_on_failure: { ...cfg.retry_on_failure, initial_interval: '10s', max_interval: '1s' } };
    const problems = validateHelperConfig(bad);
    assert.equal(problems.length, 1);
    assert.deepEqual(problems[0]?.path, ['retry_on_failure', 'max_interval']);
    const off = { ...bad, retry_on_failure: { ...bad.retry_on_failure, enabled: false } };
    assert.deepEqual(validateHelperConfig(off), []);
  });
});

describe('ExponentialBackoff', () => {
  it('grows by the multiplier, caps at max_interval, jitters within ±factor', () => {
    const b = new ExponentialBackoff({
      initialIntervalMs: 100,
      maxIntervalMs: 300,
      multiplier: 2,
      randomizationFactor: 0,
    });
    assert.deepEqual([b.next(), b.next(), b.next(), b.next()], [100, 200, 300, 300]);
    const lo = new ExponentialBackoff(
      { initialIntervalMs: 100, maxIntervalMs: 1000, multiplier: 1.5, randomizationFactor: 0.5 },
      () => 0,
    );
    const hi = new ExponentialBackoff(
      { initialIntervalMs: 100, maxIntervalMs: 1000, multiplier: 1.5, randomizationFactor: 0.5 },
      () => 0.999999,
    );
    assert.equal(lo.next(), 50);
    assert.ok(Math.abs(hi.next() - 150) < 0.01);
    assert.equal(lo.next(), 75);
  });
});

describe('exporterhelper send path', () => {
  it('counts sent items and reports ok after a recovery', async () => {
    const s = testSettings();
    const host = testHost();
    let fail = true;
    const exp = createExporter(s, 'traces', direct({ retry_on_failure: { enabled: false } }), async () => {
      if (fail) throw retryableError('SY_EXPORT_RETRYABLE', 'down');
    });
    await exp.start(host);
    await assert.rejects(exp.consume(traces(3)), (e: unknown) => e instanceof PipelineError && !e.permanent);
    fail = false;
    await exp.consume(traces(4));
    assert.equal(counter(s, 'otelcol_exporter_sent_spans_total', { exporter: 'test' }), 4);
    assert.equal(counter(s, 'otelcol_exporter_send_failed_spans_total', { reason: 'retry_disabled' }), 3);
    assert.deepEqual(
      host.reported.map((r) => r.status),
      ['recoverable_error', 'ok'],
    );
    assert.equal(exp.mutatesData, false);
    await exp.shutdown();
  });

  it('retries with exponential backoff and honours retryAfterMs (delay = max(backoff, retryAfter))', async () => {
    const s = testSettings();
    const times: number[] = [];
    const exp = createExporter(s, 'traces', direct(), async () => {
      times.push(performance.now());
      if (times.length === 1) throw retryableError('SY_EXPORT_RETRYABLE', '429', 120);
      if (times.length < 4) throw retryableError('SY_EXPORT_RETRYABLE', '503');
    });
    await exp.consume(traces(2));
    assert.equal(times.length, 4);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    assert.ok((gaps[0] as number) >= 115, `Retry-After honoured: first gap ${gaps[0]}`);
    // backoff continues from its own schedule: 10 (superseded by 120), 20, 40
    assert.ok((gaps[1] as number) >= 18 && (gaps[1] as number) < 500, `second gap ${gaps[1]}`);
    assert.ok((gaps[2] as number) >= 38 && (gaps[2] as number) < 600, `third gap ${gaps[2]}`);
    assert.equal(counter(s, 'otelcol_exporter_sent_spans_total'), 2);
    assert.equal(counter(s, 'otelcol_exporter_send_failed_spans_total'), 0);
    await exp.shutdown();
  });

  it('never retries a permanent error', async () => {
    const s = testSettings();
    let calls = 0;
    const exp = createExporter(s, 'traces', direct(), async () => {
      calls++;
      throw permanentError('SY_EXPORT_PERMANENT', 'HTTP 400: bad data');
    });
    await assert.rejects(exp.consume(traces(5)), (e: unknown) => e instanceof PipelineError && e.permanent);
    assert.equal(calls, 1);
    assert.equal(counter(s, 'otelcol_exporter_send_failed_spans_total', { exporter: 'test', reason: 'permanent' }), 5);
    await exp.shutdown();
  });

  it('treats undecodable data as permanent and unknown errors as retryable', async () => {
    const s = testSettings();
    let calls = 0;
    const exp = createExporter(s, 'traces', direct(), async () => {
      calls++;
      if (calls === 1) throw new Error('socket hang up');
      throw new DecodeError('truncated', 'byte 3');
    });
    await assert.rejects(exp.consume(traces(1)), (e: unknown) => e instanceof PipelineError && e.code === 'SY_DECODE');
    assert.equal(calls, 2);
    await exp.shutdown();
  });

  it('gives up when the next attempt would pass max_elapsed_time, and counts the drop', async () => {
    const s = testSettings();
    let calls = 0;
    const t0 = performance.now();
    const exp = createExporter(
      s,
      'traces',
      direct({ retry_on_failure: fastRetry({ initial_interval: '20ms', multiplier: 1, max_elapsed_time: '100ms' }) }),
      async () => {
        calls++;
        throw retryableError('SY_EXPORT_RETRYABLE', 'still down');
      },
    );
    await assert.rejects(
      exp.consume(traces(3)),
      (e: unknown) => e instanceof PipelineError && e.code === 'SY_RETRIES_EXHAUSTED' && !e.permanent,
    );
    const elapsed = performance.now() - t0;
    assert.ok(elapsed >= 80 && elapsed < 1000, `gave up in ${elapsed} ms`);
    assert.ok(calls >= 2 && calls <= 6, `attempts: ${calls}`);
    assert.equal(counter(s, 'otelcol_exporter_send_failed_spans_total', { reason: 'retries_exhausted' }), 3);
    // A Retry-After longer than the budget gives up at once instead of sleeping past it.
    const s2 = testSettings();
    const exp2 = createExporter(
      s2,
      'traces',
      direct({ retry_on_failure: fastRetry({ max_elapsed_time: '1s' }) }),
      async () => {
        throw retryableError('SY_EXPORT_RETRYABLE', '429', 60_000);
      },
    );
    const t1 = performance.now();
    await assert.rejects(exp2.consume(traces(1)));
    assert.ok(performance.now() - t1 < 1000);
    await exp.shutdown();
    await exp2.shutdown();
  });

  it('aborts an attempt at its timeout (AbortSignal) and counts reason=timeout without retry', async () => {
    const s = testSettings();
    let seen: AbortSignal | undefined;
    const exp = createExporter(
      s,
      'traces',
      direct({ timeout: '30ms', retry_on_failure: { enabled: false } }),
      (_b, signal) =>
        new Promise<void>((_resolve, reject) => {
          seen = signal;
          signal.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    );
    const t0 = performance.now();
    await assert.rejects(exp.consume(traces(2)), (e: unknown) => e instanceof PipelineError && e.code === 'SY_TIMEOUT');
    assert.ok(performance.now() - t0 < 1000);
    assert.equal(seen?.aborted, true);
    assert.equal(counter(s, 'otelcol_exporter_send_failed_spans_total', { reason: 'timeout' }), 2);
    await exp.shutdown();
  });

  it('stops waiting for a send that ignores its signal, and retries timeouts', async () => {
    const s = testSettings();
    let calls = 0;
    const exp = createExporter(s, 'traces', direct({ timeout: '20ms' }), () => {
      calls++;
      return calls < 3 ? new Promise<void>(() => {}) : Promise.resolve();
    });
    await exp.consume(traces(1));
    assert.equal(calls, 3);
    assert.equal(counter(s, 'otelcol_exporter_sent_spans_total'), 1);
    await exp.shutdown();
  });

  it('counts partial success rejections as send_failed reason=partial_success', async () => {
    const s = testSettings();
    const exp = createExporter(s, 'traces', direct(), async () => ({ rejectedItems: 2, message: 'too old' }));
    await exp.consume(traces(5));
    assert.equal(counter(s, 'otelcol_exporter_sent_spans_total'), 3);
    assert.equal(counter(s, 'otelcol_exporter_send_failed_spans_total', { reason: 'partial_success' }), 2);
    await exp.shutdown();
  });

  it('logs once per failure reason per interval, never per batch', async () => {
    const s = testSettings();
    const exp = createExporter(s, 'traces', direct(), async (b) => {
      if (b.itemCount === 1) throw permanentError('SY_EXPORT_PERMANENT', 'bad');
      throw retryableError('SY_EXPORT_RETRYABLE', 'x');
    });
    for (let i = 0; i < 20; i++) await assert.rejects(exp.consume(traces(1)));
    const warns = s.logs.filter((l) => l.level === 40);
    assert.equal(warns.length, 1);
    assert.equal(warns[0]?.reason, 'permanent');
    assert.equal(counter(s, 'otelcol_exporter_send_failed_spans_total'), 20);
    await exp.shutdown();
  });

  it('ignores empty batches', async () => {
    const s = testSettings();
    let calls = 0;
    const exp = createExporter(s, 'traces', direct(), async () => {
      calls++;
    });
    await exp.consume(traces(0));
    assert.equal(calls, 0);
    await exp.shutdown();
  });
});

describe('exporterhelper sending queue', () => {
  it('consume resolves once queued; a full queue refuses with retryable SY_QUEUE_FULL, counted', async () => {
    const s = testSettings();
    const gate = gatedSend();
    const exp = createExporter(
      s,
      'traces',
      { sending_queue: { enabled: true, queue_size: 2, num_consumers: 1 }, retry_on_failure: fastRetry() },
      gate.send,
    );
    await exp.consume(traces(3));
    await exp.consume(traces(4));
    await gate.started;
    assert.equal(gauge(s, 'otelcol_exporter_queue_size', { exporter: 'test', data_type: 'traces' }), 2);
    assert.equal(gauge(s, 'otelcol_exporter_queue_capacity', { exporter: 'test', data_type: 'traces' }), 2);
    await assert.rejects(
      exp.consume(traces(5)),
      (e: unknown) => e instanceof PipelineError && e.code === 'SY_QUEUE_FULL' && !e.permanent,
    );
    assert.equal(counter(s, 'otelcol_exporter_enqueue_failed_spans_total', { exporter: 'test' }), 5);
    assert.equal(gate.calls, 1);
    gate.release();
    await sleep(5);
    gate.release();
    await exp.shutdown();
    assert.equal(counter(s, 'otelcol_exporter_sent_spans_total'), 7);
    assert.equal(gauge(s, 'otelcol_exporter_queue_size', { exporter: 'test', data_type: 'traces' }), 0);
  });

  it('mergeQueuedItems: batches waiting behind the one in flight go out as one, in order, up to the limit', async () => {
    const s = testSettings();
    const gate = gatedSend();
    const sizes: number[] = [];
    const exp = createExporter(
      s,
      'traces',
      { sending_queue: { enabled: true, queue_size: 100, num_consumers: 1 }, retry_on_failure: fastRetry() },
      async (b, abort) => {
        sizes.push(b.itemCount);
        await gate.send(b, abort);
      },
      { mergeQueuedItems: 10 },
    );
    await exp.consume(traces(2));
    await gate.started;
    // Queued behind the first: 4 + 3 + 2 fit in 10 together; 5 more does not.
    for (const n of [4, 3, 2, 5]) await exp.consume(traces(n));
    for (let i = 0; i < 3; i++) {
      gate.release();
      await sleep(5);
    }
    gate.release();
    await exp.shutdown();
    assert.deepEqual(sizes, [2, 9, 5]);
    assert.equal(counter(s, 'otelcol_exporter_sent_spans_total'), 16);
    assert.equal(gauge(s, 'otelcol_exporter_queue_size', { exporter: 'test', data_type: 'traces' }), 0);
  });

  it('runs num_consumers exports concurrently', async () => {
    const s = testSettings();
    let inFlight = 0;
    let peak = 0;
    const exp = createExporter(s, 'traces', { sending_queue: { num_consumers: 3 } }, async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(20);
      inFlight--;
    });
    for (let i = 0; i < 9; i++) await exp.consume(traces(1));
    await exp.shutdown();
    assert.equal(peak, 3);
    assert.equal(counter(s, 'otelcol_exporter_sent_spans_total'), 9);
  });

  it('sizer=items counts items; a batch larger than the queue is refused as permanent SY_TOO_LARGE', async () => {
    const s = testSettings();
    const gate = gatedSend();
    const exp = createExporter(
      s,
      'traces',
      { sending_queue: { queue_size: 10, sizer: 'items', num_consumers: 1 } },
      gate.send,
    );
    await exp.consume(traces(6));
    await assert.rejects(
      exp.consume(traces(6)),
      (e: unknown) => e instanceof PipelineError && e.code === 'SY_QUEUE_FULL',
    );
    await exp.consume(traces(4));
    assert.equal(gauge(s, 'otelcol_exporter_queue_size', { exporter: 'test', data_type: 'traces' }), 10);
    await assert.rejects(
      exp.consume(traces(11)),
      (e: unknown) => e instanceof PipelineError && e.code === 'SY_TOO_LARGE' && e.permanent,
    );
    assert.equal(counter(s, 'otelcol_exporter_enqueue_failed_spans_total'), 17);
    gate.release();
    await sleep(5);
    gate.release();
    await exp.shutdown();
  });

  it('sizer=bytes counts the encoded size of each batch, bounding what the queue holds', async () => {
    const s = testSettings();
    const gate = gatedSend();
    const size = traces(6).toProto().byteLength;
    const exp = createExporter(
      s,
      'traces',
      { sending_queue: { queue_size: size * 2 - 1, sizer: 'bytes', num_consumers: 1 } },
      gate.send,
    );
    await exp.consume(traces(6));
    assert.equal(gauge(s, 'otelcol_exporter_queue_size', { exporter: 'test', data_type: 'traces' }), size);
    await assert.rejects(
      exp.consume(traces(6)),
      (e: unknown) => e instanceof PipelineError && e.code === 'SY_QUEUE_FULL',
    );
    await assert.rejects(
      exp.consume(traces(20)),
      (e: unknown) => e instanceof PipelineError && e.code === 'SY_TOO_LARGE' && /bytes/.test(e.message),
    );
    assert.equal(counter(s, 'otelcol_exporter_enqueue_failed_spans_total'), 26);
    gate.release();
    await exp.shutdown();
  });

  it('block_on_overflow makes the caller wait for space instead of refusing', async () => {
    const s = testSettings();
    const gate = gatedSend();
    const exp = createExporter(
      s,
      'traces',
      { sending_queue: { queue_size: 1, num_consumers: 1, block_on_overflow: true } },
      gate.send,
    );
    await exp.consume(traces(1));
    let admitted = false;
    const blocked = exp.consume(traces(2)).then(() => {
      admitted = true;
    });
    await sleep(20);
    assert.equal(admitted, false);
    gate.release();
    await blocked;
    assert.equal(admitted, true);
    // a producer still blocked at shutdown is refused with SY_SHUTTING_DOWN
    const third = exp.consume(traces(3));
    await sleep(5);
    const stopping = exp.shutdown();
    await assert.rejects(third, (e: unknown) => e instanceof PipelineError && e.code === 'SY_SHUTTING_DOWN');
    gate.release();
    await stopping;
    assert.equal(counter(s, 'otelcol_exporter_enqueue_failed_spans_total'), 3);
    assert.equal(counter(s, 'otelcol_exporter_sent_spans_total'), 3);
  });

  it('block_on_overflow waits at most `timeout`, then refuses with SY_QUEUE_FULL; a later producer is not held by it', async () => {
    const s = testSettings();
    const gate = gatedSend();
    const exp = createExporter(
      s,
      'traces',
      {
        timeout: '50ms',
        retry_on_failure: { initial_interval: '10ms', max_interval: '10ms' },
        sending_queue: { queue_size: 1, num_consumers: 1, block_on_overflow: true },
      },
      gate.send,
    );
    await exp.consume(traces(1)); // stuck in flight (attempts time out and retry), holding the only slot
    const started = Date.now();
    await assert.rejects(
      exp.consume(traces(2)),
      (e: unknown) => e instanceof PipelineError && e.code === 'SY_QUEUE_FULL' && !e.permanent,
    );
    assert.ok(Date.now() - started >= 45, 'waited for the timeout');
    assert.equal(counter(s, 'otelcol_exporter_enqueue_failed_spans_total'), 2);
    const sent = () => counter(s, 'otelcol_exporter_sent_spans_total');
    for (let i = 0; i < 100 && sent() < 1; i++) {
      gate.release();
      await sleep(5);
    }
    assert.equal(sent(), 1);
    const admittedAt = Date.now();
    await exp.consume(traces(4)); // the slot is free: admitted at once, past the expired waiter
    assert.ok(Date.now() - admittedAt < 40, 'not held behind the expired waiter');
    for (let i = 0; i < 100 && sent() < 5; i++) {
      gate.release();
      await sleep(5);
    }
    await exp.shutdown();
    assert.equal(sent(), 5);
  });

  it('drains the queue on shutdown, then refuses with SY_SHUTTING_DOWN', async () => {
    const s = testSettings();
    const exp = createExporter(s, 'traces', { sending_queue: { num_consumers: 2 } }, async () => {
      await sleep(10);
    });
    for (let i = 0; i < 10; i++) await exp.consume(traces(2));
    await exp.shutdown();
    assert.equal(counter(s, 'otelcol_exporter_sent_spans_total'), 20);
    await assert.rejects(
      exp.consume(traces(1)),
      (e: unknown) => e instanceof PipelineError && e.code === 'SY_SHUTTING_DOWN',
    );
    assert.equal(counter(s, 'otelcol_exporter_enqueue_failed_spans_total'), 1);
    await exp.shutdown(); // twice is fine
  });

  it('cuts retries short at shutdown: a batch in backoff gets one last attempt', async () => {
    const s = testSettings();
    let calls = 0;
    const exp = createExporter(
      s,
      'traces',
      { retry_on_failure: fastRetry({ initial_interval: '10s', max_interval: '10s', max_elapsed_time: '60s' }) },
      async () => {
        calls++;
        if (calls === 1) throw retryableError('SY_EXPORT_RETRYABLE', 'down');
      },
    );
    await exp.consume(traces(2));
    await sleep(10);
    const t0 = performance.now();
    await exp.shutdown();
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(calls, 2);
    assert.equal(counter(s, 'otelcol_exporter_sent_spans_total'), 2);
  });

  it('a failure during the drain is dropped with reason=shutdown (not retried)', async () => {
    const s = testSettings();
    let calls = 0;
    const exp = createExporter(
      s,
      'traces',
      { retry_on_failure: fastRetry({ initial_interval: '10s', max_interval: '10s', max_elapsed_time: '60s' }) },
      async () => {
        calls++;
        throw retryableError('SY_EXPORT_RETRYABLE', 'down');
      },
    );
    await exp.consume(traces(2));
    await sleep(10);
    await exp.shutdown();
    assert.equal(calls, 2);
    assert.equal(counter(s, 'otelcol_exporter_send_failed_spans_total', { reason: 'shutdown' }), 2);
  });

  it('drops what is left at the drain deadline, aborting exports in flight, and counts it', async () => {
    const s = testSettings();
    let aborted = 0;
    const exp = createExporter(
      s,
      'traces',
      { timeout: '0', sending_queue: { num_consumers: 1 }, retry_on_failure: fastRetry() },
      (_b, signal) =>
        new Promise<void>((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            aborted++;
            reject(signal.reason);
          });
        }),
      { drainTimeoutMs: 50 },
    );
    for (let i = 0; i < 4; i++) await exp.consume(traces(3));
    const t0 = performance.now();
    await exp.shutdown();
    const took = performance.now() - t0;
    assert.ok(took >= 45 && took < 1500, `shutdown took ${took} ms`);
    assert.equal(aborted, 1);
    assert.equal(counter(s, 'otelcol_exporter_send_failed_spans_total', { reason: 'shutdown' }), 12);
    assert.equal(counter(s, 'otelcol_exporter_sent_spans_total'), 0);
    assert.equal(gauge(s, 'otelcol_exporter_queue_size', { exporter: 'test', data_type: 'traces' }), 0);
    assert.ok(s.logs.some((l) => l.level === 40 && String(l.msg).includes('not drained')));
  });

  it('runs the start and shutdown hooks', async () => {
    const s = testSettings();
    const events: string[] = [];
    const exp = createExporter(s, 'logs', {}, async () => {}, {
      start: async () => {
        events.push('start');
      },
      shutdown: async () => {
        events.push('shutdown');
      },
    });
    await exp.start(testHost());
    await exp.shutdown();
    await exp.shutdown();
    assert.deepEqual(events, ['start', 'shutdown']);
  });
});
