import { Command, CommanderError, Option } from 'commander';
import { ERROR_CODES, LeadsyncError, type ErrorCode } from '../core/errors/error-codes.js';
import { ConfigError } from '../config/config-error.js';
import { loadConfig, type LoadedConfig } from '../config/config-loader.js';
import { EXIT, processIo, writeJson, writeLine, type CliIo, type ExitCode } from './cli-io.js';
import { registerApprovalsCommand } from './commands/approvals-command.js';
import { registerAuditCommand } from './commands/audit-command.js';
import { checkCommand } from './commands/check-command.js';
import { checkSchemaSource, registerSchemaCommand } from './commands/schema-command.js';
import { registerDemoCommand } from './commands/demo-command.js';
import { registerTokensCommand } from './commands/tokens-command.js';
import { registerDlqCommand } from './commands/dlq-command.js';
import { dryRunCommand } from './commands/dry-run-command.js';
import { registerIngestCommand } from './commands/ingest-command.js';
import { registerPresetsCommand } from './commands/presets-command.js';
import { normalizeCommand } from './commands/normalize-command.js';
import { registerSendCommand } from './commands/send-command.js';
import { serveCommand } from './commands/serve-command.js';
import { workerCommand } from './commands/worker-command.js';
import { UsageError } from './usage-error.js';
import { packageVersion } from './package-paths.js';

/** Runs the `leadsync` CLI and returns its exit code (0 ok, 1 failed, 2 usage, config or setup error). */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const load = (file: string): Promise<LoadedConfig> => loadConfig(file, { env: io.env });

  const program = new Command('leadsync')
    .description('Sync AI-enriched lead data into CRM fields safely.')
    .version(packageVersion())
    // Program options only before the command, so `presets show --version 2` is the command's own option.
    .enablePositionalOptions()
    .exitOverride()
    .showHelpAfterError('(run the command with --help for its usage)')
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
    .option('--json', 'print JSON (this command always does; accepted like everywhere else)')
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
    .option('--live', 'describe the destination now instead of reading the schema file (`schema pull` writes it)')
    .action(async (options: { config: string; json?: boolean; live?: boolean }) => {
      const config = await load(options.config);
      let against;
      try {
        against = await checkSchemaSource(config, options.live === true, io);
      } catch (error) {
        writeLine(io.stderr, `leadsync check: the ${config.document.destination.kind} destination could not be described: ${error instanceof Error ? error.message : String(error)}`);
        exitCode = EXIT.failed;
        return;
      }
      exitCode = checkCommand(config, options, io, against);
    });

  program
    .command('serve')
    .description('Run the service: HTTP ingest and the worker, on the config\'s storage and CRM.')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .option('--port <n>', 'listen port (default: service.port)')
    .option('--no-worker', 'serve HTTP only; run workers elsewhere')
    .option('--json', 'one JSON line on stdout when listening, one when stopped')
    .action(async (options: { config: string; port?: string; worker: boolean; json?: boolean }) => {
      exitCode = await serveCommand(await load(options.config), options, io);
    });

  program
    .command('worker')
    .description('Run the worker alone (no HTTP), beside `leadsync serve --no-worker`.')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .option('--metrics-port <n>', 'serve Prometheus GET /metrics on this port (default: none)')
    .option('--json', 'one JSON line on stdout when running, one when stopped')
    .action(async (options: { config: string; metricsPort?: string; json?: boolean }) => {
      exitCode = await workerCommand(await load(options.config), options, io);
    });

  const operatorContext = {
    io,
    load,
    setExitCode: (code: ExitCode): void => {
      exitCode = code;
    },
  };
  registerSchemaCommand(program, operatorContext);
  registerDlqCommand(program, operatorContext);
  registerApprovalsCommand(program, operatorContext);
  registerAuditCommand(program, operatorContext);
  registerIngestCommand(program, operatorContext);
  registerSendCommand(program, operatorContext);
  registerDemoCommand(program, operatorContext);
  registerTokensCommand(program, operatorContext);
  registerPresetsCommand(program, operatorContext);
  defaultConfigFile(program);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    const code = reportError(error, io, argv.includes('--json'));
    io.exit?.(code);
    return code;
  }
}

/** The config file a command reads when `--config` is not given. */
export const DEFAULT_CONFIG_FILE = 'leadsync.yaml';
/** Environment variable naming the config file when `--config` is not given. */
export const CONFIG_ENV = 'LEADSYNC_CONFIG';

/**
 * Every `--config <file>` option, whoever registered it, falls back to
 * $LEADSYNC_CONFIG, then ./leadsync.yaml, instead of being required: run
 * from the directory holding the config, no flag is needed.
 */
function defaultConfigFile(command: Command): void {
  for (const option of command.options) {
    if (option.long !== '--config' || !option.mandatory) continue;
    option.makeOptionMandatory(false).default(DEFAULT_CONFIG_FILE).env(CONFIG_ENV);
    // Commander wires defaults and env listeners when an option is added; these two lines do it for this late change.
    command.setOptionValueWithSource(option.attributeName(), DEFAULT_CONFIG_FILE, 'default');
    command.on(`optionEnv:${option.name()}`, (value: string) => command.setOptionValueWithSource(option.attributeName(), value, 'env'));
  }
  for (const sub of command.commands) defaultConfigFile(sub);
}

/**
 * Codes of problems with what the command was given (a bad option value) or the
 * environment it starts in (storage unreachable or unwritable, a port taken): the
 * command could not run, like a usage or config error, so they exit 2 too.
 */
const SETUP_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'STORAGE_UNREACHABLE',
  'STORAGE_AUTH_FAILED',
  'STORAGE_DATABASE_NOT_FOUND',
  'STORAGE_CONNECTION_REJECTED',
  'STORAGE_FILE_UNUSABLE',
  'STORAGE_DISK_FULL',
  'STORAGE_SCHEMA_NEWER',
  'STORAGE_MIGRATION_FAILED',
  'SERVICE_PORT_IN_USE',
  'SERVICE_LISTEN_REFUSED',
  // A `--cursor` no listing handed out is a bad option value, like `--limit many`.
  'PAGE_CURSOR_INVALID',
]);

/** Exit code of a coded error that ended a command: 2 when it could not run (usage, config, setup), else 1. */
function exitCodeFor(code: ErrorCode): ExitCode {
  return code.startsWith('CONFIG_') || code === 'USAGE_INVALID' || SETUP_CODES.has(code) ? EXIT.usage : EXIT.failed;
}

/**
 * Prints why the command could not run and what to do next, on stderr; with
 * `--json` also one `{"ok": false, "error": {...}}` object on stdout, so a
 * script always gets JSON there. Usage, config and setup errors exit 2, other
 * coded errors and anything unexpected 1.
 */
function reportError(error: unknown, io: CliIo, json: boolean): ExitCode {
  const fail = (exit: ExitCode, code: string, message: string, fix?: string): ExitCode => {
    if (json) writeJson(io.stdout, { ok: false, error: { code, message, ...(fix === undefined ? {} : { fix }) }, exitCode: exit });
    return exit;
  };
  if (error instanceof CommanderError) {
    // --help and --version end through here with exit code 0; commander has already printed its message.
    if (error.exitCode === 0) return EXIT.ok;
    return fail(EXIT.usage, 'USAGE_INVALID', error.message.replace(/^error: /, ''), ERROR_CODES.USAGE_INVALID.fix);
  }
  if (error instanceof ConfigError) {
    const notFound = error.code === 'CONFIG_FILE_NOT_FOUND';
    const file = error.issues[0]?.file ?? DEFAULT_CONFIG_FILE;
    const fix = notFound
      ? `pass --config <file> (or set ${CONFIG_ENV}), or create ${DEFAULT_CONFIG_FILE} here — examples/leadsync.yaml is a working start; see docs/config.md`
      : `${ERROR_CODES[error.code].fix} See docs/config.md.`;
    writeLine(io.stderr, notFound ? `${error.code}: config not found: ${file} — ${error.issues[0]?.message ?? 'cannot read it'}` : `${error.code}: ${error.message}`);
    writeLine(io.stderr, `  fix: ${fix}`);
    return fail(EXIT.usage, error.code, notFound ? `config not found: ${file}` : error.message, fix);
  }
  if (error instanceof UsageError) {
    writeLine(io.stderr, `leadsync: ${error.message}`);
    return fail(EXIT.usage, 'USAGE_INVALID', error.message);
  }
  if (error instanceof LeadsyncError) {
    // A known problem: one line saying what and where, one saying what to do; no stack trace.
    const fix = `${ERROR_CODES[error.code].fix} See docs/errors.md.`;
    writeLine(io.stderr, `${error.code}: ${error.message}`);
    writeLine(io.stderr, `  fix: ${fix}`);
    return fail(exitCodeFor(error.code), error.code, error.message, fix);
  }
  writeLine(io.stderr, `leadsync: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  writeLine(io.stderr, '  leadsync did not expect this (known problems such as storage that cannot be reached or a port in use have codes of their own): it is likely a bug; please report it with the lines above');
  return fail(EXIT.failed, 'CLI_UNEXPECTED', error instanceof Error ? error.message : String(error), ERROR_CODES.CLI_UNEXPECTED.fix);
}
