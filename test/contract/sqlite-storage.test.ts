import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { decodeFieldStateRow, encodeFieldStateRow, putFieldTuple, type FieldTuples } from '../../src/adapters/sqlite/sqlite-field-state-row-codec.js';
import { loadMigrations, migrate } from '../../src/adapters/sqlite/sqlite-migrator.js';
import { openSqliteStorage, type SqliteStorage, type SqliteStorageOptions } from '../../src/adapters/sqlite/sqlite-storage.js';
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
import { makeTempDir, removeTempDir, removeTempDirUnlessFailed } from '../support/temp-dir.js';

/**
 * A fresh database file per test, in the OS temp dir. Deleted when the test
 * passes; kept, with its path printed, when it fails, so it can be opened.
 */
function tempDatabase(options: Omit<SqliteStorageOptions, 'file'> = {}): SqliteStorage {
  const directory = makeTempDir('leadsync-sqlite-');
  const file = join(directory, 'leadsync.db');
  // `normal` keeps the suite fast; durability modes are not what it checks.
  const storage = openSqliteStorage({ synchronous: 'normal', ...options, file });
  onTestFinished(async (context) => {
    await storage.close();
    removeTempDirUnlessFailed(context, directory, file);
  });
  return storage;
}

/** Tampering goes through a second, independent connection, like a person with the file would. */
function sqliteAuditBackdoor(file: string): AuditBackdoor {
  function withConnection<T>(work: (db: Database.Database) => T): Promise<T> {
    return new Promise<T>((resolve) => {
      const db = new Database(file);
      try {
        resolve(work(db));
      } finally {
        db.close();
      }
    });
  }
  function refusal(db: Database.Database, sql: string, id: string): string | null {
    try {
      db.prepare(sql).run(Number(id));
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }
  return {
    flipLeadKeyCharacter: (id) =>
      withConnection((db) => {
        const triggerSql = db.prepare<[], { sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'audit_log_refuse_update'").get()?.sql;
        if (triggerSql === undefined) throw new Error('append-only trigger not found');
        db.transaction(() => {
          db.exec('DROP TRIGGER audit_log_refuse_update');
          // Flip the low bit of the first character: one changed bit in one column.
          db.prepare(
            `UPDATE audit_log
             SET lead_key = char(unicode(lead_key) + CASE unicode(lead_key) % 2 WHEN 0 THEN 1 ELSE -1 END) || substr(lead_key, 2)
             WHERE id = ?`,
          ).run(Number(id));
          db.exec(triggerSql);
        })();
      }),
    tryUpdate: (id) => withConnection((db) => refusal(db, "UPDATE audit_log SET outcome = 'written' WHERE id = ?", id)),
    tryDelete: (id) => withConnection((db) => refusal(db, 'DELETE FROM audit_log WHERE id = ?', id)),
  };
}

function makeSqliteStorage(): Promise<StorageUnderTest> {
  const storage = tempDatabase();
  return Promise.resolve({ ports: storage, auditBackdoor: sqliteAuditBackdoor(storage.file) });
}

describe('SQLite storage', () => {
  ingestStoreContract(makeSqliteStorage);
  jobQueueContract(makeSqliteStorage);
  jobOutcomeStoreContract(makeSqliteStorage);
  fieldStateStoreContract(makeSqliteStorage);
  deadLetterStoreContract(makeSqliteStorage);
  approvalStoreContract(makeSqliteStorage);
  auditStoreContract(makeSqliteStorage);

  describe('SQLite specifics', () => {
    it('opens in WAL mode with the chosen synchronous level and foreign keys on', () => {
      const full = tempDatabase({ synchronous: 'full' });
      expect(full.database.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(full.database.pragma('synchronous', { simple: true })).toBe(2);
      expect(full.database.pragma('foreign_keys', { simple: true })).toBe(1);
      const normal = tempDatabase({ synchronous: 'normal' });
      expect(normal.database.pragma('synchronous', { simple: true })).toBe(1);
    });

    it('applies migrations once; re-opening the file applies nothing and keeps the data', async () => {
      const storage = tempDatabase();
      const accepted = await storage.ingest.accept(newEvent());
      await storage.close();
      const reopened = openSqliteStorage({ file: storage.file, synchronous: 'normal' });
      try {
        const versions = reopened.database.prepare<[], { version: number }>('SELECT version FROM schema_migrations').all();
        expect(versions.map((row) => row.version)).toEqual(loadMigrations().map((migration) => migration.version));
        expect(versions.length).toBeGreaterThanOrEqual(5);
        expect((await reopened.ingest.getEvent(accepted.eventId))?.leadKey).toBe('webform:lead-1');
      } finally {
        await reopened.close();
      }
    });

    it('migration 9 writes field state rows in the compact form and reads them back as they were', async () => {
      const directory = makeTempDir('leadsync-sqlite-');
      const file = join(directory, 'leadsync.db');
      const v8 = new Database(file);
      migrate(v8, loadMigrations().filter((migration) => migration.version <= 8));
      const ada = {
        jobtitle: { value: 'CTO', appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.9, source: 'webform' },
        tags: { value: ['a', 'b'], appliedAt: '2026-01-02T00:00:00.000Z', confidence: 1, source: 'clearbit' },
        phone: { value: null, appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.5, source: 'webform' },
        employees: { value: 250, appliedAt: '2026-01-02T00:00:00.000Z', confidence: 0, source: 'clearbit' },
        opted_in: { value: false, appliedAt: '2026-01-03T00:00:00.000Z', confidence: 0.25, source: 'pdl' },
      };
      const odd = JSON.parse('{"__proto__": {"value": "p", "appliedAt": "t", "confidence": 1, "source": "s"}, "constructor": {"value": 1.5, "appliedAt": "t", "confidence": 1, "source": "s"}}') as Record<string, unknown>;
      const insert = v8.prepare<[string, string, string]>('INSERT INTO field_state (lead_key, object, fields_json) VALUES (?, ?, ?)');
      insert.run('contacts:ada@example.com', 'contacts', JSON.stringify(ada));
      insert.run('contacts:odd@example.com', 'contacts', JSON.stringify(odd));
      v8.close();
      const storage = openSqliteStorage({ file, synchronous: 'normal' });
      try {
        const rows = storage.database.prepare<[], { fields_json: string }>('SELECT fields_json FROM field_state ORDER BY id').all();
        // The pair two fields share and seen first (webform) is the row's own; the others keep theirs.
        expect(rows.map((row) => JSON.parse(row.fields_json) as unknown)).toEqual([
          ['2026-01-01T00:00:00.000Z', 'webform', { jobtitle: ['CTO', 0.9], tags: [['a', 'b'], 1, '2026-01-02T00:00:00.000Z', 'clearbit'], phone: [null, 0.5], employees: [250, 0, '2026-01-02T00:00:00.000Z', 'clearbit'], opted_in: [false, 0.25, '2026-01-03T00:00:00.000Z', 'pdl'] }],
          JSON.parse('["t", "s", {"__proto__": ["p", 1], "constructor": [1.5, 1]}]'),
        ]);
        const [readAda, readOdd] = await storage.fieldState.readMany([{ leadKey: 'contacts:ada@example.com', object: 'contacts' }, { leadKey: 'contacts:odd@example.com', object: 'contacts' }]);
        expect(readAda).toEqual(ada);
        expect(Object.keys(readAda ?? {})).toEqual(Object.keys(ada));
        expect(Object.keys(readOdd ?? {})).toEqual(['__proto__', 'constructor']);
        expect(Object.getOwnPropertyDescriptor(readOdd, '__proto__')?.value).toEqual(odd['__proto__']);
        expect(readOdd?.['constructor']).toEqual(odd['constructor']);
        // A row written now is encoded the way the migration encoded it.
        storage.database.exec('DELETE FROM field_state');
        const fieldUpdates = Object.entries(ada).map(([field, entry]) => ({ ...entry, leadKey: 'contacts:ada@example.com', object: 'contacts', field }));
        storage.database.transaction(() => {
          storage.fieldState.upsertInTransaction(fieldUpdates);
        })();
        expect(storage.database.prepare<[], { fields_json: string }>('SELECT fields_json FROM field_state').all().map((row) => row.fields_json)).toEqual([rows[0]?.fields_json]);
      } finally {
        await storage.close();
        removeTempDir(directory);
      }
    });

    it('a compact field state row decodes to the entries it was encoded from, in order, whatever their times and sources', () => {
      const value = fc.oneof(fc.constant(null), fc.string(), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.array(fc.string(), { maxLength: 3 }));
      const entry = fc.record({ value, appliedAt: fc.constantFrom('2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', ''), confidence: fc.double({ min: 0, max: 1, noNaN: true }), source: fc.constantFrom('webform', 'clearbit', '') });
      const name = fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString', ''));
      fc.assert(
        fc.property(fc.uniqueArray(fc.tuple(name, entry), { selector: ([field]) => field, maxLength: 8 }), (fields) => {
          const tuples: FieldTuples = {};
          for (const [field, state] of fields) putFieldTuple(tuples, field, state);
          const decoded = decodeFieldStateRow(encodeFieldStateRow(tuples));
          // Object key order: insertion order, integer-like names first (as JSON.parse of the old rows gave).
          expect(Object.keys(decoded)).toEqual(Object.keys(tuples));
          // JSON keeps -0 as 0, as the row format before it did.
          for (const [field, state] of fields) expect(Object.getOwnPropertyDescriptor(decoded, field)?.value).toEqual(JSON.parse(JSON.stringify(state)));
        }),
      );
    });

    it('migration 2 moves per-field state rows of a version-1 database into one row per lead and object', async () => {
      const directory = makeTempDir('leadsync-sqlite-');
      const file = join(directory, 'leadsync.db');
      const v1 = new Database(file);
      migrate(v1, loadMigrations().slice(0, 1));
      v1.exec(`INSERT INTO field_state (lead_key, object, field, value_json, applied_at, confidence, source) VALUES
        ('contacts:ada@example.com', 'contacts', 'jobtitle', '"CTO"', '2026-01-01T00:00:00.000Z', 0.9, 'webform'),
        ('contacts:ada@example.com', 'contacts', 'tags', '["a","b"]', '2026-01-02T00:00:00.000Z', 1, 'clearbit'),
        ('contacts:ada@example.com', 'contacts', 'phone', 'null', '2026-01-01T00:00:00.000Z', 0.5, 'webform'),
        ('contacts:ada@example.com', 'companies', 'name', '"Acme"', '2026-01-01T00:00:00.000Z', 0.8, 'webform'),
        ('contacts:bob@example.com', 'contacts', 'employees', '250', '2026-01-03T00:00:00.000Z', 0.7, 'pdl')`);
      v1.close();
      const storage = openSqliteStorage({ file, synchronous: 'normal' });
      try {
        expect(await storage.fieldState.read('contacts:ada@example.com', 'contacts')).toEqual({
          jobtitle: { value: 'CTO', appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.9, source: 'webform' },
          tags: { value: ['a', 'b'], appliedAt: '2026-01-02T00:00:00.000Z', confidence: 1, source: 'clearbit' },
          phone: { value: null, appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.5, source: 'webform' },
        });
        expect(await storage.fieldState.read('contacts:ada@example.com', 'companies')).toEqual({ name: { value: 'Acme', appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.8, source: 'webform' } });
        expect(await storage.fieldState.read('contacts:bob@example.com', 'contacts')).toEqual({ employees: { value: 250, appliedAt: '2026-01-03T00:00:00.000Z', confidence: 0.7, source: 'pdl' } });
      } finally {
        await storage.close();
        removeTempDir(directory);
      }
    });

    it('migration 3 counts the jobs a version-2 database already holds, and the count follows inserts and deletes', async () => {
      const directory = makeTempDir('leadsync-sqlite-');
      const file = join(directory, 'leadsync.db');
      const v2 = openSqliteStorage({ file, synchronous: 'normal' });
      await v2.ingest.acceptMany([newEvent({ leadId: 'lead-1' }), newEvent({ leadId: 'lead-2', lane: 'batch' }), newEvent({ leadId: 'lead-3', lane: 'batch' })]);
      // Back to version 2: undo migration 3 and the later ones (their objects, then their records).
      v2.database.exec(
        // Migration 8 already dropped two of migration 3's triggers.
        'DROP TRIGGER IF EXISTS job_counts_insert; DROP TRIGGER IF EXISTS job_counts_delete; DROP TRIGGER job_counts_move; DROP TABLE job_counts;' +
          ' DROP TABLE stats_minutes; DROP TABLE stats_hours; DROP TABLE api_tokens; DROP TABLE rate_limit_buckets;' +
          ' DELETE FROM schema_migrations WHERE version >= 3;',
      );
      await v2.close();
      const storage = openSqliteStorage({ file, synchronous: 'normal' });
      try {
        expect(await storage.jobs.depth()).toEqual({ realtime: 1, batch: 2 });
        // Migrations 4 and 6 count the events already stored, per minute and per hour (this whole-hour range reads the hours).
        const hour = { from: new Date('2026-01-01T00:00:00.000Z'), to: new Date('2026-01-01T01:00:00.000Z') };
        expect((await storage.dashboardStats.timeseries({ ...hour, bucketMinutes: 60 })).series).toEqual([
          { source: 'webform', lane: 'batch', metric: 'received', counts: [2] },
          { source: 'webform', lane: 'realtime', metric: 'received', counts: [1] },
        ]);
        expect((await storage.dashboardStats.timeseries({ ...hour, bucketMinutes: 30 })).series.map((series) => series.counts)).toEqual([[2, 0], [1, 0]]);
        const clock = new ManualClock();
        const [job] = await storage.jobs.claim({ lane: 'batch', limit: 1, workerId: 'w', now: clock.now(), visibilityMs: 1000 });
        await storage.outcomes.settle({ job: { id: job?.id ?? '', workerId: 'w' }, audit: [auditDraft()] });
        await storage.ingest.accept(newEvent({ leadId: 'lead-4' }));
        expect(await storage.jobs.depth()).toEqual({ realtime: 2, batch: 1 });
      } finally {
        await storage.close();
        removeTempDir(directory);
      }
    });

    it('keeps a field named like an Object.prototype member as a field', async () => {
      const storage = tempDatabase();
      const state = { leadKey: 'webform:lead-1', object: 'contact', value: 'x', appliedAt: '2026-01-01T00:00:00.000Z', confidence: 1, source: 'webform' };
      await storage.outcomes.settle({ audit: [], fieldState: [{ ...state, field: '__proto__' }, { ...state, field: 'constructor' }] });
      const read = await storage.fieldState.read('webform:lead-1', 'contact');
      expect(Object.keys(read).sort()).toEqual(['__proto__', 'constructor']);
      expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
    });

    it('refuses a database migrated by a newer leadsync', async () => {
      const storage = tempDatabase();
      storage.database.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')").run();
      await storage.close();
      expect(() => openSqliteStorage({ file: storage.file })).toThrow(expect.objectContaining({ code: 'STORAGE_SCHEMA_NEWER' }));
    });

    it('creates the directory of the database file', async () => {
      const directory = makeTempDir('leadsync-sqlite-');
      const storage = openSqliteStorage({ file: join(directory, 'nested', 'deeper', 'leadsync.db') });
      await storage.close();
      expect(storage.file).toBe(join(directory, 'nested', 'deeper', 'leadsync.db'));
      removeTempDir(directory);
    });

    it('rolls back a settle that fails at its last statement', async () => {
      const storage = tempDatabase();
      const clock = new ManualClock();
      await storage.ingest.accept(newEvent());
      const [job] = await storage.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'w', now: clock.now(), visibilityMs: 1000 });
      // Fail inside SQLite itself, after the job delete, audit, DLQ and approval inserts ran.
      storage.database.exec("CREATE TRIGGER fail_field_state BEFORE INSERT ON field_state BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
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
      const count = (table: string): number => storage.database.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table}`).get()?.n ?? -1;
      expect([count('audit_log'), count('dead_letters'), count('field_state'), count('jobs')]).toEqual([0, 0, 0, 1]);
      expect(storage.database.prepare<[], { claimed_by: string }>('SELECT claimed_by FROM jobs').get()?.claimed_by).toBe('w');
    });

    it('stores audit changes as arrays, and reads and verifies rows whose changes are stored as objects (written before) alike', async () => {
      const storage = tempDatabase();
      const changes = [
        { field: 'jobtitle', before: null, after: 'VP Sales', confidence: 0.9, reason: 'overwrite policy' },
        { field: 'tags', before: ['a'], after: ['a', 'b'], confidence: null, reason: 'person', beforeRead: false as const },
      ];
      await storage.audit.append([auditDraft({ changes }), auditDraft({ changes: [] }), auditDraft({ leadKey: 'webform:lead-2' })]);
      const stored = storage.database.prepare<[], { id: number; changes_json: string }>('SELECT id, changes_json FROM audit_log ORDER BY id').all();
      expect(stored.map((row) => JSON.parse(row.changes_json) as unknown)).toEqual([
        [['jobtitle', null, 'VP Sales', 0.9, 'overwrite policy'], ['tags', ['a'], ['a', 'b'], null, 'person', false]],
        [],
        [['jobtitle', null, 'VP Sales', 0.9, 'overwrite policy']],
      ]);
      const before = await storage.audit.history('webform:lead-1');
      expect(before.map((record) => record.changes)).toEqual([changes, []]);
      // Key order of a change read back is sealing's, as it was when rows held the objects.
      expect(before[0]?.changes.map((change) => Object.keys(change))).toEqual([Object.keys(changes[0] ?? {}), Object.keys(changes[1] ?? {})]);
      expect(await storage.audit.verify()).toMatchObject({ ok: true, rows: 3 });
      // The same rows as an older version wrote them: the change objects themselves.
      const db = new Database(storage.file);
      try {
        db.transaction(() => {
          db.exec('DROP TRIGGER audit_log_refuse_update');
          const rewrite = db.prepare<[string, number]>('UPDATE audit_log SET changes_json = ? WHERE id = ?');
          for (const record of before) rewrite.run(JSON.stringify(record.changes), Number(record.id));
          db.exec("CREATE TRIGGER audit_log_refuse_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END");
        })();
      } finally {
        db.close();
      }
      expect(JSON.parse(storage.database.prepare<[], { changes_json: string }>('SELECT changes_json FROM audit_log WHERE id = 1').get()?.changes_json ?? '')).toEqual(changes);
      expect(await storage.audit.history('webform:lead-1')).toEqual(before);
      expect(await storage.audit.verify()).toMatchObject({ ok: true, rows: 3 });
    });

    it('counts audit rows for the dashboard once per transaction, exactly as a count of the rows themselves', async () => {
      const storage = tempDatabase();
      const clock = new ManualClock();
      await storage.ingest.acceptMany([newEvent({ leadId: 'lead-1' }), newEvent({ leadId: 'lead-2', lane: 'batch' }), newEvent({ leadId: 'lead-3', lane: 'batch' })]);
      const jobs = [
        ...(await storage.jobs.claim({ lane: 'realtime', limit: 10, workerId: 'w', now: clock.now(), visibilityMs: 1000 })),
        ...(await storage.jobs.claim({ lane: 'batch', limit: 10, workerId: 'w', now: clock.now(), visibilityMs: 1000 })),
      ];
      expect(jobs).toHaveLength(3);
      const [first, second, third] = jobs.map((job) => ({ job: { id: job.id, workerId: 'w' }, eventId: job.eventId }));
      if (!first || !second || !third) throw new Error('expected three jobs');
      // Rows in two minutes and two hours, of both lanes, without an event, without a source, several outcomes; one input loses its claim.
      const results = await storage.outcomes.settleMany([
        { job: first.job, audit: [auditDraft({ eventId: first.eventId, time: '2026-01-01T00:59:59.999Z' }), auditDraft({ eventId: first.eventId, outcome: 'no_change', time: '2026-01-01T01:00:00.000Z' })] },
        { job: { id: second.job.id, workerId: 'other' }, audit: [auditDraft({ eventId: second.eventId })] },
        { job: second.job, audit: [auditDraft({ eventId: second.eventId }), auditDraft({ eventId: second.eventId, outcome: 'stale' })] },
        { audit: [auditDraft({ time: '2026-01-01T00:00:30.000Z' }), auditDraft({ source: null, actor: { kind: 'person', name: 'ada' }, outcome: 'approved' })] },
        { job: third.job, audit: [auditDraft({ eventId: third.eventId, time: '2026-01-01T00:59:00.000Z' }), auditDraft({ eventId: 'not-an-id' })] },
      ]);
      expect(results.map((result) => result.status)).toEqual(['settled', 'lost_claim', 'settled', 'settled', 'settled']);
      await storage.audit.append([auditDraft({ outcome: 'discarded' })]);
      // What the trigger of migrations 004/006 counted, computed from the rows (the query migration 004 filled the table with).
      const fromRows = storage.database
        .prepare(
          `SELECT CAST(strftime('%s', a.time) AS INTEGER) / 60 AS minute, coalesce(a.source, '(operator)') AS source,
             coalesce(e.lane, 'none') AS lane, a.outcome AS metric, count(*) AS n
           FROM audit_log a LEFT JOIN events e ON e.id = CAST(a.event_id AS INTEGER) GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
        )
        .all();
      const minutes = storage.database.prepare("SELECT minute, source, lane, metric, n FROM stats_minutes WHERE metric <> 'received' ORDER BY 1, 2, 3, 4").all();
      expect(minutes).toEqual(fromRows);
      expect(fromRows.length).toBeGreaterThan(5);
      const hoursFromRows = storage.database
        .prepare("SELECT minute / 60 AS hour, source, lane, metric, sum(n) AS n FROM stats_minutes WHERE metric <> 'received' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4")
        .all();
      expect(storage.database.prepare("SELECT hour, source, lane, metric, n FROM stats_hours WHERE metric <> 'received' ORDER BY 1, 2, 3, 4").all()).toEqual(hoursFromRows);
    });

    it('keeps job_counts equal to a count of the jobs through ingest batches, claims, settles, lost claims, retries, replays and rollbacks', async () => {
      const storage = tempDatabase();
      const clock = new ManualClock();
      const fromRows = (): unknown =>
        storage.database.prepare("SELECT lanes.lane, (SELECT count(*) FROM jobs WHERE jobs.lane = lanes.lane) AS n FROM (SELECT 'realtime' AS lane UNION ALL SELECT 'batch') AS lanes ORDER BY 1").all();
      const counted = (): unknown => storage.database.prepare('SELECT lane, n FROM job_counts ORDER BY 1').all();
      const expectCountsMatchRows = async (depth: { realtime: number; batch: number }): Promise<void> => {
        expect(counted()).toEqual(fromRows());
        expect(await storage.jobs.depth()).toEqual(depth);
      };
      // Both lanes, a duplicate and a conflict (no job), and three jobs of one lead.
      await storage.ingest.acceptMany([
        newEvent({ leadId: 'a' }), newEvent({ leadId: 'a' }), newEvent({ leadId: 'a', payload: { other: true } }),
        newEvent({ leadId: 'b', lane: 'batch' }), newEvent({ leadId: 'c', lane: 'batch' }),
        newEvent({ leadId: 'c', lane: 'batch', updatedAt: '2026-01-02T00:00:00.000Z' }), newEvent({ leadId: 'c', lane: 'batch', updatedAt: '2026-01-03T00:00:00.000Z' }),
      ]);
      await expectCountsMatchRows({ realtime: 1, batch: 4 });
      const batch = await storage.jobs.claim({ lane: 'batch', limit: 10, consecutivePerLead: 10, workerId: 'w', now: clock.now(), visibilityMs: 1000 });
      expect(batch.map((job) => job.leadKey)).toEqual(['webform:b', 'webform:c', 'webform:c', 'webform:c']);
      const [b, c1, c2, c3] = batch;
      if (!b || !c1 || !c2 || !c3) throw new Error('expected four jobs');
      // Settled: b, c1, c2 (the same job twice: settled once); lost: c3 under another worker.
      const results = await storage.outcomes.settleMany([
        { job: { id: b.id, workerId: 'w' }, audit: [auditDraft({ eventId: b.eventId })] },
        { job: { id: c1.id, workerId: 'w' }, audit: [auditDraft({ eventId: c1.eventId })] },
        { job: { id: c1.id, workerId: 'w' }, audit: [auditDraft({ eventId: c1.eventId })] },
        { job: { id: c3.id, workerId: 'other' }, audit: [auditDraft({ eventId: c3.eventId })] },
        { job: { id: c2.id, workerId: 'w' }, audit: [auditDraft({ eventId: c2.eventId })] },
      ]);
      expect(results.map((result) => result.status)).toEqual(['settled', 'settled', 'lost_claim', 'lost_claim', 'settled']);
      await expectCountsMatchRows({ realtime: 1, batch: 1 });
      // The lead's last job is its head now, and still held by the claim.
      expect(storage.database.prepare('SELECT id, head, claimed_by FROM jobs WHERE lane = ?').all('batch')).toEqual([{ id: Number(c3.id), head: 1, claimed_by: 'w' }]);
      // A settle that fails rolls its deletes and counts back.
      storage.database.exec("CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
      await expect(storage.outcomes.settleMany([{ job: { id: c3.id, workerId: 'w' }, audit: [auditDraft()] }])).rejects.toThrow('injected failure');
      storage.database.exec('DROP TRIGGER fail_audit');
      await expectCountsMatchRows({ realtime: 1, batch: 1 });
      // Dead-lettered, then replayed: the replay enqueues through the queue without a tally.
      const [realtime] = await storage.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'w', now: clock.now(), visibilityMs: 1000 });
      if (!realtime) throw new Error('expected the realtime job');
      expect((await storage.jobs.retry(realtime.id, { workerId: 'w', runAt: clock.now(), error: 'e' })).status).toBe('scheduled');
      const [again] = await storage.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'w', now: clock.now(), visibilityMs: 1000 });
      const dead = await storage.outcomes.settle({
        job: { id: again?.id ?? '', workerId: 'w' },
        audit: [auditDraft({ eventId: realtime.eventId, outcome: 'dead_lettered', errorCode: 'CRM_UNAVAILABLE' })],
        deadLetter: {
          eventId: realtime.eventId, jobId: realtime.id, source: 'webform', leadKey: realtime.leadKey, errorCode: 'CRM_UNAVAILABLE',
          message: 'm', trace: 't', attempts: 2, createdAt: clock.now(),
        },
      });
      if (dead.status !== 'settled' || dead.deadLetterId === null) throw new Error('expected a DLQ item');
      await expectCountsMatchRows({ realtime: 0, batch: 1 });
      expect((await storage.deadLetters.markReplayed(dead.deadLetterId, { actor: 'ada', now: clock.now() })).status).toBe('replayed');
      await expectCountsMatchRows({ realtime: 1, batch: 1 });
    });

    it('counts audit rows of an event whose job is not in the settle under that event\'s lane', async () => {
      const storage = tempDatabase();
      const clock = new ManualClock();
      const [realtime, batch] = await storage.ingest.acceptMany([newEvent({ leadId: 'a' }), newEvent({ leadId: 'b', lane: 'batch' })]);
      const [job] = await storage.jobs.claim({ lane: 'realtime', limit: 1, workerId: 'w', now: clock.now(), visibilityMs: 1000 });
      await storage.outcomes.settleMany([{ job: { id: job?.id ?? '', workerId: 'w' }, audit: [auditDraft({ eventId: realtime?.eventId ?? '' }), auditDraft({ eventId: batch?.eventId ?? '', outcome: 'stale' })] }]);
      expect(storage.database.prepare("SELECT lane, metric, n FROM stats_minutes WHERE metric <> 'received' ORDER BY 1").all()).toEqual([
        { lane: 'batch', metric: 'stale', n: 1 },
        { lane: 'realtime', metric: 'written', n: 1 },
      ]);
    });

    it('counts stored events for the dashboard once per transaction, exactly as a count of the events themselves', async () => {
      const storage = tempDatabase();
      const at = (time: string): Date => new Date(time);
      await storage.ingest.acceptMany([
        newEvent({ leadId: 'a', receivedAt: at('2026-01-01T00:59:59.999Z') }),
        newEvent({ leadId: 'b', receivedAt: at('2026-01-01T01:00:00.000Z'), lane: 'batch' }),
        newEvent({ leadId: 'c', receivedAt: at('2026-01-01T01:00:30.000Z'), lane: 'batch' }),
        newEvent({ leadId: 'c', receivedAt: at('2026-01-01T01:00:31.000Z'), lane: 'batch' }), // a duplicate: not stored, not counted
        newEvent({ source: 'clearbit', leadId: 'd', receivedAt: at('2026-01-01T00:00:00.000Z') }),
      ]);
      await storage.ingest.accept(newEvent({ leadId: 'e', receivedAt: at('2026-01-01T01:00:45.000Z'), lane: 'batch' }));
      const fromEvents = storage.database.prepare("SELECT received_at / 60000 AS minute, source, lane, 'received' AS metric, count(*) AS n FROM events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3").all();
      expect(storage.database.prepare("SELECT minute, source, lane, metric, n FROM stats_minutes WHERE metric = 'received' ORDER BY 1, 2, 3").all()).toEqual(fromEvents);
      expect(fromEvents).toHaveLength(3);
      const hoursFromEvents = storage.database.prepare("SELECT received_at / 60000 / 60 AS hour, source, lane, 'received' AS metric, count(*) AS n FROM events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3").all();
      expect(storage.database.prepare("SELECT hour, source, lane, metric, n FROM stats_hours WHERE metric = 'received' ORDER BY 1, 2, 3").all()).toEqual(hoursFromEvents);
    });
  });
});
