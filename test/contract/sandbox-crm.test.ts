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

    it('stores fields named like Object.prototype members as fields', async () => {
      const field = (name: string): CrmSchema['objects'][string]['fields'][string] => ({ name, label: name, type: 'string', required: false, readOnly: false, unique: name === 'email' });
      const schema: CrmSchema = { version: 'odd-1', objects: { contact: { name: 'contact', label: 'Contact', fields: { email: field('email'), ['__proto__']: field('__proto__'), constructor: field('constructor') } } } };
      // An object literal with a computed "__proto__" key defines an own property; check the schema really has it.
      expect(Object.keys(schema.objects['contact']?.fields ?? {})).toContain('__proto__');
      const { crm } = makeSandbox(new ManualClock(), { schema });
      const written = await crm.upsert('contact', [{ idField: 'email', id: 'ada@example.com', properties: JSON.parse('{"__proto__": "p1", "constructor": "c1"}') as Record<string, string> }]);
      expect(written).toMatchObject([{ ok: true, created: true }]);
      await crm.upsert('contact', [{ idField: 'email', id: 'ada@example.com', properties: JSON.parse('{"__proto__": "p2"}') as Record<string, string> }]);
      const [read] = await crm.read('contact', [{ idField: 'email', id: 'ada@example.com' }]);
      if (read?.ok !== true || !read.found) throw new Error('expected the record');
      expect(Object.keys(read.properties).sort()).toEqual(['__proto__', 'constructor', 'email']);
      expect(Object.getOwnPropertyDescriptor(read.properties, '__proto__')?.value).toBe('p2');
      expect(read.properties['constructor']).toBe('c1');
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

    it('keeps unique fields unique: a write that would give a second record the same value is refused', async () => {
      const contact = CONTRACT_CRM_SCHEMA.objects['contact'];
      if (!contact) throw new Error('contract schema has no contact');
      const schema: CrmSchema = {
        ...CONTRACT_CRM_SCHEMA,
        objects: { contact: { ...contact, fields: { ...contact.fields, external_id: { name: 'external_id', label: 'External id', type: 'string', required: false, readOnly: false, unique: true } } } },
      };
      const { crm } = makeSandbox(new ManualClock(), { schema });
      await crm.upsert('contact', [{ idField: 'email', id: 'ada@example.com', properties: { external_id: 'X-1' } }]);
      const results = await crm.upsert('contact', [
        { idField: 'email', id: 'grace@example.com', properties: { external_id: 'X-1' } },
        { idField: 'email', id: 'ada@example.com', properties: { external_id: 'X-2' } },
      ]);
      expect(results).toMatchObject([{ ok: false, code: 'CRM_REJECTED' }, { ok: true, created: false }]);
      // Ada released X-1 when she moved to X-2, so Grace may take it now, and both are found by it.
      expect(await crm.upsert('contact', [{ idField: 'email', id: 'grace@example.com', properties: { external_id: 'X-1' } }])).toMatchObject([{ ok: true, created: true }]);
      const reads = await crm.read('contact', [{ idField: 'external_id', id: 'X-1' }, { idField: 'external_id', id: 'X-2' }]);
      expect(reads.map((read) => (read.ok && read.found ? read.properties['email'] : null))).toEqual(['grace@example.com', 'ada@example.com']);
    });

    it('moves a database of the per-field layout to one row per record, and re-indexes when the schema changes which fields are unique', async () => {
      const db = new Database(':memory:');
      onTestFinished(() => {
        db.close();
      });
      db.exec(`
        CREATE TABLE crm_records (record_id INTEGER PRIMARY KEY AUTOINCREMENT, object TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL) STRICT;
        CREATE TABLE crm_field_values (
          record_id INTEGER NOT NULL REFERENCES crm_records (record_id), object TEXT NOT NULL, field TEXT NOT NULL, value_json TEXT NOT NULL,
          modified_at TEXT NOT NULL, modified_by TEXT NOT NULL, PRIMARY KEY (record_id, field)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX crm_field_values_by_value ON crm_field_values (object, field, value_json);
        INSERT INTO crm_records VALUES (1, 'contact', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z');
        INSERT INTO crm_field_values VALUES
          (1, 'contact', 'email', '"ada@example.com"', '2026-01-01T00:00:00.000Z', 'leadsync'),
          (1, 'contact', 'jobtitle', '"CTO"', '2026-01-02T00:00:00.000Z', 'someone'),
          (1, 'contact', 'employees', '250', '2026-01-01T00:00:00.000Z', 'leadsync');
      `);
      const crm = new SandboxCrmDestination(db, { schema: CONTRACT_CRM_SCHEMA, clock: new ManualClock() });
      expect(await crm.read('contact', [{ idField: 'email', id: 'ada@example.com' }])).toEqual([
        { ok: true, found: true, recordId: '1', properties: { email: 'ada@example.com', employees: 250, jobtitle: 'CTO' }, updatedAt: '2026-01-02T00:00:00.000Z' },
      ]);
      expect(db.prepare('SELECT field, value_json, modified_at, modified_by FROM crm_field_values ORDER BY field').all()).toEqual([
        { field: 'email', value_json: '"ada@example.com"', modified_at: '2026-01-01T00:00:00.000Z', modified_by: 'leadsync' },
        { field: 'employees', value_json: '250', modified_at: '2026-01-01T00:00:00.000Z', modified_by: 'leadsync' },
        { field: 'jobtitle', value_json: '"CTO"', modified_at: '2026-01-02T00:00:00.000Z', modified_by: 'someone' },
      ]);

      const contact = CONTRACT_CRM_SCHEMA.objects['contact'];
      const jobtitle = contact?.fields['jobtitle'];
      if (!contact || !jobtitle) throw new Error('contract schema has no contact.jobtitle');
      const byTitle = new SandboxCrmDestination(db, {
        schema: { ...CONTRACT_CRM_SCHEMA, objects: { contact: { ...contact, fields: { ...contact.fields, jobtitle: { ...jobtitle, unique: true } } } } },
      });
      expect(await byTitle.read('contact', [{ idField: 'jobtitle', id: 'CTO' }])).toMatchObject([{ ok: true, found: true, recordId: '1' }]);
    });

    it('refuses to read a record its unique value points at when the record row is missing, rather than calling it absent', async () => {
      const { crm, db } = makeSandbox();
      await crm.upsert('contact', [{ idField: 'email', id: 'ada@example.com', properties: {} }]);
      // Damage the CRM's tables: the unique value stays, the record goes.
      db.pragma('foreign_keys = OFF');
      db.prepare('DELETE FROM crm_records').run();
      await expect(crm.read('contact', [{ idField: 'email', id: 'ada@example.com' }])).rejects.toThrow(/missing record/);
    });

    it('reads a batch of keys with one snapshot: found, absent and refused keys answered in order', async () => {
      const { crm } = makeSandbox();
      await crm.upsert('contact', [
        { idField: 'email', id: 'ada@example.com', properties: { firstname: 'Ada' } },
        { idField: 'email', id: 'bob@example.com', properties: { firstname: 'Bob' } },
      ]);
      const results = await crm.read('contact', [
        { idField: 'email', id: 'bob@example.com' },
        { idField: 'email', id: 'nobody@example.com' },
        { idField: 'firstname', id: 'Ada' },
        { idField: 'email', id: 'ada@example.com' },
      ]);
      expect(results).toMatchObject([
        { ok: true, found: true, properties: { email: 'bob@example.com', firstname: 'Bob' } },
        { ok: true, found: false },
        { ok: false, code: 'CRM_REJECTED' },
        { ok: true, found: true, properties: { email: 'ada@example.com', firstname: 'Ada' } },
      ]);
      const [bob, , , ada] = results;
      if (bob?.ok !== true || !bob.found || ada?.ok !== true || !ada.found) throw new Error('expected both records');
      expect(Object.keys(bob.properties)).toEqual(['email', 'firstname']);
      expect(bob.recordId).not.toBe(ada.recordId);
    });

    it('answers a batch as the same inputs one call at a time: later inputs see what earlier ones of the batch wrote', async () => {
      const contact = CONTRACT_CRM_SCHEMA.objects['contact'];
      if (!contact) throw new Error('contract schema has no contact');
      const schema: CrmSchema = {
        ...CONTRACT_CRM_SCHEMA,
        objects: { contact: { ...contact, fields: { ...contact.fields, external_id: { name: 'external_id', label: 'External id', type: 'string', required: false, readOnly: false, unique: true } } } },
      };
      const setUp = async (): Promise<{ crm: SandboxCrmDestination; db: Database.Database }> => {
        const sandbox = makeSandbox(new ManualClock(), { schema });
        await sandbox.crm.upsert('contact', [
          { idField: 'email', id: 'ada@example.com', properties: { external_id: 'X-1' } },
          { idField: 'email', id: 'grace@example.com', properties: { external_id: 'X-9' } },
        ]);
        return sandbox;
      };
      const inputs = [
        // Ada releases X-1 and claims X-2.
        { idField: 'email', id: 'ada@example.com', properties: { external_id: 'X-2' } },
        // X-1 is free again; X-2 is Ada's now, not free as it was when the call began.
        { idField: 'email', id: 'bob@example.com', properties: { external_id: 'X-1' } },
        { idField: 'email', id: 'linus@example.com', properties: { external_id: 'X-2' } },
        // Found by the value Ada claimed above, with the fields she has now.
        { idField: 'external_id', id: 'X-2', properties: { jobtitle: 'CTO' } },
        // Grace, changed and then found again by another of her unique values: the second write starts from the first.
        { idField: 'email', id: 'grace@example.com', properties: { jobtitle: 'CEO' } },
        { idField: 'external_id', id: 'X-9', properties: { firstname: 'Grace' } },
        // A key with characters a JSON round trip might not keep, and one nobody holds.
        { idField: 'email', id: 'u\u0000\ud800@example.com', properties: {} },
        { idField: 'external_id', id: 'X-404', properties: { firstname: 'Nobody' } },
      ];
      const batched = await setUp();
      const batchResults = await batched.crm.upsert('contact', inputs);
      const single = await setUp();
      const singleResults = [];
      for (const input of inputs) singleResults.push(...(await single.crm.upsert('contact', [input])));
      expect(batchResults).toEqual(singleResults);
      expect(batchResults.map((result) => result.ok)).toEqual([true, true, false, true, true, true, true, false]);
      const contents = (db: Database.Database): unknown => [
        db.prepare('SELECT record_id, object, created_at, updated_at, fields_json FROM crm_records ORDER BY record_id').all(),
        db.prepare('SELECT object, field, value_json, record_id FROM crm_unique_values ORDER BY object, field, value_json').all(),
      ];
      expect(contents(batched.db)).toEqual(contents(single.db));
      const reads = await batched.crm.read('contact', [{ idField: 'external_id', id: 'X-2' }, { idField: 'email', id: 'grace@example.com' }, { idField: 'email', id: 'u\u0000\ud800@example.com' }]);
      expect(reads).toMatchObject([
        { ok: true, found: true, properties: { email: 'ada@example.com', external_id: 'X-2', jobtitle: 'CTO' } },
        { ok: true, found: true, properties: { firstname: 'Grace', jobtitle: 'CEO', external_id: 'X-9' } },
        { ok: true, found: true },
      ]);
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
