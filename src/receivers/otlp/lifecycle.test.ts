import assert from 'node:assert/strict';
import { connect as h2connect } from 'node:http2';
import { createServer, type Server } from 'node:net';
import { describe, test } from 'node:test';
import { ProtobufTraceSerializer } from 'otlp-decode';
import { encodeFrame, OTLP_GRPC_PATHS } from '../../transport/grpc.js';
import { counter, grpcCall, makeSpans, post, startReceiver } from './testkit.js';

function listening(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

describe('otlp receiver lifecycle', () => {
  test('start fails when a port is taken, and releases the other one', async () => {
    const blocker = await listening(0);
    const taken = (blocker.address() as { port: number }).port;
    const grpcProbe = await listening(0);
    const grpcPort = (grpcProbe.address() as { port: number }).port;
    await new Promise<void>((r) => grpcProbe.close(() => r()));
    try {
      await assert.rejects(
        startReceiver({ grpc: { endpoint: `127.0.0.1:${grpcPort}` }, http: { endpoint: `127.0.0.1:${taken}` } }),
        /EADDRINUSE/,
      );
      // The gRPC server that did start was closed again.
      const again = await listening(grpcPort);
      await new Promise<void>((r) => again.close(() => r()));
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  test('shutdown lets a request in flight finish, then frees the ports; twice is fine', async () => {
    const rx = await startReceiver();
    const body = ProtobufTraceSerializer.serializeRequest(await makeSpans(1)) as Uint8Array;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered = 0;
    const original = rx.traces.consume.bind(rx.traces);
    rx.traces.consume = async (b) => {
      entered++;
      await gate;
      return original(b);
    };
    const httpAnswer = post(rx.httpPort, '/v1/traces', { headers: { 'Content-Type': 'application/x-protobuf' }, body });
    const grpcAnswer = grpcCall(rx.grpcPort, OTLP_GRPC_PATHS.traces, encodeFrame(body, false));
    for (let i = 0; i < 200 && entered < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(entered, 2);
    const stopping = rx.receiver.shutdown();
    setTimeout(release, 100);
    const [h, g] = await Promise.all([httpAnswer, grpcAnswer]);
    await stopping;
    assert.equal(h.status, 200);
    assert.equal(g.status, 0);
    assert.equal(rx.traces.batches.length, 2);
    await rx.receiver.shutdown();
    await assert.rejects(post(rx.httpPort, '/v1/traces', { body }), /ECONNREFUSED/);
    const freed = await listening(rx.grpcPort);
    await new Promise<void>((r) => freed.close(() => r()));
  });

  test('shutdown without start is safe', async () => {
    const { otlpReceiverFactory } = await import('./factory.js');
    const { MetricsRegistry } = await import('../../telemetry/metrics.js');
    const { silentLogger } = await import('../../telemetry/logger.js');
    const r = otlpReceiverFactory.create(
      { id: { type: 'otlp', name: '' }, kind: 'receiver', logger: silentLogger(), metrics: new MetricsRegistry() },
      { protocols: { grpc: null } },
      {},
    );
    await r.shutdown();
    await r.shutdown();
  });

  test('gRPC advertises max_concurrent_streams and drops a stream that never finishes its message', async () => {
    const rx = await startReceiver({
      grpc: { endpoint: '127.0.0.1:0', max_concurrent_streams: 7, stream_timeout: '200ms' },
    });
    try {
      const session = h2connect(`http://127.0.0.1:${rx.grpcPort}`);
      session.on('error', () => {});
      const settings = await new Promise<{ maxConcurrentStreams?: number }>((r) => session.once('remoteSettings', r));
      assert.equal(settings.maxConcurrentStreams, 7);
      const stream = session.request({
        ':method': 'POST',
        ':path': OTLP_GRPC_PATHS.traces,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      stream.on('error', () => {});
      stream.write(Buffer.from([0, 0, 0, 1, 0])); // declares 256 bytes, sends none of them
      const t0 = Date.now();
      await new Promise((r) => stream.once('close', r));
      const waited = Date.now() - t0;
      assert.ok(waited >= 150 && waited < 3000, `closed after ${waited} ms`);
      assert.equal(stream.rstCode, 8); // NGHTTP2_CANCEL
      assert.equal(
        counter(rx.metrics, 'switchyard_receiver_bad_requests_total', {
          receiver: 'otlp',
          transport: 'grpc',
          reason: 'timeout',
        }),
        1,
      );
      session.close();
    } finally {
      await rx.receiver.shutdown();
    }
  });
});
