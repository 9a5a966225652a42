// `switchyard allocator --config FILE [--listen-address HOST:PORT]`: the target allocator service.
// Config errors throw ConfigError (exit 78 in main); SIGTERM/SIGINT stop it cleanly.
import { loadAllocatorConfig } from '../allocator/config.js';
import { startAllocator } from '../allocator/service.js';
import { errorMessage } from '../component/errors.js';
import { createLogger } from '../telemetry/logger.js';

export interface AllocatorArgs {
  readonly config: string;
  readonly listenAddress?: string;
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

const SHUTDOWN_DEADLINE_MS = 10_000;

/** Runs until a signal stops it. Resolves with the process exit code. */
export async function runAllocator(args: AllocatorArgs): Promise<number> {
  const config = loadAllocatorConfig(args.config, {
    ...(args.listenAddress === undefined ? {} : { listenAddress: args.listenAddress }),
  });
  const logger = createLogger({ level: args.logLevel ?? 'info' }).child({ kind: 'allocator' });
  const running = await startAllocator(config, logger);
  process.on('uncaughtException', (err) => {
    logger.error({ err: errorMessage(err), stack: err.stack }, 'uncaught exception (kept running)');
  });
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: errorMessage(reason) }, 'unhandled promise rejection (kept running)');
  });
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onStop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        resolve(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const deadline = setTimeout(() => resolve(1), SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      running.stop().then(
        () => {
          clearTimeout(deadline);
          logger.info('shutdown complete');
          resolve(0);
        },
        (err: unknown) => {
          clearTimeout(deadline);
          logger.error({ err: errorMessage(err) }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
  });
}
