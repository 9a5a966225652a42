#!/usr/bin/env node
// argv -> commands. Exit codes live only here: 0 ok, 1 runtime failure, 64 usage, 78 config error.
import { Command, CommanderError, Option } from 'commander';
import { stringify as yamlStringify } from 'yaml';
import { errorMessage } from '../component/errors.js';
import { redactConfig } from '../config/index.js';
import { ConfigError, formatIssue } from '../config/resolved.js';
import { distribution } from '../distribution.js';
import { createLogger } from '../telemetry/logger.js';
import { MetricsRegistry } from '../telemetry/metrics.js';
import { runAllocator } from './allocator.js';
import { buildService, resolveConfig, runCollector } from './collector.js';
import { componentsReport } from './components.js';

export const EXIT = { OK: 0, FAILURE: 1, USAGE: 64, CONFIG: 78 } as const;

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function configOptions(cmd: Command): Command {
  return cmd
    .option(
      '--config <uri>',
      'config file path or URI (file:PATH, env:VAR, yaml:key::sub: value); repeat to merge',
      collect,
      [],
    )
    .option('--set <key=value>', 'override one setting (processors.batch.timeout=2s); repeat as needed', collect, []);
}

interface ConfigFlags {
  config: string[];
  set: string[];
}

function printConfigError(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`configuration has ${err.issues.filter((i) => i.severity === 'error').length} error(s):\n`);
    for (const issue of err.issues) process.stderr.write(`  ${formatIssue(issue)}\n`);
    return EXIT.CONFIG;
  }
  process.stderr.write(`error: ${errorMessage(err)}\n`);
  return EXIT.FAILURE;
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'verify') return (await import('./verify.js')).verifyMain(argv.slice(1));
  let code: number = EXIT.OK;
  const program = new Command('switchyard')
    .description('A telemetry pipeline for moving to OpenTelemetry without losing your alerting.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();

  configOptions(program.command('collector', { isDefault: true }).description('run the pipeline')).action(
    async (opts: ConfigFlags) => {
      code = await runCollector({ configs: opts.config, sets: opts.set });
    },
  );

  configOptions(
    program.command('validate').description('check a config: the same graph build as `collector`, nothing started'),
  ).action(async (opts: ConfigFlags) => {
    const { config, warnings } = await resolveConfig({ configs: opts.config, sets: opts.set });
    buildService(config, createLogger({ level: 'silent' }), new MetricsRegistry());
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(
      `config is valid: ${config.service.pipelines.length} pipeline(s): ${config.service.pipelines.map((p) => p.key).join(', ')}\n`,
    );
  });

  program
    .command('allocator')
    .description('run the target allocator: shard scrape targets over a fleet of collectors')
    .requiredOption('--config <file>', 'allocator config file')
    .option('--listen-address <host:port>', 'HTTP listen address (overrides listen_addr; default 127.0.0.1:8080)')
    .addOption(
      new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'),
    )
    .action(async (opts: { config: string; listenAddress?: string; logLevel: 'debug' | 'info' | 'warn' | 'error' }) => {
      code = await runAllocator(opts);
    });

  // `verify` is dispatched above (its usage errors exit 78, not 64); listed here for `--help`.
  program
    .command('verify')
    .description('compare telemetry before and after a migration (see `switchyard verify --help`)')
    .allowUnknownOption()
    .helpOption(false);

  program
    .command('components')
    .description('list every component: kind, type, signals and stability')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'yaml', 'json']).default('text'))
    .action((opts: { format: 'text' | 'yaml' | 'json' }) => {
      process.stdout.write(componentsReport(distribution, opts.format));
    });

  configOptions(program.command('print-config').description('print the resolved config (secrets redacted)'))
    .addOption(new Option('--mode <mode>', 'secrets').choices(['redacted', 'unredacted']).default('redacted'))
    .addOption(new Option('--format <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action(async (opts: ConfigFlags & { mode: string; format: string }) => {
      const { merged } = await resolveConfig({ configs: opts.config, sets: opts.set });
      const shown = opts.mode === 'redacted' ? redactConfig(merged, distribution) : merged;
      process.stdout.write(opts.format === 'json' ? `${JSON.stringify(shown, null, 2)}\n` : yamlStringify(shown));
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    return printConfigError(err);
  }
  return code;
}

// Run when executed as the binary (not when imported by tests).
const invokedAs = process.argv[1] ?? '';
if (invokedAs.endsWith('/cli/main.js') || invokedAs.endsWith('/switchyard')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`fatal: ${errorMessage(err)}\n`);
      process.exit(EXIT.FAILURE);
    },
  );
}
