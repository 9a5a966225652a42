// file exporter config (the Collector's fileexporter shape, the parts we implement).
import { type Static, Type } from '@sinclair/typebox';
import type { ConfigProblem } from '../../component/component.js';
import { Duration } from '../../config/types.js';

export const RotationSettings = Type.Object(
  {
    max_megabytes: Type.Integer({
      minimum: 1,
      default: 100,
      description: 'Rotate when the file would grow past this size (MiB).',
    }),
    max_days: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Delete backups older than this many days; 0 = keep regardless of age.',
    }),
    max_backups: Type.Integer({ minimum: 0, default: 100, description: 'Backups to keep; 0 = keep all.' }),
    localtime: Type.Boolean({ default: false, description: 'Local time instead of UTC in backup file names.' }),
  },
  { additionalProperties: false, description: 'Size-based rotation: the full file is renamed to <name>-<time>.<ext>.' },
);

export const FileConfigSchema = Type.Object(
  {
    path: Type.String({
      default: '',
      description: 'File to append to (required). Exporters with the same path share one writer.',
    }),
    format: Type.Union([Type.Literal('json'), Type.Literal('proto')], {
      default: 'json',
      description:
        'json: one OTLP/JSON Export*ServiceRequest per line; proto: each request prefixed by its 4-byte big-endian length.',
    }),
    rotation: Type.Optional(RotationSettings),
    flush_interval: Duration(
      'How often buffered data is written out; 0 = write every batch before acknowledging it.',
      '1s',
    ),
  },
  { additionalProperties: false },
);

export type FileExporterConfig = Static<typeof FileConfigSchema>;
export type RotationConfig = Static<typeof RotationSettings>;

export function createDefaultConfig(): FileExporterConfig {
  return { path: '', format: 'json', flush_interval: '1s' };
}

export function validate(cfg: FileExporterConfig): ConfigProblem[] {
  if (cfg.path.trim() === '')
    return [{ path: ['path'], message: 'required: the file to write to (e.g. ./out/traces.jsonl)' }];
  return [];
}
