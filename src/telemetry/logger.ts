// JSON logs (pino) on stderr; one child logger per component.
import { type LevelWithSilent, type Logger, pino } from 'pino';
import type { Kind } from '../component/component.js';
import { type ComponentId, formatComponentId } from '../component/id.js';

export type { Logger };

export interface LoggerOptions {
  readonly level: LevelWithSilent;
  /** Where lines go; defaults to stderr. Tests pass a stream to read them back. */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const dest = opts.destination ?? pino.destination({ fd: 2, sync: true });
  return pino(
    {
      level: opts.level,
      base: { service: 'switchyard' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Secrets never reach the logs, whatever a component passes along.
      redact: {
        paths: ['*.password', '*.token', '*.authorization', '*.Authorization', 'headers.*', '*.headers.*'],
        censor: '[REDACTED]',
      },
    },
    dest,
  );
}

export function componentLogger(root: Logger, kind: Kind, id: ComponentId, signal?: string): Logger {
  const bindings: Record<string, string> = { kind, name: formatComponentId(id) };
  if (signal !== undefined) bindings.signal = signal;
  return root.child(bindings);
}

/** A logger that drops everything (unit tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
