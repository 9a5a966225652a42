// The file exporter: appends each batch as one OTLP/JSON Export*ServiceRequest line (or a
// length-prefixed protobuf message) to a file shared by every exporter naming the same path.
// Like the debug exporter it never fails the pipeline: write errors are counted
// (send_failed, reason=write_error) and logged.
import type { CreateSettings, Exporter } from '../../component/component.js';
import { errorMessage, permanentError } from '../../component/errors.js';
import { formatComponentId } from '../../component/id.js';
import { durationMs } from '../../config/types.js';
import {
  createExporter,
  DIRECT_SETTINGS,
  encodeFailure,
  type PartialSendResult,
} from '../../helpers/exporterhelper/index.js';
import { type Batch, itemNoun } from '../../pdata/batch.js';
import type { Signal } from '../../pdata/model.js';
import type { FileExporterConfig } from './config.js';
import { acquireWriter, type SharedFileWriter, type WriterOptions } from './writer.js';

export function writerOptions(cfg: FileExporterConfig): WriterOptions {
  const r = cfg.rotation;
  return {
    format: cfg.format,
    flushIntervalMs: durationMs(cfg.flush_interval),
    ...(r === undefined
      ? {}
      : {
          rotation: {
            maxBytes: r.max_megabytes * 1024 * 1024,
            maxBackups: r.max_backups,
            maxDays: r.max_days,
            localtime: r.localtime,
          },
        }),
  };
}

export function createFileExporter<S extends Signal>(
  settings: CreateSettings,
  cfg: FileExporterConfig,
  signal: S,
): Exporter<S> {
  const opts = writerOptions(cfg);
  const name = formatComponentId(settings.id);
  const noun = itemNoun(signal);
  let writer: SharedFileWriter | undefined;

  const encode = (batch: Batch<S>): Buffer => {
    try {
      if (cfg.format === 'json') return Buffer.from(`${batch.toJson()}\n`, 'utf8');
      const bytes = batch.toProto();
      const out = Buffer.allocUnsafe(4 + bytes.length);
      out.writeUInt32BE(bytes.length, 0);
      out.set(bytes, 4);
      return out;
    } catch (err) {
      throw encodeFailure(err, signal);
    }
  };

  const send = async (batch: Batch<S>): Promise<PartialSendResult | undefined> => {
    if (writer === undefined) throw permanentError('SY_INTERNAL', `exporter ${name} was not started`);
    const items = batch.itemCount;
    const err = await writer.append(encode(batch), () => lateFailures.add(items));
    if (err !== undefined) return { rejectedItems: items, message: errorMessage(err), reason: 'write_error' };
    return undefined;
  };

  const exporter = createExporter(settings, signal, DIRECT_SETTINGS, send, {
    start: async () => {
      writer = await acquireWriter(cfg.path, opts, settings.logger);
    },
    shutdown: async () => {
      const w = writer;
      writer = undefined;
      if (w !== undefined) await w.release();
    },
  });
  // Buffered records that fail later are counted under the series the helper uses (created above).
  const lateFailures = settings.metrics
    .counter(`otelcol_exporter_send_failed_${noun}_total`, '')
    .with({ exporter: name, reason: 'write_error' });
  return exporter;
}
