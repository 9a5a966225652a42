import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import type { Consumer, CreateSettings, Host } from '../component/component.js';
import { permanentError, retryableError } from '../component/errors.js';
import { Batch } from '../pdata/batch.js';
import type { Signal } from '../pdata/model.js';
import { MetricsRegistry } from '../telemetry/metrics.js';
import { RateLimitedLog } from '../telemetry/ratelimit.js';
import {
  classifyConsumeError,
  DEFAULT_MEMORY_RETRY_MS,
  memoryRefusal,
  ReceiverHelper,
  retryAfterSeconds,
} from './receiverhelper.js';

class Lines {
  readonly lines: Array<Record<string, unknown>> = [];
  write(line: string): boolean {
    this.lines.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  }
}

function setup() {
  const metrics = new MetricsRegistry();
  const logs = new Lines();
  const settings: CreateSettings = {
    id: { type: 'otlp', name: 'edge' },
    kind: 'receiver',
    logger: pino({ level: 'info' }, logs),
    metrics,
  };
  return { metrics, logs, helper: new ReceiverHelper({ settings, transport: 'http' }) };
}

function spans(n: number): Batch<'traces'> {
  return Batch.fromRequest('traces', {
    resourceSpans: [
      {
        schemaUrl: '',
        scopeSpans: [
          {
            schemaUrl: '',
            spans: Array.from({ length: n }, (_, i) => ({
              traceId: new Uint8Array(16).fill(1),
              spanId: new Uint8Array(8).fill(2),
              traceState: '',
              parentSpanId: new Uint8Array(0),
              flags: 0,
              name: `s${i}`,
              kind: 1,
              startTimeUnixNano: 1n,
              endTimeUnixNano: 2n,
              attributes: [],
              droppedAttributesCount: 0,
              events: [],
              droppedEventsCount: 0,
              links: [],
              droppedLinksCount: 0,
            })),
          },
        ],
      },
    ],
  });
}

function consumer<S extends Signal>(fail?: () => unknown): Consumer<S> {
  return {
    mutatesData: false,
    async consume() {
      if (fail !== undefined) throw fail();
    },
  };
}

const L = { receiver: 'otlp/edge', transport: 'http' };

describe('ReceiverHelper', () => {
  test('counts accepted items and successful requests', async () => {
    const { metrics, helper } = setup();
    const outcome = await helper.consume(consumer<'traces'>(), spans(3));
    assert.deepEqual(outcome, { ok: true, items: 3 });
    assert.equal(metrics.counter('otelcol_receiver_accepted_spans_total', '').get(L), 3);
    assert.equal(metrics.counter('otelcol_receiver_requests_total', '').get({ ...L, outcome: 'success' }), 1);
    // The other signals' series exist (at 0) from the start.
    assert.match(
      metrics.render(),
      /otelcol_receiver_accepted_log_records_total\{receiver="otlp\/edge",transport="http"\} 0/,
    );
  });

  test('counts refused items by reason and classifies the error', async () => {
    const { metrics, helper, logs } = setup();
    const permanent = await helper.consume(
      consumer<'traces'>(() => permanentError('SY_EXPORT_PERMANENT', 'nope')),
      spans(2),
    );
    assert.equal(permanent.ok, false);
    if (permanent.ok) return;
    assert.equal(permanent.permanent, true);
    assert.equal(permanent.reason, 'export_permanent');
    assert.equal(permanent.retryAfterMs, undefined);

    const memory = await helper.consume(
      consumer<'traces'>(() => retryableError('SY_MEMORY_LIMIT', 'over the soft limit')),
      spans(4),
    );
    assert.ok(!memory.ok && memory.memoryLimit && !memory.permanent);
    assert.equal(memory.ok ? 0 : memory.retryAfterMs, DEFAULT_MEMORY_RETRY_MS);

    const unknown = await helper.consume(
      consumer<'traces'>(() => new TypeError('bug')),
      spans(1),
    );
    assert.ok(!unknown.ok && !unknown.permanent && unknown.reason === 'internal');

    const refused = metrics.counter('otelcol_receiver_refused_spans_total', '');
    assert.equal(refused.get({ ...L, reason: 'export_permanent' }), 2);
    assert.equal(refused.get({ ...L, reason: 'memory_limit' }), 4);
    assert.equal(refused.get({ ...L, reason: 'internal' }), 1);
    assert.equal(metrics.counter('otelcol_receiver_accepted_spans_total', '').get(L), 0);
    assert.equal(metrics.counter('otelcol_receiver_requests_total', '').get({ ...L, outcome: 'refused' }), 3);
    assert.equal(logs.lines.filter((l) => l['level'] === 40).length, 3);
  });

  test('counts bad requests by reason, logging once per reason per interval', () => {
    const { metrics, helper, logs } = setup();
    for (let i = 0; i < 100; i++) helper.badRequest('decode', 'bad protobuf');
    helper.badRequest('too_large', 'big');
    const bad = metrics.counter('switchyard_receiver_bad_requests_total', '');
    assert.equal(bad.get({ ...L, reason: 'decode' }), 100);
    assert.equal(bad.get({ ...L, reason: 'too_large' }), 1);
    assert.equal(metrics.counter('otelcol_receiver_requests_total', '').get({ ...L, outcome: 'bad_request' }), 101);
    assert.deepEqual(
      logs.lines.map((l) => l['reason']),
      ['decode', 'too_large'],
    );
  });
});

describe('RateLimitedLog', () => {
  test('once per key per interval, then reports how many were suppressed', () => {
    const logs = new Lines();
    let now = 0;
    const log = new RateLimitedLog(pino({ level: 'info' }, logs), 10_000, () => now);
    log.warn('a', {}, 'first');
    log.warn('a', {}, 'dropped');
    log.warn('a', {}, 'dropped');
    log.warn('b', {}, 'other key');
    now = 10_000;
    log.warn('a', {}, 'again');
    assert.deepEqual(
      logs.lines.map((l) => [l['msg'], l['suppressed']]),
      [
        ['first', undefined],
        ['other key', undefined],
        ['again', 2],
      ],
    );
  });
});

describe('small helpers', () => {
  test('classifyConsumeError keeps an error-advised delay', () => {
    const c = classifyConsumeError(retryableError('SY_QUEUE_FULL', 'full', 2500), 3);
    assert.equal(c.retryAfterMs, 2500);
    assert.equal(c.memoryLimit, false);
    assert.equal(c.items, 3);
  });

  test('memoryRefusal reads the host guard', () => {
    const host = (ms: number | undefined): Host => ({
      reportStatus() {},
      healthy: () => true,
      statuses: () => [],
      memoryGuard: () => ({ refuseFor: () => ms }),
    });
    assert.equal(memoryRefusal(undefined), undefined);
    assert.equal(memoryRefusal(host(undefined)), undefined);
    assert.equal(memoryRefusal(host(250)), 250);
    assert.equal(memoryRefusal(host(0)), DEFAULT_MEMORY_RETRY_MS);
  });

  test('retryAfterSeconds rounds up to whole seconds, at least 1', () => {
    assert.equal(retryAfterSeconds(1), '1');
    assert.equal(retryAfterSeconds(1000), '1');
    assert.equal(retryAfterSeconds(1001), '2');
    assert.equal(retryAfterSeconds(0), '1');
  });
});
