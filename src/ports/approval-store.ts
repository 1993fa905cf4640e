import type { AuditDraft } from '../core/audit/audit-record-types.js';
import type { FieldValue } from '../core/crm-schema/crm-schema-types.js';
import type { FieldStateUpdate } from './field-state-store.js';
import type { Page, PageRequest } from './page-types.js';

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export type ApprovalDecision = 'approved' | 'rejected';

/** A change waiting for a person, as the job outcome store creates it. */
export interface NewApproval {
  readonly leadKey: string;
  readonly object: string;
  readonly field: string;
  readonly before: FieldValue;
  readonly proposed: FieldValue;
  /** 0..1 */
  readonly confidence: number;
  readonly reason: string;
  readonly source: string;
  /** Source timestamp of the proposing event (ISO 8601). */
  readonly sourceUpdatedAt: string;
  readonly eventId: string;
  readonly createdAt: Date;
}

interface ApprovalBase extends NewApproval {
  readonly id: string;
}

export type ApprovalItem =
  | (ApprovalBase & { readonly status: 'pending' })
  | (ApprovalBase & { readonly status: ApprovalDecision; readonly decidedBy: string; readonly decidedAt: Date })
  | (ApprovalBase & { readonly status: 'expired'; readonly decidedAt: Date });

export interface ApprovalQuery extends PageRequest {
  readonly status?: ApprovalStatus;
  readonly leadKey?: string;
}

export interface ApprovalDecisionRequest {
  readonly decision: ApprovalDecision;
  /** The person's login. */
  readonly actor: string;
  readonly now: Date;
  /** Appended in the same transaction as the decision. (Default: none) */
  readonly audit?: readonly AuditDraft[];
  /**
   * Field state stored in the same transaction as the decision: an approved
   * change becomes the field's last applied state, as a worker's write does.
   * Not stored when the item is no longer pending. (Default: none)
   */
  readonly fieldState?: readonly FieldStateUpdate[];
}

export type DecideResult =
  | { readonly status: 'decided'; readonly item: ApprovalItem; readonly auditIds: readonly string[] }
  | { readonly status: 'not_found' }
  /** Decided or expired before; nothing changed. */
  | { readonly status: 'not_pending'; readonly item: ApprovalItem };

/** Changes to `approval`-policy fields, waiting for a person. Items are created by the job outcome store. */
export interface ApprovalStore {
  /** Items, newest first. */
  list(query?: ApprovalQuery): Promise<Page<ApprovalItem>>;
  get(id: string): Promise<ApprovalItem | undefined>;
  /**
   * How many items are pending, counted by the store (the pending-approvals gauge
   * reads it at every scrape; the dashboard overview's `approvalsPending` is this
   * count too). Overdue items not yet expired still count.
   */
  countPending(): Promise<number>;
  decide(id: string, request: ApprovalDecisionRequest): Promise<DecideResult>;
  /** Expires pending items created before `cutoff`; returns how many. */
  expireOlderThan(cutoff: Date, now: Date): Promise<number>;
}
