import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Consumer, CreateSettings, Host } from '../component/component.js';
import { PipelineError, permanentError, retryableError } from '../component/errors.js';
import { Batch } from '../pdata/batch.js';
import type { ExportLogsServiceRequest } from '../pdata/model.js';
import { silentLogger } from '../telemetry/logger.js';
import { MetricsRegistry } from '../telemetry/metrics.js';
import { createProcessor } from './processorhelper.js';

function settings(): CreateSettings {
  return { id: { type: 'test', name: 'p' }, kind: 'processor', logger: silentLogger(), metrics: new MetricsRegistry() };
}

function logs(n: number): Batch<'logs'> {
  const req: ExportLogsServiceRequest = {
    resourceLogs: [
      {
        schemaUrl: '',
        scopeLogs: [
          {
            schemaUrl: '',
            logRecords: Array.from({ length: n }, (_, i) => ({
              timeUnixNano: BigInt(i),
              observedTimeUnixNano: 0n,
              severityNumber: 9,
              severityText: 'INFO',
              body: `line ${i}`,
              attributes: [],
              droppedAttributesCount: 0,
              flags: 0,
              traceId: new Uint8Array(),
              spanId: new Uint8Array(),
              eventName: '',
            })),
          },
        ],
      },
    ],
  };
  return Batch.fromRequest('logs', req);
}

class Sink implements Consumer<'logs'> {
  readonly mutatesData = false;
  readonly got: Batch<'logs'>[] = [];
  fail: unknown;
  async consume(batch: Batch<'logs'>): Promise<void> {
    if (this.fail !== undefined) throw this.fail;
    this.got.push(batch);
  }
}

const host: Host = {
  reportStatus() {},
  healthy: () => true,
  statuses: () => [],
  memoryGuard: () => undefined,
};

const labels = { processor: 'test/p', otel_signal: 'logs' };

describe('createProcessor', () => {
  it('passes the function result on and counts items in and out', async () => {
    const s = settings();
    const sink = new Sink();
    const p = createProcessor(s, 'logs', sink, (b) => (b.itemCount > 2 ? logs(2) : b), { mutatesData: true });
    assert.equal(p.mutatesData, true);
    await p.consume(logs(1));
    await p.consume(logs(5));
    assert.deepEqual(
      sink.got.map((b) => b.itemCount),
      [1, 2],
    );
    assert.equal(s.metrics.counter('otelcol_processor_incoming_items_total', '').get(labels), 6);
    assert.equal(s.metrics.counter('otelcol_processor_outgoing_items_total', '').get(labels), 3);
  });

  it('treats undefined as "drop this batch"', async () => {
    const s = settings();
    const sink = new Sink();
    const p = createProcessor(s, 'logs', sink, async () => undefined, { mutatesData: false });
    await p.consume(logs(4));
    assert.equal(sink.got.length, 0);
    assert.equal(s.metrics.counter('otelcol_processor_incoming_items_total', '').get(labels), 4);
    assert.equal(s.metrics.counter('otelcol_processor_outgoing_items_total', '').get(labels), 0);
  });

  it('propagates pipeline errors from the function and from next unchanged', async () => {
    const refused = retryableError('SY_MEMORY_LIMIT', 'full', 1000);
    const p1 = createProcessor(
      settings(),
      'logs',
      new Sink(),
      () => {
        throw refused;
      },
      { mutatesData: false },
    );
    await assert.rejects(p1.consume(logs(1)), (e) => e === refused);

    const sink = new Sink();
    sink.fail = permanentError('SY_EXPORT_PERMANENT', 'no');
    const p2 = createProcessor(settings(), 'logs', sink, (b) => b, { mutatesData: false });
    await assert.rejects(p2.consume(logs(1)), (e) => e === sink.fail);
  });

  it('turns an unexpected exception in the function into a permanent SY_INTERNAL error', async () => {
    const p = createProcessor(
      settings(),
      'logs',
      new Sink(),
      () => {
        throw new TypeError('oops');
      },
      { mutatesData: false },
    );
    await assert.rejects(p.consume(logs(1)), (e) => {
      assert.ok(e instanceof PipelineError);
      assert.equal(e.code, 'SY_INTERNAL');
      assert.equal(e.permanent, true);
      assert.match(e.message, /oops/);
      return true;
    });
  });

  it('runs start, runs shutdown once, and refuses data after shutdown', async () => {
    let starts = 0;
    let stops = 0;
    const p = createProcessor(settings(), 'logs', new Sink(), (b) => b, {
      mutatesData: false,
      start: async () => {
        starts++;
      },
      shutdown: async () => {
        stops++;
      },
    });
    await p.start(host);
    await p.shutdown();
    await p.shutdown();
    assert.equal(starts, 1);
    assert.equal(stops, 1);
    await assert.rejects(p.consume(logs(1)), (e) => e instanceof PipelineError && e.code === 'SY_SHUTTING_DOWN');
  });

  it('shuts down safely without start', async () => {
    const p = createProcessor(settings(), 'logs', new Sink(), (b) => b, { mutatesData: false });
    await p.shutdown();
  });
});
