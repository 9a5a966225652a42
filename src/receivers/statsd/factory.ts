// The `statsd` receiver factory: StatsD / DogStatsD over UDP, TCP or unixgram, aggregated per interval.
import type { Consumer, CreateSettings, ReceiverFactory } from '../../component/component.js';
import type { Signal } from '../../pdata/model.js';
import {
  createDefaultStatsdConfig,
  resolveStatsdConfig,
  type StatsdReceiverConfig,
  StatsdReceiverConfigSchema,
  validateStatsdConfig,
} from './config.js';
import { StatsdReceiver } from './receiver.js';

export type { StatsdReceiverConfig } from './config.js';
export { StatsdReceiver } from './receiver.js';

type Next = Readonly<Partial<{ [S in Signal]: Consumer<S> }>>;

export const statsdReceiverFactory: ReceiverFactory<StatsdReceiverConfig> = {
  kind: 'receiver',
  type: 'statsd',
  description: 'Receives StatsD and DogStatsD metrics over UDP, TCP or unixgram and aggregates them per interval.',
  stability: { metrics: 'alpha' },
  configSchema: StatsdReceiverConfigSchema,
  createDefaultConfig: createDefaultStatsdConfig,
  validate: validateStatsdConfig,
  create(settings: CreateSettings, config: StatsdReceiverConfig, next: Next): StatsdReceiver {
    const metrics = next.metrics;
    if (metrics === undefined) throw new Error('statsd receiver: only metrics pipelines are supported');
    return new StatsdReceiver(settings, resolveStatsdConfig(config), metrics);
  },
};
