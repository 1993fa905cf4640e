import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldValue } from '../../../src/core/crm-schema/crm-schema-types.js';
import { ERROR_CODES, type ErrorCode } from '../../../src/core/errors/error-codes.js';
import { planMerge, type MergeInput } from '../../../src/core/merge/merge-planner.js';
import { MERGE_POLICIES, type CurrentFieldState, type CurrentRecord, type FieldPolicy, type ProposalInput, type ProposedValue } from '../../../src/core/merge/plan-types.js';

const FIELDS = ['title', 'owner', 'segment', 'channels'] as const;
const SOURCES = ['form', 'clearbit', 'apollo', 'zoominfo'] as const;

const timestampArb = fc.integer({ min: 0, max: 20 }).map((hour) => new Date(Date.UTC(2026, 0, 1, hour)).toISOString());
const valueArb: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.constantFrom<FieldValue>(null, '', 'CTO', 'VP Eng', 'cto', 0, 42, true, false),
  fc.subarray(['email', 'phone', 'events']),
);
const confidenceArb = fc.double({ min: 0, max: 1, noNaN: true });

const proposedArb: fc.Arbitrary<ProposedValue> = fc.record({
  field: fc.constantFrom(...FIELDS),
  value: valueArb,
  confidence: confidenceArb,
  sourceUpdatedAt: timestampArb,
  source: fc.constantFrom(...SOURCES),
  reason: fc.constantFrom('mapped', 'normalized'),
});
const codeArb = fc.constantFrom(...(Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => code.startsWith('CRM_')));
const rejectedArb: fc.Arbitrary<ProposalInput> = fc.record({
  field: fc.constantFrom(...FIELDS),
  value: fc.anything(),
  rejected: fc.record({ code: codeArb, message: fc.constant('bad value') }),
});
const proposalsArb = fc.array(fc.oneof({ weight: 5, arbitrary: proposedArb }, { weight: 1, arbitrary: rejectedArb }), { maxLength: 12 });

const policyArb: fc.Arbitrary<FieldPolicy> = fc.record(
  {
    policy: fc.constantFrom(...MERGE_POLICIES),
    minConfidence: confidenceArb,
    precedence: fc.shuffledSubarray([...SOURCES]),
  },
  { requiredKeys: ['policy'] },
);
const currentFieldArb: fc.Arbitrary<CurrentFieldState> = fc.record(
  { value: valueArb, appliedAt: timestampArb, confidence: confidenceArb, source: fc.constantFrom(...SOURCES) },
  { requiredKeys: ['value'] },
);
const currentArb: fc.Arbitrary<CurrentRecord | null> = fc.option(
  fc.dictionary(fc.constantFrom(...FIELDS), currentFieldArb).map((fields) => ({ fields })),
  { nil: null },
);

const inputArb: fc.Arbitrary<MergeInput> = fc.record({
  proposals: proposalsArb,
  current: currentArb,
  policies: fc.dictionary(fc.constantFrom(...FIELDS), policyArb),
  defaultPolicy: policyArb,
});

function policyOf(input: MergeInput, field: string): FieldPolicy {
  return Object.hasOwn(input.policies, field) ? (input.policies[field] as FieldPolicy) : input.defaultPolicy;
}

const writes = new Set(['change', 'pending_approval']);

describe('planMerge properties', () => {
  it('a never field never appears among changes or pending approvals', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        for (const plan of planMerge(input)) {
          if (policyOf(input, plan.field).policy === 'never') expect(writes.has(plan.kind)).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('stale values never win: nothing older than appliedAt becomes a change or an approval', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        for (const plan of planMerge(input)) {
          if (plan.kind !== 'change' && plan.kind !== 'pending_approval') continue;
          const appliedAt = input.current?.fields[plan.field]?.appliedAt;
          if (appliedAt !== undefined) expect(Date.parse(plan.sourceUpdatedAt)).toBeGreaterThanOrEqual(Date.parse(appliedAt));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('every rejection carries a registered code, and every proposal gets exactly one entry', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const plans = planMerge(input);
        expect(plans).toHaveLength(input.proposals.length);
        for (const plan of plans) if (plan.kind === 'rejected') expect(Object.hasOwn(ERROR_CODES, plan.code)).toBe(true);
      }),
    );
  });

  it('at most one entry per field writes or waits', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const writing = planMerge(input).filter((plan) => writes.has(plan.kind)).map((plan) => plan.field);
        expect(new Set(writing).size).toBe(writing.length);
      }),
    );
  });

  it('is deterministic: shuffled proposals give the same plan, sorted by field', () => {
    fc.assert(
      fc.property(
        inputArb.chain((input) => fc.tuple(fc.constant(input), fc.shuffledSubarray([...input.proposals], { minLength: input.proposals.length }))),
        ([input, shuffled]) => {
          const plans = planMerge(input);
          expect(planMerge({ ...input, proposals: shuffled })).toEqual(plans);
          const fields = plans.map((plan) => plan.field);
          expect(fields).toEqual([...fields].sort());
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('re-planning after applying the changes changes nothing (redelivery is harmless)', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const fields: Record<string, CurrentFieldState> = { ...input.current?.fields };
        for (const plan of planMerge(input)) {
          if (plan.kind === 'change') fields[plan.field] = { value: plan.after, appliedAt: plan.sourceUpdatedAt, confidence: plan.confidence, source: plan.source };
        }
        const again = planMerge({ ...input, current: { fields } });
        expect(again.filter((plan) => plan.kind === 'change')).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });
});
