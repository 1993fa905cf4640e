import { PLAN_KINDS, type FieldPlan } from './plan-types.js';
import { planValueKey } from './plan-value-key.js';
import { compareText } from './proposal-resolver.js';

/**
 * Orders plan entries by field name, then kind (change, pending_approval,
 * rejected, skip), then by every remaining member, so a plan is the same
 * whatever order the proposals came in.
 */
export function comparePlans(a: FieldPlan, b: FieldPlan): number {
  return (
    compareText(a.field, b.field) ||
    PLAN_KINDS.indexOf(a.kind) - PLAN_KINDS.indexOf(b.kind) ||
    compareMembers(textMembers(a), textMembers(b)) ||
    // Values last: their keys cost a serialisation and are rarely needed.
    compareText(planValueKey(valueMembers(a)), planValueKey(valueMembers(b)))
  );
}

function compareMembers(a: readonly string[], b: readonly string[]): number {
  for (let index = 0; index < a.length; index += 1) {
    const order = compareText(a[index] ?? '', b[index] ?? '');
    if (order !== 0) return order;
  }
  return 0;
}

function textMembers(plan: FieldPlan): readonly string[] {
  switch (plan.kind) {
    case 'change':
    case 'pending_approval':
      return [plan.source, plan.sourceUpdatedAt, plan.reason, String(plan.confidence)];
    case 'skip':
      return [plan.skip, plan.source, plan.sourceUpdatedAt, plan.detail];
    case 'rejected':
      return [plan.code, plan.message];
  }
}

function valueMembers(plan: FieldPlan): readonly unknown[] {
  switch (plan.kind) {
    case 'change':
      return [plan.after, plan.before];
    case 'pending_approval':
    case 'skip':
      return [plan.proposed, plan.before];
    case 'rejected':
      return [plan.value, plan.suggestions ?? []];
  }
}
