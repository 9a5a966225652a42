// The `otlp` receiver: OTLP over gRPC (raw node:http2) and over HTTP/1.1 (node:http), one server
// pair per receiver id serving every signal some pipeline uses it for.
import type { Consumer, CreateSettings, Host, Receiver, ReceiverFactory } from '../../component/component.js';
import { ReceiverHelper } from '../../helpers/receiverhelper.js';
import type { Signal } from '../../pdata/model.js';
import {
  createDefaultOtlpConfig,
  type OtlpReceiverConfig,
  OtlpReceiverConfigSchema,
  type ResolvedOtlpConfig,
  resolveOtlpConfig,
  validateOtlpConfig,
} from './config.js';
import { OtlpGrpcServer } from './grpc.js';
import { OtlpHttpServer } from './http.js';

export type { OtlpReceiverConfig } from './config.js';

type Next = Readonly<Partial<{ [S in Signal]: Consumer<S> }>>;

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
}

export class OtlpReceiver implements Receiver {
  private grpc: OtlpGrpcServer | undefined;
  private http: OtlpHttpServer | undefined;
  private host: Host | undefined;
  private readonly bound: { grpc?: BoundAddress; http?: BoundAddress } = {};
  private state: 'new' | 'starting' | 'started' | 'stopped' = 'new';

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: ResolvedOtlpConfig,
    private readonly next: Next,
  ) {}

  async start(host: Host): Promise<void> {
    if (this.state !== 'new') throw new Error('otlp receiver: start called twice');
    this.state = 'starting';
    this.host = host;
    const getHost = () => this.host;
    const { settings, config, next } = this;
    try {
      if (config.grpc !== undefined) {
        const grpc = new OtlpGrpcServer({
          config: config.grpc,
          next,
          helper: new ReceiverHelper({ settings, transport: 'grpc' }),
          host: getHost,
        });
        this.grpc = grpc;
        const a = await grpc.listen();
        this.bound.grpc = { host: a.address, port: a.port };
      }
      if (config.http !== undefined) {
        const http = new OtlpHttpServer({
          config: config.http,
          next,
          helper: new ReceiverHelper({ settings, transport: 'http' }),
          host: getHost,
        });
        this.http = http;
        const a = await http.listen();
        this.bound.http = { host: a.address, port: a.port };
      }
    } catch (err) {
      await this.shutdown();
      throw err;
    }
    this.state = 'started';
    settings.logger.info(
      {
        grpc: this.bound.grpc === undefined ? undefined : `${this.bound.grpc.host}:${this.bound.grpc.port}`,
        http: this.bound.http === undefined ? undefined : `${this.bound.http.host}:${this.bound.http.port}`,
        signals: Object.keys(next),
      },
      'OTLP receiver listening',
    );
  }

  async shutdown(): Promise<void> {
    this.state = 'stopped';
    const grpc = this.grpc;
    const http = this.http;
    this.grpc = undefined;
    this.http = undefined;
    await Promise.all([grpc?.close(), http?.close()]);
  }

  /** Bound addresses (after start): the real ports when the config asked for port 0. */
  addresses(): { readonly grpc?: BoundAddress; readonly http?: BoundAddress } {
    return { ...this.bound };
  }
}

export const otlpReceiverFactory: ReceiverFactory<OtlpReceiverConfig> = {
  kind: 'receiver',
  type: 'otlp',
  description: 'Receives OTLP traces, metrics and logs over gRPC and HTTP (protobuf and JSON).',
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  configSchema: OtlpReceiverConfigSchema,
  createDefaultConfig: createDefaultOtlpConfig,
  validate: validateOtlpConfig,
  create(settings: CreateSettings, config: OtlpReceiverConfig, next: Next): OtlpReceiver {
    return new OtlpReceiver(settings, resolveOtlpConfig(config), next);
  },
};
