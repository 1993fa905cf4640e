import type { AuditDraft } from '../core/audit/audit-record-types.js';
import type { NewApproval } from './approval-store.js';
import type { NewDeadLetter } from './dead-letter-store.js';
import type { FieldStateUpdate } from './field-state-store.js';

/** Everything that results from finishing one job (or one decision without a job). */
export interface SettleInput {
  /** The claimed job this settles; it is removed from the queue. Absent when no job is involved. */
  readonly job?: { readonly id: string; readonly workerId: string };
  /** Appended to the audit chain in order. */
  readonly audit: readonly AuditDraft[];
  /** (Default: none) */
  readonly deadLetter?: NewDeadLetter;
  /** (Default: none) */
  readonly approvals?: readonly NewApproval[];
  /** Per-field state to upsert for the merge planner. (Default: none) */
  readonly fieldState?: readonly FieldStateUpdate[];
}

export type SettleResult =
  | {
      readonly status: 'settled';
      readonly auditIds: readonly string[];
      readonly deadLetterId: string | null;
      readonly approvalIds: readonly string[];
    }
  /**
   * The job is gone or claimed by another worker (ours expired and it was
   * handed out again). Nothing was written, so the other worker's outcome is
   * the only one recorded.
   */
  | { readonly status: 'lost_claim' };

/**
 * Finishes jobs. Each input is all-or-nothing: audit entries, job removal,
 * DLQ item, approval items and field state are written in one transaction,
 * or none of them is (and the call rejects).
 */
export interface JobOutcomeStore {
  settle(input: SettleInput): Promise<SettleResult>;
  /**
   * Many inputs in one transaction (the batch lane, throughput). One result
   * per input, in order; a `lost_claim` input writes nothing and does not
   * stop the others. If the call rejects, nothing of any input was written.
   */
  settleMany(inputs: readonly SettleInput[]): Promise<readonly SettleResult[]>;
}
