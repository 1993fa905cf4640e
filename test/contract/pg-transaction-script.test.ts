import { describe, expect, it } from 'vitest';
import { appendInlinedStatement, type PgStatement } from '../../src/adapter-support/pg-transaction-script.js';
import { PgDatabase } from '../../src/adapters/postgres/pg-database.js';
import type { PostgresStorage } from '../../src/adapters/postgres/pg-storage.js';
import { schemaForThisTest, testDatabaseUrl, withTestConnection } from '../support/postgres-test-schema.js';
import { postgresStorageForThisTest } from '../support/postgres-test-storage.js';
import { auditDraft } from '../support/storage-fixtures.js';

/** A PgDatabase on a fresh schema holding one table with a column of each kind the stores send. */
async function freshDatabase(): Promise<PgDatabase> {
  const databases: PgDatabase[] = [];
  const schema = schemaForThisTest(async () => {
    for (const database of databases) await database.close();
  });
  await withTestConnection((client) => client.query(`CREATE SCHEMA "${schema}"`));
  const database = new PgDatabase({ url: testDatabaseUrl(), schema, maxConnections: 4 });
  databases.push(database);
  await database.query('CREATE TABLE t (n integer, s text, j json, b jsonb, ids bigint[], names text[], flag boolean, x double precision)');
  return database;
}

const STRINGS = [
  '', 'plain', "O'Brien", "''", 'back\\slash', "both ' and \\ and \\'", 'a "quoted" word', '{braces,comma}', 'NULL', 'null',
  'ünïcödé 😀', '\ud800 lone surrogate', 'text with $1 and $12 in it', ';\nCOMMIT; SELECT 1', 'E\'x\'',
];

describe('PgTransactionScript: statements sent as one message, parameters as literals', () => {
  it('stores every kind of value exactly as the same statement with parameters does', async () => {
    const database = await freshDatabase();
    const rows: unknown[][] = [
      ...STRINGS.map((text, index) => {
        // PostgreSQL's JSON parser refuses a lone surrogate's escape either way (the last test); the text columns take it.
        const json = JSON.stringify(text).includes('\\ud800') ? 'x' : text;
        return [index, text, JSON.stringify({ text: json, list: [json] }), JSON.stringify([json, { [json]: 1 }]), ['1', '9223372036854775807'], [text, null, 'x'], index % 2 === 0, index / 3];
      }),
      [100, null, null, null, [], [], null, null],
      [101, 'n', '1e21', '-0', [1, 2], ['', '""', '\\'], false, -0],
      [102, 'big', '12345678901234567890', '0.1', ['-9223372036854775808'], ['NULL', ' spaced '], true, 1e-7],
    ];
    const insert = (offset: number, row: unknown[]): PgStatement => ({
      text: 'INSERT INTO t (n, s, j, b, ids, names, flag, x) VALUES ($1::integer + $9::integer, $2, $3::json, $4::jsonb, $5::bigint[], $6::text[], $7::boolean, $8::double precision)',
      values: [...row, offset],
    });
    // Inlined: one message per run, and the parameters as literals.
    await database.withScriptedTransaction(async (script) => {
      await script.run(rows.slice(0, 5).map((row) => insert(1000, row)));
      await script.commit(rows.slice(5).map((row) => insert(1000, row)));
    });
    // The reference: the same statements with parameters, one by one.
    await database.withTransaction(async (client) => {
      for (const row of rows) {
        const statement = insert(2000, row);
        await client.query(statement.text, [...statement.values]);
      }
    });
    const read = async (offset: number): Promise<unknown[]> =>
      (await database.query('SELECT n - $1::integer AS n, s, j::text AS j, b::text AS b, ids::text AS ids, names::text AS names, flag, x FROM t WHERE n >= $1::integer AND n < $1::integer + 1000 ORDER BY n', [offset])).rows;
    const inlined = await read(1000);
    expect(inlined).toHaveLength(rows.length);
    expect(inlined).toEqual(await read(2000));
  });

  it('writes parameters as literals only where the text names them, $1 apart from $10', () => {
    const values = Array.from({ length: 12 }, (_, index) => `v${index + 1}`);
    const parts: string[] = [];
    expect(appendInlinedStatement(parts, { text: 'SELECT $1, $10, $12, $2', values })).toBe(true);
    expect(parts.join('')).toBe("SELECT 'v1', 'v10', 'v12', 'v2'");
    expect(appendInlinedStatement([], { text: 'SELECT $3', values: ['only two', 'values'] })).toBe(false);
    // A NUL cannot travel in the message's text: the statement goes with parameters instead.
    expect(appendInlinedStatement([], { text: 'SELECT $1', values: ['a\u0000b'] })).toBe(false);
    expect(appendInlinedStatement([], { text: 'SELECT $1', values: [['a', 'b\u0000']] })).toBe(false);
  });

  it('returns each statement its own result, in order, and commits them together', async () => {
    const database = await freshDatabase();
    const results = await database.withScriptedTransaction(async (script) => {
      const first = await script.run([
        { text: 'INSERT INTO t (n, s) VALUES ($1, $2) RETURNING n', values: [1, 'one'] },
        { text: 'SELECT count(*)::int AS c FROM t', values: [] },
      ]);
      const second = await script.commit([{ text: 'INSERT INTO t (n, s) SELECT n + 1, $1 FROM t RETURNING n, s', values: ['two'] }]);
      return [...first, ...second].map((result): unknown[] => result.rows);
    });
    expect(results).toEqual([[{ n: 1 }], [{ c: 1 }], [{ n: 2, s: 'two' }]]);
    expect((await database.query('SELECT n, s FROM t ORDER BY n')).rows).toEqual([{ n: 1, s: 'one' }, { n: 2, s: 'two' }]);
  });

  it('rolls back everything when a later message fails, and when the script rolls back', async () => {
    const database = await freshDatabase();
    await expect(database.withScriptedTransaction(async (script) => {
      await script.run([{ text: 'INSERT INTO t (n) VALUES ($1)', values: [1] }]);
      await script.commit([{ text: 'INSERT INTO t (n) VALUES ($1::integer / 0)', values: [2] }]);
    })).rejects.toMatchObject({ code: '22012' });
    await database.withScriptedTransaction(async (script) => {
      await script.run([{ text: 'INSERT INTO t (n) VALUES ($1)', values: [3] }]);
      await script.rollback();
    });
    // A value that cannot be a literal goes as a parameter, in the same transaction, and fails there as it always did.
    await expect(database.withScriptedTransaction(async (script) => {
      await script.run([{ text: 'INSERT INTO t (n) VALUES ($1)', values: [4] }]);
      await script.commit([{ text: 'INSERT INTO t (n, s) VALUES ($1, $2)', values: [5, 'nul \u0000 inside'] }]);
    })).rejects.toMatchObject({ code: '22021' });
    expect((await database.query('SELECT count(*)::int AS c FROM t')).rows).toEqual([{ c: 0 }]);
  });

  it('takes or refuses what PostgreSQL takes or refuses as a parameter, with the same result or error', async () => {
    const database = await freshDatabase();
    const outcomes: string[] = [];
    for (const statement of [
      { text: 'SELECT $1::json::text AS v', values: [JSON.stringify('\ud800')] },
      { text: 'SELECT $1::jsonb::text AS v', values: [JSON.stringify('\ud800')] },
      { text: 'SELECT $1::jsonb::text AS v', values: ['{"a":'] },
      { text: 'SELECT $1::bigint[]::text AS v', values: [['1', 'x']] },
      { text: 'SELECT $1::integer AS v', values: ['1.5'] },
    ]) {
      const viaParameters = await database.query(statement.text, [...statement.values]).then((result) => JSON.stringify(result.rows), (error: { code?: string }) => `error ${String(error.code)}`);
      const inlined = await database.withScriptedTransaction((script) => script.commit([statement])).then(([result]) => JSON.stringify(result?.rows), (error: { code?: string }) => `error ${String(error.code)}`);
      expect(inlined).toBe(viaParameters);
      outcomes.push(viaParameters);
    }
    expect(outcomes.filter((outcome) => outcome.startsWith('error')).length).toBeGreaterThanOrEqual(3);
  });

  it('gives each statement of a message its own snapshot: a read after a lock sees what the lock holder committed', async () => {
    const database = await freshDatabase();
    await withTestConnection(async (holder) => {
      await holder.query(`SET search_path = ${database.schema ?? 'public'}`);
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(424242, 1)');
      const read = database.withScriptedTransaction(async (script) => {
        const [, counted] = await script.run([
          { text: 'SELECT pg_advisory_xact_lock($1, $2)', values: [424242, 1] },
          { text: 'SELECT count(*)::int AS c FROM t', values: [] },
        ]);
        return counted?.rows;
      });
      // Wait until the script's message is blocked on the lock, then commit a row under it.
      for (;;) {
        const { rows } = await holder.query<{ waiting: number }>(
          "SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND classid = 424242 AND NOT granted",
        );
        if ((rows[0]?.waiting ?? 0) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await holder.query('INSERT INTO t (n) VALUES (1)');
      await holder.query('COMMIT');
      expect(await read).toEqual([{ c: 1 }]);
    });
  });
});

describe('audit appends and settles on PostgreSQL: every value stored as sealed', () => {
  const tempStorage = (): Promise<PostgresStorage> => postgresStorageForThisTest(4);

  it('appends rows holding empty text, NULLs, quotes, backslashes and the column separators, verifiably', async () => {
    const storage = await tempStorage();
    const odd = ["", "O'Brien \\ \"x\"", 'unit\u001fsep', 'record\u001esep', '\u001e', 'ünï 😀'];
    const drafts = odd.flatMap((text, index) => [
      auditDraft({ leadKey: `webform:${text}`, source: text, errorTrace: text, crmRecordId: index % 2 === 0 ? null : text, changes: [{ field: 'f', before: text, after: null, confidence: 1, reason: text }] }),
      auditDraft({ leadKey: 'webform:plain', idempotencyKey: index % 2 === 0 ? '' : null, changes: [] }),
    ]);
    // Batches of several rows without separators, with separators, and single rows.
    await storage.audit.append(drafts.slice(0, 4));
    await storage.audit.append(drafts.slice(4, 10));
    await storage.audit.append(drafts.slice(10, 11));
    await storage.audit.append([auditDraft({ errorTrace: '' })]);
    await storage.audit.append(drafts.slice(11));
    // verify recomputes every row's hash from what was stored: a value changed on the way fails it.
    expect(await storage.audit.verify()).toMatchObject({ ok: true, rows: drafts.length + 1 });
    const stored = (await storage.audit.search({ limit: 100 })).items;
    expect(stored.map((record) => [record.leadKey, record.source, record.errorTrace, record.crmRecordId, record.idempotencyKey, record.changes]).reverse()).toEqual(
      [...drafts.slice(0, 11), auditDraft({ errorTrace: '' }), ...drafts.slice(11)].map((draft) => [draft.leadKey, draft.source, draft.errorTrace ?? null, draft.crmRecordId ?? null, draft.idempotencyKey ?? null, draft.changes]),
    );
  });

  it('settles jobs in two messages, and falls back to settling one by one when a claim was lost', async () => {
    const storage = await tempStorage();
    const events = await storage.ingest.acceptMany(['a', 'b', 'c'].map((lead, index) => ({
      source: 'webform', leadId: lead, leadKey: `webform:${lead}`, idempotencyKey: `k-${lead}`, payloadHash: `h${index}`,
      payload: { email: `${lead}@x.com` }, receivedAt: new Date('2026-01-01T00:00:00.000Z'), lane: 'batch' as const,
    })));
    expect(events).toHaveLength(3);
    const jobs = await storage.jobs.claim({ lane: 'batch', limit: 10, workerId: 'w1', now: new Date('2026-01-02T00:00:00.000Z'), visibilityMs: 60_000 });
    expect(jobs).toHaveLength(3);
    const [first, second, third] = jobs;
    if (first === undefined || second === undefined || third === undefined) throw new Error('three jobs expected');
    const state = { object: 'contact', appliedAt: '2026-01-01T00:00:00.000Z', confidence: 1, source: 'webform' };
    const input = (job: typeof first, workerId: string) => ({
      job: { id: job.id, workerId },
      audit: [auditDraft({ leadKey: job.leadKey, eventId: job.eventId })],
      fieldState: [{ ...state, leadKey: job.leadKey, field: 'owner', value: workerId }],
    });
    // All claims held: settled together.
    expect(await storage.outcomes.settleMany([input(first, 'w1')])).toMatchObject([{ status: 'settled', auditIds: ['1'] }]);
    // One claim is not ours: that input writes nothing, the other settles as ever.
    const results = await storage.outcomes.settleMany([input(second, 'someone-else'), input(third, 'w1')]);
    expect(results).toMatchObject([{ status: 'lost_claim' }, { status: 'settled', auditIds: ['2'] }]);
    expect(await storage.fieldState.read(second.leadKey, 'contact')).toEqual({});
    expect(await storage.fieldState.read(third.leadKey, 'contact')).toMatchObject({ owner: { value: 'w1' } });
    expect(await storage.audit.verify()).toMatchObject({ ok: true, rows: 2 });
    expect((await storage.jobs.depth()).batch).toBe(1);
  });
});
