// The `prometheusremotewrite` receiver factory.
import type { Consumer, CreateSettings, ReceiverFactory } from '../../component/component.js';
import type { Signal } from '../../pdata/model.js';
import { createDefaultConfig, type PrwReceiverConfig, PrwReceiverConfigSchema, resolve, validate } from './config.js';
import { PrwReceiver } from './receiver.js';

type Next = Readonly<Partial<{ [S in Signal]: Consumer<S> }>>;

export const prometheusRemoteWriteReceiverFactory: ReceiverFactory<PrwReceiverConfig> = {
  kind: 'receiver',
  type: 'prometheusremotewrite',
  description:
    'Receives Prometheus remote write 1.0 (POST /api/v1/write, snappy + protobuf) and turns it into OTLP metrics.',
  stability: { metrics: 'alpha' },
  configSchema: PrwReceiverConfigSchema,
  createDefaultConfig,
  validate,
  create(settings: CreateSettings, config: PrwReceiverConfig, next: Next): PrwReceiver {
    const metrics = next.metrics;
    if (metrics === undefined) throw new Error('prometheusremotewrite receiver: only metrics pipelines are supported');
    return new PrwReceiver(settings, resolve(config), metrics);
  },
};
