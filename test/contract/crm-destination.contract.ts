import { describe, expect, it } from 'vitest';
import type { CrmSchema } from '../../src/core/crm-schema/crm-schema-types.js';
import type { CrmDestination } from '../../src/ports/crm-destination.js';

/** The schema every CRM destination under test is set up with. */
export const CONTRACT_CRM_SCHEMA: CrmSchema = {
  version: 'contract-1',
  objects: {
    contact: {
      name: 'contact',
      label: 'Contact',
      fields: {
        email: { name: 'email', label: 'Email', type: 'email', required: true, readOnly: false, unique: true },
        firstname: { name: 'firstname', label: 'First name', type: 'string', required: false, readOnly: false, unique: false, maxLength: 20 },
        jobtitle: { name: 'jobtitle', label: 'Job title', type: 'string', required: false, readOnly: false, unique: false },
        employees: { name: 'employees', label: 'Employees', type: 'number', required: false, readOnly: false, unique: false },
        lifecyclestage: {
          name: 'lifecyclestage', label: 'Lifecycle stage', type: 'picklist', required: false, readOnly: false, unique: false,
          options: [
            { value: 'lead', label: 'Lead', active: true },
            { value: 'customer', label: 'Customer', active: true },
            { value: 'evangelist', label: 'Evangelist', active: false },
          ],
        },
        createdate: { name: 'createdate', label: 'Created', type: 'datetime', required: false, readOnly: true, unique: false },
      },
    },
  },
};

/** A destination plus the fault knob its test double (sandbox, emulator) offers. */
export interface CrmUnderTest {
  readonly destination: CrmDestination;
  readonly injectFault: (fault: { kind: 'transient' | 'permanent' | 'rate_limited'; times: number; retryAfterMs?: number }) => void;
}

/** Set up with CONTRACT_CRM_SCHEMA and no records; called inside each test. */
export type CrmFactory = () => Promise<CrmUnderTest>;

/** Contract of CrmDestination: per-record results, validation like a CRM, faults as results. */
export function crmDestinationContract(makeCrm: CrmFactory): void {
  describe('CrmDestination contract', () => {
    it('describes its schema', async () => {
      const { destination } = await makeCrm();
      const schema = await destination.describe();
      expect(Object.keys(schema.objects)).toContain('contact');
      expect(schema.objects['contact']?.fields['lifecyclestage']?.options?.map((option) => option.value)).toEqual(['lead', 'customer', 'evangelist']);
    });

    it('creates a record, then updates the same record', async () => {
      const { destination } = await makeCrm();
      const [created] = await destination.upsert('contact', [
        { idField: 'email', id: 'ada@example.com', properties: { firstname: 'Ada', lifecyclestage: 'lead' } },
      ]);
      expect(created).toMatchObject({ ok: true, created: true });
      expect(created?.ok === true ? created.recordId : '').not.toBe('');
      const [updated] = await destination.upsert('contact', [
        { idField: 'email', id: 'ada@example.com', properties: { lifecyclestage: 'customer', employees: 250, firstname: null } },
      ]);
      expect(updated).toEqual({ ok: true, created: false, recordId: created?.ok === true ? created.recordId : 'missing' });

      const [found, missing] = await destination.read('contact', [
        { idField: 'email', id: 'ada@example.com' },
        { idField: 'email', id: 'nobody@example.com' },
      ]);
      expect(found).toMatchObject({
        ok: true,
        found: true,
        recordId: created?.ok === true ? created.recordId : 'missing',
        properties: { email: 'ada@example.com', lifecyclestage: 'customer', employees: 250 },
      });
      expect(found?.ok === true && found.found ? Object.keys(found.properties) : []).not.toContain('firstname');
      expect(missing).toEqual({ ok: true, found: false });
    });

    it('answers a mixed batch record by record, writing only the valid records', async () => {
      const { destination } = await makeCrm();
      const results = await destination.upsert('contact', [
        { idField: 'email', id: 'ok@example.com', properties: { firstname: 'Ok' } },
        { idField: 'email', id: 'unknown@example.com', properties: { favourite_colour: 'blue' } },
        { idField: 'email', id: 'picklist@example.com', properties: { lifecyclestage: 'Customer' } },
        { idField: 'email', id: 'inactive@example.com', properties: { lifecyclestage: 'evangelist' } },
        { idField: 'email', id: 'type@example.com', properties: { employees: 'many' } },
        { idField: 'email', id: 'long@example.com', properties: { firstname: 'A'.repeat(21) } },
        { idField: 'email', id: 'readonly@example.com', properties: { createdate: '2026-01-01T00:00:00Z' } },
        { idField: 'email', id: 'not-an-email', properties: {} },
        { idField: 'email', id: 'ok@example.com', properties: { firstname: 'Twice' } },
        { idField: 'jobtitle', id: 'CTO', properties: {} },
        { idField: 'email', id: 'also-ok@example.com', properties: { jobtitle: 'CTO' } },
      ]);
      expect(results.map((result) => (result.ok ? 'ok' : result.code))).toEqual([
        'ok',
        'CRM_FIELD_UNKNOWN',
        'CRM_PICKLIST_MISMATCH',
        'CRM_PICKLIST_MISMATCH',
        'CRM_TYPE_MISMATCH',
        'CRM_VALUE_TOO_LONG',
        'CRM_FIELD_READ_ONLY',
        'CRM_TYPE_MISMATCH',
        'CRM_REJECTED',
        'CRM_REJECTED',
        'ok',
      ]);
      expect(results.every((result) => result.ok || !result.retryable)).toBe(true);

      const reads = await destination.read('contact', [
        { idField: 'email', id: 'ok@example.com' },
        { idField: 'email', id: 'picklist@example.com' },
        { idField: 'email', id: 'also-ok@example.com' },
      ]);
      expect(reads.map((read) => read.ok && read.found)).toEqual([true, false, true]);
      expect(reads[0]).toMatchObject({ properties: { firstname: 'Ok' } });
    });

    it('refuses an unknown object for every record', async () => {
      const { destination } = await makeCrm();
      const results = await destination.upsert('deal', [
        { idField: 'email', id: 'a@example.com', properties: {} },
        { idField: 'email', id: 'b@example.com', properties: {} },
      ]);
      expect(results).toMatchObject([{ ok: false, code: 'CRM_OBJECT_UNKNOWN' }, { ok: false, code: 'CRM_OBJECT_UNKNOWN' }]);
    });

    it('fails whole calls while a fault is injected, as retryable or permanent results, then recovers', async () => {
      const { destination, injectFault } = await makeCrm();
      const input = { idField: 'email', id: 'ada@example.com', properties: { firstname: 'Ada' } };
      injectFault({ kind: 'transient', times: 2 });
      // Whole seconds: an HTTP CRM can only say Retry-After in seconds.
      injectFault({ kind: 'rate_limited', times: 1, retryAfterMs: 3000 });
      injectFault({ kind: 'permanent', times: 1 });

      const unavailable = await destination.upsert('contact', [input, { ...input, id: 'bob@example.com' }]);
      expect(unavailable).toMatchObject([
        { ok: false, code: 'CRM_UNAVAILABLE', retryable: true },
        { ok: false, code: 'CRM_UNAVAILABLE', retryable: true },
      ]);
      expect(await destination.read('contact', [{ idField: 'email', id: 'ada@example.com' }])).toMatchObject([{ ok: false, code: 'CRM_UNAVAILABLE' }]);
      expect(await destination.upsert('contact', [input])).toMatchObject([{ ok: false, code: 'CRM_RATE_LIMITED', retryable: true, retryAfterMs: 3000 }]);
      expect(await destination.upsert('contact', [input])).toMatchObject([{ ok: false, code: 'CRM_REJECTED', retryable: false }]);

      // Nothing was written while failing; the next call goes through.
      expect(await destination.read('contact', [{ idField: 'email', id: 'ada@example.com' }])).toEqual([{ ok: true, found: false }]);
      expect(await destination.upsert('contact', [input])).toMatchObject([{ ok: true, created: true }]);
    });
  });
}
