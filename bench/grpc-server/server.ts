// One OTLP/gRPC trace server for the bench, in its own process: either @grpc/grpc-js with a
// unary handler, or our otlp receiver (raw node:http2). Both do the same work per call: check
// the message (Batch.fromProto: a wire scan that counts spans), hand it to a no-op consumer, and
// answer an empty ExportTraceServiceResponse. Prints `ready <port>` on stdout.
//
//   node dist/bench/grpc-server/server.js grpc-js|raw-h2
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, status } from '@grpc/grpc-js';
import { pino } from 'pino';
import type { Consumer } from '../../src/component/component.js';
import { Batch } from '../../src/pdata/batch.js';
import { resolveOtlpConfig } from '../../src/receivers/otlp/config.js';
import { OtlpReceiver } from '../../src/receivers/otlp/factory.js';
import { MetricsRegistry } from '../../src/telemetry/metrics.js';
import { OTLP_GRPC_PATHS } from '../../src/transport/grpc.js';

let spans = 0;
let calls = 0;
const sink: Consumer<'traces'> = {
  mutatesData: false,
  async consume(batch) {
    spans += batch.itemCount;
    calls++;
  },
};
const EMPTY = Buffer.alloc(0);

async function startGrpcJs(): Promise<number> {
  const server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024, 'grpc.max_concurrent_streams': 100 });
  server.register(
    OTLP_GRPC_PATHS.traces,
    (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      let batch: Batch<'traces'>;
      try {
        batch = Batch.fromProto('traces', call.request);
      } catch (err) {
        callback({ code: status.INVALID_ARGUMENT, details: String(err) });
        return;
      }
      sink.consume(batch).then(
        () => callback(null, EMPTY),
        (err: unknown) => callback({ code: status.UNAVAILABLE, details: String(err) }),
      );
    },
    (b: Buffer) => b,
    (b: Buffer) => b,
    'unary',
  );
  return new Promise((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => {
      if (err !== null) reject(err);
      else resolve(port);
    });
  });
}

async function startRawH2(): Promise<number> {
  const receiver = new OtlpReceiver(
    {
      id: { type: 'otlp', name: '' },
      kind: 'receiver',
      logger: pino({ level: 'warn' }),
      metrics: new MetricsRegistry(),
    },
    resolveOtlpConfig({ protocols: { grpc: { endpoint: '127.0.0.1:0' } } }),
    { traces: sink },
  );
  await receiver.start({
    reportStatus() {},
    healthy: () => true,
    statuses: () => [],
    memoryGuard: () => undefined,
  });
  return receiver.addresses().grpc?.port ?? 0;
}

const kind = process.argv[2];
const port = kind === 'grpc-js' ? await startGrpcJs() : kind === 'raw-h2' ? await startRawH2() : -1;
if (port < 0) {
  process.stderr.write('usage: server.js grpc-js|raw-h2\n');
  process.exit(2);
}
const cpu0 = process.cpuUsage();
process.stdout.write(`ready ${port}\n`);
process.on('SIGTERM', () => {
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`stats ${JSON.stringify({ spans, calls, cpuUs: cpu.user + cpu.system })}\n`);
  process.exit(0);
});
