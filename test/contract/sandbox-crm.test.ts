import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CrmSchema } from '../../src/core/crm-schema/crm-schema-types.js';
import { SandboxCrmDestination } from '../../src/adapters/sandbox-crm/sandbox-crm-destination.js';
import { ManualClock } from '../support/manual-clock.js';
import { CONTRACT_CRM_SCHEMA, crmDestinationContract, type CrmUnderTest } from './crm-destination.contract.js';

function makeSandbox(clock = new ManualClock(), options: { schema?: CrmSchema; name?: string } = {}): { crm: SandboxCrmDestination; db: Database.Database } {
  // The CRM's tables are the system under test here, not file durability: an in-memory database is enough.
  const db = new Database(':memory:');
  onTestFinished(() => {
    db.close();
  });
  const crm = new SandboxCrmDestination(db, { schema: options.schema ?? CONTRACT_CRM_SCHEMA, clock, ...(options.name === undefined ? {} : { name: options.name }) });
  return { crm, db };
}

function makeSandboxCrm(): Promise<CrmUnderTest> {
  const { crm } = makeSandbox();
  return Promise.resolve({ destination: crm, injectFault: (fault) => crm.injectFault(fault) });
}

describe('sandbox CRM', () => {
  crmDestinationContract(makeSandboxCrm);

  describe('sandbox specifics', () => {
    it('keeps per-field last-modified time and modifier, moved only by real changes', async () => {
      const clock = new ManualClock();
      const { crm, db } = makeSandbox(clock);
      await crm.upsert('contact', [{ idField: 'email', id: 'ada@example.com', properties: { firstname: 'Ada', jobtitle: 'CTO' } }]);
      clock.advance(60_000);
      await crm.upsert('contact', [{ idField: 'email', id: 'ada@example.com', properties: { firstname: 'Ada', jobtitle: 'CEO' } }]);
      const fields = db
        .prepare<[], { field: string; modified_at: string; modified_by: string }>('SELECT field, modified_at, modified_by FROM crm_field_values ORDER BY field')
        .all();
      expect(fields).toEqual([
        { field: 'email', modified_at: '2026-01-01T00:00:00.000Z', modified_by: 'leadsync' },
        { field: 'firstname', modified_at: '2026-01-01T00:00:00.000Z', modified_by: 'leadsync' },
        { field: 'jobtitle', modified_at: '2026-01-01T00:01:00.000Z', modified_by: 'leadsync' },
      ]);
      const [read] = await crm.read('contact', [{ idField: 'email', id: 'ada@example.com' }]);
      expect(read).toMatchObject({ updatedAt: '2026-01-01T00:01:00.000Z' });
    });

    it('requires required fields on create and refuses clearing them', async () => {
      const schema: CrmSchema = {
        version: 'companies-1',
        objects: {
          company: {
            name: 'company',
            label: 'Company',
            fields: {
              domain: { name: 'domain', label: 'Domain', type: 'string', required: false, readOnly: false, unique: true },
              name: { name: 'name', label: 'Name', type: 'string', required: true, readOnly: false, unique: false },
            },
          },
        },
      };
      const { crm } = makeSandbox(new ManualClock(), { schema, name: 'companies' });
      expect(crm.name).toBe('companies');
      expect(await crm.upsert('company', [{ idField: 'domain', id: 'acme.com', properties: {} }])).toMatchObject([{ ok: false, code: 'CRM_REQUIRED_MISSING' }]);
      expect(await crm.upsert('company', [{ idField: 'domain', id: 'acme.com', properties: { name: 'Acme' } }])).toMatchObject([{ ok: true, created: true }]);
      expect(await crm.upsert('company', [{ idField: 'domain', id: 'acme.com', properties: { name: null } }])).toMatchObject([{ ok: false, code: 'CRM_REQUIRED_MISSING' }]);
      expect(makeSandbox().crm.name).toBe('sandbox');
    });

    it('clearFaults drops pending faults', async () => {
      const { crm } = makeSandbox();
      crm.injectFault({ kind: 'transient', times: 5 });
      crm.clearFaults();
      expect(await crm.upsert('contact', [{ idField: 'email', id: 'a@example.com', properties: {} }])).toMatchObject([{ ok: true }]);
      expect(() => crm.injectFault({ kind: 'transient', times: 0 })).toThrow(RangeError);
    });
  });
});
