import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/config-loader.js';
import { tempDirForThisTest } from '../../support/temp-dir.js';

const example = readFileSync('examples/leadsync.yaml', 'utf8');

/** Writes a config (and the example schema beside it) into a temp dir. */
function writeConfig(text: string): string {
  const dir = tempDirForThisTest('leadsync-config-');
  copyFileSync('examples/crm-schema.yaml', join(dir, 'crm-schema.yaml'));
  writeFileSync(join(dir, 'leadsync.yaml'), text);
  return join(dir, 'leadsync.yaml');
}

async function issuesOf(text: string, env: Record<string, string> = {}): Promise<ConfigError> {
  try {
    await loadConfig(writeConfig(text), { env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the config to be refused');
}

describe('loadConfig', () => {
  it('loads the example config with every preset source and the sandbox schema', async () => {
    const config = await loadConfig('examples/leadsync.yaml', { env: {} });
    expect([...config.sources.keys()]).toEqual(['webform', 'segment', 'clearbit', 'apollo', 'pdl', 'zoominfo']);
    expect(config.schema.version).toBe('2026-11-01');
    expect(config.schema.objects['contacts']?.fields['email']).toMatchObject({ type: 'email', required: true, unique: true });
    expect(config.sources.get('webform')?.mapping).toMatchObject({ name: 'preset:webform', version: 1 });
    expect(config.policies.fields['contacts.hubspot_owner_id']).toEqual({ policy: 'approval' });
    expect(config.document.retry).toEqual({ maxRetries: 3, baseDelayMs: 1000, maxDelayMs: 60000, visibilityTimeoutMs: 30000 });
  });

  it('substitutes ${VAR} and ${VAR:-default}, and records substituted values as secrets', async () => {
    const config = await loadConfig('examples/leadsync.yaml', { env: { SEGMENT_SECRET: 's3cr3t-value' } });
    const signature = config.sources.get('segment')?.config.signature;
    expect(signature).toMatchObject({ scheme: 'hmac-sha256', secrets: ['s3cr3t-value'] });
    expect(config.sources.get('pdl')?.config.signature).toMatchObject({ secrets: ['local-pdl-secret'] });
    expect(config.secrets.has('s3cr3t-value')).toBe(true);
  });

  it('names file, line, path and expectation for a wrong enum value', async () => {
    const error = await issuesOf(example.replace('    lane: realtime\n', '    lane: fast\n'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.issues).toHaveLength(1);
    const issue = error.issues[0];
    expect(issue?.path).toBe('sources.webform.lane');
    expect(issue?.message).toContain('"realtime"');
    expect(issue?.line).toBe(example.split('\n').findIndex((line) => line === '    lane: realtime') + 1);
    expect(error.message).toMatch(/leadsync\.yaml:\d+:\d+ sources\.webform\.lane: expected one of "realtime", "batch"/);
  });

  it('says what a wrong-typed value is instead of calling it missing', async () => {
    const text = example.replace(/^( {2}port:) \d+$/m, '$1 eighty');
    expect(text).not.toBe(example);
    const error = await issuesOf(text);
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual(['service.port: expected number, got the text "eighty"']);
    const fractional = await issuesOf(example.replace(/^( {2}port:) \d+$/m, '$1 80.5'));
    expect(fractional.issues[0]?.message).toMatch(/^expected int.*, got number 80\.5$/);
    const absent = await issuesOf(example.replace(/^( {2}maxRetries:) 3$/m, '$1'));
    expect(absent.issues[0]?.message).toMatch(/got null/);
  });

  it('refuses storage.url together with storage.file, but takes an empty url (an unset ${DATABASE_URL:-}) as the file', async () => {
    const both = example.replace(/^( {2}file: .*)$/m, '  url: postgres://leadsync@db.internal/leadsync\n$1');
    expect(both).not.toBe(example);
    const error = await issuesOf(both);
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'storage.file: set together with storage.url: leadsync would use PostgreSQL at storage.url and ignore the SQLite file; remove one of them',
    ]);
    expect(error.issues[0]?.line).toBe(both.split('\n').findIndex((line) => line.startsWith('  file: ')) + 1);
    const fallback = example.replace(/^( {2}file: .*)$/m, '  url: "${DATABASE_URL:-}"\n$1');
    const config = await loadConfig(writeConfig(fallback), { env: {} });
    expect(config.document.storage.file).toBe('./data/leadsync.db');
  });

  it('reports an unknown key at its own line', async () => {
    const error = await issuesOf(example.replace('  maxRetries: 3\n', '  maxRetries: 3\n  maxRetrys: 5\n'));
    expect(error.issues[0]?.path).toBe('retry.maxRetrys');
    expect(error.issues[0]?.message).toBe('unknown key "maxRetrys"');
    expect(error.issues[0]?.line).toBe(example.split('\n').findIndex((line) => line === '  maxRetries: 3') + 2);
  });

  it('reports every issue, not only the first', async () => {
    const broken = example.replace('  port: 8080', '  port: "eighty"').replace('    lane: realtime\n', '    lane: fast\n');
    const error = await issuesOf(broken);
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['service.port', 'sources.webform.lane']);
  });

  it('reports YAML syntax errors with their line', async () => {
    const error = await issuesOf('version: 1\nsources:\n  webform: { preset: webform\n');
    expect(error.code).toBe('CONFIG_YAML_SYNTAX');
    expect(error.issues[0]?.line).toBeGreaterThan(0);
  });

  it('refuses a merge key whose value is not a map as a config error, not a crash', async () => {
    const error = await issuesOf('version: 1\nsources:\n  webform:\n    <<: 5\n    preset: webform\n');
    expect(error.code).toBe('CONFIG_YAML_SYNTAX');
    expect(error.issues[0]?.message).toMatch(/merge/i);
  });

  it('refuses a missing environment variable without a default, naming it and its place', async () => {
    const error = await issuesOf(example.replace('${SEGMENT_SECRET:-local-segment-secret}', '${SEGMENT_SECRET}'));
    expect(error.code).toBe('CONFIG_ENV_MISSING');
    expect(error.issues[0]?.message).toContain('SEGMENT_SECRET');
    expect(error.issues[0]?.path).toBe('sources.segment.signature.secrets.0');
  });

  it('never prints a secret value in an error', async () => {
    const error = await issuesOf(example.replace('  port: 8080', '  port: ${PORT_SECRET}'), { PORT_SECRET: 'hunter2-do-not-print' });
    expect(error.issues[0]?.path).toBe('service.port');
    expect(error.message).not.toContain('hunter2-do-not-print');
  });

  it('refuses references to things the config does not define', async () => {
    const error = await issuesOf(
      example
        .replace('    preset: clearbit\n', '    preset: clearbitt\n')
        .replace('precedence: [webform, segment, zoominfo, clearbit, apollo, pdl] }\n    contacts.job_function', 'precedence: [webform, hubspot] }\n    contacts.job_function'),
    );
    expect(error.code).toBe('CONFIG_REFERENCE_INVALID');
    const messages = error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    expect(messages).toContainEqual(expect.stringMatching(/^sources\.clearbit\.preset: no preset "clearbitt" \(presets: webform, segment, clearbit/));
    expect(messages).toContainEqual(expect.stringMatching(/^policies\.fields\.contacts\.jobtitle\.precedence\[1\]: no source "hubspot"/));
  });

  it('refuses a file that does not exist', async () => {
    await expect(loadConfig('examples/nope.yaml', { env: {} })).rejects.toMatchObject({ code: 'CONFIG_FILE_NOT_FOUND' });
  });

  it('validates the CRM schema file and points into it', async () => {
    const path = writeConfig(example);
    const schemaPath = join(path, '..', 'crm-schema.yaml');
    writeFileSync(schemaPath, readFileSync(schemaPath, 'utf8').replace('demo_requested: { type: bool', 'demo_requested: { type: boolean'));
    await expect(loadConfig(path, { env: {} })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      issues: [expect.objectContaining({ file: schemaPath, path: 'objects.contacts.fields.demo_requested.type' })],
    });
  });
});
