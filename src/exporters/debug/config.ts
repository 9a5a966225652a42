// debug exporter config (the Collector's debugexporter shape).
import { type Static, Type } from '@sinclair/typebox';

export const DebugConfigSchema = Type.Object(
  {
    verbosity: Type.Union([Type.Literal('basic'), Type.Literal('normal'), Type.Literal('detailed')], {
      default: 'basic',
      description: 'basic: one summary line per batch; normal: one line per item; detailed: every field of every item.',
    }),
    sampling_initial: Type.Integer({
      minimum: 1,
      default: 2,
      description: 'Batches written in full each second before sampling starts.',
    }),
    sampling_thereafter: Type.Integer({
      minimum: 1,
      default: 1,
      description: 'After sampling_initial, write every Nth batch in that second.',
    }),
  },
  { additionalProperties: false },
);

export type DebugExporterConfig = Static<typeof DebugConfigSchema>;

export function createDefaultConfig(): DebugExporterConfig {
  return { verbosity: 'basic', sampling_initial: 2, sampling_thereafter: 1 };
}
