// For config tests: small fake factories (real TypeBox schemas, no behaviour), temp files, and
// loading that returns issues as text.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type {
  ConfigProblem,
  ExporterFactory,
  ExtensionFactory,
  ProcessorFactory,
  ReceiverFactory,
} from '../component/component.js';
import { type LoadResult, loadConfig } from './load.js';
import { ConfigError, formatIssue } from './resolved.js';
import type { Distribution } from './sections.js';
import type { Env } from './substitute.js';
import { Duration, Endpoint } from './types.js';

const closed = { additionalProperties: false } as const;
const notForTests = (): never => {
  throw new Error('fake factory: create is not used by config tests');
};

const Headers = Type.Record(Type.String(), Type.String());

export const fakeOtlpReceiver: ReceiverFactory = {
  kind: 'receiver',
  type: 'otlp',
  description: 'fake OTLP receiver',
  stability: { traces: 'stable', metrics: 'stable', logs: 'beta' },
  configSchema: Type.Object(
    {
      endpoint: Endpoint('listen address', '127.0.0.1:4317'),
      timeout: Duration('read timeout', '5s'),
      compression: Type.Union([Type.Literal('gzip'), Type.Literal('zstd'), Type.Literal('none')], { default: 'gzip' }),
      max_size: Type.Integer({ minimum: 1, default: 4 }),
      headers: Type.Optional(Headers),
      tls: Type.Optional(
        Type.Object(
          {
            insecure: Type.Boolean({ default: false }),
            key_pem: Type.Optional(Type.String({ 'x-sensitive': true })),
          },
          closed,
        ),
      ),
    },
    closed,
  ),
  createDefaultConfig: () => ({ endpoint: '127.0.0.1:4317', timeout: '5s', compression: 'gzip', max_size: 4 }),
  create: notForTests,
};

export const fakeStatsdReceiver: ReceiverFactory = {
  kind: 'receiver',
  type: 'statsd',
  description: 'fake StatsD receiver',
  stability: { metrics: 'beta' },
  configSchema: Type.Object({ endpoint: Endpoint('listen address', '127.0.0.1:8125') }, closed),
  createDefaultConfig: () => ({ endpoint: '127.0.0.1:8125' }),
  create: notForTests,
};

interface BatchConfig {
  readonly send_batch_size: number;
  readonly send_batch_max_size: number;
}

export const fakeBatchProcessor: ProcessorFactory = {
  kind: 'processor',
  type: 'batch',
  description: 'fake batch processor',
  stability: { traces: 'stable', metrics: 'stable', logs: 'stable' },
  configSchema: Type.Object(
    {
      timeout: Duration('flush interval', '200ms'),
      send_batch_size: Type.Integer({ minimum: 1, default: 8192 }),
      send_batch_max_size: Type.Integer({ minimum: 0, default: 0 }),
    },
    closed,
  ),
  createDefaultConfig: () => ({ timeout: '200ms', send_batch_size: 8192, send_batch_max_size: 0 }),
  validate(config: unknown): ConfigProblem[] {
    const c = config as BatchConfig;
    return c.send_batch_max_size > 0 && c.send_batch_max_size < c.send_batch_size
      ? [{ path: ['send_batch_max_size'], message: 'must be greater than or equal to send_batch_size' }]
      : [];
  },
  create: notForTests,
};

export const fakeOtlpExporter: ExporterFactory = {
  kind: 'exporter',
  type: 'otlp',
  description: 'fake OTLP exporter',
  stability: { traces: 'stable', metrics: 'stable', logs: 'stable' },
  configSchema: Type.Object(
    {
      endpoint: Type.String({ minLength: 1 }),
      headers: Type.Optional(Headers),
      api_key: Type.Optional(Type.String({ 'x-sensitive': true })),
      sending_queue: Type.Optional(
        Type.Object(
          { enabled: Type.Boolean({ default: true }), queue_size: Type.Integer({ minimum: 1, default: 1000 }) },
          closed,
        ),
      ),
    },
    closed,
  ),
  createDefaultConfig: () => ({}),
  create: notForTests,
};

export const fakeDebugExporter: ExporterFactory = {
  kind: 'exporter',
  type: 'debug',
  description: 'fake debug exporter',
  stability: { traces: 'alpha', metrics: 'alpha', logs: 'alpha' },
  configSchema: Type.Object(
    {
      verbosity: Type.Union([Type.Literal('basic'), Type.Literal('normal'), Type.Literal('detailed')], {
        default: 'basic',
      }),
    },
    closed,
  ),
  createDefaultConfig: () => ({ verbosity: 'basic' }),
  create: notForTests,
};

export const fakeHealthCheck: ExtensionFactory = {
  kind: 'extension',
  type: 'health_check',
  description: 'fake health check',
  stability: 'beta',
  configSchema: Type.Object({ endpoint: Endpoint('listen address', '127.0.0.1:13133') }, closed),
  createDefaultConfig: () => ({ endpoint: '127.0.0.1:13133' }),
  create: notForTests,
};

export const fakeDistribution: Distribution = {
  receivers: [fakeOtlpReceiver, fakeStatsdReceiver],
  processors: [fakeBatchProcessor],
  exporters: [fakeOtlpExporter, fakeDebugExporter],
  extensions: [fakeHealthCheck],
};

export interface TempFiles {
  /** Absolute path of a file written by `write`. */
  path(name: string): string;
  write(name: string, text: string): string;
  remove(): void;
}

export function tempFiles(): TempFiles {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-config-test-'));
  const path = (name: string): string => join(dir, name);
  return {
    path,
    write(name, text) {
      writeFileSync(path(name), text);
      return path(name);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface LoadArgs {
  readonly sources: readonly string[];
  readonly sets?: readonly string[];
  readonly env?: Env;
  readonly distribution?: Distribution;
}

export function load(args: LoadArgs): Promise<LoadResult> {
  return loadConfig({
    sources: args.sources,
    sets: args.sets ?? [],
    env: args.env ?? {},
    distribution: args.distribution ?? fakeDistribution,
  });
}

/** The formatted issues of a load that must fail (errors first, then `warning: ...`). */
export async function loadErrors(args: LoadArgs): Promise<string[]> {
  try {
    await load(args);
  } catch (e) {
    if (e instanceof ConfigError) return e.message.split('\n');
    throw e;
  }
  throw new Error('expected a ConfigError');
}

export function formatted(issues: LoadResult['warnings']): string[] {
  return issues.map(formatIssue);
}

/** A valid pipeline block to append to configs under test. */
export const PIPELINE = `service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debug]
`;
