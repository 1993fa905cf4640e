import { isRejectedProposal, type FieldPolicy, type MergePolicy } from '../merge/plan-types.js';
import type { PlanContext, PreparedObject } from './event-plan-types.js';
import { policiesOf, requiredOnCreate } from './event-planner.js';

/**
 * When the worker reads a CRM record before writing it (`destination.readBeforeWrite`):
 * - `always`: every record, so each plan merges with the CRM's values and the audit's before values are the CRM's;
 * - `when_needed`: only records whose plan depends on the current values (see {@link currentRecordNeed}).
 */
export const READ_BEFORE_WRITE = ['always', 'when_needed'] as const;
export type ReadBeforeWrite = (typeof READ_BEFORE_WRITE)[number];

/** Why a record is read before the write. */
export const READ_REASONS = ['always', 'policy', 'precedence', 'create_requirement', 'nothing_to_overwrite'] as const;
export type ReadReason = (typeof READ_REASONS)[number];

/**
 * Whether a record's plan needs the CRM's current values, and if so why:
 * - `always`: the destination reads every record (`readBeforeWrite: always`);
 * - `policy`: a proposed field's policy compares with the current value (`fill_empty`, `higher_confidence`, `approval`);
 * - `precedence`: a proposed field ranks sources against the source of the current value;
 * - `create_requirement`: a field a create must carry is not among the values the plan overwrites, so whether the record exists decides between an update and a rejection;
 * - `nothing_to_overwrite`: no proposal would be written (only `never` fields or rejected values), so whether the record exists decides whether an empty create goes out.
 */
export type CurrentRecordNeed =
  | { readonly read: false }
  | { readonly read: true; readonly reason: 'always' | 'nothing_to_overwrite' }
  | { readonly read: true; readonly reason: 'policy'; readonly field: string; readonly policy: MergePolicy }
  | { readonly read: true; readonly reason: 'precedence' | 'create_requirement'; readonly field: string };

const ALWAYS: CurrentRecordNeed = { read: true, reason: 'always' };
const NOT_NEEDED: CurrentRecordNeed = { read: false };

/**
 * Decides, before any I/O, whether planning `object` needs its CRM record
 * read. Pure.
 *
 * Under `overwrite` (without `precedence`) a proposal's fate does not depend
 * on the CRM's value: the value is written unless leadsync itself already
 * applied a newer one (`stale`, which leadsync's own field state answers). A
 * record whose proposals are all such values (and `never` fields, and rejected
 * values) can be planned against leadsync's field state alone and upserted:
 * the CRM ends up holding the same values as after a read. What is lost is the
 * CRM's before value in the audit and `no_change` suppression (the value is
 * sent even if the CRM already holds it).
 */
export function currentRecordNeed(object: Extract<PreparedObject, { status: 'ready' }>, context: PlanContext): CurrentRecordNeed {
  if ((context.readBeforeWrite ?? 'always') === 'always') return ALWAYS;
  const policies = policiesOf(context.policies.fields, object.object);
  const overwritten = new Set<string>();
  for (const proposal of object.proposals) {
    if (isRejectedProposal(proposal)) continue;
    const policy: FieldPolicy = (Object.hasOwn(policies, proposal.field) ? policies[proposal.field] : undefined) ?? context.policies.default;
    if (policy.policy === 'never') continue;
    if (policy.policy !== 'overwrite') return { read: true, reason: 'policy', field: proposal.field, policy: policy.policy };
    if (policy.precedence !== undefined && policy.precedence.length > 0) return { read: true, reason: 'precedence', field: proposal.field };
    overwritten.add(proposal.field);
  }
  if (overwritten.size === 0) return { read: true, reason: 'nothing_to_overwrite' };
  const schema = context.schema.objects[object.object];
  // A ready object always has its schema (prepareEvent rejects unknown objects); without one, read and let the planner decide.
  if (schema === undefined) return ALWAYS;
  for (const field of requiredOnCreate(schema)) {
    if (field !== object.match.field && !overwritten.has(field)) return { read: true, reason: 'create_requirement', field };
  }
  return NOT_NEEDED;
}
