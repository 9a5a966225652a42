import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { PipelineError } from '../../component/errors.js';
import { encodeRpcStatus } from '../../helpers/exporterhelper/index.js';
import { decodeRequestPb, partialSuccessPb } from '../../helpers/exporterhelper/testproto.js';
import { freeLocalPort, testHost, testSettings, traces } from '../../helpers/exporterhelper/testutil.js';
import type { Signal } from '../../pdata/model.js';
import { encodeFrame, GrpcStatus, OTLP_GRPC_PATHS, parseFrames } from '../../transport/grpc.js';
import { createDefaultConfig, type OtlpGrpcExporterConfig, parseEndpoint } from './config.js';
import { createOtlpGrpcExporter, type OtlpGrpcExporterHandle } from './exporter.js';
import { otlpExporterFactory } from './factory.js';

interface Call {
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly at: number;
}

type Handler = (call: Call, stream: http2.ServerHttp2Stream) => void;

function respondOk(stream: http2.ServerHttp2Stream, message: Uint8Array = new Uint8Array(0)): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(encodeFrame(message, false));
}

/** Trailers-only response carrying a non-OK status. */
function respondStatus(stream: http2.ServerHttp2Stream, code: number, message: string, retryDelayMs?: number): void {
  const headers: http2.OutgoingHttpHeaders = {
    ':status': 200,
    'content-type': 'application/grpc',
    'grpc-status': String(code),
    'grpc-message': encodeURIComponent(message),
  };
  if (retryDelayMs !== undefined) {
    headers['grpc-status-details-bin'] = Buffer.from(encodeRpcStatus(code, message, retryDelayMs)).toString('base64');
  }
  stream.respond(headers, { endStream: true });
}

class RawServer {
  readonly server = http2.createServer();
  readonly calls: Call[] = [];
  readonly sessions = new Set<http2.ServerHttp2Session>();
  handler: Handler = (_c, s) => respondOk(s);
  port = 0;

  async start(): Promise<void> {
    this.server.on('session', (s) => {
      this.sessions.add(s);
      s.on('close', () => this.sessions.delete(s));
    });
    this.server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const call = { headers, body: Buffer.concat(chunks), at: performance.now() };
        this.calls.push(call);
        this.handler(call, stream);
      });
      stream.on('error', () => {});
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  dropConnections(): void {
    for (const s of this.sessions) s.destroy();
  }

  async stop(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function config(endpoint: string, over: Partial<OtlpGrpcExporterConfig> = {}): OtlpGrpcExporterConfig {
  const d = createDefaultConfig();
  return {
    ...d,
    endpoint,
    tls: { ...d.tls, insecure: true },
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
  cfg: OtlpGrpcExporterConfig,
  signal: S,
  fn: (exp: OtlpGrpcExporterHandle<S>, s: ReturnType<typeof testSettings>) => Promise<void>,
): Promise<void> {
  const s = testSettings('otlp');
  const exp = createOtlpGrpcExporter(s, cfg, signal);
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

function spanNames(message: Buffer): string[] {
  const req = decodeRequestPb('traces', message) as {
    resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string }> }> }>;
  };
  return (req.resourceSpans[0]?.scopeSpans[0]?.spans ?? []).map((x) => x.name);
}

describe('otlp gRPC exporter against a raw node:http2 server', () => {
  const srv = new RawServer();
  before(() => srv.start());
  after(() => srv.stop());
  beforeEach(() => {
    srv.calls.length = 0;
    srv.handler = (_c, s) => respondOk(s);
  });
  const ep = (): string => `127.0.0.1:${srv.port}`;

  it('OK: sends a gzip-framed Export request with gRPC headers and metadata', async () => {
    await withExporter(config(ep(), { headers: { 'X-Tenant': 'acme' } }), 'traces', async (exp, s) => {
      await exp.consume(traces(3));
      assert.equal(srv.calls.length, 1);
      const call = srv.calls[0] as Call;
      assert.equal(call.headers[':path'], OTLP_GRPC_PATHS.traces);
      assert.equal(call.headers[':method'], 'POST');
      assert.equal(call.headers['content-type'], 'application/grpc');
      assert.equal(call.headers.te, 'trailers');
      assert.equal(call.headers['grpc-encoding'], 'gzip');
      assert.equal(call.headers['grpc-timeout'], '2000m');
      assert.equal(call.headers['x-tenant'], 'acme');
      assert.match(String(call.headers['user-agent']), /^switchyard\//);
      const frames = parseFrames(call.body, 1 << 20);
      assert.equal(frames.length, 1);
      assert.equal(frames[0]?.compressed, true);
      assert.deepEqual(spanNames(gunzipSync(frames[0]?.data as Buffer)), ['span-0', 'span-1', 'span-2']);
      assert.equal(sent(s), 3);
    });
  });

  it('compression none sends an uncompressed frame; the http:// prefix is accepted', async () => {
    await withExporter(config(`http://${ep()}`, { compression: 'none' }), 'traces', async (exp) => {
      await exp.consume(traces(1));
      const call = srv.calls[0] as Call;
      assert.equal(call.headers['grpc-encoding'], undefined);
      const frame = parseFrames(call.body, 1 << 20)[0];
      assert.equal(frame?.compressed, false);
      assert.deepEqual(spanNames(frame?.data as Buffer), ['span-0']);
    });
  });

  it('OK with partial_success counts the rejected items', async () => {
    srv.handler = (_c, s) => respondOk(s, partialSuccessPb('traces', 2, 'spans too old'));
    await withExporter(config(ep()), 'traces', async (exp, s) => {
      await exp.consume(traces(5));
      assert.equal(sent(s), 3);
      assert.equal(failed(s, 'partial_success'), 2);
    });
  });

  it('UNAVAILABLE with RetryInfo is retried after the advised delay', async () => {
    srv.handler = (_c, s) => {
      if (srv.calls.length === 1) respondStatus(s, GrpcStatus.UNAVAILABLE, 'overloaded', 300);
      else respondOk(s);
    };
    await withExporter(config(ep()), 'traces', async (exp, s) => {
      await exp.consume(traces(1));
      assert.equal(srv.calls.length, 2);
      const gap = (srv.calls[1] as Call).at - (srv.calls[0] as Call).at;
      assert.ok(gap >= 290 && gap < 2000, `retried after ${gap} ms`);
      assert.equal(sent(s), 1);
    });
  });

  it('RESOURCE_EXHAUSTED is retried only with RetryInfo', async () => {
    srv.handler = (_c, s) => respondStatus(s, GrpcStatus.RESOURCE_EXHAUSTED, 'quota');
    await withExporter(config(ep()), 'traces', async (exp, s) => {
      await assert.rejects(exp.consume(traces(1)), (e: unknown) => e instanceof PipelineError && e.permanent);
      assert.equal(srv.calls.length, 1);
      assert.equal(failed(s, 'permanent'), 1);
    });
    srv.calls.length = 0;
    srv.handler = (_c, s) => {
      if (srv.calls.length === 1) respondStatus(s, GrpcStatus.RESOURCE_EXHAUSTED, 'quota', 20);
      else respondOk(s);
    };
    await withExporter(config(ep()), 'traces', async (exp) => {
      await exp.consume(traces(1));
      assert.equal(srv.calls.length, 2);
    });
  });

  it('INVALID_ARGUMENT is permanent: not retried, grpc-message in the error', async () => {
    srv.handler = (_c, s) => respondStatus(s, GrpcStatus.INVALID_ARGUMENT, 'span 7: bad trace id (ü)');
    await withExporter(config(ep()), 'traces', async (exp, s) => {
      await assert.rejects(exp.consume(traces(2)), (e: unknown) => {
        assert.ok(e instanceof PipelineError);
        assert.equal(e.permanent, true);
        assert.match(e.message, /INVALID_ARGUMENT: span 7: bad trace id \(ü\)/);
        return true;
      });
      assert.equal(srv.calls.length, 1);
      assert.equal(failed(s, 'permanent'), 2);
    });
  });

  it('an HTTP 503 without grpc-status maps to UNAVAILABLE (retried)', async () => {
    srv.handler = (_c, s) => {
      if (srv.calls.length === 1) s.respond({ ':status': 503 }, { endStream: true });
      else respondOk(s);
    };
    await withExporter(config(ep()), 'traces', async (exp) => {
      await exp.consume(traces(1));
      assert.equal(srv.calls.length, 2);
    });
  });

  it('reconnects after the server drops the connection or sends GOAWAY', async () => {
    await withExporter(config(ep()), 'traces', async (exp, s) => {
      await exp.consume(traces(1));
      srv.dropConnections();
      await new Promise((r) => setTimeout(r, 20));
      await exp.consume(traces(1));
      for (const sess of srv.sessions) sess.goaway(http2.constants.NGHTTP2_NO_ERROR);
      await new Promise((r) => setTimeout(r, 20));
      await exp.consume(traces(1));
      assert.equal(sent(s), 3);
      assert.equal(exp.client.sessionsOpened, 3);
    });
  });

  it('keeps one session for consecutive calls', async () => {
    await withExporter(config(ep()), 'traces', async (exp) => {
      for (let i = 0; i < 5; i++) await exp.consume(traces(1));
      assert.equal(exp.client.sessionsOpened, 1);
    });
  });

  it('a server that never answers hits the attempt timeout (and the stream is cancelled)', async () => {
    let cancelled = false;
    srv.handler = (_c, s) => {
      s.on('close', () => {
        cancelled = true;
      });
    };
    const cfg = config(ep(), { timeout: '100ms' });
    await withExporter(
      { ...cfg, retry_on_failure: { ...cfg.retry_on_failure, enabled: false } },
      'traces',
      async (exp, s) => {
        await assert.rejects(
          exp.consume(traces(1)),
          (e: unknown) => e instanceof PipelineError && e.code === 'SY_TIMEOUT',
        );
        assert.equal((srv.calls[0] as Call).headers['grpc-timeout'], '100m');
        assert.equal(failed(s, 'timeout'), 1);
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(cancelled, true);
      },
    );
  });
});

describe('otlp gRPC exporter: transport failures', () => {
  it('connection refused is retryable and ends as retries_exhausted', async () => {
    const port = await freeLocalPort();
    const cfg = config(`127.0.0.1:${port}`);
    const quick = { ...cfg, retry_on_failure: { ...cfg.retry_on_failure, max_elapsed_time: '150ms' } };
    await withExporter(quick, 'traces', async (exp, s) => {
      await assert.rejects(exp.consume(traces(2)), (e: unknown) => {
        assert.ok(e instanceof PipelineError);
        assert.equal(e.code, 'SY_RETRIES_EXHAUSTED');
        assert.match(e.message, /ECONNREFUSED/);
        return true;
      });
      assert.equal(failed(s, 'retries_exhausted'), 2);
      assert.ok(exp.client.sessionsOpened >= 2, 'a new session per attempt after a failed connect');
    });
  });
});

describe('otlp gRPC exporter: TLS', () => {
  let dir = '';
  let cert: Buffer | undefined;
  let key: Buffer | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sy-otlp-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
        ],
        { stdio: 'ignore', timeout: 10_000 },
      );
      cert = readFileSync(join(dir, 'cert.pem'));
      key = readFileSync(join(dir, 'key.pem'));
    } catch {
      cert = undefined;
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('connects over TLS trusting tls.ca_file, and fails (retryable) without it', async (t) => {
    if (cert === undefined || key === undefined) {
      t.skip('openssl not available');
      return;
    }
    const server = http2.createSecureServer({ cert, key });
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on('session', (s) => sessions.add(s));
    server.on('stream', (stream) => {
      stream.on('data', () => {});
      stream.on('end', () => respondOk(stream));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const d = createDefaultConfig();
      const base = config(`127.0.0.1:${port}`);
      await withExporter({ ...base, tls: { ...d.tls, ca_file: join(dir, 'cert.pem') } }, 'traces', async (exp, s) => {
        await exp.consume(traces(2));
        assert.equal(sent(s), 2);
      });
      const noRetry = { ...base, tls: d.tls, retry_on_failure: { ...base.retry_on_failure, enabled: false } };
      await withExporter(noRetry, 'traces', async (exp) => {
        await assert.rejects(exp.consume(traces(1)), (e: unknown) => e instanceof PipelineError && !e.permanent);
      });
    } finally {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('otlp gRPC exporter against a @grpc/grpc-js server (independent peer)', () => {
  const server = new grpc.Server();
  let port = 0;
  const received: Array<{ message: Buffer; tenant: string }> = [];
  let mode: 'ok' | 'unavailable-once' | 'invalid' = 'ok';
  let calls = 0;

  before(async () => {
    const passThrough = (b: Buffer): Buffer => b;
    server.addService(
      {
        Export: {
          path: OTLP_GRPC_PATHS.traces,
          requestStream: false,
          responseStream: false,
          requestSerialize: passThrough,
          requestDeserialize: passThrough,
          responseSerialize: passThrough,
          responseDeserialize: passThrough,
        },
      },
      {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          calls++;
          received.push({ message: call.request, tenant: String(call.metadata.get('x-tenant')[0] ?? '') });
          if (mode === 'unavailable-once' && calls === 1) {
            const md = new grpc.Metadata();
            md.set('grpc-status-details-bin', Buffer.from(encodeRpcStatus(GrpcStatus.UNAVAILABLE, 'busy', 150)));
            callback({ code: grpc.status.UNAVAILABLE, details: 'busy', metadata: md });
            return;
          }
          if (mode === 'invalid') {
            callback({ code: grpc.status.INVALID_ARGUMENT, details: 'no resource spans' });
            return;
          }
          callback(null, Buffer.alloc(0));
        },
      },
    );
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err === null ? resolve(p) : reject(err),
      ),
    );
  });
  after(() => server.forceShutdown());
  beforeEach(() => {
    received.length = 0;
    calls = 0;
    mode = 'ok';
  });

  it('grpc-js decodes our gzip request and its metadata', async () => {
    await withExporter(config(`127.0.0.1:${port}`, { headers: { 'x-tenant': 'acme' } }), 'traces', async (exp, s) => {
      await exp.consume(traces(4));
      assert.equal(received.length, 1);
      assert.equal(received[0]?.tenant, 'acme');
      assert.deepEqual(spanNames(received[0]?.message as Buffer), ['span-0', 'span-1', 'span-2', 'span-3']);
      assert.equal(sent(s), 4);
    });
  });

  it('honours grpc-js RetryInfo on UNAVAILABLE, then succeeds', async () => {
    mode = 'unavailable-once';
    await withExporter(config(`127.0.0.1:${port}`), 'traces', async (exp, s) => {
      const t0 = performance.now();
      await exp.consume(traces(1));
      assert.ok(performance.now() - t0 >= 140);
      assert.equal(calls, 2);
      assert.equal(sent(s), 1);
    });
  });

  it('treats grpc-js INVALID_ARGUMENT as permanent', async () => {
    mode = 'invalid';
    await withExporter(config(`127.0.0.1:${port}`, { compression: 'none' }), 'traces', async (exp) => {
      await assert.rejects(exp.consume(traces(1)), /INVALID_ARGUMENT: no resource spans/);
      assert.equal(calls, 1);
    });
  });
});

describe('otlp gRPC exporter: factory and config', () => {
  before(() => {
    if (!FormatRegistry.Has('duration')) FormatRegistry.Set('duration', () => true);
  });

  it('declares type, stability, a strict schema and secret headers', () => {
    const f = otlpExporterFactory;
    assert.equal(f.type, 'otlp');
    assert.deepEqual(Object.keys(f.stability).sort(), ['logs', 'metrics', 'traces']);
    const d = f.createDefaultConfig();
    assert.ok(Value.Check(f.configSchema, { ...d, endpoint: '127.0.0.1:4317' }));
    assert.ok(!Value.Check(f.configSchema, { ...d, endpoint: '127.0.0.1:4317', tls: { insecur: true } }));
    const headers = (f.configSchema as unknown as { properties: { headers: Record<string, unknown> } }).properties
      .headers;
    assert.equal(headers['x-sensitive'], true);
    assert.equal(d.tls.insecure, false);
    assert.equal(d.compression, 'gzip');
  });

  it('parses endpoints: host:port, [ipv6]:port, http:// (plaintext), https:// (TLS)', () => {
    assert.deepEqual(parseEndpoint('127.0.0.1:4317', true), {
      host: '127.0.0.1',
      port: 4317,
      secure: false,
      authority: 'http://127.0.0.1:4317',
    });
    assert.equal((parseEndpoint('collector:4317', false) as { secure: boolean }).secure, true);
    assert.equal((parseEndpoint('http://collector:4317', false) as { secure: boolean }).secure, false);
    assert.equal((parseEndpoint('https://collector:4317/', true) as { secure: boolean }).secure, true);
    assert.equal((parseEndpoint('[::1]:4317', true) as { host: string }).host, '::1');
    assert.equal(typeof parseEndpoint('collector', true), 'string');
    assert.equal(typeof parseEndpoint('grpc://collector:4317', true), 'string');
    assert.equal(typeof parseEndpoint('collector:99999', true), 'string');
  });

  it('validate: endpoint required and well-formed, reserved metadata refused', () => {
    const v = (c: Partial<OtlpGrpcExporterConfig>): string =>
      (otlpExporterFactory.validate?.({ ...createDefaultConfig(), ...c }) ?? [])
        .map((p) => `${p.path.join('.')}: ${p.message}`)
        .join('\n');
    assert.match(v({}), /^endpoint: required/);
    assert.equal(v({ endpoint: '127.0.0.1:4317' }), '');
    assert.match(v({ endpoint: 'localhost' }), /not host:port/);
    assert.match(v({ endpoint: 'a:1', headers: { 'grpc-timeout': '1S' } }), /headers.grpc-timeout/);
    assert.match(v({ endpoint: 'a:1', headers: { 'Content-Type': 'x' } }), /headers.Content-Type/);
    assert.match(v({ endpoint: 'a:1', headers: { 'bad key!': 'x' } }), /invalid metadata key/);
  });
});
