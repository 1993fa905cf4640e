import { describe, expect, it } from 'vitest';
import { planMerge } from '../../../src/core/merge/merge-planner.js';
import type { FieldPlan, FieldPolicy, ProposedValue } from '../../../src/core/merge/plan-types.js';
import { T1, T2, T3, overwrite, proposal, record } from './plan-fixtures.js';

function plan(policy: FieldPolicy, proposals: readonly ProposedValue[]): FieldPlan[] {
  return planMerge({ proposals, current: record({ title: { value: 'CTO' } }), policies: { title: policy }, defaultPolicy: overwrite });
}

function summary(plans: readonly FieldPlan[]): string[] {
  return plans.map((entry) => `${entry.kind === 'skip' ? `skip:${entry.skip}` : entry.kind} ${'source' in entry ? entry.source : ''}`);
}

describe('several proposals for one field', () => {
  const ranked: FieldPolicy = { policy: 'overwrite', precedence: ['form', 'clearbit'] };

  it('precedence wins first, even over a newer, surer proposal', () => {
    const plans = plan(ranked, [proposal('title', 'A', { source: 'clearbit', sourceUpdatedAt: T3, confidence: 1 }), proposal('title', 'B', { source: 'form', sourceUpdatedAt: T1, confidence: 0.1 })]);
    expect(summary(plans)).toEqual(['change form', 'skip:precedence clearbit']);
  });

  it('then the newer sourceUpdatedAt; the older one is stale', () => {
    const plans = plan(overwrite, [proposal('title', 'A', { source: 'apollo', sourceUpdatedAt: T1 }), proposal('title', 'B', { source: 'clearbit', sourceUpdatedAt: T3 })]);
    expect(summary(plans)).toEqual(['change clearbit', 'skip:stale apollo']);
  });

  it('then the higher confidence', () => {
    const plans = plan(overwrite, [proposal('title', 'A', { source: 'apollo', confidence: 0.9 }), proposal('title', 'B', { source: 'clearbit', confidence: 0.7 })]);
    expect(summary(plans)).toEqual(['change apollo', 'skip:precedence clearbit']);
    expect(plans[1]).toMatchObject({ detail: expect.stringContaining('higher confidence') as unknown });
  });

  it('then the source name in code-unit order', () => {
    const plans = plan(overwrite, [proposal('title', 'B', { source: 'zoominfo' }), proposal('title', 'A', { source: 'apollo' })]);
    expect(summary(plans)).toEqual(['change apollo', 'skip:precedence zoominfo']);
  });

  it('then the value, so identical sources still resolve the same way', () => {
    const a = proposal('title', 'VP B');
    const b = proposal('title', 'VP A');
    expect(plan(overwrite, [a, b])).toEqual(plan(overwrite, [b, a]));
    expect(plan(overwrite, [a, b])[0]).toMatchObject({ kind: 'change', after: 'VP A' });
  });

  it('compares timestamps as instants, whatever the offset', () => {
    const plans = plan(overwrite, [
      proposal('title', 'A', { source: 'apollo', sourceUpdatedAt: '2026-01-02T03:00:00+05:00' }), // 2026-01-01T22:00Z
      proposal('title', 'B', { source: 'clearbit', sourceUpdatedAt: '2026-01-01T23:00:00Z' }),
    ]);
    expect(summary(plans)).toEqual(['change clearbit', 'skip:stale apollo']);
  });

  it('plans only the winner against the current value', () => {
    const plans = plan(overwrite, [proposal('title', 'CTO', { sourceUpdatedAt: T3 }), proposal('title', 'VP Eng', { source: 'apollo', sourceUpdatedAt: T2 })]);
    expect(summary(plans)).toEqual(['skip:no_change clearbit', 'skip:stale apollo']);
  });

  it('a never field skips every proposal on policy', () => {
    const plans = plan({ policy: 'never' }, [proposal('title', 'A'), proposal('title', 'B', { source: 'apollo' })]);
    expect(summary(plans)).toEqual(['skip:policy apollo', 'skip:policy clearbit']);
  });

  it('the winner of an approval field waits; the loser does not', () => {
    const plans = plan({ policy: 'approval' }, [proposal('title', 'A', { sourceUpdatedAt: T1 }), proposal('title', 'B', { sourceUpdatedAt: T3 })]);
    expect(summary(plans)).toEqual(['pending_approval clearbit', 'skip:stale clearbit']);
  });
});
