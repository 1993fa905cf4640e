import { describe, expect, it } from 'vitest';
import { isTransientPgError, PgDatabase } from '../../src/adapters/postgres/pg-database.js';
import { loadPgMigrations, migratePostgres } from '../../src/adapters/postgres/pg-migrator.js';
import { openPostgresStorage, type PostgresStorage } from '../../src/adapters/postgres/pg-storage.js';
import { approvalStoreContract } from './approval-store.contract.js';
import { auditStoreContract } from './audit-store.contract.js';
import { deadLetterStoreContract } from './dead-letter-store.contract.js';
import { fieldStateStoreContract } from './field-state-store.contract.js';
import { ingestStoreContract } from './ingest-store.contract.js';
import { jobOutcomeStoreContract } from './job-outcome-store.contract.js';
import { jobQueueContract } from './job-queue.contract.js';
import type { AuditBackdoor, StorageUnderTest } from './storage-under-test.js';
import { ManualClock } from '../support/manual-clock.js';
import { auditDraft, newEvent } from '../support/storage-fixtures.js';
import { testDatabaseUrl, withTestConnection } from '../support/postgres-test-schema.js';
import { postgresStorageForThisTest } from '../support/postgres-test-storage.js';

/**
 * Storage in a fresh schema of the test database, dropped when the test
 * passes and kept (name printed) when it fails. Fails, not skips, when
 * PostgreSQL is down.
 */
function tempStorage(): Promise<PostgresStorage> {
  return postgresStorageForThisTest();
}

function schemaOf(storage: PostgresStorage): string {
  const schema = storage.database.schema;
  if (schema === undefined) throw new Error('test storage has no schema');
  return schema;
}

/** Tampering goes through a separate connection, like a person with database access would. */
function postgresAuditBackdoor(schema: string): AuditBackdoor {
  async function refusal(sql: string, id: string): Promise<string | null> {
    return withTestConnection(async (client) => {
      try {
        await client.query(sql, [id]);
        return null;
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    }, schema);
  }
  return {
    flipLeadKeyCharacter: (id) =>
      withTestConnection(async (client) => {
        await client.query('BEGIN');
        await client.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_refuse_update');
        // Flip the low bit of the first character: one changed bit in one column.
        await client.query(
          `UPDATE audit_log SET lead_key = chr(ascii(lead_key) + CASE ascii(lead_key) % 2 WHEN 0 THEN 1 ELSE -1 END) || substr(lead_key, 2)
           WHERE id = $1`,
          [id],
        );
        await client.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_refuse_update');
        await client.query('COMMIT');
      }, schema),
    tryUpdate: (id) => refusal("UPDATE audit_log SET outcome = 'written' WHERE id = $1", id),
    tryDelete: (id) => refusal('DELETE FROM audit_log WHERE id = $1', id),
  };
}

async function makePostgresStorage(): Promise<StorageUnderTest> {
  const storage = await tempStorage();
  return { ports: storage, auditBackdoor: postgresAuditBackdoor(schemaOf(storage)) };
}

describe('PostgreSQL storage', () => {
  ingestStoreContract(makePostgresStorage);
  jobQueueContract(makePostgresStorage);
  jobOutcomeStoreContract(makePostgresStorage);
  fieldStateStoreContract(makePostgresStorage);
  deadLetterStoreContract(makePostgresStorage);
  approvalStoreContract(makePostgresStorage);
  auditStoreContract(makePostgresStorage);

  describe('PostgreSQL specifics', () => {
    it('applies migrations once; a second open applies nothing and keeps the data', async () => {
      const storage = await tempStorage();
      const schema = schemaOf(storage);
      const accepted = await storage.ingest.accept(newEvent());
      const again = await openPostgresStorage({ url: testDatabaseUrl(), schema, maxConnections: 2 });
      try {
        const versions = await again.database.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
        expect(versions.rows.map((row) => row.version)).toEqual(loadPgMigrations().map((migration) => migration.version));
        expect((await again.ingest.getEvent(accepted.eventId))?.leadKey).toBe('webform:lead-1');
      } finally {
        await again.close();
      }
    });

    it('migrates once when several processes open a new schema at the same moment', async () => {
      const storage = await tempStorage();
      const schema = `${schemaOf(storage)}_race`;
      const databases = Array.from({ length: 4 }, () => new PgDatabase({ url: testDatabaseUrl(), schema, maxConnections: 1 }));
      try {
        const applied = await Promise.all(databases.map((database) => migratePostgres(database, loadPgMigrations())));
        const all = loadPgMigrations().map((migration) => migration.version);
        // Exactly one of them applied everything; the others found it done.
        expect(applied.filter((versions) => versions.length > 0)).toEqual([all]);
        const [first] = databases;
        const count = await first?.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
        expect(count?.rows[0]?.n).toBe(String(all.length));
      } finally {
        for (const database of databases) await database.close();
        await withTestConnection(async (client) => {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        });
      }
    });

    it('migration 5 sums the minutes a version-4 schema already counted into hours, and its triggers keep both in step', async () => {
      const storage = await tempStorage();
      const schema = schemaOf(storage);
      const at = (iso: string): Date => new Date(`2026-01-01T${iso}:00.000Z`);
      await storage.ingest.acceptMany([
        newEvent({ leadId: 'a', receivedAt: at('00:00') }),
        newEvent({ leadId: 'b', receivedAt: at('00:59'), lane: 'batch' }),
        newEvent({ leadId: 'c', receivedAt: at('00:59'), lane: 'batch' }),
        newEvent({ leadId: 'd', receivedAt: at('01:00') }),
      ]);
      // Back to version 4: undo migration 5 (and the later ones, their objects, then their records).
      await storage.database.query('DROP TABLE stats_hours; DELETE FROM schema_migrations WHERE version >= 5');
      const migrated = await openPostgresStorage({ url: testDatabaseUrl(), schema, maxConnections: 2 });
      try {
        const range = { from: at('00:00'), to: at('02:00') };
        expect((await migrated.dashboardStats.timeseries({ ...range, bucketMinutes: 60 })).series).toEqual([
          { source: 'webform', lane: 'batch', metric: 'received', counts: [2, 0] },
          { source: 'webform', lane: 'realtime', metric: 'received', counts: [1, 1] },
        ]);
        await migrated.ingest.accept(newEvent({ leadId: 'e', receivedAt: at('01:30'), lane: 'batch' }));
        expect((await migrated.dashboardStats.timeseries({ ...range, bucketMinutes: 60 })).series.map((series) => series.counts)).toEqual([[2, 1], [1, 1]]);
        expect((await migrated.dashboardStats.timeseries({ ...range, bucketMinutes: 30 })).series.map((series) => series.counts)).toEqual([[0, 2, 0, 1], [1, 0, 1, 0]]);
      } finally {
        await migrated.close();
      }
    });

    it('refuses a schema migrated by a newer leadsync', async () => {
      const storage = await tempStorage();
      await storage.database.query("INSERT INTO schema_migrations (version, name) VALUES (999, 'future')");
      await expect(openPostgresStorage({ url: testDatabaseUrl(), schema: schemaOf(storage), maxConnections: 1 })).rejects.toMatchObject({ code: 'STORAGE_SCHEMA_NEWER' });
    });

    it('refuses a schema name it would have to quote', () => {
      expect(() => new PgDatabase({ url: testDatabaseUrl(), schema: 'bad"; DROP TABLE x; --' })).toThrow(RangeError);
    });

    it('keeps one audit chain when many connections append at once', async () => {
      const storage = await tempStorage();
      const appenders = Array.from({ length: 8 }, (_, writer) =>
        (async () => {
          for (let round = 0; round < 5; round += 1) {
            await storage.audit.append([auditDraft({ leadKey: `w${writer}` }), auditDraft({ leadKey: `w${writer}`, outcome: 'no_change' })]);
          }
        })(),
      );
      await Promise.all(appenders);
      expect(await storage.audit.verify()).toMatchObject({ ok: true, rows: 80 });
    });

    it('stores audit changes with a lone surrogate, and text that looks like an escape, and reads them back as written', async () => {
      // PostgreSQL's JSON parser refuses a lone surrogate escape, which the json column takes;
      // such rows are sent as column arrays instead of one JSON parameter.
      const storage = await tempStorage();
      const lone = auditDraft({ changes: [{ field: 'jobtitle', before: null, after: 'VP \ud800 Sales', confidence: 1, reason: 'r' }] });
      const escapedLooking = auditDraft({ changes: [{ field: 'jobtitle', before: null, after: 'C:\\ud800\\u0000', confidence: 1, reason: 'r' }] });
      await storage.audit.append([auditDraft(), lone]);
      await storage.audit.append([escapedLooking]);
      expect((await storage.audit.history('webform:lead-1')).map((record) => record.changes[0]?.after)).toEqual(['VP Sales', 'VP \ud800 Sales', 'C:\\ud800\\u0000']);
      expect(await storage.audit.verify()).toMatchObject({ ok: true, rows: 3 });
      const state = { leadKey: 'webform:lead-1', object: 'contact', appliedAt: '2026-01-01T00:00:00.000Z', confidence: 1, source: 'webform' };
      await storage.outcomes.settle({ audit: [], fieldState: [{ ...state, field: 'path', value: 'C:\\ud800\\u0000' }, { ...state, field: 'plain', value: 'x' }] });
      expect(await storage.fieldState.read('webform:lead-1', 'contact')).toMatchObject({ path: { value: 'C:\\ud800\\u0000' }, plain: { value: 'x' } });
    });

    it('refuses TRUNCATE of the audit log', async () => {
      const storage = await tempStorage();
      await storage.audit.append([auditDraft()]);
      await expect(storage.database.query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
    });

    it('merges field state written by two settles into one row', async () => {
      const storage = await tempStorage();
      const state = { leadKey: 'webform:lead-1', object: 'contact', appliedAt: '2026-01-01T00:00:00.000Z', confidence: 1, source: 'webform' };
      await Promise.all([
        storage.outcomes.settle({ audit: [], fieldState: [{ ...state, field: 'a', value: 'x' }, { ...state, field: '__proto__', value: 1 }] }),
        storage.outcomes.settle({ audit: [], fieldState: [{ ...state, field: 'b', value: ['y'] }] }),
      ]);
      const read = await storage.fieldState.read('webform:lead-1', 'contact');
      expect(Object.keys(read).sort()).toEqual(['__proto__', 'a', 'b']);
      expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
    });

    it('rolls back a settle that fails at its last statement', async () => {
      const storage = await tempStorage();
      const clock = new ManualClock();
      await storage.ingest.accept(newEvent());
      const [job] = await storage.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'w', now: clock.now(), visibilityMs: 1000 });
      // Fail inside PostgreSQL itself, after the job completion, DLQ and field state writes ran.
      await storage.database.query(`CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END; $$`);
      await storage.database.query('CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION fail_audit()');
      await expect(
        storage.outcomes.settle({
          job: { id: job?.id ?? '', workerId: 'w' },
          audit: [auditDraft()],
          deadLetter: {
            eventId: job?.eventId ?? '', jobId: job?.id ?? '', source: 'webform', leadKey: 'webform:lead-1',
            errorCode: 'CRM_REJECTED', message: 'm', trace: 't', attempts: 1, createdAt: clock.now(),
          },
          fieldState: [{ leadKey: 'webform:lead-1', object: 'contact', field: 'f', value: 'v', appliedAt: '2026-01-01T00:00:00.000Z', confidence: 1, source: 'webform' }],
        }),
      ).rejects.toThrow('injected failure');
      const count = async (table: string): Promise<number> => Number((await storage.database.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);
      expect([await count('audit_log'), await count('dead_letters'), await count('field_state')]).toEqual([0, 0, 0]);
      expect(await storage.jobs.depth()).toEqual({ realtime: 1, batch: 0 });
      // The claim survived the rollback: the same worker can still settle.
      expect((await storage.outcomes.settle({ job: { id: job?.id ?? '', workerId: 'w' }, audit: [] })).status).toBe('settled');
    });

    it('accepts one event once when several connections deliver it at the same moment', async () => {
      const storage = await tempStorage();
      const results = await Promise.all(Array.from({ length: 6 }, () => storage.ingest.accept(newEvent())));
      expect(results.filter((result) => result.status === 'queued')).toHaveLength(1);
      expect(results.filter((result) => result.status === 'duplicate')).toHaveLength(5);
      expect(await storage.jobs.depth()).toEqual({ realtime: 1, batch: 0 });
    });

    it('keeps API tokens: one active per name, one first admin however many processes start at once, revoke by id or name', async () => {
      const storage = await tempStorage();
      const at = new Date('2026-01-01T00:00:00.000Z');
      const token = (name: string, hash: string) => ({ name, role: 'admin' as const, tokenHash: hash, createdAt: at });
      const firsts = await Promise.all(Array.from({ length: 5 }, (_, index) => storage.apiTokens.createFirst(token('admin', `h${index}`))));
      expect(firsts.filter((first) => first !== null)).toHaveLength(1);
      expect(await storage.apiTokens.create(token('admin', 'x'))).toMatchObject({ status: 'name_taken' });
      const created = await storage.apiTokens.create(token('ops', 'h-ops'));
      expect(created).toMatchObject({ status: 'created', token: { name: 'ops', role: 'admin', lastUsedAt: null, revokedAt: null } });
      expect(await storage.apiTokens.findActive('h-ops')).toMatchObject({ name: 'ops' });
      await storage.apiTokens.touch(created.status === 'created' ? created.token.id : '', new Date('2026-01-01T00:05:00.000Z'));
      expect((await storage.apiTokens.findActive('h-ops'))?.lastUsedAt).toEqual(new Date('2026-01-01T00:05:00.000Z'));
      expect(await storage.apiTokens.revoke('ops', at)).toMatchObject({ status: 'revoked' });
      expect(await storage.apiTokens.revoke(created.status === 'created' ? created.token.id : '', at)).toMatchObject({ status: 'already_revoked' });
      expect(await storage.apiTokens.revoke('nobody', at)).toEqual({ status: 'not_found' });
      expect(await storage.apiTokens.findActive('h-ops')).toBeNull();
      expect((await storage.apiTokens.list()).map((item) => item.name)).toEqual(['admin', 'ops']);
    });

    it('counts events and audit outcomes per minute for the dashboard', async () => {
      const storage = await tempStorage();
      const t0 = new Date('2026-01-01T00:00:30.000Z');
      const first = await storage.ingest.accept(newEvent({ receivedAt: t0 }));
      await storage.ingest.accept(newEvent({ leadId: 'lead-2', lane: 'batch', receivedAt: new Date('2026-01-01T00:02:10.000Z') }));
      await storage.audit.append([auditDraft({ time: '2026-01-01T00:01:00.000Z', eventId: first.eventId }), auditDraft({ time: '2026-01-01T00:01:59.999Z', source: null, outcome: 'approved' })]);
      const series = await storage.dashboardStats.timeseries({ from: new Date('2026-01-01T00:00:00.000Z'), to: new Date('2026-01-01T00:03:00.000Z'), bucketMinutes: 1 });
      expect(series.buckets).toHaveLength(3);
      expect(series.series).toEqual([
        { source: '(operator)', lane: 'none', metric: 'approved', counts: [0, 1, 0] },
        { source: 'webform', lane: 'batch', metric: 'received', counts: [0, 0, 1] },
        { source: 'webform', lane: 'realtime', metric: 'received', counts: [1, 0, 0] },
        { source: 'webform', lane: 'realtime', metric: 'written', counts: [0, 1, 0] },
      ]);
      const overview = await storage.dashboardStats.overview(new Date('2026-01-01T00:00:00.000Z'));
      expect(overview.queue.map((lane) => [lane.lane, lane.depth])).toEqual([['realtime', 1], ['batch', 1]]);
      expect(overview.totals).toHaveLength(4);
      expect([overview.deadLettersOpen, overview.approvalsPending]).toEqual([0, 0]);
    });

    it('acceptMany from several connections at once stores each key once (the bulk path falls back when it loses a race)', async () => {
      const storage = await tempStorage();
      const lists = Array.from({ length: 4 }, (_, list) => Array.from({ length: 30 }, (_, index) => newEvent({ leadId: `lead-${(index + list * 7) % 40}` })));
      const results = await Promise.all(lists.map((list) => storage.ingest.acceptMany(list)));
      const queued = results.flat().filter((result) => result.status === 'queued');
      const distinct = new Set(lists.flat().map((event) => event.idempotencyKey));
      expect(queued).toHaveLength(distinct.size);
      expect(new Set(queued.map((result) => result.eventId)).size).toBe(distinct.size);
      expect(results.flat().filter((result) => result.status === 'conflict')).toEqual([]);
      expect(await storage.jobs.depth()).toEqual({ realtime: distinct.size, batch: 0 });
    });

    it('survives its connections being killed (a server restart): the pool error is logged, not thrown, and the next call reconnects', async () => {
      const storage = await tempStorage();
      const name = `leadsync-kill-${schemaOf(storage)}`;
      const warnings: string[] = [];
      const logger = { debug: () => undefined, info: () => undefined, warn: (_: unknown, message: string) => warnings.push(message), error: (_: unknown, message: string) => warnings.push(message) };
      const killed = await openPostgresStorage({ url: testDatabaseUrl(), schema: schemaOf(storage), maxConnections: 2, applicationName: name, logger });
      try {
        await killed.audit.append([auditDraft()]);
        const terminated = await withTestConnection(async (client) =>
          (await client.query<{ ok: boolean }>('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1', [name])).rows.length);
        expect(terminated).toBeGreaterThan(0);
        // The idle connection's death reaches the pool as an 'error' event; without a listener the process would crash here.
        for (let waited = 0; warnings.length === 0 && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
        expect(warnings.some((message) => message.includes('idle PostgreSQL connection failed'))).toBe(true);
        await killed.audit.append([auditDraft({ outcome: 'no_change' })]);
        expect(await killed.audit.verify()).toMatchObject({ ok: true, rows: 2 });
      } finally {
        await killed.close();
      }
    });

    it('rejects a call in flight when its connection dies, with an error the worker treats as transient', async () => {
      const storage = await tempStorage();
      const name = `leadsync-inflight-${schemaOf(storage)}`;
      const database = new PgDatabase({ url: testDatabaseUrl(), schema: schemaOf(storage), maxConnections: 1, applicationName: name, logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } });
      try {
        const sleeping = database.withTransaction((client) => client.query('SELECT pg_sleep(30)'));
        const outcome = sleeping.then(() => undefined, (error: unknown) => error);
        for (let waited = 0; waited < 5000; waited += 50) {
          const active = await withTestConnection(async (client) => (await client.query("SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%pg_sleep%'", [name])).rows.length);
          if (active > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await withTestConnection((client) => client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]));
        const error = await outcome;
        expect(error).toBeInstanceOf(Error);
        expect(isTransientPgError(error)).toBe(true);
        // The broken connection was destroyed; the pool's one slot opens a new one.
        expect((await database.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      } finally {
        await database.close();
      }
    });

    it('fails, not hangs, when PostgreSQL cannot be reached', async () => {
      await expect(openPostgresStorage({ url: 'postgres://postgres@127.0.0.1:1/test', schema: 'unreachable' })).rejects.toThrow();
    });
  });
});
