import Database from 'better-sqlite3';
import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PostgresSandboxCrmDestination } from '../../src/adapters/sandbox-crm/sandbox-crm-postgres-destination.js';
import { SandboxCrmDestination } from '../../src/adapters/sandbox-crm/sandbox-crm-destination.js';
import { decodeSandboxRecord } from '../../src/adapters/sandbox-crm/sandbox-crm-sqlite-record-codec.js';
import type { CrmSchema } from '../../src/core/crm-schema/crm-schema-types.js';
import type { CrmDestination, UpsertInput, UpsertResult } from '../../src/ports/crm-destination.js';
import { ManualClock } from '../support/manual-clock.js';
import { schemaForThisTest, testDatabaseUrl, withTestConnection } from '../support/postgres-test-schema.js';
import { CONTRACT_CRM_SCHEMA } from './crm-destination.contract.js';

// The PostgreSQL flavour decides a whole batch in memory and writes it in one
// statement; the SQLite flavour writes input by input. Both must answer every
// input alike and leave the same records and unique values behind, whatever
// the batch does: create and find a record in one batch, move a unique value
// from one record to another, repeat an id, send invalid values.

const contact = CONTRACT_CRM_SCHEMA.objects['contact'];
if (!contact) throw new Error('contract schema has no contact');
const SCHEMA: CrmSchema = {
  ...CONTRACT_CRM_SCHEMA,
  objects: { contact: { ...contact, fields: { ...contact.fields, external_id: { name: 'external_id', label: 'External id', type: 'string', required: false, readOnly: false, unique: true } } } },
};

const emails = fc.constantFrom('a@x.com', 'b@x.com', 'c@x.com', 'not-an-email');
const externalIds = fc.constantFrom('X-1', 'X-2', 'X-3');
const input: fc.Arbitrary<UpsertInput> = fc.record({
  key: fc.oneof(emails.map((id) => ({ idField: 'email', id })), externalIds.map((id) => ({ idField: 'external_id', id }))),
  properties: fc.record(
    {
      email: emails,
      external_id: fc.option(externalIds, { nil: null }),
      firstname: fc.constantFrom('Ada', 'Grace', 'a name far too long for the field'),
      jobtitle: fc.option(fc.constantFrom('CTO', 'CEO'), { nil: null }),
    },
    { requiredKeys: [] },
  ),
}).map(({ key, properties }) => ({ ...key, properties }));
const batches = fc.array(fc.array(input, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 });

interface Contents {
  readonly records: { id: string; createdAt: string; updatedAt: string; fields: unknown }[];
  readonly unique: string[];
}

function sqliteContents(db: Database.Database): Contents {
  return {
    records: db.prepare<[], { record_id: number; created_at: string; updated_at: string; fields_json: string }>('SELECT record_id, created_at, updated_at, fields_json FROM crm_records ORDER BY record_id').all()
      .map((row) => ({ id: String(row.record_id), createdAt: row.created_at, updatedAt: row.updated_at, fields: decodeSandboxRecord(row.fields_json) })),
    unique: db.prepare<[], { v: string }>("SELECT field || ' ' || value_json || ' ' || record_id AS v FROM crm_unique_values ORDER BY 1").all().map((row) => row.v),
  };
}

async function postgresContents(pool: pg.Pool): Promise<Contents> {
  const records = await pool.query<{ record_id: string; created_at: string; updated_at: string; fields: unknown }>('SELECT record_id, created_at, updated_at, fields FROM crm_records ORDER BY record_id');
  const unique = await pool.query<{ v: string }>("SELECT field || ' ' || value_json || ' ' || record_id AS v FROM crm_unique_values ORDER BY 1");
  return {
    records: records.rows.map((row) => ({ id: row.record_id, createdAt: row.created_at, updatedAt: row.updated_at, fields: row.fields })),
    unique: unique.rows.map((row) => row.v).sort(),
  };
}

async function run(crm: CrmDestination, clock: ManualClock, script: readonly (readonly UpsertInput[])[]): Promise<UpsertResult[][]> {
  const results: UpsertResult[][] = [];
  for (const batch of script) {
    clock.advance(1000);
    results.push([...(await crm.upsert('contact', batch))]);
  }
  return results;
}

describe('sandbox CRM flavours', () => {
  it('the PostgreSQL flavour answers and stores every batch exactly as the SQLite flavour does', async () => {
    const pools: pg.Pool[] = [];
    const schema = schemaForThisTest(async () => {
      for (const pool of pools) await pool.end();
    });
    await withTestConnection(async (client) => {
      await client.query(`CREATE SCHEMA "${schema}"`);
    });
    const pool = new pg.Pool({ connectionString: testDatabaseUrl(), options: `-c search_path=${schema}`, max: 2 });
    pool.on('error', () => undefined);
    pools.push(pool);
    await PostgresSandboxCrmDestination.open(pool, { schema: SCHEMA });

    await fc.assert(
      fc.asyncProperty(batches, async (script) => {
        await pool.query('TRUNCATE crm_unique_values, crm_records RESTART IDENTITY');
        const pgClock = new ManualClock();
        const postgres = await PostgresSandboxCrmDestination.open(pool, { schema: SCHEMA, clock: pgClock });
        const db = new Database(':memory:');
        onTestFinished(() => {
          db.close();
        });
        const sqliteClock = new ManualClock();
        const sqlite = new SandboxCrmDestination(db, { schema: SCHEMA, clock: sqliteClock });

        const expected = await run(sqlite, sqliteClock, script);
        expect(await run(postgres, pgClock, script)).toEqual(expected);
        expect(await postgresContents(pool)).toEqual(sqliteContents(db));
        db.close();
      }),
      { numRuns: 150 },
    );
  });
});
