import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { loadConfig, type LoadedConfig } from '../config/config-loader.js';
import { EXIT, processIo, writeLine, type CliIo, type ExitCode } from './cli-io.js';
import { registerApprovalsCommand } from './commands/approvals-command.js';
import { registerAuditCommand } from './commands/audit-command.js';
import { checkCommand } from './commands/check-command.js';
import { registerDemoCommand } from './commands/demo-command.js';
import { registerDlqCommand } from './commands/dlq-command.js';
import { dryRunCommand } from './commands/dry-run-command.js';
import { registerIngestCommand } from './commands/ingest-command.js';
import { normalizeCommand } from './commands/normalize-command.js';
import { registerSendCommand } from './commands/send-command.js';
import { serveCommand } from './commands/serve-command.js';
import { workerCommand } from './commands/worker-command.js';
import { UsageError } from './usage-error.js';

/** Runs the `leadsync` CLI and returns its exit code (0 ok, 1 failed, 2 usage or config error). */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const load = (file: string): Promise<LoadedConfig> => loadConfig(file, { env: io.env });

  const program = new Command('leadsync')
    .description('Sync AI-enriched lead data into CRM fields safely.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  program
    .command('normalize')
    .description('Normalize one value (or one per stdin line with "-") and print JSON.')
    .argument('<kind>', 'title, country, company, domain, email, phone or intent')
    .argument('<value>', 'the value, or "-" to read one value per line from stdin')
    .option('--country <iso2>', 'country for national phone numbers')
    .action(async (kind: string, value: string, options: { country?: string }) => {
      exitCode = await normalizeCommand(kind, value, options, io);
    });

  program
    .command('dry-run')
    .description('Show the plan an event would produce: changes, skips, approvals, rejections. Writes nothing.')
    .argument('<payload>', 'payload JSON file, or "-" for stdin')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .requiredOption('--source <name>', 'source the payload comes from')
    .option('--current <file>', 'current CRM record(s) as JSON, keyed by object')
    .option('--json', 'print the plan as JSON')
    .action(async (payload: string, options: { config: string; source: string; current?: string; json?: boolean }) => {
      exitCode = await dryRunCommand(await load(options.config), payload, options, io);
    });

  program
    .command('check')
    .description('Check the config and every mapping against the CRM schema before anything is written.')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .addOption(new Option('--json', 'print findings as JSON'))
    .action(async (options: { config: string; json?: boolean }) => {
      exitCode = checkCommand(await load(options.config), options, io);
    });

  program
    .command('serve')
    .description('Run the service: HTTP ingest and the worker, on the config\'s storage and CRM.')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .option('--port <n>', 'listen port (default: service.port)')
    .option('--no-worker', 'serve HTTP only; run workers elsewhere')
    .action(async (options: { config: string; port?: string; worker: boolean }) => {
      exitCode = await serveCommand(await load(options.config), options, io);
    });

  program
    .command('worker')
    .description('Run the worker alone (no HTTP), beside `leadsync serve --no-worker`.')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .action(async (options: { config: string }) => {
      exitCode = await workerCommand(await load(options.config), io);
    });

  const operatorContext = {
    io,
    load,
    setExitCode: (code: ExitCode): void => {
      exitCode = code;
    },
  };
  registerDlqCommand(program, operatorContext);
  registerApprovalsCommand(program, operatorContext);
  registerAuditCommand(program, operatorContext);
  registerIngestCommand(program, operatorContext);
  registerSendCommand(program, operatorContext);
  registerDemoCommand(program, operatorContext);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, io);
  }
}

function reportError(error: unknown, io: CliIo): ExitCode {
  if (error instanceof CommanderError) {
    // --help and --version end through here with exit code 0.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof ConfigError) {
    writeLine(io.stderr, `${error.code}: ${error.message}`);
    return EXIT.usage;
  }
  if (error instanceof UsageError) {
    writeLine(io.stderr, `leadsync: ${error.message}`);
    return EXIT.usage;
  }
  writeLine(io.stderr, `leadsync: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return EXIT.failed;
}
