// The `statsd` receiver: UDP, TCP (newline-delimited) or unixgram listener, per-interval aggregation,
// one metrics batch per interval to the pipeline, last interval flushed on shutdown.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import type { Consumer, CreateSettings, Host, Receiver } from '../../component/component.js';
import { memoryRefusal, ReceiverHelper } from '../../helpers/receiverhelper.js';
import { Batch } from '../../pdata/batch.js';
import type { KeyValue } from '../../pdata/model.js';
import type { CounterSeries } from '../../telemetry/metrics.js';
import { listen } from '../../transport/listen.js';
import { Aggregator, type RefuseReason } from './aggregate.js';
import type { ResolvedStatsdConfig } from './config.js';
import { type ErrorCallback, parsePacket } from './parse.js';

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
  readonly path: string;
}

/** The subset of the `unix-dgram` package's socket used here. */
interface UnixDgramSocket {
  on(event: 'message', cb: (buf: Buffer) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  on(event: 'listening', cb: () => void): void;
  bind(path: string): void;
  close(): void;
}
interface UnixDgramModule {
  createSocket(type: 'unix_dgram'): UnixDgramSocket;
}

const UDP_RECV_BUFFER = 8 * 1024 * 1024;
/** How often the memory guard verdict is refreshed (checked per datagram from a cached value). */
const GUARD_REFRESH_MS = 250;

export class StatsdReceiver implements Receiver {
  private readonly helper: ReceiverHelper;
  private readonly agg: Aggregator;
  private readonly linesAccepted: CounterSeries;
  private udp: Socket | undefined;
  private unix: UnixDgramSocket | undefined;
  private tcp: Server | undefined;
  private readonly conns = new Set<TcpSocket>();
  private timer: NodeJS.Timeout | undefined;
  private guardTimer: NodeJS.Timeout | undefined;
  private refusing = false;
  private host: Host | undefined;
  private bound: BoundAddress = { host: '', port: 0, path: '' };
  private state: 'new' | 'started' | 'stopped' = 'new';
  private flushing: Promise<void> = Promise.resolve();
  private readonly onParseError: ErrorCallback;
  private readonly noAttrs = (): KeyValue[] => [];
  private readonly onFlushError = (err: unknown): void => {
    this.helper.log.error('flush', { error: String(err) }, 'statsd flush failed');
  };

  constructor(
    settings: CreateSettings,
    private readonly config: ResolvedStatsdConfig,
    private readonly next: Consumer<'metrics'>,
  ) {
    this.helper = new ReceiverHelper({ settings, transport: config.transport });
    this.agg = new Aggregator(config, (reason, count, detail) => this.refuse(reason, count, detail));
    this.onParseError = (line, reason, message) => this.refuse(reason, 1, `line ${line}: ${message}`);
    this.linesAccepted = settings.metrics
      .counter(
        'switchyard_statsd_lines_total',
        'StatsD lines aggregated (refused lines are in otelcol_receiver_refused_metric_points_total).',
      )
      .with({ receiver: this.helper.receiver, transport: config.transport });
  }

  private refuse(reason: RefuseReason, count: number, detail: string): void {
    this.helper.refused('metrics', reason, count);
    this.helper.warn(`line:${reason}`, { reason }, `refused a statsd line: ${detail}`);
  }

  async start(host: Host): Promise<void> {
    if (this.state !== 'new') throw new Error('statsd receiver: start called twice');
    this.host = host;
    const c = this.config;
    try {
      switch (c.transport) {
        case 'udp':
          await this.startUdp();
          break;
        case 'tcp':
          await this.startTcp();
          break;
        case 'unixgram':
          await this.startUnix();
          break;
        default: {
          const never: never = c.transport;
          throw new Error(`unknown transport ${String(never)}`);
        }
      }
    } catch (err) {
      this.closeListeners();
      this.state = 'stopped';
      throw err;
    }
    this.state = 'started';
    this.timer = setInterval(() => {
      this.flushing = this.flushing.then(() => this.flush()).catch(this.onFlushError);
    }, c.intervalMs);
    this.timer.unref();
    if (host.memoryGuard() !== undefined) {
      this.guardTimer = setInterval(() => {
        this.refusing = memoryRefusal(this.host) !== undefined;
      }, GUARD_REFRESH_MS);
      this.guardTimer.unref();
    }
    this.helper.logger.info(
      {
        transport: c.transport,
        endpoint: c.transport === 'unixgram' ? this.bound.path : `${this.bound.host}:${this.bound.port}`,
        aggregation_interval_ms: c.intervalMs,
      },
      'StatsD receiver listening',
    );
  }

  /** Bound address after start (the real port when the config asked for port 0). */
  address(): BoundAddress {
    return this.bound;
  }

  /** Parses and aggregates one datagram (or decoded TCP chunk) from `clientKey`. */
  private ingest(buf: Buffer, clientKey: string, attrs: () => KeyValue[]): void {
    if (this.refusing) {
      this.helper.badRequest('memory_limit', 'memory limiter is over its soft limit: datagram dropped');
      return;
    }
    parsePacket(buf, this.agg.forClient(clientKey, attrs), this.onParseError);
  }

  private clientKey(address: string, port: number): string {
    if (this.config.ignoreHost) return '';
    return this.config.ipOnly ? address : `${address}:${port}`;
  }

  private clientAttrs(address: string, port: number): () => KeyValue[] {
    if (this.config.ignoreHost) return this.noAttrs;
    return () => {
      const a: KeyValue[] = [{ key: 'client.address', value: address }];
      if (!this.config.ipOnly) a.push({ key: 'client.port', value: BigInt(port) });
      return a;
    };
  }

  private async startUdp(): Promise<void> {
    const c = this.config;
    const sock = createSocket({ type: c.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: UDP_RECV_BUFFER });
    this.udp = sock;
    // The common case is a few long-lived clients: reuse the key and attribute closure of the previous sender.
    let lastAddress = '';
    let lastPort = -1;
    let lastKey = '';
    let lastAttrs: () => KeyValue[] = this.noAttrs;
    sock.on('message', (buf: Buffer, rinfo: RemoteInfo) => {
      if (rinfo.port !== lastPort || rinfo.address !== lastAddress) {
        lastAddress = rinfo.address;
        lastPort = rinfo.port;
        lastKey = this.clientKey(rinfo.address, rinfo.port);
        lastAttrs = this.clientAttrs(rinfo.address, rinfo.port);
      }
      this.ingest(buf, lastKey, lastAttrs);
    });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(c.port, c.host, () => {
        sock.off('error', reject);
        sock.on('error', (err) => this.helper.warn('socket', { error: err.message }, 'statsd UDP socket error'));
        resolve();
      });
    });
    const a = sock.address();
    this.bound = { host: a.address, port: a.port, path: '' };
  }

  private async startTcp(): Promise<void> {
    const c = this.config;
    const server = createServer((conn) => this.serveTcp(conn));
    this.tcp = server;
    const a = await listen(server, c.port, c.host, (err) =>
      this.helper.warn('socket', { error: err.message }, 'statsd TCP server error'),
    );
    this.bound = { host: a.address, port: a.port, path: '' };
  }

  private serveTcp(conn: TcpSocket): void {
    if (this.state === 'stopped') {
      conn.destroy();
      return;
    }
    this.conns.add(conn);
    const address = conn.remoteAddress ?? '';
    const port = conn.remotePort ?? 0;
    const key = this.clientKey(address, port);
    const attrs = this.clientAttrs(address, port);
    const max = this.config.maxLineLength;
    let pending: Buffer | undefined;
    let discarding = false;
    conn.on('data', (chunk: Buffer) => {
      let data = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
      pending = undefined;
      if (discarding) {
        const nl = data.indexOf(10);
        if (nl === -1) return;
        discarding = false;
        data = data.subarray(nl + 1);
      }
      const last = data.lastIndexOf(10);
      let tail: Buffer;
      if (last === -1) {
        tail = data;
      } else {
        const whole = data.subarray(0, last);
        // Lines over the limit inside a chunk are refused; the rest is parsed as one text.
        if (whole.length > max) this.ingestBounded(whole, key, attrs);
        else if (whole.length > 0) this.ingest(whole, key, attrs);
        tail = data.subarray(last + 1);
      }
      if (tail.length > max) {
        this.refuse('line_too_long', 1, `TCP line longer than ${max} bytes`);
        discarding = true;
      } else if (tail.length > 0) {
        pending = Buffer.from(tail);
      }
    });
    conn.on('end', () => {
      if (pending !== undefined && pending.length > 0) this.ingest(pending, key, attrs);
      pending = undefined;
      conn.end();
    });
    conn.on('error', (err) => this.helper.warn('conn', { error: err.message }, 'statsd TCP connection error'));
    conn.on('close', () => this.conns.delete(conn));
  }

  /** Several lines, some possibly longer than max_line_length: each long line is refused on its own. */
  private ingestBounded(buf: Buffer, key: string, attrs: () => KeyValue[]): void {
    const max = this.config.maxLineLength;
    let start = 0;
    let runStart = 0;
    while (start <= buf.length) {
      let end = buf.indexOf(10, start);
      if (end === -1) end = buf.length;
      if (end - start > max) {
        if (start > runStart) this.ingest(buf.subarray(runStart, start - 1), key, attrs);
        this.refuse('line_too_long', 1, `TCP line longer than ${max} bytes`);
        runStart = end + 1;
      }
      start = end + 1;
    }
    if (runStart < buf.length) this.ingest(buf.subarray(runStart), key, attrs);
  }

  private async startUnix(): Promise<void> {
    const c = this.config;
    let mod: UnixDgramModule;
    try {
      mod = createRequire(import.meta.url)('unix-dgram') as UnixDgramModule;
    } catch (err) {
      throw new Error(
        `statsd receiver: transport unixgram needs the npm package 'unix-dgram' (npm i unix-dgram): ${(err as Error).message}`,
      );
    }
    try {
      if (lstatSync(c.path).isSocket()) unlinkSync(c.path);
    } catch {
      // absent: nothing to clean up
    }
    const sock = mod.createSocket('unix_dgram');
    this.unix = sock;
    sock.on('message', (buf: Buffer) => this.ingest(buf, '', this.noAttrs));
    await new Promise<void>((resolve, reject) => {
      let bound = false;
      sock.on('error', (err: Error) => {
        if (!bound) reject(err);
        else this.helper.warn('socket', { error: err.message }, 'statsd unixgram socket error');
      });
      sock.on('listening', () => {
        bound = true;
        resolve();
      });
      sock.bind(c.path);
    });
    chmodSync(c.path, c.socketMode);
    this.bound = { host: '', port: 0, path: c.path };
  }

  /** Sends the interval aggregated so far down the pipeline (exposed for tests and shutdown). */
  async flush(): Promise<void> {
    const accepted = this.agg.acceptedLines;
    this.agg.acceptedLines = 0;
    if (accepted > 0) this.linesAccepted.add(accepted);
    const req = this.agg.flush(Date.now());
    if (req === undefined) return;
    await this.helper.consume(this.next, Batch.fromRequest('metrics', req));
  }

  private closeListeners(): void {
    const udp = this.udp;
    this.udp = undefined;
    udp?.close();
    const unix = this.unix;
    this.unix = undefined;
    if (unix !== undefined) {
      unix.close();
      try {
        unlinkSync(this.config.path);
      } catch {
        // already gone
      }
    }
    const tcp = this.tcp;
    this.tcp = undefined;
    tcp?.close();
    for (const conn of this.conns) conn.destroy();
    this.conns.clear();
  }

  async shutdown(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopped';
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.guardTimer !== undefined) clearInterval(this.guardTimer);
    this.closeListeners();
    this.flushing = this.flushing.then(() => this.flush()).catch(this.onFlushError);
    await this.flushing;
  }
}
