// The `prometheus` receiver factory: scrapes Prometheus / OpenMetrics targets into OTLP metrics.
import type { Consumer, CreateSettings, ReceiverFactory } from '../../component/component.js';
import type { Signal } from '../../pdata/model.js';
import {
  createDefaultPrometheusConfig,
  type PrometheusReceiverConfig,
  PrometheusReceiverConfigSchema,
  resolvePrometheusConfig,
  validatePrometheusConfig,
} from './config.js';
import { PrometheusReceiver } from './receiver.js';

export type { PrometheusReceiverConfig } from './config.js';
export { PrometheusReceiver } from './receiver.js';

type Next = Readonly<Partial<{ [S in Signal]: Consumer<S> }>>;

export const prometheusReceiverFactory: ReceiverFactory<PrometheusReceiverConfig> = {
  kind: 'receiver',
  type: 'prometheus',
  description: 'Scrapes Prometheus text and OpenMetrics targets (static_configs, relabeling) into OTLP metrics.',
  stability: { metrics: 'alpha' },
  configSchema: PrometheusReceiverConfigSchema,
  createDefaultConfig: createDefaultPrometheusConfig,
  validate: validatePrometheusConfig,
  create(settings: CreateSettings, config: PrometheusReceiverConfig, next: Next): PrometheusReceiver {
    const metrics = next.metrics;
    if (metrics === undefined) throw new Error('prometheus receiver: only metrics pipelines are supported');
    return new PrometheusReceiver(settings, resolvePrometheusConfig(config), metrics);
  },
};
