import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRecordChange } from '../../../src/adapters/sandbox-crm/sandbox-crm-record-change.js';
import type { StoredFields } from '../../../src/adapters/sandbox-crm/sandbox-crm-tables.js';
import type { CrmObjectSchema, FieldValue } from '../../../src/core/crm-schema/crm-schema-types.js';

// planRecordChange decides "no change" for strings and booleans by comparing
// values, and for the rest by their JSON text; the sandbox's rule is the JSON
// text (a field's last-modified time moves only when its stored JSON would).

const object: CrmObjectSchema = {
  name: 'thing',
  label: 'Thing',
  fields: {
    key: { name: 'key', label: 'Key', type: 'string', required: false, readOnly: false, unique: true },
    // Fields that accept every value the arbitraries make (an unrestricted multi-picklist takes any text), so only the comparison is under test.
    text: { name: 'text', label: 'Text', type: 'string', required: false, readOnly: false, unique: true },
    amount: { name: 'amount', label: 'Amount', type: 'number', required: false, readOnly: false, unique: false },
    flag: { name: 'flag', label: 'Flag', type: 'bool', required: false, readOnly: false, unique: false },
    tags: { name: 'tags', label: 'Tags', type: 'multi_picklist', required: false, readOnly: false, unique: false, restricted: false },
  },
};

const VALUES: Record<string, fc.Arbitrary<Exclude<FieldValue, null>>> = {
  text: fc.oneof(fc.string({ unit: 'binary', maxLength: 4 }), fc.constantFrom('a', 'b')),
  amount: fc.oneof(fc.constantFrom(0, -0, 1, 1.5), fc.double({ noNaN: true, noDefaultInfinity: true })),
  flag: fc.boolean(),
  tags: fc.array(fc.constantFrom('x', 'y', 'z'), { maxLength: 3 }),
};

const field = fc.constantFrom('text', 'amount', 'flag', 'tags');
const stamp = { now: '2026-01-01T00:00:00.000Z', writer: 'leadsync' };

describe('planRecordChange', () => {
  it('changes a field exactly when its JSON text changes, and claims and releases unique values by JSON text', () => {
    fc.assert(
      fc.property(
        field.chain((name) => fc.tuple(fc.constant(name), fc.option(VALUES[name] as fc.Arbitrary<Exclude<FieldValue, null>>), fc.option(VALUES[name] as fc.Arbitrary<Exclude<FieldValue, null>>))),
        ([name, stored, next]) => {
          const fields: StoredFields = { key: { v: 'k', at: '2025-01-01T00:00:00.000Z', by: 'someone' } };
          if (stored !== null) fields[name] = { v: stored, at: '2025-01-01T00:00:00.000Z', by: 'someone' };
          const plan = planRecordChange(object, { key: 'k', [name]: next }, { exists: true, fields }, new Set(['key', 'text']), stamp);
          if (!plan.ok) throw new Error(plan.message);
          const before = stored === null ? undefined : JSON.stringify(stored);
          const after = next === null ? undefined : JSON.stringify(next);
          const changed = before !== after;
          expect(plan.changed).toBe(changed);
          expect(plan.fields[name]).toEqual(next === null ? undefined : changed ? { v: next, at: stamp.now, by: stamp.writer } : fields[name]);
          const unique = name === 'text' && changed;
          expect(plan.moves).toEqual({
            release: unique && before !== undefined ? [{ field: name, valueJson: before }] : [],
            claim: unique && after !== undefined ? [{ field: name, valueJson: after }] : [],
          });
        },
      ),
      { numRuns: 2000 },
    );
  });
});
