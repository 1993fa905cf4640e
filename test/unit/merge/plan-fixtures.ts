import type { FieldValue } from '../../../src/core/crm-schema/crm-schema-types.js';
import type { CurrentFieldState, CurrentRecord, FieldPolicy, ProposedValue, RejectedProposal } from '../../../src/core/merge/plan-types.js';

export const T1 = '2026-01-01T00:00:00.000Z';
export const T2 = '2026-01-02T00:00:00.000Z';
export const T3 = '2026-01-03T00:00:00.000Z';

/** A proposal from "clearbit" at T2 with confidence 0.8; `extra` overrides any member. */
export function proposal(field: string, value: FieldValue, extra: Partial<ProposedValue> = {}): ProposedValue {
  return { field, value, confidence: 0.8, sourceUpdatedAt: T2, source: 'clearbit', reason: `clearbit.${field}`, ...extra };
}

export function rejected(field: string, value: unknown, code: RejectedProposal['rejected']['code'] = 'CRM_TYPE_MISMATCH'): RejectedProposal {
  return { field, value, rejected: { code, message: `Field "${field}": bad` } };
}

export function record(fields: Readonly<Record<string, CurrentFieldState>>): CurrentRecord {
  return { id: '512', fields };
}

export const overwrite: FieldPolicy = { policy: 'overwrite' };
export const fillEmpty: FieldPolicy = { policy: 'fill_empty' };
export const never: FieldPolicy = { policy: 'never' };
export const approval: FieldPolicy = { policy: 'approval' };
export function higherConfidence(minConfidence?: number): FieldPolicy {
  return minConfidence === undefined ? { policy: 'higher_confidence' } : { policy: 'higher_confidence', minConfidence };
}
