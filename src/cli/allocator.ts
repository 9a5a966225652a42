// `switchyard allocator --config FILE [--listen-address HOST:PORT]`: the target allocator service.
// Config errors throw ConfigError (exit 78 in main); SIGTERM/SIGINT stop it cleanly.
import { loadAllocatorConfig } from '../allocator/config.js';
import { startAllocator } from '../allocator/service.js';
import { createLogger } from '../telemetry/logger.js';
import { runUntilStopped } from './lifecycle.js';

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
  return runUntilStopped({ logger, deadlineMs: SHUTDOWN_DEADLINE_MS, stop: () => running.stop() });
}
