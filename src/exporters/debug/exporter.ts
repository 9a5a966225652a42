// The debug exporter: writes what it receives to stdout (or an injected stream) at one of three
// verbosities, sampled per second like the Collector's. It never fails the pipeline: a write
// error is counted (send_failed, reason=write_error) and logged, not returned.
import type { CreateSettings, Exporter } from '../../component/component.js';
import { errorMessage } from '../../component/errors.js';
import { formatComponentId } from '../../component/id.js';
import { createExporter, DIRECT_SETTINGS, type PartialSendResult } from '../../helpers/exporterhelper/index.js';
import type { Batch } from '../../pdata/batch.js';
import type { Signal } from '../../pdata/model.js';
import type { DebugExporterConfig } from './config.js';
import { detailed, normal, summary } from './render.js';

export interface DebugExporterOptions {
  /** Where the text goes (default process.stdout). */
  readonly out?: NodeJS.WritableStream;
  /** Clock for the sampling window (tests). */
  readonly now?: () => number;
}

export function createDebugExporter<S extends Signal>(
  settings: CreateSettings,
  cfg: DebugExporterConfig,
  signal: S,
  opts: DebugExporterOptions = {},
): Exporter<S> {
  const out = opts.out ?? process.stdout;
  const now = opts.now ?? Date.now;
  const name = formatComponentId(settings.id);
  let windowStart = Number.NEGATIVE_INFINITY;
  let inWindow = 0;
  // Without a listener, an 'error' on stdout (EPIPE) would crash the process.
  const onError = (err: unknown): void => {
    settings.logger.warn({ error: errorMessage(err) }, 'debug exporter output failed');
  };

  const sampled = (): boolean => {
    const t = now();
    if (t - windowStart >= 1000) {
      windowStart = t;
      inWindow = 0;
    }
    inWindow++;
    if (inWindow <= cfg.sampling_initial) return true;
    return (inWindow - cfg.sampling_initial) % cfg.sampling_thereafter === 0;
  };

  const send = async (batch: Batch<S>): Promise<PartialSendResult | undefined> => {
    if (!sampled()) return undefined;
    const text = render(name, cfg.verbosity, batch, new Date(now()));
    try {
      await new Promise<void>((resolve, reject) => {
        out.write(text, (err) => (err === undefined || err === null ? resolve() : reject(err)));
      });
    } catch (err) {
      return { rejectedItems: batch.itemCount, message: errorMessage(err), reason: 'write_error' };
    }
    return undefined;
  };

  return createExporter(settings, signal, DIRECT_SETTINGS, send, {
    start: async () => {
      out.on('error', onError);
    },
    shutdown: async () => {
      out.removeListener('error', onError);
    },
  });
}

/** The text written for one batch (ends with a newline). */
export function render(name: string, verbosity: DebugExporterConfig['verbosity'], batch: Batch, at: Date): string {
  const req = batch.request();
  const head = `${at.toISOString()}\t${name}\t${summary(batch.signal, req)}`;
  switch (verbosity) {
    case 'basic':
      return `${head}\n`;
    case 'normal':
      return `${head}\n${normal(batch.signal, req).join('\n')}\n`;
    case 'detailed':
      return `${head}\n${detailed(batch.signal, req).join('\n')}\n`;
    default:
      throw new Error(`unknown verbosity ${String(verbosity)}`);
  }
}
