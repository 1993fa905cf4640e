import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PostgresSandboxCrmDestination } from '../../src/adapters/sandbox-crm/sandbox-crm-postgres-destination.js';
import { ManualClock } from '../support/manual-clock.js';
import { schemaForThisTest, testDatabaseUrl } from '../support/postgres-test-schema.js';
import { CONTRACT_CRM_SCHEMA, crmDestinationContract, type CrmUnderTest } from './crm-destination.contract.js';

/** A pool on a fresh schema of the test database (created here; the sandbox creates its tables). */
async function freshPool(): Promise<pg.Pool> {
  const pools: pg.Pool[] = [];
  const schema = schemaForThisTest(async () => {
    for (const pool of pools) await pool.end();
  });
  const admin = new pg.Client({ connectionString: testDatabaseUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({ connectionString: testDatabaseUrl(), options: `-c search_path=${schema}`, max: 6 });
  pool.on('error', () => undefined);
  pools.push(pool);
  return pool;
}

async function makePostgresSandboxCrm(): Promise<CrmUnderTest> {
  const crm = await PostgresSandboxCrmDestination.open(await freshPool(), { schema: CONTRACT_CRM_SCHEMA, clock: new ManualClock() });
  return { destination: crm, injectFault: (fault) => crm.injectFault(fault) };
}

describe('sandbox CRM on PostgreSQL', () => {
  crmDestinationContract(makePostgresSandboxCrm);

  describe('PostgreSQL specifics', () => {
    it('creates a record once when many connections (or processes) upsert it at the same moment', async () => {
      const pool = await freshPool();
      // Separate destinations over one schema stand in for separate worker processes.
      const crms = await Promise.all(Array.from({ length: 6 }, () => PostgresSandboxCrmDestination.open(pool, { schema: CONTRACT_CRM_SCHEMA })));
      const results = await Promise.all(
        crms.map((crm, index) => crm.upsert('contact', [
          { idField: 'email', id: 'ada@example.com', properties: { jobtitle: `title ${index}` } },
          { idField: 'email', id: 'grace@example.com', properties: { employees: index } },
        ])),
      );
      const created = results.flat().filter((result) => result.ok && result.created);
      expect(created).toHaveLength(2);
      const count = await pool.query<{ n: string }>('SELECT count(*) AS n FROM crm_records');
      expect(count.rows[0]?.n).toBe('2');
      const ids = new Set(results.flat().map((result) => (result.ok ? result.recordId : 'failed')));
      expect(ids.size).toBe(2);
    });

    it('keeps per-field last-modified time and modifier, visible in the crm_field_values view', async () => {
      const pool = await freshPool();
      const clock = new ManualClock();
      const crm = await PostgresSandboxCrmDestination.open(pool, { schema: CONTRACT_CRM_SCHEMA, clock });
      await crm.upsert('contact', [{ idField: 'email', id: 'ada@example.com', properties: { firstname: 'Ada', jobtitle: 'CTO' } }]);
      clock.advance(60_000);
      await crm.upsert('contact', [{ idField: 'email', id: 'ada@example.com', properties: { firstname: 'Ada', jobtitle: 'CEO' } }]);
      const fields = await pool.query('SELECT field, modified_at, modified_by FROM crm_field_values ORDER BY field');
      expect(fields.rows).toEqual([
        { field: 'email', modified_at: '2026-01-01T00:00:00.000Z', modified_by: 'leadsync' },
        { field: 'firstname', modified_at: '2026-01-01T00:00:00.000Z', modified_by: 'leadsync' },
        { field: 'jobtitle', modified_at: '2026-01-01T00:01:00.000Z', modified_by: 'leadsync' },
      ]);
    });

    it('re-indexes unique values when the schema makes another field unique', async () => {
      const pool = await freshPool();
      const crm = await PostgresSandboxCrmDestination.open(pool, { schema: CONTRACT_CRM_SCHEMA });
      await crm.upsert('contact', [{ idField: 'email', id: 'ada@example.com', properties: { jobtitle: 'CTO' } }]);
      const contact = CONTRACT_CRM_SCHEMA.objects['contact'];
      const jobtitle = contact?.fields['jobtitle'];
      if (!contact || !jobtitle) throw new Error('contract schema has no contact.jobtitle');
      const byTitle = await PostgresSandboxCrmDestination.open(pool, {
        schema: { ...CONTRACT_CRM_SCHEMA, objects: { contact: { ...contact, fields: { ...contact.fields, jobtitle: { ...jobtitle, unique: true } } } } },
      });
      expect(await byTitle.read('contact', [{ idField: 'jobtitle', id: 'CTO' }])).toMatchObject([{ ok: true, found: true, properties: { email: 'ada@example.com' } }]);
    });
  });
});
