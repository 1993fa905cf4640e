import type { AuditChange, AuditDraft, AuditRecord } from '../core/audit/audit-record-types.js';
import type { FieldValue } from '../core/crm-schema/crm-schema-types.js';
import type { ErrorCode } from '../core/errors/error-codes.js';
import { fieldValuesEqual } from '../core/merge/field-value-equality.js';
import type { ApprovalItem, ApprovalQuery } from '../ports/approval-store.js';
import type { CrmDestination } from '../ports/crm-destination.js';
import type { StoragePorts } from '../ports/storage-ports.js';
import type { ActionOptions } from './dead-letter-actions.js';

/** What the approval use cases need. */
export interface ApprovalActionDeps {
  readonly storage: Pick<StoragePorts, 'approvals' | 'fieldState' | 'audit'>;
  readonly crm: CrmDestination;
  /** CRM object → the field its records are matched (upserted) on. */
  readonly matchFields: ReadonlyMap<string, string>;
  /** Pending items older than this are expired before any listing or decision (config `approvals.expireAfterDays`). */
  readonly expireAfterDays: number;
  readonly now: () => Date;
}

/**
 * Why an approval is refused as stale:
 * - `newer_change_applied`: a change with a later source timestamp was applied to the field since;
 * - `crm_value_changed`: the CRM no longer holds the item's `before` value (someone edited it,
 *   another approval landed, or the record is gone), so "before → after" would be a lie.
 */
export const APPROVAL_STALE_REASONS = ['newer_change_applied', 'crm_value_changed'] as const;
export type ApprovalStaleReason = (typeof APPROVAL_STALE_REASONS)[number];

/** The one-field write an approval makes. */
export interface ApprovalWrite {
  readonly object: string;
  /** The match field and value the record is upserted by, from the lead key `object:matchValue`. */
  readonly idField: string;
  readonly id: string;
  readonly field: string;
  readonly before: FieldValue;
  readonly after: FieldValue;
}

/** What an approval did (or, dry run, would do), or why it was refused. */
export type ApproveOutcome =
  | { readonly status: 'approved'; readonly item: ApprovalItem; readonly write: ApprovalWrite; readonly recordId: string; readonly auditIds: readonly string[] }
  /** Dry run: the item is pending, not stale, and this write would be made. */
  | { readonly status: 'dry_run'; readonly item: ApprovalItem; readonly write: ApprovalWrite }
  | { readonly status: 'not_found'; readonly id: string }
  /** Approved, rejected or expired before; nothing changed. */
  | { readonly status: 'not_pending'; readonly item: ApprovalItem }
  /** Refused; nothing was written or marked. */
  | { readonly status: 'stale'; readonly item: ApprovalItem; readonly reason: ApprovalStaleReason; readonly message: string }
  /** The CRM could not be read or refused the write; nothing was marked. */
  | { readonly status: 'cannot_write'; readonly item: ApprovalItem; readonly code: ErrorCode; readonly message: string; readonly retryable: boolean };

/** What a rejection did (or, dry run, would do). */
export type RejectOutcome =
  | { readonly status: 'rejected'; readonly item: ApprovalItem; readonly auditIds: readonly string[] }
  | { readonly status: 'dry_run'; readonly item: ApprovalItem }
  | { readonly status: 'not_found'; readonly id: string }
  | { readonly status: 'not_pending'; readonly item: ApprovalItem };

/** One page of approval items. */
export interface ApprovalListing {
  readonly items: readonly ApprovalItem[];
  readonly nextCursor: string | null;
  /** Items expired just before listing. */
  readonly expired: number;
}

const DAY_MS = 86_400_000;

/** Expires pending items created more than `expireAfterDays` ago; returns how many. */
export function expireApprovals(deps: ApprovalActionDeps): Promise<number> {
  const now = deps.now();
  return deps.storage.approvals.expireOlderThan(new Date(now.getTime() - deps.expireAfterDays * DAY_MS), now);
}

/**
 * Lists items (pending unless asked otherwise), newest first. Overdue items
 * are expired first, so the list never offers an item that can no longer be approved.
 */
export async function listApprovals(deps: ApprovalActionDeps, query: ApprovalQuery = {}): Promise<ApprovalListing> {
  const expired = await expireApprovals(deps);
  const page = await deps.storage.approvals.list({ status: 'pending', ...query });
  return { items: page.items, nextCursor: page.nextCursor, expired };
}

/**
 * Approves one item: re-checks staleness against the field state and the
 * CRM as they are now, writes the one field through the CRM upsert, then
 * records the decision, the `approved` audit entry (the person as actor) and
 * the field's new state in one transaction.
 *
 * The CRM write comes before the decision, as in the worker: a decision is
 * never recorded for a write that did not happen. If another person decides
 * the item between our write and our decision, the result is `not_pending`
 * and the CRM holds the approved value without our audit entry; the other
 * decision's entry is the one on record.
 */
export async function approveApproval(deps: ApprovalActionDeps, id: string, actor: string, options: ActionOptions = {}): Promise<ApproveOutcome> {
  const item = await pendingItem(deps, id, options);
  if (item.status !== 'pending') return item;

  const check = await checkStillValid(deps, item);
  if (check.status !== 'valid') return check;
  if (options.dryRun === true) return { status: 'dry_run', item, write: check.write };

  const { write } = check;
  const [upserted] = await deps.crm.upsert(write.object, [{ idField: write.idField, id: write.id, properties: { [write.field]: write.after } }]);
  if (upserted === undefined) throw new Error(`CRM upsert returned no result for ${item.leadKey}`);
  if (!upserted.ok) return { status: 'cannot_write', item, code: upserted.code, message: upserted.message, retryable: upserted.retryable };

  const now = deps.now();
  const proposal = await proposalEntry(deps, item);
  const decided = await deps.storage.approvals.decide(id, {
    decision: 'approved',
    actor,
    now,
    audit: [
      decisionDraft(item, proposal, actor, now, 'approved', {
        field: item.field,
        before: write.before,
        after: write.after,
        confidence: item.confidence,
        reason: `approved by ${actor}: ${item.reason}`,
      }, upserted.recordId),
    ],
    fieldState: [{ leadKey: item.leadKey, object: item.object, field: item.field, value: write.after, appliedAt: item.sourceUpdatedAt, confidence: item.confidence, source: item.source }],
  });
  switch (decided.status) {
    case 'not_found':
      return { status: 'not_found', id };
    case 'not_pending':
      return { status: 'not_pending', item: decided.item };
    case 'decided':
      return { status: 'approved', item: decided.item, write, recordId: upserted.recordId, auditIds: decided.auditIds };
  }
}

/** Rejects one item and audits `rejected` with the person as actor. The CRM is not touched. */
export async function rejectApproval(deps: ApprovalActionDeps, id: string, actor: string, options: ActionOptions = {}): Promise<RejectOutcome> {
  const item = await pendingItem(deps, id, options);
  if (item.status !== 'pending') return item;
  if (options.dryRun === true) return { status: 'dry_run', item };

  const now = deps.now();
  const proposal = await proposalEntry(deps, item);
  const decided = await deps.storage.approvals.decide(id, {
    decision: 'rejected',
    actor,
    now,
    audit: [
      decisionDraft(item, proposal, actor, now, 'rejected', {
        field: item.field,
        before: item.before,
        after: item.proposed,
        confidence: item.confidence,
        reason: `rejected by ${actor}: ${item.reason}`,
      }, proposal?.crmRecordId ?? null),
    ],
  });
  switch (decided.status) {
    case 'not_found':
      return { status: 'not_found', id };
    case 'not_pending':
      return { status: 'not_pending', item: decided.item };
    case 'decided':
      return { status: 'rejected', item: decided.item, auditIds: decided.auditIds };
  }
}

/**
 * The item if it is still pending, after expiring overdue items. A dry run
 * expires nothing: it reports an overdue item as the expired item a real
 * run would find.
 */
async function pendingItem(
  deps: ApprovalActionDeps,
  id: string,
  options: ActionOptions,
): Promise<Extract<ApprovalItem, { status: 'pending' }> | { readonly status: 'not_found'; readonly id: string } | { readonly status: 'not_pending'; readonly item: ApprovalItem }> {
  if (options.dryRun !== true) await expireApprovals(deps);
  const item = await deps.storage.approvals.get(id);
  if (item === undefined) return { status: 'not_found', id };
  if (item.status !== 'pending') return { status: 'not_pending', item };
  const now = deps.now();
  if (options.dryRun === true && item.createdAt.getTime() < now.getTime() - deps.expireAfterDays * DAY_MS) {
    return { status: 'not_pending', item: { ...item, status: 'expired', decidedAt: now } };
  }
  return item;
}

type ValidityCheck =
  | { readonly status: 'valid'; readonly write: ApprovalWrite }
  | Extract<ApproveOutcome, { status: 'stale' | 'cannot_write' }>;

async function checkStillValid(deps: ApprovalActionDeps, item: ApprovalItem): Promise<ValidityCheck> {
  const separator = item.leadKey.indexOf(':');
  const object = separator > 0 ? item.leadKey.slice(0, separator) : '';
  const idField = deps.matchFields.get(item.object);
  if (object !== item.object || idField === undefined) {
    const message = `cannot tell how to find ${item.leadKey} in the CRM: no configured source maps "${item.object}" and names its match field`;
    return { status: 'cannot_write', item, code: 'CRM_OBJECT_UNKNOWN', message, retryable: false };
  }
  const id = item.leadKey.slice(separator + 1);

  const state = (await deps.storage.fieldState.read(item.leadKey, item.object))[item.field];
  if (state !== undefined && Date.parse(state.appliedAt) > Date.parse(item.sourceUpdatedAt)) {
    const message = `${item.object}.${item.field} was changed by ${state.source} at ${state.appliedAt}, after this proposal (${item.sourceUpdatedAt})`;
    return { status: 'stale', item, reason: 'newer_change_applied', message };
  }

  const [read] = await deps.crm.read(item.object, [{ idField, id }]);
  if (read === undefined) throw new Error(`CRM read returned no result for ${item.leadKey}`);
  if (!read.ok) return { status: 'cannot_write', item, code: read.code, message: `reading the current CRM record failed: ${read.message}`, retryable: read.retryable };
  const current: FieldValue = read.found ? (read.properties[item.field] ?? null) : null;
  if (!fieldValuesEqual(current, item.before)) {
    // Values stay out of the message: they may be PII, and the item itself shows `before`.
    const message = read.found
      ? `the CRM value of ${item.object}.${item.field} changed since the item was created, so its "before" is no longer true`
      : `the CRM record ${item.leadKey} no longer exists`;
    return { status: 'stale', item, reason: 'crm_value_changed', message };
  }
  return { status: 'valid', write: { object: item.object, idField, id, field: item.field, before: current, after: item.proposed } };
}

/** The `pending_approval` audit entry that proposed the item, for its mapping/schema versions and hashes. */
async function proposalEntry(deps: ApprovalActionDeps, item: ApprovalItem): Promise<AuditRecord | undefined> {
  const history = await deps.storage.audit.history(item.leadKey);
  return history.findLast(
    (entry) => entry.outcome === 'pending_approval' && entry.eventId === item.eventId && entry.object === item.object && entry.changes.some((change) => change.field === item.field),
  );
}

function decisionDraft(
  item: ApprovalItem,
  proposal: AuditRecord | undefined,
  actor: string,
  now: Date,
  outcome: 'approved' | 'rejected',
  change: AuditChange,
  crmRecordId: string | null,
): AuditDraft {
  return {
    time: now.toISOString(),
    leadKey: item.leadKey,
    source: item.source,
    eventId: item.eventId,
    idempotencyKey: proposal?.idempotencyKey ?? null,
    payloadHash: proposal?.payloadHash ?? null,
    mappingVersion: proposal?.mappingVersion ?? null,
    schemaVersion: proposal?.schemaVersion ?? null,
    object: item.object,
    changes: [change],
    actor: { kind: 'person', name: actor },
    outcome,
    crmRecordId,
  };
}
