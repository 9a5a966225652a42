// Test fixtures shared by the exporter helper and exporter tests (not used at run time).
import net from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { ComponentStatus, CreateSettings, Host, Kind } from '../../component/component.js';
import type { ComponentId } from '../../component/id.js';
import { Batch } from '../../pdata/batch.js';
import type {
  ExportLogsServiceRequest,
  ExportMetricsServiceRequest,
  ExportTraceServiceRequest,
  KeyValue,
} from '../../pdata/model.js';
import { MetricsRegistry } from '../../telemetry/metrics.js';

export interface TestSettings extends CreateSettings {
  /** JSON log lines written so far. */
  readonly logs: Array<Record<string, unknown>>;
}

export function testSettings(type = 'test', name = ''): TestSettings {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(JSON.parse(line));
      cb();
    },
  });
  const id: ComponentId = { type, name };
  return {
    id,
    kind: 'exporter',
    logger: pino({ level: 'debug' }, sink).child({ kind: 'exporter', name: name === '' ? type : `${type}/${name}` }),
    metrics: new MetricsRegistry(),
    logs,
  };
}

export interface TestHost extends Host {
  readonly reported: Array<{ id: string; kind: Kind; status: ComponentStatus; error?: string }>;
}

export function testHost(): TestHost {
  const reported: Array<{ id: string; kind: Kind; status: ComponentStatus; error?: string }> = [];
  return {
    reported,
    reportStatus(id, kind, status, error) {
      reported.push({ id: id.name === '' ? id.type : `${id.type}/${id.name}`, kind, status, error });
    },
    healthy: () => true,
    statuses: () => [],
    memoryGuard: () => undefined,
  };
}

const str = (key: string, value: string): KeyValue => ({ key, value });

export function traceRequest(spans: number, service = 'checkout'): ExportTraceServiceRequest {
  return {
    resourceSpans: [
      {
        resource: { attributes: [str('service.name', service)], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeSpans: [
          {
            scope: { name: 'test-scope', version: '1.0.0', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            spans: Array.from({ length: spans }, (_, i) => ({
              traceId: Uint8Array.from({ length: 16 }, (_, j) => j + 1),
              spanId: Uint8Array.from({ length: 8 }, (_, j) => j + 1 + i),
              traceState: '',
              parentSpanId: new Uint8Array(0),
              flags: 0,
              name: `span-${i}`,
              kind: 2,
              startTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(i),
              endTimeUnixNano: 1_700_000_000_500_000_000n + BigInt(i),
              attributes: [str('http.method', 'GET'), { key: 'http.status_code', value: 200n }],
              droppedAttributesCount: 0,
              events: [
                {
                  timeUnixNano: 1_700_000_000_100_000_000n,
                  name: 'cache-miss',
                  attributes: [str('cache.key', 'k1')],
                  droppedAttributesCount: 0,
                },
              ],
              droppedEventsCount: 0,
              links: [
                {
                  traceId: Uint8Array.from({ length: 16 }, () => 0xab),
                  spanId: Uint8Array.from({ length: 8 }, () => 0xcd),
                  traceState: '',
                  attributes: [],
                  droppedAttributesCount: 0,
                  flags: 0,
                },
              ],
              droppedLinksCount: 0,
              status: { code: 2, message: 'boom' },
            })),
          },
        ],
      },
    ],
  };
}

export function metricRequest(): ExportMetricsServiceRequest {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [str('service.name', 'billing')], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeMetrics: [
          {
            scope: { name: 'meter', version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            metrics: [
              {
                name: 'http.requests',
                description: 'requests served',
                unit: '1',
                metadata: [],
                data: {
                  type: 'sum',
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: [
                    {
                      attributes: [str('method', 'GET')],
                      startTimeUnixNano: 1_700_000_000_000_000_000n,
                      timeUnixNano: 1_700_000_060_000_000_000n,
                      value: 42n,
                      exemplars: [],
                      flags: 0,
                    },
                    {
                      attributes: [str('method', 'POST')],
                      startTimeUnixNano: 1_700_000_000_000_000_000n,
                      timeUnixNano: 1_700_000_060_000_000_000n,
                      value: 7n,
                      exemplars: [],
                      flags: 0,
                    },
                  ],
                },
              },
              {
                name: 'latency',
                description: '',
                unit: 'ms',
                metadata: [],
                data: {
                  type: 'histogram',
                  aggregationTemporality: 1,
                  dataPoints: [
                    {
                      attributes: [],
                      startTimeUnixNano: 1_700_000_000_000_000_000n,
                      timeUnixNano: 1_700_000_060_000_000_000n,
                      count: 6n,
                      sum: 123.5,
                      bucketCounts: [1n, 2n, 3n],
                      explicitBounds: [10, 100],
                      exemplars: [],
                      flags: 0,
                      min: 1.5,
                      max: 250,
                    },
                  ],
                },
              },
              {
                name: 'queue.depth',
                description: '',
                unit: '',
                metadata: [],
                data: {
                  type: 'gauge',
                  dataPoints: [
                    {
                      attributes: [],
                      startTimeUnixNano: 0n,
                      timeUnixNano: 1_700_000_060_000_000_000n,
                      value: 3.25,
                      exemplars: [],
                      flags: 0,
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

export function logRequest(records: number): ExportLogsServiceRequest {
  return {
    resourceLogs: [
      {
        resource: { attributes: [str('service.name', 'auth')], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: [
          {
            scope: { name: 'logger', version: '', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            logRecords: Array.from({ length: records }, (_, i) => ({
              timeUnixNano: 1_700_000_000_000_000_000n,
              observedTimeUnixNano: 1_700_000_000_000_000_001n,
              severityNumber: 9,
              severityText: 'INFO',
              body: `user logged in #${i}`,
              attributes: [str('user.id', `u${i}`)],
              droppedAttributesCount: 0,
              flags: 1,
              traceId: new Uint8Array(0),
              spanId: new Uint8Array(0),
              eventName: '',
            })),
          },
        ],
      },
    ],
  };
}

export function traces(spans: number): Batch<'traces'> {
  const b = Batch.fromRequest('traces', traceRequest(spans));
  b.markReadOnly();
  return b;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A port on 127.0.0.1 that was free a moment ago (nothing listens there now). */
export function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
