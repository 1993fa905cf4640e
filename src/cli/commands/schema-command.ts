import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfigDocument, pulledSchemaPath, schemaFileOf, type ConfigDocument, type LoadedConfig } from '../../config/config-loader.js';
import { pulledSchemaDocument, verifyPulledSchema } from '../../config/pulled-schema.js';
import { parseYamlSource } from '../../config/yaml-source.js';
import type { CrmSchema } from '../../core/crm-schema/crm-schema-types.js';
import { describeDestination } from '../../server/schema-discovery.js';
import { EXIT, writeJson, writeLine, type CliIo, type ExitCode } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';

/** `leadsync schema pull`: the destination's schema, described and written as a versioned file. */
export function registerSchemaCommand(program: Command, context: CommandContext): void {
  const schema = program.command('schema').description('CRM schema discovery.');
  schema
    .command('pull')
    .description('Describe the destination (fields, types, picklist options, read-only, unique) and write it as a versioned schema file that check, dry-run and the worker use.')
    .requiredOption('--config <file>', 'leadsync.yaml')
    .option('--out <file>', 'where to write (default: schema/<kind>.pulled.yaml next to the config)')
    .option('--dry-run', 'describe the destination and say what would be written (version, whether it changed); write nothing')
    .option('--json', 'print the result as JSON')
    .action(async (options: { config: string; out?: string; json?: boolean; dryRun?: boolean }) => {
      context.setExitCode(await schemaPullCommand(options, context));
    });
}

async function schemaPullCommand(options: { config: string; out?: string; json?: boolean; dryRun?: boolean }, context: CommandContext): Promise<ExitCode> {
  const { io } = context;
  const document = await loadConfigDocument(options.config, { env: io.env });
  const kind = document.document.destination.kind;
  // The sandbox describes the schema its config declares, so only it needs the whole config loaded.
  const config: ConfigDocument | LoadedConfig = kind === 'sandbox' ? await context.load(options.config) : document;
  let described: CrmSchema;
  try {
    described = await describeDestination(config);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (options.json) writeJson(io.stdout, { ok: false, destination: kind, error: message }, true);
    else writeLine(io.stderr, `leadsync schema pull: the ${kind} destination could not be described: ${message}`);
    return EXIT.failed;
  }
  const pulled = pulledSchemaDocument(described, kind, new Date());
  const out = options.out === undefined ? join(dirname(options.config), pulledSchemaPath(kind)) : resolve(options.out);
  const previous = await previousVersion(out);
  if (options.dryRun === true) {
    const result = { ok: true, dryRun: true, destination: kind, file: out, version: pulled.version, sha256: pulled.sha256, objects: pulled.objects, fields: pulled.fields, previousVersion: previous, changed: previous !== pulled.version };
    if (options.json) writeJson(io.stdout, result, true);
    else writeLine(io.stdout, `Dry run — nothing was written. The ${kind} schema (${pulled.objects} objects, ${pulled.fields} fields) is version ${pulled.version}; ${previous === null ? `${out} does not exist yet` : previous === pulled.version ? `${out} already has it` : `${out} has ${previous}: a pull would change it`}.`);
    return EXIT.ok;
  }
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, pulled.yaml, 'utf8');
  const configured = schemaFileOf(document.document, options.config);
  const used = configured !== undefined && resolve(configured) === resolve(out);
  if (options.json) {
    writeJson(io.stdout, { ok: true, destination: kind, file: out, version: pulled.version, sha256: pulled.sha256, pulledAt: pulled.pulledAt, objects: pulled.objects, fields: pulled.fields, picklistsWithoutOptions: pulled.picklistsWithoutOptions, previousVersion: previous, changed: previous !== pulled.version, usedByConfig: used }, true);
    return EXIT.ok;
  }
  writeLine(io.stdout, `Pulled the ${kind} schema: ${pulled.objects} objects, ${pulled.fields} fields -> ${relative(process.cwd(), out) || out}`);
  writeLine(io.stdout, `version ${pulled.version}  sha256 ${pulled.sha256}`);
  writeLine(io.stdout, previous === null ? 'First pull for this file.' : previous === pulled.version ? 'Unchanged since the last pull.' : `Changed since the last pull (was ${previous}): run \`leadsync check --config ${options.config}\`.`);
  if (pulled.picklistsWithoutOptions.length > 0) {
    writeLine(io.stdout, `Written as string (the CRM lists no options): ${pulled.picklistsWithoutOptions.join(', ')}`);
  }
  if (!used) writeLine(io.stdout, `Note: ${options.config} does not read this file; set destination.schemaFile to use it.`);
  return EXIT.ok;
}

async function previousVersion(file: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const data = parseYamlSource(file, text).data as { version?: unknown } | null;
  const version = data !== null && typeof data === 'object' ? data.version : undefined;
  return typeof version === 'string' || typeof version === 'number' ? String(version) : null;
}

/** Where the schema `check` compares against came from, and whether a pulled file was edited since. */
export interface CheckSchemaSource {
  readonly schema: CrmSchema;
  /** `live` (described just now), `inline`, or the schema file's path. */
  readonly source: string;
  readonly integrity: 'live' | 'inline' | 'unpulled' | 'intact' | 'edited';
}

/** The schema `leadsync check` compares mappings with: the live destination with `--live`, else the config's schema file (the pulled one by default). */
export async function checkSchemaSource(config: LoadedConfig, live: boolean, io: CliIo): Promise<CheckSchemaSource> {
  if (live) return { schema: await describeDestination(config), source: 'live', integrity: 'live' };
  const file = schemaFileOf(config.document, config.file);
  if (file === undefined) return { schema: config.schema, source: 'inline', integrity: 'inline' };
  let integrity: CheckSchemaSource['integrity'] = 'unpulled';
  try {
    integrity = verifyPulledSchema(parseYamlSource(file, await readFile(file, 'utf8')).data);
  } catch (error) {
    // loadConfig read the same file a moment ago; if it is gone now, say so and check against what was loaded.
    writeLine(io.stderr, `leadsync check: could not re-read ${file} to verify its hash: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { schema: config.schema, source: file, integrity };
}
