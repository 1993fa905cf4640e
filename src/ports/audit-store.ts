import type { AuditDraft, AuditOutcome, AuditRecord, ChainVerification } from '../core/audit/audit-record-types.js';
import type { Page, PageRequest } from './page-types.js';

export interface AuditQuery extends PageRequest {
  readonly leadKey?: string;
  readonly source?: string;
  readonly outcome?: AuditOutcome;
  /** Inclusive lower bound on `time`. */
  readonly from?: Date;
  /** Exclusive upper bound on `time`. */
  readonly to?: Date;
}

/**
 * The append-only, hash-chained audit log. Rows are never updated or deleted;
 * the store refuses both.
 */
export interface AuditStore {
  /** Seals the drafts onto the chain in order, in one transaction; returns their ids. */
  append(entries: readonly AuditDraft[]): Promise<readonly string[]>;
  /** Every entry of one lead, oldest first. */
  history(leadKey: string): Promise<readonly AuditRecord[]>;
  /** Entries matching all given filters, newest first (by time, then id). Stays fast at millions of rows. */
  search(query?: AuditQuery): Promise<Page<AuditRecord>>;
  /** Re-hashes the whole chain in id order and names the first broken row. */
  verify(): Promise<ChainVerification>;
}
