import { PLAN_KINDS, type FieldPlan } from './plan-types.js';
import { planValueKey } from './plan-value-key.js';
import { compareText } from './proposal-resolver.js';

/**
 * Orders plan entries by field name, then kind (change, pending_approval,
 * rejected, skip), then by every remaining member, so a plan is the same
 * whatever order the proposals came in.
 */
export function comparePlans(a: FieldPlan, b: FieldPlan): number {
  return compareText(a.field, b.field) || PLAN_KINDS.indexOf(a.kind) - PLAN_KINDS.indexOf(b.kind) || compareText(tieKey(a), tieKey(b));
}

// Only reached for entries of the same field and kind, which is rare, so the key is built lazily.
function tieKey(plan: FieldPlan): string {
  switch (plan.kind) {
    case 'change':
      return planValueKey([plan.source, plan.sourceUpdatedAt, plan.after, plan.confidence, plan.reason, plan.before]);
    case 'pending_approval':
      return planValueKey([plan.source, plan.sourceUpdatedAt, plan.proposed, plan.confidence, plan.reason, plan.before]);
    case 'skip':
      return planValueKey([plan.skip, plan.source, plan.sourceUpdatedAt, plan.proposed, plan.detail, plan.before]);
    case 'rejected':
      return planValueKey([plan.code, plan.message, plan.value, plan.suggestions ?? []]);
  }
}
