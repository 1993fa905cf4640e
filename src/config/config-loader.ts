import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import type { CrmSchema } from '../core/crm-schema/crm-schema-types.js';
import type { ErrorCode } from '../core/errors/error-codes.js';
import type { MappingTable } from '../core/mapping/mapping-types.js';
import type { FieldPolicy } from '../core/merge/plan-types.js';
import type { NormalizerOverrides } from '../core/normalize/normalizer-types.js';
import { ConfigError, formatPath, type ConfigIssue } from './config-error.js';
import {
  crmSchemaDocument,
  leadsyncConfig,
  mappingConfig,
  type LeadsyncConfigDocument,
  type SourceConfig,
} from './config-schema.js';
import { compileCrmSchema, compileMappingTable, PICKS_BY_KIND } from './config-compiler.js';
import { maskSecrets, substituteEnv } from './env-substitution.js';
import { SOURCE_PRESETS } from './presets/source-presets.js';
import { parseYamlSource, type YamlSource } from './yaml-source.js';

/** A source ready to run: its config and its compiled mapping table. */
export interface RuntimeSource {
  readonly name: string;
  readonly config: SourceConfig;
  readonly mapping: MappingTable;
}

/** The whole config, validated, cross-checked and compiled. */
export interface LoadedConfig {
  readonly file: string;
  readonly document: LeadsyncConfigDocument;
  readonly schema: CrmSchema;
  readonly sources: ReadonlyMap<string, RuntimeSource>;
  readonly policies: { readonly default: FieldPolicy; readonly fields: Readonly<Record<string, FieldPolicy>> };
  readonly normalizers: NormalizerOverrides;
  /** Values that came from environment variables; masked wherever we print. */
  readonly secrets: ReadonlySet<string>;
}

export interface LoadConfigOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The config file validated, without its CRM schema, mappings compiled: what `leadsync schema pull` needs before a schema exists. */
export interface ConfigDocument {
  readonly file: string;
  readonly document: LeadsyncConfigDocument;
  readonly secrets: ReadonlySet<string>;
}

/** Reads and validates `leadsync.yaml` alone (env substituted, zod-checked). Throws ConfigError listing every issue found. */
export async function loadConfigDocument(file: string, options: LoadConfigOptions = {}): Promise<ConfigDocument & { readonly source: YamlSource }> {
  const env = options.env ?? process.env;
  const source = parseYamlSource(file, await readText(file));
  const { value, secrets } = substituteEnv(source.data, env, file, (path) => source.locate(path));
  try {
    const document = parseWith(leadsyncConfig, value, source, 'CONFIG_INVALID');
    refuseTwoStorages(document, value, source);
    return { file, document, secrets, source };
  } catch (error) {
    throw maskError(error, secrets);
  }
}

/** Reads, validates and compiles `leadsync.yaml`. Throws ConfigError listing every issue found. */
export async function loadConfig(file: string, options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const { document, secrets, source } = await loadConfigDocument(file, options);

  const schema = await loadSchema(document, source);
  const issues: ConfigIssue[] = [];
  const sources = new Map<string, RuntimeSource>();
  for (const [name, sourceConfig] of Object.entries(document.sources)) {
    const mapping = resolveMapping(name, sourceConfig, document, source, schema, issues);
    if (mapping) sources.set(name, { name, config: sourceConfig, mapping });
  }
  checkPolicies(document, source, issues);
  if (issues.length > 0) throw maskError(new ConfigError('CONFIG_REFERENCE_INVALID', issues), secrets);

  return {
    file,
    document,
    schema,
    sources,
    policies: { default: document.policies.default, fields: document.policies.fields },
    normalizers: (document.normalizers ?? {}),
    secrets,
  };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError('CONFIG_FILE_NOT_FOUND', [{ file, path: '', message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})` }], { cause: error });
  }
}

/**
 * `storage.url` and `storage.file` both set in the file: the URL wins and the file would be ignored without a word, so
 * the config is refused. `storage.file` has a default, hence the raw value is looked at. An empty URL (`${DATABASE_URL:-}`
 * with the variable unset) means the file, so that pattern stays allowed.
 */
function refuseTwoStorages(document: LeadsyncConfigDocument, raw: unknown, source: YamlSource): void {
  const storage = (raw as { storage?: unknown } | null)?.storage;
  const fileGiven = typeof storage === 'object' && storage !== null && 'file' in storage;
  if (!fileGiven || document.storage.url === undefined || document.storage.url === '') return;
  throw new ConfigError('CONFIG_INVALID', [{
    file: source.file,
    ...source.locate(['storage', 'file']),
    path: 'storage.file',
    message: 'set together with storage.url: leadsync would use PostgreSQL at storage.url and ignore the SQLite file; remove one of them',
  }]);
}

function parseWith<S extends z.ZodType>(schema: S, value: unknown, source: YamlSource, code: ErrorCode, basePath: readonly (string | number)[] = []): z.output<S> {
  // reportInput: an issue carries the value it is about, so a wrong type is told apart from a missing key.
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue): ConfigIssue => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = [...basePath, ...(issue.path as (string | number)[]), ...(keys.length === 1 ? keys : [])];
    return { file: source.file, ...source.locate(path), path: formatPath(path), message: describeIssue(issue) };
  });
  throw new ConfigError(code, issues);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'invalid_type') return `expected ${issue.expected}${issue.input === undefined ? ' (missing)' : `, got ${describeInput(issue.input)}`}`;
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const first = issue.errors.map((branch) => branch[0]?.message).filter(Boolean);
    return `${issue.message}: ${[...new Set(first)].join('; or ')}`;
  }
  return issue.message;
}

/** What a wrong-typed value was, in YAML's words; a secret substituted from the environment is masked by the caller (maskError). */
function describeInput(input: unknown): string {
  if (input === null) return 'null (an empty value)';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return `the text ${JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input)}`;
  if (typeof input === 'number' || typeof input === 'boolean') return `${typeof input} ${String(input)}`;
  return typeof input;
}

/** Where a config's CRM schema file is: `destination.schemaFile`, or for a real CRM the file `leadsync schema pull` writes. Undefined for an inline schema. */
export function schemaFileOf(document: LeadsyncConfigDocument, configFile: string): string | undefined {
  if (document.destination.schema) return undefined;
  // resolve, not join: an absolute schemaFile stays as given.
  return resolve(dirname(configFile), document.destination.schemaFile ?? pulledSchemaPath(document.destination.kind));
}

/** The file `leadsync schema pull` writes by default, relative to the config file. */
export function pulledSchemaPath(kind: string): string {
  return join('schema', `${kind}.pulled.yaml`);
}

async function loadSchema(document: LeadsyncConfigDocument, source: YamlSource): Promise<CrmSchema> {
  if (document.destination.schema) return compileCrmSchema(document.destination.schema);
  const schemaFile = schemaFileOf(document, source.file) ?? '';
  if (document.destination.schemaFile === undefined) {
    let text: string;
    try {
      text = await readFile(schemaFile, 'utf8');
    } catch (error) {
      const message = `no CRM schema yet for destination ${document.destination.kind}: run \`leadsync schema pull --config ${source.file}\` (writes ${schemaFile}), or set destination.schemaFile`;
      throw new ConfigError('CONFIG_REFERENCE_INVALID', [{ file: source.file, ...source.locate(['destination']), path: 'destination.schemaFile', message }], { cause: error });
    }
    const pulled = parseYamlSource(schemaFile, text);
    return compileCrmSchema(parseWith(crmSchemaDocument, pulled.data, pulled, 'CONFIG_INVALID'));
  }
  const schemaSource = parseYamlSource(schemaFile, await readText(schemaFile));
  return compileCrmSchema(parseWith(crmSchemaDocument, schemaSource.data, schemaSource, 'CONFIG_INVALID'));
}

function resolveMapping(
  name: string,
  sourceConfig: SourceConfig,
  document: LeadsyncConfigDocument,
  source: YamlSource,
  schema: CrmSchema,
  issues: ConfigIssue[],
): MappingTable | undefined {
  const at = (path: (string | number)[], message: string): void => {
    issues.push({ file: source.file, ...source.locate(path), path: formatPath(path), message });
  };
  let mappingName: string;
  let mappingPath: (string | number)[];
  let mapping;
  if (sourceConfig.mapping !== undefined) {
    mappingName = sourceConfig.mapping;
    mappingPath = ['mappings', mappingName];
    mapping = document.mappings[mappingName];
    if (!mapping) {
      at(['sources', name, 'mapping'], `no mapping "${mappingName}" under mappings (defined: ${Object.keys(document.mappings).join(', ') || 'none'})`);
      return undefined;
    }
  } else if (sourceConfig.preset !== undefined) {
    const preset = SOURCE_PRESETS[sourceConfig.preset];
    if (!preset) {
      at(['sources', name, 'preset'], `no preset "${sourceConfig.preset}" (presets: ${Object.keys(SOURCE_PRESETS).join(', ')})`);
      return undefined;
    }
    mappingName = `preset:${sourceConfig.preset}`;
    mappingPath = ['sources', name, 'preset'];
    mapping = mappingConfig.parse(preset);
  } else {
    at(['sources', name], 'set `mapping` (a name under mappings) or `preset`');
    return undefined;
  }

  const before = issues.length;
  for (const [objectName, objectMapping] of Object.entries(mapping.objects)) {
    const objectPath = [...mappingPath, ...(sourceConfig.mapping ? ['objects', objectName] : [])];
    if (!schema.objects[objectName]) {
      at(objectPath, `the CRM schema has no object "${objectName}" (objects: ${Object.keys(schema.objects).join(', ')})`);
      continue;
    }
    if (!objectMapping.fields.some((field) => field.to === objectMapping.match)) {
      at([...objectPath, 'match'], `the match field "${objectMapping.match}" is not among the mapped fields`);
    }
    objectMapping.fields.forEach((field, index) => {
      const fieldPath = sourceConfig.mapping ? [...objectPath, 'fields', index] : objectPath;
      if (field.from === undefined && field.default === undefined) at(fieldPath, `field "${field.to}" needs \`from\` or \`default\``);
      if (field.pick !== undefined) {
        if (!field.normalize) at([...fieldPath, ...(sourceConfig.mapping ? ['pick'] : [])], `field "${field.to}": \`pick\` needs \`normalize\``);
        else if (!PICKS_BY_KIND[field.normalize].includes(field.pick)) {
          at([...fieldPath, ...(sourceConfig.mapping ? ['pick'] : [])], `field "${field.to}": the ${field.normalize} normalizer has no output "${field.pick}" (outputs: ${PICKS_BY_KIND[field.normalize].join(', ')})`);
        }
      }
    });
  }
  if (issues.length > before) return undefined;
  return compileMappingTable(mappingName, mapping);
}

function checkPolicies(document: LeadsyncConfigDocument, source: YamlSource, issues: ConfigIssue[]): void {
  const sourceNames = Object.keys(document.sources);
  const check = (policy: FieldPolicy, path: (string | number)[]): void => {
    policy.precedence?.forEach((name, index) => {
      if (!sourceNames.includes(name)) {
        const at = [...path, 'precedence', index];
        issues.push({ file: source.file, ...source.locate(at), path: formatPath(at), message: `no source "${name}" (sources: ${sourceNames.join(', ')})` });
      }
    });
  };
  check(document.policies.default, ['policies', 'default']);
  for (const [key, policy] of Object.entries(document.policies.fields)) check(policy, ['policies', 'fields', key]);
}

function maskError(error: unknown, secrets: ReadonlySet<string>): unknown {
  if (!(error instanceof ConfigError) || secrets.size === 0) return error;
  return new ConfigError(
    error.code,
    error.issues.map((issue) => ({ ...issue, message: maskSecrets(issue.message, secrets) })),
  );
}
