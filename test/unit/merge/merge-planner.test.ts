import { describe, expect, it } from 'vitest';
import type { FieldValue } from '../../../src/core/crm-schema/crm-schema-types.js';
import { planMerge } from '../../../src/core/merge/merge-planner.js';
import type { CurrentFieldState, FieldPlan, FieldPolicy, ProposedValue } from '../../../src/core/merge/plan-types.js';
import { T1, T2, T3, approval, fillEmpty, higherConfidence, never, overwrite, proposal, record, rejected } from './plan-fixtures.js';

function planOne(policy: FieldPolicy, current: CurrentFieldState | undefined, value: FieldValue, extra: Partial<ProposedValue> = {}): FieldPlan {
  const plans = planMerge({
    proposals: [proposal('title', value, extra)],
    current: current === undefined ? null : record({ title: current }),
    policies: { title: policy },
    defaultPolicy: never,
  });
  expect(plans).toHaveLength(1);
  return plans[0] as FieldPlan;
}

type Outcome = 'change' | 'pending_approval' | `skip:${string}`;

function outcome(plan: FieldPlan): Outcome | 'rejected' {
  return plan.kind === 'skip' ? `skip:${plan.skip}` : plan.kind;
}

const set = (value: FieldValue, extra: Partial<CurrentFieldState> = {}): CurrentFieldState => ({ value, ...extra });

// [case, policy, current field, proposed value, proposal overrides, expected outcome]
const cases: readonly (readonly [string, FieldPolicy, CurrentFieldState | undefined, FieldValue, Partial<ProposedValue>, Outcome])[] = [
  ['overwrite replaces a value', overwrite, set('CTO'), 'VP Eng', {}, 'change'],
  ['overwrite fills a missing record', overwrite, undefined, 'VP Eng', {}, 'change'],
  ['overwrite can clear a value', overwrite, set('CTO'), null, {}, 'change'],
  ['overwrite replaces a human-entered value', overwrite, set('CTO'), 'VP Eng', { confidence: 0.1 }, 'change'],
  ['equal value is no_change', overwrite, set('CTO'), 'CTO', {}, 'skip:no_change'],
  ['"" and null are both empty', overwrite, set(''), null, {}, 'skip:no_change'],
  ['[] and null are both empty', overwrite, set([]), null, {}, 'skip:no_change'],
  ['multi-picklist order does not matter', overwrite, set(['a', 'b']), ['b', 'a'], {}, 'skip:no_change'],
  ['multi-picklist with another member changes', overwrite, set(['a', 'b']), ['a', 'c'], {}, 'change'],
  ['"42" is not 42 (adapters decode types)', overwrite, set('42'), 42, {}, 'change'],
  ['older than appliedAt is stale', overwrite, set('CTO', { appliedAt: T3 }), 'VP Eng', {}, 'skip:stale'],
  ['equal to appliedAt is not stale', overwrite, set('CTO', { appliedAt: T2 }), 'VP Eng', {}, 'change'],
  ['same instant in another offset is not stale', overwrite, set('CTO', { appliedAt: '2026-01-02T01:00:00+01:00' }), 'VP Eng', {}, 'change'],
  ['newer than appliedAt applies', overwrite, set('CTO', { appliedAt: T1 }), 'VP Eng', {}, 'change'],
  ['stale is checked before no_change', overwrite, set('CTO', { appliedAt: T3 }), 'CTO', {}, 'skip:stale'],
  ['an unreadable proposal timestamp is stale', overwrite, set('CTO', { appliedAt: T1 }), 'VP Eng', { sourceUpdatedAt: 'yesterday' }, 'skip:stale'],
  ['an unreadable appliedAt blocks nothing', overwrite, set('CTO', { appliedAt: 'garbage' }), 'VP Eng', {}, 'change'],
  ['stale applies to fill_empty', fillEmpty, set(null, { appliedAt: T3 }), 'VP Eng', {}, 'skip:stale'],
  ['fill_empty fills null', fillEmpty, set(null), 'VP Eng', {}, 'change'],
  ['fill_empty fills ""', fillEmpty, set(''), 'VP Eng', {}, 'change'],
  ['fill_empty fills []', fillEmpty, set([]), ['a'], {}, 'change'],
  ['fill_empty fills a missing record', fillEmpty, undefined, 'VP Eng', {}, 'change'],
  ['fill_empty keeps a value', fillEmpty, set('CTO'), 'VP Eng', {}, 'skip:policy'],
  ['fill_empty keeps false (it is a value)', fillEmpty, set(false), true, {}, 'skip:policy'],
  ['fill_empty keeps 0 (it is a value)', fillEmpty, set(0), 5, {}, 'skip:policy'],
  ['never skips on policy', never, set('CTO'), 'VP Eng', {}, 'skip:policy'],
  ['never skips even an empty field', never, undefined, 'VP Eng', {}, 'skip:policy'],
  ['never says policy, not stale', never, set('CTO', { appliedAt: T3 }), 'VP Eng', {}, 'skip:policy'],
  ['never says policy, not no_change', never, set('CTO'), 'CTO', {}, 'skip:policy'],
  ['approval waits', approval, set('Ada'), 'Grace', {}, 'pending_approval'],
  ['approval waits for an empty field too', approval, undefined, 'Grace', {}, 'pending_approval'],
  ['approval of an equal value is no_change', approval, set('Ada'), 'Ada', {}, 'skip:no_change'],
  ['approval of a stale value is stale', approval, set('Ada', { appliedAt: T3 }), 'Grace', {}, 'skip:stale'],
  ['higher_confidence below the minimum', higherConfidence(0.9), set(null), 'VP Eng', { confidence: 0.8 }, 'skip:low_confidence'],
  ['higher_confidence at the minimum fills an empty field', higherConfidence(0.8), set(null), 'VP Eng', { confidence: 0.8 }, 'change'],
  ['higher_confidence fills an empty field', higherConfidence(), undefined, 'VP Eng', { confidence: 0.1 }, 'change'],
  ['higher_confidence beats a lower one', higherConfidence(), set('CTO', { confidence: 0.5 }), 'VP Eng', { confidence: 0.6 }, 'change'],
  ['higher_confidence tie keeps the current value', higherConfidence(), set('CTO', { confidence: 0.6 }), 'VP Eng', { confidence: 0.6 }, 'skip:low_confidence'],
  ['higher_confidence loses to a higher one', higherConfidence(), set('CTO', { confidence: 0.9 }), 'VP Eng', { confidence: 0.6 }, 'skip:low_confidence'],
  ['unknown current confidence counts as 1.0', higherConfidence(), set('CTO'), 'VP Eng', { confidence: 0.99 }, 'skip:low_confidence'],
  ['even a certain proposal does not beat an unknown-confidence value', higherConfidence(), set('CTO'), 'VP Eng', { confidence: 1 }, 'skip:low_confidence'],
  ['NaN confidence counts as 0', higherConfidence(0.1), set(null), 'VP Eng', { confidence: Number.NaN }, 'skip:low_confidence'],
  ['stale is checked before confidence', higherConfidence(), set('CTO', { confidence: 0.1, appliedAt: T3 }), 'VP Eng', { confidence: 0.9 }, 'skip:stale'],
];

describe('planMerge: one proposal per field', () => {
  it.each(cases)('%s', (_name, policy, current, value, extra, expected) => {
    expect(outcome(planOne(policy, current, value, extra))).toBe(expected);
  });

  it('a change carries before, after, confidence, reason, source and sourceUpdatedAt', () => {
    expect(planOne(overwrite, { value: 'CTO', appliedAt: T1 }, 'VP Eng')).toEqual({
      kind: 'change',
      field: 'title',
      before: 'CTO',
      after: 'VP Eng',
      confidence: 0.8,
      reason: 'clearbit.title',
      source: 'clearbit',
      sourceUpdatedAt: T2,
    });
  });

  it('a pending approval carries what an approver needs', () => {
    expect(planOne(approval, { value: 'Ada' }, 'Grace')).toEqual({
      kind: 'pending_approval',
      field: 'title',
      before: 'Ada',
      proposed: 'Grace',
      confidence: 0.8,
      reason: 'clearbit.title',
      source: 'clearbit',
      sourceUpdatedAt: T2,
    });
  });

  it('skip details explain without echoing values', () => {
    const plan = planOne(higherConfidence(), { value: 'Secret Title', confidence: 0.9 }, 'Other Secret', { confidence: 0.5 });
    expect(plan).toMatchObject({ kind: 'skip', skip: 'low_confidence', before: 'Secret Title', proposed: 'Other Secret' });
    if (plan.kind === 'skip') expect(plan.detail).not.toMatch(/Secret/);
  });
});

describe('planMerge: precedence against the current value', () => {
  const ranked: FieldPolicy = { policy: 'overwrite', precedence: ['salesforce_form', 'clearbit', 'apollo'] };

  it.each([
    ['a lower source does not replace a higher one', 'salesforce_form', 'clearbit', 'skip:precedence'],
    ['an unlisted source ranks below every listed one', 'apollo', 'zoominfo', 'skip:precedence'],
    ['a higher source replaces a lower one', 'apollo', 'clearbit', 'change'],
    ['the same source replaces itself', 'clearbit', 'clearbit', 'change'],
    ['two unlisted sources rank equal', 'zoominfo', 'hunter', 'change'],
  ])('%s', (_name, currentSource, proposalSource, expected) => {
    expect(outcome(planOne(ranked, { value: 'CTO', source: currentSource }, 'VP Eng', { source: proposalSource }))).toBe(expected);
  });

  it('a current value with no source (set outside leadsync) is not protected by precedence', () => {
    expect(outcome(planOne(ranked, { value: 'CTO' }, 'VP Eng', { source: 'zoominfo' }))).toBe('change');
  });

  it('without a precedence list, sources do not matter', () => {
    expect(outcome(planOne(overwrite, { value: 'CTO', source: 'salesforce_form' }, 'VP Eng', { source: 'zoominfo' }))).toBe('change');
  });

  it('stale is checked before precedence', () => {
    expect(outcome(planOne(ranked, { value: 'CTO', source: 'salesforce_form', appliedAt: T3 }, 'VP Eng'))).toBe('skip:stale');
  });

  it('precedence applies to approval fields', () => {
    const owner: FieldPolicy = { policy: 'approval', precedence: ['sales_rep'] };
    expect(outcome(planOne(owner, { value: 'ada', source: 'sales_rep' }, 'grace', { source: 'clearbit' }))).toBe('skip:precedence');
  });
});

describe('planMerge: whole records', () => {
  it('plans every field with its own policy, the rest with the default, sorted by field then kind', () => {
    const plans = planMerge({
      proposals: [
        proposal('title', 'VP Eng'),
        rejected('industry', 'Enterprize', 'CRM_PICKLIST_MISMATCH'),
        proposal('owner', 'grace'),
        proposal('company', 'Acme'),
        proposal('industry', 'software'),
      ],
      current: record({ owner: { value: 'ada' }, company: { value: 'Acme' } }),
      policies: { owner: approval, title: overwrite },
      defaultPolicy: fillEmpty,
    });
    expect(plans.map((plan) => `${plan.field}:${outcome(plan)}`)).toEqual([
      'company:skip:no_change',
      'industry:change',
      'industry:rejected',
      'owner:pending_approval',
      'title:change',
    ]);
  });

  it('treats a missing record as all fields empty', () => {
    const plans = planMerge({ proposals: [proposal('title', 'CTO')], current: null, policies: {}, defaultPolicy: fillEmpty });
    expect(plans).toEqual([expect.objectContaining({ kind: 'change', before: null, after: 'CTO' })]);
  });

  it('turns rejected proposals into rejected entries with their code and suggestions, whatever the policy', () => {
    const plans = planMerge({
      proposals: [{ field: 'segment', value: 'Enterprize', rejected: { code: 'CRM_PICKLIST_MISMATCH', message: 'no such option', suggestions: ['enterprise'] } }, rejected('locked', 5)],
      current: null,
      policies: { locked: never },
      defaultPolicy: overwrite,
    });
    expect(plans).toEqual([
      { kind: 'rejected', field: 'locked', code: 'CRM_TYPE_MISMATCH', message: 'Field "locked": bad', value: 5 },
      { kind: 'rejected', field: 'segment', code: 'CRM_PICKLIST_MISMATCH', message: 'no such option', value: 'Enterprize', suggestions: ['enterprise'] },
    ]);
  });

  it('looks policies and current values up as data, not prototype members', () => {
    const plans = planMerge({
      proposals: [proposal('constructor', 'x'), proposal('toString', 'y')],
      current: record({}),
      policies: {},
      defaultPolicy: fillEmpty,
    });
    expect(plans.map(outcome)).toEqual(['change', 'change']);
  });

  it('returns an empty plan for no proposals', () => {
    expect(planMerge({ proposals: [], current: null, policies: {}, defaultPolicy: overwrite })).toEqual([]);
  });
});
