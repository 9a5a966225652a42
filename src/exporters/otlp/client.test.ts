import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { describe, it } from 'node:test';
import { encodeFrame, GrpcStatus } from '../../transport/grpc.js';
import { GrpcClient } from './client.js';
import { type ParsedEndpoint, parseEndpoint } from './config.js';

/** A TCP proxy that can black-hole its connections: bytes stop flowing, sockets stay open. */
async function blackholingProxy(target: number) {
  const conns: net.Socket[] = [];
  let holed = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    conns.push(client, upstream);
    client.on('data', (d) => {
      if (!holed) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!holed) client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => server.connections,
    hole: (on: boolean) => {
      holed = on;
    },
    close: () => {
      for (const c of conns) c.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('GrpcClient', () => {
  it('replaces a half-open connection after a call times out on it', async () => {
    const h2 = http2.createServer();
    h2.on('stream', (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(encodeFrame(new Uint8Array(0), false));
    });
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    const proxy = await blackholingProxy((h2.address() as net.AddressInfo).port);
    const client = new GrpcClient(parseEndpoint(`127.0.0.1:${proxy.port}`, true) as ParsedEndpoint, undefined);
    const call = (ms: number) =>
      client.unary('/svc/Export', {}, encodeFrame(new Uint8Array(0), false), AbortSignal.timeout(ms));
    try {
      assert.equal((await call(2000)).code, GrpcStatus.OK);
      assert.equal(client.sessionsOpened, 1);

      proxy.hole(true);
      await assert.rejects(call(200));
      // The PING sent after the timeout gets no answer either: the session is dropped.
      await new Promise((r) => setTimeout(r, 2500));
      proxy.hole(false);

      assert.equal((await call(2000)).code, GrpcStatus.OK, 'a fresh connection works');
      assert.equal(client.sessionsOpened, 2);
    } finally {
      await client.close(100);
      await proxy.close();
      await new Promise<void>((r) => h2.close(() => r()));
    }
  });

  it('keeps a healthy connection after a call that timed out on a slow server', async () => {
    const h2 = http2.createServer();
    h2.on('stream', () => {
      // never answers this stream; the session itself stays responsive to PING
    });
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    const client = new GrpcClient(
      parseEndpoint(`127.0.0.1:${(h2.address() as net.AddressInfo).port}`, true) as ParsedEndpoint,
      undefined,
    );
    try {
      await assert.rejects(
        client.unary('/svc/Export', {}, encodeFrame(new Uint8Array(0), false), AbortSignal.timeout(300)),
      );
      await new Promise((r) => setTimeout(r, 300));
      await assert.rejects(
        client.unary('/svc/Export', {}, encodeFrame(new Uint8Array(0), false), AbortSignal.timeout(100)),
      );
      assert.equal(client.sessionsOpened, 1, 'the PING was answered: no reconnect');
    } finally {
      await client.close(100);
      h2.close();
    }
  });
});
