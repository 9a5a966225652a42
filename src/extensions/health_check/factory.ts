// The `health_check` extension factory.
import type { ExtensionFactory } from '../../component/component.js';
import { defaultHealthCheckConfig, type HealthCheckConfig, HealthCheckConfigSchema } from './config.js';
import { HealthCheckExtension } from './health_check.js';

export const healthCheckExtensionFactory: ExtensionFactory<HealthCheckConfig> = {
  kind: 'extension',
  type: 'health_check',
  description: 'Serves an HTTP health endpoint (200 when healthy, 503 otherwise) for probes.',
  configSchema: HealthCheckConfigSchema,
  stability: 'beta',
  createDefaultConfig: defaultHealthCheckConfig,
  create(settings, config) {
    return new HealthCheckExtension(settings, config);
  },
};
