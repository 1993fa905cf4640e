import { describe, expect, it } from 'vitest';
import type { FieldStateUpdate } from '../../src/ports/field-state-store.js';
import type { StorageFactory } from './storage-under-test.js';

function update(overrides: Partial<FieldStateUpdate>): FieldStateUpdate {
  return {
    leadKey: 'webform:lead-1', object: 'contact', field: 'jobtitle', value: 'VP Sales',
    appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.9, source: 'webform', ...overrides,
  };
}

/** Contract of FieldStateStore: the last applied value per lead, object and field. */
export function fieldStateStoreContract(makeStorage: StorageFactory): void {
  describe('FieldStateStore contract', () => {
    it('reads nothing for a lead without applied fields', async () => {
      const { ports } = await makeStorage();
      expect(await ports.fieldState.read('webform:nobody', 'contact')).toEqual({});
    });

    it('keeps the latest state per field, separately per lead and object, with every value type', async () => {
      const { ports } = await makeStorage();
      await ports.outcomes.settle({
        audit: [],
        fieldState: [
          update({}),
          update({ field: 'tags', value: ['a', 'b'] }),
          update({ field: 'employees', value: 250 }),
          update({ field: 'opted_in', value: false }),
          update({ field: 'phone', value: null }),
          update({ object: 'company', field: 'name', value: 'Acme' }),
          update({ leadKey: 'webform:lead-2', value: 'CEO' }),
        ],
      });
      await ports.outcomes.settle({
        audit: [],
        fieldState: [update({ value: 'CRO', appliedAt: '2026-01-02T00:00:00.000Z', confidence: 0.95, source: 'clearbit' })],
      });
      expect(await ports.fieldState.read('webform:lead-1', 'contact')).toEqual({
        jobtitle: { value: 'CRO', appliedAt: '2026-01-02T00:00:00.000Z', confidence: 0.95, source: 'clearbit' },
        tags: { value: ['a', 'b'], appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.9, source: 'webform' },
        employees: { value: 250, appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.9, source: 'webform' },
        opted_in: { value: false, appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.9, source: 'webform' },
        phone: { value: null, appliedAt: '2026-01-01T00:00:00.000Z', confidence: 0.9, source: 'webform' },
      });
      expect(Object.keys(await ports.fieldState.read('webform:lead-1', 'company'))).toEqual(['name']);
      expect((await ports.fieldState.read('webform:lead-2', 'contact'))['jobtitle']?.value).toBe('CEO');
    });

    it('reads many records at once, in the order asked, as read does one by one', async () => {
      const { ports } = await makeStorage();
      await ports.outcomes.settle({
        audit: [],
        fieldState: [update({}), update({ object: 'company', field: 'name', value: 'Acme' }), update({ leadKey: 'webform:lead-2', value: 'CEO' })],
      });
      const keys = [
        { leadKey: 'webform:lead-2', object: 'contact' },
        { leadKey: 'webform:nobody', object: 'contact' },
        { leadKey: 'webform:lead-1', object: 'company' },
        { leadKey: 'webform:lead-1', object: 'contact' },
        { leadKey: 'webform:lead-2', object: 'contact' },
      ];
      const many = await ports.fieldState.readMany(keys);
      expect(many).toEqual(await Promise.all(keys.map((key) => ports.fieldState.read(key.leadKey, key.object))));
      expect(many.map((fields) => Object.keys(fields))).toEqual([['jobtitle'], [], ['name'], ['jobtitle'], ['jobtitle']]);
      expect(many[0]?.['jobtitle']?.value).toBe('CEO');
      expect(await ports.fieldState.readMany([])).toEqual([]);
    });

    it('refuses a confidence outside 0..1', async () => {
      const { ports } = await makeStorage();
      await expect(ports.outcomes.settle({ audit: [], fieldState: [update({ confidence: 1.5 })] })).rejects.toThrow();
      expect(await ports.fieldState.read('webform:lead-1', 'contact')).toEqual({});
    });
  });
}
