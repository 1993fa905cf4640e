import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { issueApiToken } from '../../app/api-token-actions.js';
import type { LoadedConfig } from '../../config/config-loader.js';
import { API_ROLES, isApiRole, type ApiRole } from '../../core/auth/api-roles.js';
import { EXIT, writeJson, writeLine, type CliIo, type ExitCode } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { withRuntime } from '../runtime-session.js';
import { textTable } from '../text-table.js';
import { UsageError } from '../usage-error.js';

interface CommonOptions {
  readonly config: string;
  readonly json?: boolean;
}

/** Registers `leadsync tokens create|list|revoke`: API tokens of the HTTP API and dashboard, on the config's storage. */
export function registerTokensCommand(program: Command, context: CommandContext): void {
  const { io } = context;
  const tokens = program.command('tokens').description('API tokens for the HTTP API and the dashboard (roles: viewer < operator < admin). Acts on the storage directly.');

  tokens
    .command('create')
    .description('Create a token and print it once; only its SHA-256 is stored.')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .requiredOption('--name <name>', 'who uses it; recorded as the audit actor of what it does')
    .requiredOption('--role <role>', API_ROLES.join(', '))
    .option('--dry-run', 'check the name and role; create nothing')
    .option('--json', 'print JSON')
    .action(async (options: CommonOptions & { name: string; role: string; dryRun?: boolean }) => {
      const config = await context.load(options.config);
      context.setExitCode(await createCommand(config, options, io));
    });

  tokens
    .command('list')
    .description('Every token, active and revoked (never the secret).')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .option('--json', 'print JSON')
    .action(async (options: CommonOptions) => {
      const config = await context.load(options.config);
      context.setExitCode(await listCommand(config, options, io));
    });

  tokens
    .command('revoke')
    .description('Revoke a token by id or name; requests with it are refused at once.')
    .argument('<idOrName>', 'token id or name (from `leadsync tokens list`)')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .option('--dry-run', 'say which token would be revoked; change nothing')
    .option('--json', 'print JSON')
    .action(async (idOrName: string, options: CommonOptions & { dryRun?: boolean }) => {
      const config = await context.load(options.config);
      context.setExitCode(await revokeCommand(config, idOrName, options, io));
    });
}

function parseRole(value: string): ApiRole {
  if (isApiRole(value)) return value;
  throw new UsageError(`--role must be one of ${API_ROLES.join(', ')}, got "${value}"`);
}

async function createCommand(config: LoadedConfig, options: CommonOptions & { name: string; role: string; dryRun?: boolean }, io: CliIo): Promise<ExitCode> {
  const role = parseRole(options.role);
  return withRuntime(config, async (runtime) => {
    if (options.dryRun) {
      const taken = (await runtime.storage.apiTokens.list()).find((token) => token.name === options.name.trim() && token.revokedAt === null);
      if (options.json) writeJson(io.stdout, { status: taken ? 'name_taken' : 'dry_run', name: options.name.trim(), role }, true);
      else writeLine(taken ? io.stderr : io.stdout, taken ? `leadsync: an active token is already named "${taken.name}" (AUTH_TOKEN_NAME_TAKEN); revoke it first or choose another name.` : `Dry run — nothing was created. ${/^[aeiou]/.test(role) ? 'An' : 'A'} ${role} token named "${options.name.trim()}" can be created.`);
      return taken ? EXIT.failed : EXIT.ok;
    }
    const outcome = await issueApiToken({ tokens: runtime.storage.apiTokens, now: () => new Date(), randomBytes: () => randomBytes(32) }, { name: options.name, role });
    switch (outcome.status) {
      case 'invalid_name':
        throw new UsageError(outcome.message);
      case 'name_taken':
        if (options.json) writeJson(io.stdout, { status: 'name_taken', code: 'AUTH_TOKEN_NAME_TAKEN', existing: outcome.existing }, true);
        else writeLine(io.stderr, `leadsync: an active token is already named "${outcome.existing.name}" (AUTH_TOKEN_NAME_TAKEN). Revoke it with: leadsync tokens revoke "${outcome.existing.name}" --config ${config.file}`);
        return EXIT.failed;
      case 'created':
        if (options.json) {
          writeJson(io.stdout, { status: 'created', token: outcome.token, secret: outcome.secret }, true);
        } else {
          writeLine(io.stdout, `Created ${outcome.token.role} token ${outcome.token.id} for ${outcome.token.name}. It is shown this once; only its hash is stored:`);
          writeLine(io.stdout, outcome.secret);
          writeLine(io.stdout, `Use it as "Authorization: Bearer <token>", or log in to the dashboard with it.`);
        }
        return EXIT.ok;
    }
  });
}

async function listCommand(config: LoadedConfig, options: CommonOptions, io: CliIo): Promise<ExitCode> {
  return withRuntime(config, async (runtime) => {
    const items = await runtime.storage.apiTokens.list();
    if (options.json) {
      writeJson(io.stdout, { items }, true);
      return EXIT.ok;
    }
    if (items.length === 0) {
      writeLine(io.stdout, `No tokens yet. \`leadsync serve\` creates an admin token at its first start, or: leadsync tokens create --config ${config.file} --name <who> --role admin`);
      return EXIT.ok;
    }
    const rows = [['ID', 'NAME', 'ROLE', 'CREATED', 'LAST USED', 'STATE']];
    for (const token of items) rows.push([token.id, token.name, token.role, token.createdAt.toISOString(), token.lastUsedAt?.toISOString() ?? '-', token.revokedAt ? `revoked ${token.revokedAt.toISOString()}` : 'active']);
    writeLine(io.stdout, textTable(rows));
    return EXIT.ok;
  });
}

async function revokeCommand(config: LoadedConfig, idOrName: string, options: CommonOptions & { dryRun?: boolean }, io: CliIo): Promise<ExitCode> {
  return withRuntime(config, async (runtime) => {
    if (options.dryRun) {
      const all = await runtime.storage.apiTokens.list();
      const token = all.find((candidate) => candidate.id === idOrName) ?? all.find((candidate) => candidate.name === idOrName && candidate.revokedAt === null);
      if (options.json) writeJson(io.stdout, token ? { status: 'dry_run', token } : { status: 'not_found', code: 'AUTH_TOKEN_NOT_FOUND' }, true);
      else if (token) writeLine(io.stdout, `Dry run — nothing was changed. Token ${token.id} (${token.name}, ${token.role}) ${token.revokedAt ? 'is already revoked' : 'would be revoked'}.`);
      else writeLine(io.stderr, `leadsync: no token with id or name "${idOrName}" (AUTH_TOKEN_NOT_FOUND). List them with: leadsync tokens list --config ${config.file}`);
      return token ? EXIT.ok : EXIT.failed;
    }
    const outcome = await runtime.storage.apiTokens.revoke(idOrName, new Date());
    if (options.json) {
      writeJson(io.stdout, outcome.status === 'not_found' ? { status: 'not_found', code: 'AUTH_TOKEN_NOT_FOUND' } : outcome, true);
      return outcome.status === 'not_found' ? EXIT.failed : EXIT.ok;
    }
    switch (outcome.status) {
      case 'not_found':
        writeLine(io.stderr, `leadsync: no token with id or name "${idOrName}" (AUTH_TOKEN_NOT_FOUND). List them with: leadsync tokens list --config ${config.file}`);
        return EXIT.failed;
      case 'already_revoked':
        writeLine(io.stdout, `Token ${outcome.token.id} (${outcome.token.name}) was already revoked at ${outcome.token.revokedAt?.toISOString() ?? '?'}; nothing changed.`);
        return EXIT.ok;
      case 'revoked':
        writeLine(io.stdout, `Revoked token ${outcome.token.id} (${outcome.token.name}, ${outcome.token.role}); requests with it are refused from now on.`);
        return EXIT.ok;
    }
  });
}
