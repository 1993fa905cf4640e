import type { FieldValue } from '../crm-schema/crm-schema-types.js';
import { fieldValuesEqual, isEmptyFieldValue } from './field-value-equality.js';
import { comparePlans } from './plan-order.js';
import {
  isRejectedProposal,
  type CurrentFieldState,
  type CurrentRecord,
  type FieldPlan,
  type FieldPolicy,
  type ProposalInput,
  type ProposedValue,
  type SkipReason,
} from './plan-types.js';
import { comparableConfidence, resolveProposals } from './proposal-resolver.js';
import { sourceRank } from './source-precedence.js';
import { isOlderThanApplied } from './source-timestamp.js';

/** Everything {@link planMerge} decides from; time enters only as source timestamps. */
export interface MergeInput {
  readonly proposals: readonly ProposalInput[];
  /** The CRM record as read before the write; null when it does not exist yet (a create). */
  readonly current: CurrentRecord | null;
  /** Per CRM field; fields not listed use `defaultPolicy`. */
  readonly policies: Readonly<Record<string, FieldPolicy>>;
  readonly defaultPolicy: FieldPolicy;
}

/**
 * Confidence assumed for a non-empty current value that leadsync did not set
 * (typed by a person or written by another system). 1.0 means such a value is
 * never replaced under `higher_confidence` — only `overwrite` or `approval`
 * replace what a human entered, never an enrichment guess.
 */
export const UNKNOWN_CURRENT_CONFIDENCE = 1;

/**
 * Decides, per proposal, whether a value is written, waits for approval, is
 * skipped (with a reason) or was rejected by validation. One entry per input
 * proposal, sorted by field, kind, then content, so the plan does not depend
 * on input order. Pure: no clock, no I/O.
 *
 * Per field: rejected proposals → `rejected`; policy `never` → every proposal
 * skipped `policy`; otherwise one winner is chosen (see `resolveProposals`;
 * the others are skipped `precedence` or `stale`) and checked in this order:
 * older than the current `appliedAt` → `stale`; current set by a source of
 * higher precedence → `precedence`; equal to the current value →
 * `no_change`; then the policy (`overwrite`, `fill_empty`,
 * `higher_confidence`, `approval`).
 */
export function planMerge(input: MergeInput): FieldPlan[] {
  const plans: FieldPlan[] = [];
  const valid: ProposedValue[] = [];
  for (const proposal of input.proposals) {
    if (isRejectedProposal(proposal)) {
      const { code, message, suggestions } = proposal.rejected;
      plans.push({ kind: 'rejected', field: proposal.field, code, message, value: proposal.value, ...(suggestions === undefined ? {} : { suggestions }) });
      continue;
    }
    valid.push(proposal);
  }
  // Grouped by sorting on the field rather than a Map of arrays: one proposal per field is the
  // common case, and the Map and an array per field were garbage for every event. The sort is
  // stable, so a field's proposals keep their input order, as they did in the Map.
  sortByField(valid);
  for (let start = 0; start < valid.length; ) {
    const first = valid[start] as ProposedValue;
    let end = start + 1;
    while (end < valid.length && (valid[end] as ProposedValue).field === first.field) end += 1;
    const policy = ownValue(input.policies, first.field) ?? input.defaultPolicy;
    const state = currentState(input.current, first.field);
    // Not read: a field leadsync never wrote is unknown, not empty (see CurrentRecord.unread).
    const current = input.current?.unread === true ? { value: null, ...state, unread: true as const } : state;
    if (end === start + 1) planSingle(first, policy, current, plans);
    else planField(valid.slice(start, end), policy, current, plans);
    start = end;
  }
  return sortPlans(plans);
}

/**
 * `plans.sort(comparePlans)`, by insertion for the usual dozen entries: they arrive nearly in
 * order (valid fields already sorted, a rejected one or two in front), so this costs about one
 * comparison per entry where the built-in sort made several calls each. Same order: comparePlans
 * is a total order on content, and both sorts are stable.
 */
function sortPlans(plans: FieldPlan[]): FieldPlan[] {
  if (plans.length > INSERTION_SORT_LIMIT) return plans.sort(comparePlans);
  for (let index = 1; index < plans.length; index += 1) {
    const plan = plans[index] as FieldPlan;
    let at = index - 1;
    while (at >= 0 && comparePlans(plans[at] as FieldPlan, plan) > 0) {
      plans[at + 1] = plans[at] as FieldPlan;
      at -= 1;
    }
    plans[at + 1] = plan;
  }
  return plans;
}

// Past this many entries the built-in sort's O(n log n) wins.
const INSERTION_SORT_LIMIT = 64;

/** Stable sort by field name in code-unit order; by insertion for the usual dozen or so proposals. */
function sortByField(proposals: ProposedValue[]): void {
  if (proposals.length > INSERTION_SORT_LIMIT) {
    proposals.sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
    return;
  }
  for (let index = 1; index < proposals.length; index += 1) {
    const proposal = proposals[index] as ProposedValue;
    let at = index - 1;
    while (at >= 0 && (proposals[at] as ProposedValue).field > proposal.field) {
      proposals[at + 1] = proposals[at] as ProposedValue;
      at -= 1;
    }
    proposals[at + 1] = proposal;
  }
}

/** {@link planField} for a field with one proposal, the common case: no ranking, no array. */
function planSingle(proposal: ProposedValue, policy: FieldPolicy, current: CurrentFieldState | undefined, plans: FieldPlan[]): void {
  const before = current?.value ?? null;
  plans.push(policy.policy === 'never' ? skip(proposal, before, 'policy', 'the field\'s policy is "never"') : planWinner(proposal, policy, current, before));
}

function planField(proposals: readonly ProposedValue[], policy: FieldPolicy, current: CurrentFieldState | undefined, plans: FieldPlan[]): void {
  const before = current?.value ?? null;
  if (policy.policy === 'never') {
    for (const proposal of proposals) plans.push(skip(proposal, before, 'policy', 'the field\'s policy is "never"'));
    return;
  }
  const [only] = proposals;
  // One proposal per field is the common case; it needs no ranking.
  if (proposals.length === 1 && only !== undefined) {
    plans.push(planWinner(only, policy, current, before));
    return;
  }
  const { winner, losers } = resolveProposals(proposals, policy.precedence);
  for (const loser of losers) plans.push(skip(loser.proposal, before, loser.skip, loser.detail));
  plans.push(planWinner(winner, policy, current, before));
}

function planWinner(proposal: ProposedValue, policy: FieldPolicy, current: CurrentFieldState | undefined, before: FieldValue): FieldPlan {
  if (isOlderThanApplied(proposal.sourceUpdatedAt, current?.appliedAt)) {
    return skip(proposal, before, 'stale', `the current value was applied from a newer source timestamp (${current?.appliedAt ?? ''})`);
  }
  if (current?.source !== undefined && sourceRank(current.source, policy.precedence) > sourceRank(proposal.source, policy.precedence)) {
    return skip(proposal, before, 'precedence', `the current value came from "${current.source}", which ranks higher`);
  }
  if (current?.unread !== true && fieldValuesEqual(before, proposal.value)) return skip(proposal, before, 'no_change', 'the CRM already holds this value');
  const confidence = comparableConfidence(proposal.confidence);
  switch (policy.policy) {
    case 'overwrite':
      return change(proposal, before);
    case 'fill_empty':
      return isEmptyFieldValue(before) ? change(proposal, before) : skip(proposal, before, 'policy', 'policy "fill_empty" keeps the existing value');
    case 'higher_confidence': {
      const minimum = policy.minConfidence ?? 0;
      if (confidence < minimum) return skip(proposal, before, 'low_confidence', confidenceDetail(BELOW_MINIMUM, confidence, minimum));
      if (isEmptyFieldValue(before)) return change(proposal, before);
      const held = current?.confidence ?? UNKNOWN_CURRENT_CONFIDENCE;
      // Ties keep the current value: an equally sure value is no reason to churn the CRM.
      return confidence > held ? change(proposal, before) : skip(proposal, before, 'low_confidence', confidenceDetail(NOT_HIGHER, confidence, held));
    }
    case 'approval':
      return {
        kind: 'pending_approval',
        field: proposal.field,
        before,
        proposed: proposal.value,
        confidence: proposal.confidence,
        reason: proposal.reason,
        source: proposal.source,
        sourceUpdatedAt: proposal.sourceUpdatedAt,
      };
    case 'never':
      return skip(proposal, before, 'policy', 'the field\'s policy is "never"');
  }
}

// The two low-confidence details, remembered per pair of numbers: the same few confidences and
// minimums recur on every event, and each text cost two number conversions and a concatenation.
// A pure function's memo (emptied when full): the text never depends on it.
const BELOW_MINIMUM = 0;
const NOT_HIGHER = 1;
const CONFIDENCE_DETAILS = 512;
const confidenceDetails: readonly [Map<number, Map<number, string>>, Map<number, Map<number, string>>] = [new Map<number, Map<number, string>>(), new Map<number, Map<number, string>>()];
let confidenceDetailCount = 0;

function confidenceDetail(kind: typeof BELOW_MINIMUM | typeof NOT_HIGHER, confidence: number, other: number): string {
  const byConfidence = confidenceDetails[kind];
  let byOther = byConfidence.get(confidence);
  let detail = byOther?.get(other);
  if (detail !== undefined) return detail;
  detail = kind === BELOW_MINIMUM ? `confidence ${confidence} is below the minimum ${other}` : `confidence ${confidence} does not beat the current ${other}`;
  if (confidenceDetailCount >= CONFIDENCE_DETAILS) {
    for (const map of confidenceDetails) map.clear();
    confidenceDetailCount = 0;
    byOther = undefined;
  }
  if (byOther === undefined) {
    byOther = new Map();
    byConfidence.set(confidence, byOther);
  }
  byOther.set(other, detail);
  confidenceDetailCount += 1;
  return detail;
}

function change(proposal: ProposedValue, before: FieldValue): FieldPlan {
  return {
    kind: 'change',
    field: proposal.field,
    before,
    after: proposal.value,
    confidence: proposal.confidence,
    reason: proposal.reason,
    source: proposal.source,
    sourceUpdatedAt: proposal.sourceUpdatedAt,
  };
}

function skip(proposal: ProposedValue, before: FieldValue, reason: SkipReason, detail: string): FieldPlan {
  return {
    kind: 'skip',
    field: proposal.field,
    skip: reason,
    before,
    proposed: proposal.value,
    detail,
    source: proposal.source,
    sourceUpdatedAt: proposal.sourceUpdatedAt,
  };
}

function currentState(current: CurrentRecord | null, field: string): CurrentFieldState | undefined {
  return current === null ? undefined : ownValue(current.fields, field);
}

// Field names are data: "constructor" must not find Object.prototype.constructor.
function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
