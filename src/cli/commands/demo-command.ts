import { readdir, readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runDemo, type DemoFixture, type DemoPost } from '../../app/fixture-demo.js';
import type { LoadedConfig, RuntimeSource } from '../../config/config-loader.js';
import { LeadsyncApiClient } from '../../server/leadsync-api-client.js';
import { ingestSourceFor } from '../../server/runtime.js';
import { EXIT, writeJson, writeLine, type CliIo, type ExitCode } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { DEMO_CONFIG, FIXTURES_DIR } from '../package-paths.js';
import { serviceAddress, unreachableError } from '../service-address.js';
import { UsageError } from '../usage-error.js';

export interface DemoOptions {
  readonly url?: string;
  readonly timeout?: string;
  readonly json?: boolean;
  /** List the fixtures and where they would go; post nothing. (Default: false) */
  readonly dryRun?: boolean;
}

/** Fields shown for each written record, in this order, when present: HubSpot property names, then Salesforce field API names. */
const SHOWN_FIELDS = [
  'firstname', 'lastname', 'jobtitle', 'seniority', 'company', 'name', 'country', 'region', 'lifecyclestage', 'lead_source', 'hubspot_owner_id',
  'FirstName', 'LastName', 'Title', 'Seniority__c', 'Company', 'Name', 'Country', 'Industry', 'LeadSource', 'Status',
];

/** Registers `leadsync demo`. */
export function registerDemoCommand(program: Command, context: CommandContext): void {
  program
    .command('demo')
    .description('Post every preset fixture to a running service, wait for the worker, and show what landed.')
    .option('--config <file>', 'leadsync.yaml (default: the package\'s examples/leadsync.yaml, which `npm start` serves)')
    .option('--url <url>', 'the service (default: http://<service.host>:<service.port> of the config)')
    .option('--timeout <seconds>', 'how long to wait for the worker (default: 30)')
    .option('--dry-run', 'list the fixtures and where they would be posted; post nothing')
    .option('--json', 'print the outcome as JSON')
    .action(async (options: DemoOptions & { config?: string }) => {
      context.setExitCode(await demoCommand(await context.load(options.config ?? DEMO_CONFIG), options, context.io));
    });
}

/**
 * `leadsync demo [--config F] [--url U] [--timeout S] [--json]`: posts every
 * preset fixture to a running service, signed as its provider would, waits
 * for the worker, and shows what landed: records, DLQ items, approvals.
 * Exit 0 when every fixture was accepted and processed in time, 1 otherwise.
 */
export async function demoCommand(config: LoadedConfig, options: DemoOptions, io: CliIo): Promise<ExitCode> {
  const timeoutSeconds = options.timeout === undefined ? 30 : Number(options.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new UsageError(`--timeout must be a positive number of seconds, not "${options.timeout}"`);
  const fixtures = await loadFixtures(config, io);
  if (fixtures.length === 0) throw new UsageError(`no fixture in ${FIXTURES_DIR} has a matching source in ${config.file}`);

  // Reading what landed (DLQ, approvals, leads) needs a viewer token; posting events does not.
  const token = io.env['LEADSYNC_TOKEN']?.trim();
  const api = new LeadsyncApiClient(serviceAddress(config, options.url), token ? { token } : {});
  if (options.dryRun === true) {
    const planned = fixtures.map((fixture) => ({ fixture: fixture.name, source: fixture.source.name, url: `${api.baseUrl}/v1/events/${fixture.source.name}` }));
    if (options.json) writeJson(io.stdout, { ok: true, dryRun: true, url: api.baseUrl, fixtures: planned }, true);
    else {
      writeLine(io.stdout, `Dry run — nothing was posted. leadsync demo would post ${fixtures.length} fixtures to ${api.baseUrl} (config ${config.file}):`);
      for (const item of planned) writeLine(io.stdout, `  ${item.fixture.padEnd(34)} → POST /v1/events/${item.source}`);
    }
    return EXIT.ok;
  }
  await checkReadAccess(api, token, config);
  if (!options.json) writeLine(io.stdout, `leadsync demo: posting ${fixtures.length} fixtures to ${api.baseUrl} (config ${config.file})`);
  const started = performance.now();
  const outcome = await runDemo(fixtures, api, {
    nowMs: Date.now,
    sleep: (ms) => sleep(ms),
    timeoutMs: timeoutSeconds * 1000,
    onPosted: (post) => {
      if (!options.json) writeLine(io.stdout, `  ${post.fixture.padEnd(34)} ${describePost(post)}`);
    },
  });
  if (outcome.kind === 'unreachable') throw unreachableError(outcome);

  const refused = outcome.posts.filter((post) => post.kind === 'refused');
  const ok = refused.length === 0 && outcome.unprocessed.length === 0;
  if (options.json) {
    writeJson(io.stdout, { ok, url: api.baseUrl, ...outcome }, true);
    return ok ? EXIT.ok : EXIT.failed;
  }

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (outcome.unprocessed.length > 0) {
    writeLine(io.stdout, `\nstill queued after ${timeoutSeconds} s: ${outcome.unprocessed.join(', ')} — is a worker running (\`leadsync serve\` without --no-worker)?`);
  } else {
    writeLine(io.stdout, `\nall accepted events processed (${seconds} s)`);
  }
  writeLine(io.stdout, `\nRecords in the CRM (${outcome.leads.length}):`);
  for (const lead of outcome.leads) writeLine(io.stdout, `  ${lead.leadKey}\n      ${describeFields(lead.properties)}`);
  writeLine(io.stdout, `\nDead-letter queue (${outcome.deadLetters.length}):`);
  for (const item of outcome.deadLetters) writeLine(io.stdout, `  ${item.fixture}  ${item.errorCode}  ${item.leadKey}\n      ${item.message}`);
  writeLine(io.stdout, `\nApprovals waiting (${outcome.approvals.length}):`);
  for (const item of outcome.approvals) {
    writeLine(io.stdout, `  ${item.fixture}  ${item.leadKey}  ${item.field}: ${show(item.before)} → ${show(item.proposed)} (from ${item.source})`);
  }
  writeLine(io.stdout, `\nLook further: curl -H "Authorization: Bearer $LEADSYNC_TOKEN" ${api.baseUrl}/v1/leads/<leadKey>/audit (or /v1/dlq, /v1/approvals), or the dashboard at ${api.baseUrl}/`);
  if (refused.length > 0) writeLine(io.stderr, `leadsync demo: ${refused.length} fixture${refused.length === 1 ? ' was' : 's were'} not accepted: ${refused.map((post) => `${post.fixture} (${post.code})`).join(', ')}`);
  return ok ? EXIT.ok : EXIT.failed;
}

/**
 * Refuses (exit 2, nothing posted) when the service will not show what landed:
 * without a token every read is a 401, and the demo would wait out its timeout
 * and then blame the worker.
 */
async function checkReadAccess(api: LeadsyncApiClient, token: string | undefined, config: LoadedConfig): Promise<void> {
  const response = await api.get('/v1/approvals?limit=1');
  if (response.kind === 'unreachable') throw unreachableError(response);
  if (response.status !== 401 && response.status !== 403) return;
  const body = response.body !== null && typeof response.body === 'object' ? (response.body as Record<string, unknown>) : {};
  const code = typeof body['code'] === 'string' ? body['code'] : `HTTP ${response.status}`;
  const problem = token
    ? `${api.baseUrl} refused LEADSYNC_TOKEN (${code})`
    : `LEADSYNC_TOKEN is not set, and ${api.baseUrl} shows what landed (records, DLQ, approvals) only to an API token (${code})`;
  throw new UsageError(
    `${problem}; nothing was posted. Set it to the admin token \`leadsync serve\` (npm start) printed at its first start: export LEADSYNC_TOKEN=lsk_…, ` +
      `or create one: leadsync tokens create --config ${config.file} --name demo --role viewer`,
  );
}

/** Every `test/fixtures/<folder>/*.json` whose folder names a configured source (or the preset of one). */
async function loadFixtures(config: LoadedConfig, io: CliIo): Promise<DemoFixture[]> {
  let folders: string[];
  try {
    folders = (await readdir(FIXTURES_DIR, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  } catch (error) {
    throw new UsageError(`cannot read the demo fixtures in ${FIXTURES_DIR} (${(error as NodeJS.ErrnoException).code ?? 'error'}); run the demo from a checkout of leadsync`, { cause: error });
  }
  const fixtures: DemoFixture[] = [];
  for (const folder of folders) {
    const source = sourceForFolder(config, folder);
    if (!source) {
      writeLine(io.stderr, `leadsync demo: skipping fixtures/${folder}: no source named "${folder}" or using preset "${folder}" in ${config.file}`);
      continue;
    }
    const ingestSource = ingestSourceFor(config, source);
    const files = (await readdir(join(FIXTURES_DIR, folder))).filter((name) => name.endsWith('.json')).sort();
    for (const name of files) fixtures.push({ source: ingestSource, name: `${folder}/${name}`, body: await readFile(join(FIXTURES_DIR, folder, name)) });
  }
  return fixtures;
}

function sourceForFolder(config: LoadedConfig, folder: string): RuntimeSource | undefined {
  return config.sources.get(folder) ?? [...config.sources.values()].find((source) => source.config.preset === folder);
}

function describePost(post: DemoPost): string {
  if (post.kind === 'accepted') return `→ ${post.httpStatus} ${post.status} (${post.leadKey})`;
  return `→ ${post.httpStatus} ${post.code}: ${post.message}`;
}

function describeFields(properties: Readonly<Record<string, unknown>>): string {
  const shown = SHOWN_FIELDS.filter((field) => properties[field] !== undefined && properties[field] !== null && properties[field] !== '');
  return shown.length === 0 ? '(no fields)' : shown.slice(0, 7).map((field) => `${field}=${show(properties[field])}`).join('  ');
}

function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '(empty)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
