// How a long-lived job (collector, allocator) runs once started: errors that escape are logged and
// the process keeps running; SIGTERM/SIGINT stop the job within a deadline (a second signal exits
// at once); the process stays up meanwhile even when nothing holds a socket open.
import { errorMessage } from '../component/errors.js';
import type { Logger } from '../telemetry/logger.js';

/** What a job's own signal handlers (the collector's SIGHUP reload) may use. */
export interface RunControl {
  /** A stop began (or the job ended itself): do not start anything new. */
  readonly stopping: boolean;
  /** End now with this exit code. */
  exit(code: number): void;
}

export interface RunOptions {
  readonly logger: Logger;
  /** Stops the job; its rejection is logged and ends the process with 1. */
  readonly stop: () => Promise<void>;
  readonly deadlineMs: number;
  /** Installs further handlers once the stop handlers are in place. */
  readonly setup?: (control: RunControl) => void;
}

/** Runs until a stop signal. Resolves with the process exit code. */
export function runUntilStopped(o: RunOptions): Promise<number> {
  const { logger } = o;
  process.on('uncaughtException', (err) => {
    logger.error({ err: errorMessage(err), stack: err.stack }, 'uncaught exception (kept running)');
  });
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: errorMessage(reason) }, 'unhandled promise rejection (kept running)');
  });
  return new Promise<number>((done) => {
    // Signal handlers do not keep Node running: a job whose components hold no socket open (a
    // scrape-only pipeline with own metrics off) would otherwise exit at once with 0.
    const keepAlive = setInterval(() => {}, 1 << 30);
    let stopping = false;
    const control: RunControl = {
      get stopping() {
        return stopping;
      },
      exit(code: number): void {
        stopping = true;
        clearInterval(keepAlive);
        done(code);
      },
    };
    const onStop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second stop signal: exiting now');
        control.exit(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const deadline = setTimeout(() => {
        logger.error({ deadlineMs: o.deadlineMs }, 'shutdown deadline passed; exiting');
        control.exit(1);
      }, o.deadlineMs);
      deadline.unref();
      o.stop().then(
        () => {
          clearTimeout(deadline);
          logger.info('shutdown complete');
          control.exit(0);
        },
        (err: unknown) => {
          clearTimeout(deadline);
          logger.error({ err: errorMessage(err) }, 'shutdown failed');
          control.exit(1);
        },
      );
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    o.setup?.(control);
  });
}
