import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingestEvent } from '../../src/app/event-ingestion.js';
import { processJob } from '../../src/app/job-processor.js';
import { loadConfig, type LoadedConfig } from '../../src/config/config-loader.js';
import { openRuntime, postgresUrlOf, type Runtime } from '../../src/server/runtime.js';
import { ManualClock } from '../support/manual-clock.js';
import { schemaForThisTest, testDatabaseUrl, withTestConnection } from '../support/postgres-test-schema.js';
import { makeTempDir, removeTempDir, tempDirForThisTest } from '../support/temp-dir.js';
import { withStorage } from '../support/config-overrides.js';

// The runtime on PostgreSQL: chosen by DATABASE_URL, with the sandbox CRM's
// records in the same schema, running one event end to end.

/** The test database URL with a password (trust auth ignores it) and the schema as search_path. */
function urlFor(schema: string): string {
  const base = testDatabaseUrl().replace('postgres://postgres@', 'postgres://postgres:not-shown@');
  return `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

async function exampleConfig(dir: string, url?: string): Promise<LoadedConfig> {
  const config = await loadConfig('examples/leadsync.yaml', { env: {} });
  return withStorage(config, { file: join(dir, 'leadsync.db'), ...(url === undefined ? {} : { url }) });
}

describe('runtime on PostgreSQL', () => {
  it('uses PostgreSQL when DATABASE_URL is set, and runs an event through the sandbox CRM stored there', async () => {
    const dir = makeTempDir('leadsync-pg-runtime-');
    const opened: Runtime[] = [];
    const schema = schemaForThisTest(async () => {
      for (const runtime of opened) await runtime.close();
      removeTempDir(dir);
    });
    await withTestConnection(async (client) => {
      await client.query(`CREATE SCHEMA ${schema}`);
    });
    const runtime = await openRuntime(await exampleConfig(dir), { env: { DATABASE_URL: urlFor(schema) } });
    opened.push(runtime);
    expect(runtime.backend.kind).toBe('postgres');
    expect(runtime.storage.location).toContain('postgres:***@');
    expect(runtime.storage.location).not.toContain('not-shown');
    expect(existsSync(join(dir, 'leadsync.db'))).toBe(false);

    const clock = new ManualClock('2026-11-25T12:00:00.000Z');
    const source = runtime.sources.get('webform');
    if (!source) throw new Error('no webform source');
    const body = readFileSync('test/fixtures/webform/demo-request.json');
    const accepted = await ingestEvent({ ...source, signature: { scheme: 'none' } }, { method: 'POST', url: '/', rawBody: body, headers: {} }, runtime.storage.ingest, clock.now());
    expect(accepted).toMatchObject({ status: 'queued' });
    const [job] = await runtime.storage.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'w', now: clock.now(), visibilityMs: 30_000 });
    if (!job) throw new Error('no job');
    const outcome = await processJob(job, 'w', { ...runtime.processorDeps, now: () => clock.now(), random: () => 0.5 });
    expect(outcome).toMatchObject({ kind: 'settled', deadLetter: null });

    const history = await runtime.storage.audit.history('contacts:ada.lovelace@acme-analytics.co.uk');
    expect(history.map((entry) => entry.outcome)).toEqual(['written']);
    expect(await runtime.storage.audit.verify()).toMatchObject({ ok: true });
    const records = await withTestConnection(async (client) => (await client.query<{ n: string }>("SELECT count(*) AS n FROM crm_records WHERE object = 'contacts'")).rows[0]?.n, schema);
    expect(records).toBe('1');
  });

  it('takes storage.url before DATABASE_URL, and refuses a URL that is not postgres://', async () => {
    const dir = tempDirForThisTest('leadsync-pg-runtime-');
    expect(postgresUrlOf(await exampleConfig(dir, 'postgresql://a@h/db'), { DATABASE_URL: 'postgres://b@h/db' })).toBe('postgresql://a@h/db');
    expect(postgresUrlOf(await exampleConfig(dir), { DATABASE_URL: 'postgres://b@h/db' })).toBe('postgres://b@h/db');
    expect(postgresUrlOf(await exampleConfig(dir), {})).toBeUndefined();
    await expect(openRuntime(await exampleConfig(dir, 'mysql://u:secret@h/db'), { env: {} })).rejects.toThrow(/storage\.url .* must be a postgres:\/\/ or postgresql:\/\/ URL \(got "mysql:\/\/…@h\/db"\)/);
  });
});
