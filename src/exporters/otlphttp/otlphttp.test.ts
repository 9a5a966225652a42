import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Exporter } from '../../component/component.js';
import { PipelineError } from '../../component/errors.js';
import { encodeRpcStatus } from '../../helpers/exporterhelper/index.js';
import { decodeRequestPb, partialSuccessPb } from '../../helpers/exporterhelper/testproto.js';
import { freeLocalPort, testHost, testSettings, traces } from '../../helpers/exporterhelper/testutil.js';
import { Batch } from '../../pdata/batch.js';
import type { Signal } from '../../pdata/model.js';
import { createDefaultConfig, type OtlpHttpExporterConfig, signalUrl } from './config.js';
import { otlpHttpExporterFactory } from './factory.js';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly at: number;
  readonly socket: number;
}

type Reply = (req: Received, res: http.ServerResponse) => void;

let server: http.Server;
let base = '';
let received: Received[] = [];
let reply: Reply = (_req, res) => res.end();
let sockets = 0;

before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        at: performance.now(),
        socket: (req.socket as unknown as { __id: number }).__id,
      };
      received.push(r);
      reply(r, res);
    });
  });
  server.on('connection', (s) => {
    (s as unknown as { __id: number }).__id = ++sockets;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received = [];
  reply = (_req, res) => res.end();
});

function config(over: Partial<OtlpHttpExporterConfig> = {}): OtlpHttpExporterConfig {
  const d = createDefaultConfig();
  return {
    ...d,
    endpoint: base,
    timeout: '2s',
    retry_on_failure: {
      ...d.retry_on_failure,
      initial_interval: '10ms',
      max_interval: '50ms',
      randomization_factor: 0,
      max_elapsed_time: '3s',
    },
    sending_queue: { ...d.sending_queue, enabled: false },
    ...over,
  };
}

async function withExporter<S extends Signal>(
  cfg: OtlpHttpExporterConfig,
  signal: S,
  fn: (exp: Exporter<S>, s: ReturnType<typeof testSettings>) => Promise<void>,
): Promise<void> {
  const s = testSettings('otlphttp');
  const exp = otlpHttpExporterFactory.create(s, cfg, signal);
  await exp.start(testHost());
  try {
    await fn(exp, s);
  } finally {
    await exp.shutdown();
  }
}

const failed = (s: ReturnType<typeof testSettings>, reason: string): number =>
  s.metrics.counter('otelcol_exporter_send_failed_spans_total', '').sum({ reason });
const sent = (s: ReturnType<typeof testSettings>): number =>
  s.metrics.counter('otelcol_exporter_sent_spans_total', '').sum();

describe('otlphttp exporter: request', () => {
  it('POSTs gzip protobuf to /v1/traces with the configured headers', async () => {
    await withExporter(
      config({ headers: { 'X-Tenant': 'acme', Authorization: 'Bearer s3cret' } }),
      'traces',
      async (exp, s) => {
        await exp.consume(traces(3));
        assert.equal(received.length, 1);
        const r = received[0] as Received;
        assert.equal(r.method, 'POST');
        assert.equal(r.url, '/v1/traces');
        assert.equal(r.headers['content-type'], 'application/x-protobuf');
        assert.equal(r.headers['content-encoding'], 'gzip');
        assert.equal(r.headers['x-tenant'], 'acme');
        assert.equal(r.headers.authorization, 'Bearer s3cret');
        assert.match(String(r.headers['user-agent']), /^switchyard\//);
        assert.equal(Number(r.headers['content-length']), r.body.length);
        const req = decodeRequestPb('traces', gunzipSync(r.body)) as {
          resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string }> }> }>;
        };
        const spans = req.resourceSpans[0]?.scopeSpans[0]?.spans ?? [];
        assert.deepEqual(
          spans.map((x) => x.name),
          ['span-0', 'span-1', 'span-2'],
        );
        assert.equal(sent(s), 3);
        assert.ok(!JSON.stringify(s.logs).includes('s3cret'));
      },
    );
  });

  it('sends uncompressed OTLP/JSON to a per-signal URL when told to', async () => {
    const cfg = config({ encoding: 'json', compression: 'none', logs_endpoint: `${base}/custom/logs?tenant=a` });
    await withExporter(cfg, 'logs', async (exp) => {
      await exp.consume(
        Batch.fromRequest('logs', {
          resourceLogs: [
            {
              schemaUrl: '',
              scopeLogs: [
                {
                  schemaUrl: '',
                  logRecords: [
                    {
                      timeUnixNano: 1n,
                      observedTimeUnixNano: 2n,
                      severityNumber: 9,
                      severityText: 'INFO',
                      body: 'hello',
                      attributes: [],
                      droppedAttributesCount: 0,
                      flags: 0,
                      traceId: Uint8Array.from({ length: 16 }, () => 0xaa),
                      spanId: new Uint8Array(0),
                      eventName: '',
                    },
                  ],
                },
              ],
            },
          ],
        }),
      );
      const r = received[0] as Received;
      assert.equal(r.url, '/custom/logs?tenant=a');
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['content-encoding'], undefined);
      const body = JSON.parse(r.body.toString('utf8')) as {
        resourceLogs: Array<{
          scopeLogs: Array<{ logRecords: Array<{ body: { stringValue: string }; traceId: string }> }>;
        }>;
      };
      const rec = body.resourceLogs[0]?.scopeLogs[0]?.logRecords[0];
      assert.equal(rec?.body.stringValue, 'hello');
      assert.equal(rec?.traceId, 'aa'.repeat(16));
    });
  });

  it('composes signal URLs from the base endpoint (with a path, with or without a trailing slash)', () => {
    const c = config({ endpoint: 'https://otlp.example.com/prefix/' });
    assert.equal(signalUrl(c, 'metrics'), 'https://otlp.example.com/prefix/v1/metrics');
    assert.equal(signalUrl({ ...c, endpoint: 'http://h:4318' }, 'logs'), 'http://h:4318/v1/logs');
    assert.equal(signalUrl({ ...c, endpoint: '', traces_endpoint: 'http://t/x' }, 'traces'), 'http://t/x');
    assert.equal(signalUrl({ ...c, endpoint: '' }, 'traces'), undefined);
  });

  it('reuses one keep-alive connection for consecutive exports', async () => {
    const before = sockets;
    await withExporter(config(), 'traces', async (exp) => {
      for (let i = 0; i < 5; i++) await exp.consume(traces(1));
      assert.equal(received.length, 5);
      assert.equal(new Set(received.map((r) => r.socket)).size, 1);
      assert.equal(sockets - before, 1);
    });
  });
});

describe('otlphttp exporter: responses', () => {
  it('200 with partial_success (protobuf) counts the rejected items, no retry', async () => {
    reply = (_r, res) => {
      res.setHeader('content-type', 'application/x-protobuf');
      res.end(partialSuccessPb('traces', 2, 'spans too old'));
    };
    await withExporter(config(), 'traces', async (exp, s) => {
      await exp.consume(traces(5));
      assert.equal(received.length, 1);
      assert.equal(sent(s), 3);
      assert.equal(failed(s, 'partial_success'), 2);
      assert.ok(s.logs.some((l) => String(l.msg).includes('spans too old')));
    });
  });

  it('200 with partial_success (JSON) counts the rejected items', async () => {
    reply = (_r, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ partialSuccess: { rejectedSpans: '1', errorMessage: 'dup' } }));
    };
    await withExporter(config({ encoding: 'json' }), 'traces', async (exp, s) => {
      await exp.consume(traces(4));
      assert.equal(sent(s), 3);
      assert.equal(failed(s, 'partial_success'), 1);
    });
  });

  it('400 is permanent: not retried, the google.rpc.Status message is in the error', async () => {
    reply = (_r, res) => {
      res.statusCode = 400;
      res.setHeader('content-type', 'application/x-protobuf');
      res.end(encodeRpcStatus(3, 'span 7 has an invalid trace id'));
    };
    await withExporter(config(), 'traces', async (exp, s) => {
      await assert.rejects(exp.consume(traces(2)), (e: unknown) => {
        assert.ok(e instanceof PipelineError);
        assert.equal(e.permanent, true);
        assert.equal(e.code, 'SY_EXPORT_PERMANENT');
        assert.match(e.message, /HTTP 400: span 7 has an invalid trace id/);
        return true;
      });
      assert.equal(received.length, 1);
      assert.equal(failed(s, 'permanent'), 2);
    });
  });

  it('429 with Retry-After is retried no earlier than the advised delay', async () => {
    reply = (_r, res) => {
      if (received.length === 1) {
        res.statusCode = 429;
        res.setHeader('retry-after', '1');
      }
      res.end();
    };
    await withExporter(config(), 'traces', async (exp, s) => {
      await exp.consume(traces(1));
      assert.equal(received.length, 2);
      const gap = (received[1] as Received).at - (received[0] as Received).at;
      assert.ok(gap >= 990, `retried after ${gap} ms`);
      assert.ok(gap < 3000, `retried after ${gap} ms`);
      assert.equal(sent(s), 1);
    });
  });

  it('503 (and 502/504) are retried with backoff until success', async () => {
    const codes = [503, 502, 504];
    reply = (_r, res) => {
      const code = codes[received.length - 1];
      if (code !== undefined) res.statusCode = code;
      res.end('overloaded');
    };
    await withExporter(config(), 'traces', async (exp, s) => {
      await exp.consume(traces(2));
      assert.equal(received.length, 4);
      assert.equal(sent(s), 2);
    });
  });

  it('a 5xx other than 502/503/504 is permanent, with the text body in the error', async () => {
    reply = (_r, res) => {
      res.statusCode = 500;
      res.setHeader('content-type', 'text/plain');
      res.end('internal\nfailure');
    };
    await withExporter(config(), 'traces', async (exp) => {
      await assert.rejects(exp.consume(traces(1)), /HTTP 500: internal failure/);
      assert.equal(received.length, 1);
    });
  });

  it('bounds the response body it reads', async () => {
    reply = (_r, res) => {
      res.statusCode = 400;
      res.setHeader('content-type', 'text/plain');
      res.write(Buffer.alloc(3 << 20, 0x61));
      res.end();
    };
    await withExporter(config(), 'traces', async (exp) => {
      await assert.rejects(exp.consume(traces(1)), (e: unknown) => {
        assert.ok(e instanceof PipelineError && e.permanent);
        assert.ok(e.message.length < 1024);
        return true;
      });
    });
  });

  it('connection refused is retryable: retried, then counted as retries_exhausted', async () => {
    const port = await freeLocalPort();
    const cfg = config({ endpoint: `http://127.0.0.1:${port}` });
    const quick = { ...cfg, retry_on_failure: { ...cfg.retry_on_failure, max_elapsed_time: '150ms' } };
    await withExporter(quick, 'traces', async (exp, s) => {
      await assert.rejects(exp.consume(traces(2)), (e: unknown) => {
        assert.ok(e instanceof PipelineError);
        assert.equal(e.code, 'SY_RETRIES_EXHAUSTED');
        assert.equal(e.permanent, false);
        assert.match(e.message, /ECONNREFUSED/);
        return true;
      });
      assert.equal(failed(s, 'retries_exhausted'), 2);
    });
  });

  it('a server that never answers hits the attempt timeout', async () => {
    reply = () => {};
    const cfg = config({ timeout: '100ms' });
    await withExporter(
      { ...cfg, retry_on_failure: { ...cfg.retry_on_failure, enabled: false } },
      'traces',
      async (exp, s) => {
        const t0 = performance.now();
        await assert.rejects(
          exp.consume(traces(1)),
          (e: unknown) => e instanceof PipelineError && e.code === 'SY_TIMEOUT',
        );
        assert.ok(performance.now() - t0 < 1000);
        assert.equal(failed(s, 'timeout'), 1);
      },
    );
  });

  it('with the queue on, consume resolves at once and the export happens in the background', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    reply = (_r, res) => {
      void gate.then(() => res.end());
    };
    const d = createDefaultConfig();
    await withExporter(
      config({ sending_queue: { ...d.sending_queue, num_consumers: 2 } }),
      'traces',
      async (exp, s) => {
        await exp.consume(traces(1));
        await exp.consume(traces(1));
        assert.equal(sent(s), 0);
        release();
        await exp.shutdown();
        assert.equal(sent(s), 2);
      },
    );
  });
});

describe('otlphttp exporter: factory', () => {
  before(() => {
    if (!FormatRegistry.Has('duration')) FormatRegistry.Set('duration', () => true);
  });

  it('declares type, stability and a schema whose defaults are the default config', () => {
    const f = otlpHttpExporterFactory;
    assert.equal(f.type, 'otlphttp');
    assert.equal(f.kind, 'exporter');
    assert.deepEqual(Object.keys(f.stability).sort(), ['logs', 'metrics', 'traces']);
    const d = f.createDefaultConfig();
    assert.ok(Value.Check(f.configSchema, { ...d, endpoint: 'http://x:4318' }));
    assert.ok(!Value.Check(f.configSchema, { ...d, endpont: 'http://x:4318' }));
    const headers = (f.configSchema as unknown as { properties: { headers: Record<string, unknown> } }).properties
      .headers;
    assert.equal(headers['x-sensitive'], true);
    assert.equal(d.encoding, 'proto');
    assert.equal(d.compression, 'gzip');
    assert.equal(d.timeout, '5s');
  });

  it('validate: endpoint required, URLs checked, reserved headers refused, retry intervals ordered', () => {
    const v = (c: Partial<OtlpHttpExporterConfig>): string[] =>
      (otlpHttpExporterFactory.validate?.({ ...createDefaultConfig(), ...c }) ?? []).map(
        (p) => `${p.path.join('.')}: ${p.message}`,
      );
    assert.match(v({}).join('\n'), /^endpoint: required/);
    assert.deepEqual(v({ endpoint: 'http://127.0.0.1:4318' }), []);
    assert.deepEqual(v({ traces_endpoint: 'http://127.0.0.1:4318/v1/traces' }), []);
    assert.match(v({ endpoint: '127.0.0.1:4318' }).join('\n'), /endpoint: (not a valid URL|unsupported scheme)/);
    assert.match(v({ endpoint: 'ftp://x' }).join('\n'), /unsupported scheme/);
    assert.match(v({ endpoint: 'http://u:p@x' }).join('\n'), /credentials/);
    assert.match(
      v({ endpoint: 'http://x', headers: { 'Content-Type': 'text/plain' } }).join('\n'),
      /headers.Content-Type/,
    );
    assert.match(v({ endpoint: 'http://x', headers: { 'bad header': 'x' } }).join('\n'), /invalid header name/);
    const d = createDefaultConfig();
    assert.match(
      v({ endpoint: 'http://x', retry_on_failure: { ...d.retry_on_failure, initial_interval: '1m' } }).join('\n'),
      /retry_on_failure.max_interval/,
    );
  });

  it('create fails clearly when a signal has no URL', () => {
    const cfg = { ...createDefaultConfig(), traces_endpoint: 'http://x/t' };
    assert.throws(() => otlpHttpExporterFactory.create(testSettings('otlphttp'), cfg, 'logs'), /no URL for logs/);
  });
});
