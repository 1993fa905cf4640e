import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CrmFieldSchema, CrmSchema } from '../../../src/core/crm-schema/crm-schema-types.js';
import { planMerge } from '../../../src/core/merge/merge-planner.js';
import { MERGE_POLICIES, type CurrentRecord, type FieldPolicy, type ProposalInput } from '../../../src/core/merge/plan-types.js';
import { currentRecordNeed, type CurrentRecordNeed, type ReadBeforeWrite } from '../../../src/core/plan/current-record-need.js';
import type { PlanContext, PreparedObject } from '../../../src/core/plan/event-plan-types.js';
import { planEvent } from '../../../src/core/plan/event-planner.js';
import { T1, T2, T3, proposal, rejected } from './plan-fixtures.js';

function field(name: string, extra: Partial<CrmFieldSchema> = {}): CrmFieldSchema {
  return { name, label: name, type: 'string', required: false, readOnly: false, unique: false, ...extra };
}

const SCHEMA: CrmSchema = {
  version: 'test',
  objects: {
    contacts: { name: 'contacts', label: 'Contacts', fields: { email: field('email', { required: true, unique: true }), jobtitle: field('jobtitle'), phone: field('phone'), owner: field('owner') } },
    companies: { name: 'companies', label: 'Companies', fields: { domain: field('domain', { required: true, unique: true }), name: field('name', { required: true }), industry: field('industry') } },
  },
};

function context(fields: Record<string, FieldPolicy>, readBeforeWrite: ReadBeforeWrite = 'when_needed', fallback: FieldPolicy = { policy: 'overwrite' }): PlanContext {
  return {
    source: 'clearbit',
    mapping: { name: 'test', version: 1 } as unknown as PlanContext['mapping'],
    schema: SCHEMA,
    normalize: () => {
      throw new Error('not used');
    },
    policies: { default: fallback, fields },
    readBeforeWrite,
  };
}

type Ready = Extract<PreparedObject, { status: 'ready' }>;

function ready(object: 'contacts' | 'companies', proposals: readonly ProposalInput[]): Ready {
  const match = object === 'contacts' ? { field: 'email', value: 'ada@example.com' } : { field: 'domain', value: 'example.com' };
  return { status: 'ready', object, leadKey: `${object}:${match.value}`, match, proposals };
}

describe('currentRecordNeed', () => {
  it('reads every record under readBeforeWrite: always, whatever the policies', () => {
    expect(currentRecordNeed(ready('contacts', [proposal('jobtitle', 'CTO')]), context({}, 'always'))).toEqual({ read: true, reason: 'always' });
  });

  // One row per merge policy of a proposed contact field (email, the match field, is required on create and never proposed).
  const byPolicy: readonly [FieldPolicy, CurrentRecordNeed][] = [
    [{ policy: 'overwrite' }, { read: false }],
    [{ policy: 'fill_empty' }, { read: true, reason: 'policy', field: 'jobtitle', policy: 'fill_empty' }],
    [{ policy: 'higher_confidence' }, { read: true, reason: 'policy', field: 'jobtitle', policy: 'higher_confidence' }],
    [{ policy: 'higher_confidence', minConfidence: 0.9 }, { read: true, reason: 'policy', field: 'jobtitle', policy: 'higher_confidence' }],
    [{ policy: 'approval' }, { read: true, reason: 'policy', field: 'jobtitle', policy: 'approval' }],
    [{ policy: 'overwrite', precedence: ['webform', 'clearbit'] }, { read: true, reason: 'precedence', field: 'jobtitle' }],
  ];
  it.each(byPolicy)('policy %j of the one proposed field → %j', (policy, need) => {
    const object = ready('contacts', [proposal('jobtitle', 'CTO')]);
    expect(currentRecordNeed(object, context({ 'contacts.jobtitle': policy }))).toEqual(need);
    // The same policy as the default rather than per field decides the same.
    expect(currentRecordNeed(object, context({}, 'when_needed', policy))).toEqual(need);
  });

  it('covers every merge policy in the table above or below', () => {
    const tested = new Set([...byPolicy.map(([policy]) => policy.policy), 'never']);
    expect([...tested].sort()).toEqual([...MERGE_POLICIES].sort());
  });

  it('ignores never fields and rejected values, but reads when nothing would be overwritten', () => {
    const policies = { 'contacts.owner': { policy: 'never' } as const };
    expect(currentRecordNeed(ready('contacts', [proposal('owner', 'u1'), proposal('jobtitle', 'CTO'), rejected('phone', 12)]), context(policies))).toEqual({ read: false });
    expect(currentRecordNeed(ready('contacts', [proposal('owner', 'u1'), rejected('phone', 12)]), context(policies))).toEqual({ read: true, reason: 'nothing_to_overwrite' });
    expect(currentRecordNeed(ready('contacts', []), context({}))).toEqual({ read: true, reason: 'nothing_to_overwrite' });
  });

  it('reads when one field of several needs the current value', () => {
    const object = ready('contacts', [proposal('jobtitle', 'CTO'), proposal('phone', '+49 30 1')]);
    expect(currentRecordNeed(object, context({ 'contacts.phone': { policy: 'fill_empty' } }))).toEqual({ read: true, reason: 'policy', field: 'phone', policy: 'fill_empty' });
  });

  it('reads when a field a create must carry is not overwritten by the plan', () => {
    expect(currentRecordNeed(ready('companies', [proposal('industry', 'Software')]), context({}))).toEqual({ read: true, reason: 'create_requirement', field: 'name' });
    expect(currentRecordNeed(ready('companies', [proposal('industry', 'Software'), rejected('name', 12)]), context({}))).toEqual({ read: true, reason: 'create_requirement', field: 'name' });
    expect(currentRecordNeed(ready('companies', [proposal('industry', 'Software'), proposal('name', 'Acme')]), context({}))).toEqual({ read: false });
  });

  it('takes policies of the record\'s own object only', () => {
    const object = ready('contacts', [proposal('name', 'x')]);
    expect(currentRecordNeed(object, context({ 'companies.name': { policy: 'fill_empty' } }))).toEqual({ read: false });
  });
});

// The property that makes skipping the read safe: for a record the decision
// lets go unread, planning against leadsync's field state (marked unread)
// writes exactly what planning against the CRM's values would, whatever the
// CRM holds — except that a value the CRM already holds is sent again.
describe('an unread record plans the writes a read would', () => {
  const policies = { 'contacts.owner': { policy: 'never' } as const };
  const value = fc.oneof(fc.constant(null), fc.constantFrom('CTO', 'VP Sales', 'u1'));
  const at = fc.constantFrom(T1, T2, T3);
  const proposals = fc.uniqueArray(
    fc.record({ field: fc.constantFrom('jobtitle', 'phone', 'owner'), value: fc.constantFrom('CTO', 'VP Sales', 'u1'), at }),
    { selector: (entry) => entry.field, maxLength: 3 },
  );
  // Field state: what leadsync last wrote; the CRM: that, unless a person changed it since.
  const state = fc.option(fc.record({ value: fc.constantFrom('CTO', 'VP Sales'), at, personEdit: fc.option(value, { nil: undefined }) }), { nil: undefined });
  const states = fc.record({ jobtitle: state, phone: state, owner: state });

  it('holds for overwrite-only plans', () => {
    fc.assert(
      fc.property(proposals, states, fc.boolean(), (proposed, known, exists) => {
        const object = ready('contacts', proposed.map((entry) => proposal(entry.field, entry.value, { sourceUpdatedAt: entry.at })));
        const ctx = context(policies);
        fc.pre(!currentRecordNeed(object, ctx).read);
        const crmFields: Record<string, { value: string | null; appliedAt?: string; confidence?: number; source?: string }> = {};
        const stateFields: Record<string, { value: string | null; appliedAt: string; confidence: number; source: string }> = {};
        for (const [name, entry] of Object.entries(known)) {
          if (entry === undefined) continue;
          stateFields[name] = { value: entry.value, appliedAt: entry.at, confidence: 0.8, source: 'clearbit' };
          // Provenance counts while the CRM still holds our value (as currentRecord decides after a read).
          crmFields[name] = entry.personEdit === undefined ? stateFields[name] : { value: entry.personEdit };
        }
        // A record leadsync never wrote may exist or not; one it wrote exists.
        const read: CurrentRecord | null = exists || Object.keys(stateFields).length > 0 ? { id: '1', fields: crmFields } : null;
        const unread: CurrentRecord = { fields: stateFields, unread: true };
        const withRead = planEvent(prepared(object), new Map([[object.leadKey, read]]), ctx).objects[0];
        const withoutRead = planEvent(prepared(object), new Map([[object.leadKey, unread]]), ctx).objects[0];
        if (withRead?.status !== 'planned' || withoutRead?.status !== 'planned') throw new Error('expected planned objects');
        expect(withoutRead.unread).toBe(true);
        // Every value a read would write goes out unread too; an unread plan adds only values the CRM already holds,
        // or older values over a person's edit, which the field state still holds as ours (skipped stale unread).
        for (const [name, written] of Object.entries(withRead.write)) {
          const entry = known[name as keyof typeof known];
          if (entry?.personEdit !== undefined && written !== null) {
            // A person changed the field: with a read, provenance is gone and the stale check cannot fire. Unread, leadsync's own newer write still counts.
            if (withoutRead.write[name] === undefined) {
              expect(withoutRead.fields.find((plan) => plan.field === name)).toMatchObject({ kind: 'skip', skip: 'stale' });
              continue;
            }
          }
          expect(withoutRead.write[name]).toEqual(written);
        }
        for (const [name, written] of Object.entries(withoutRead.write)) {
          if (withRead.write[name] === undefined) expect(read?.fields[name]?.value ?? null).toEqual(written);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('does not suppress a value as no_change when the record was not read', () => {
    const fields = planMerge({ proposals: [proposal('jobtitle', 'CTO')], current: { fields: { jobtitle: { value: 'CTO', appliedAt: T1, confidence: 0.8, source: 'clearbit' } }, unread: true }, policies: {}, defaultPolicy: { policy: 'overwrite' } });
    expect(fields).toMatchObject([{ kind: 'change', before: 'CTO', after: 'CTO' }]);
    const stale = planMerge({ proposals: [proposal('jobtitle', 'VP Sales', { sourceUpdatedAt: T1 })], current: { fields: { jobtitle: { value: 'CTO', appliedAt: T2 } }, unread: true }, policies: {}, defaultPolicy: { policy: 'overwrite' } });
    expect(stale).toMatchObject([{ kind: 'skip', skip: 'stale' }]);
    const unknown = planMerge({ proposals: [proposal('phone', '+49 30 1')], current: { fields: {}, unread: true }, policies: {}, defaultPolicy: { policy: 'overwrite' } });
    expect(unknown).toMatchObject([{ kind: 'change', before: null }]);
  });
});

function prepared(object: Ready): Parameters<typeof planEvent>[0] {
  return { ok: true, source: 'clearbit', leadId: 'lead-1', sourceUpdatedAt: T2, idempotencyKey: 'k', payloadHash: 'h', mapping: { name: 'test', version: 1 }, schemaVersion: 'test', objects: [object] };
}
