// The `views` processor factory.
import type { ProcessorFactory } from '../../component/component.js';
import { defaultViewsConfig, type ViewsConfig, ViewsConfigSchema, validateViewsConfig } from './config.js';
import { ViewsProcessor } from './processor.js';

export const viewsProcessorFactory: ProcessorFactory<ViewsConfig> = {
  kind: 'processor',
  type: 'views',
  description:
    'OpenTelemetry SDK views in the pipeline: keep/drop attributes with re-aggregation, rename, drop, change aggregation and temporality, cardinality limits.',
  configSchema: ViewsConfigSchema,
  stability: { metrics: 'development' },
  createDefaultConfig: defaultViewsConfig,
  validate: validateViewsConfig,
  create(settings, config, signal, next) {
    return new ViewsProcessor(settings, config, signal, next);
  },
};
