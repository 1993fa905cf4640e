import type { AuditDraft } from '../core/audit/audit-record-types.js';
import type { ErrorCode } from '../core/errors/error-codes.js';
import type { Page, PageRequest } from './page-types.js';

export const DEAD_LETTER_STATUSES = ['open', 'replayed', 'discarded'] as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[number];

/** A dead letter as the job outcome store creates it. */
export interface NewDeadLetter {
  readonly eventId: string;
  readonly jobId: string;
  readonly source: string;
  readonly leadKey: string;
  readonly errorCode: ErrorCode;
  /** Human message; no raw PII. */
  readonly message: string;
  /** Error trace (cause chain, CRM response summary) for the person who fixes it. */
  readonly trace: string;
  /** Attempts made before giving up. */
  readonly attempts: number;
  readonly createdAt: Date;
}

interface DeadLetterBase extends NewDeadLetter {
  readonly id: string;
}

export type DeadLetterItem =
  | (DeadLetterBase & { readonly status: 'open' })
  | (DeadLetterBase & {
      readonly status: 'replayed';
      readonly resolvedBy: string;
      readonly resolvedAt: Date;
      /** The job the replay enqueued. */
      readonly replayJobId: string;
    })
  | (DeadLetterBase & { readonly status: 'discarded'; readonly resolvedBy: string; readonly resolvedAt: Date });

export interface DeadLetterQuery extends PageRequest {
  readonly status?: DeadLetterStatus;
  readonly code?: ErrorCode;
  readonly source?: string;
}

export interface DeadLetterGroup {
  readonly errorCode: ErrorCode;
  readonly count: number;
  readonly oldestAt: Date;
  readonly newestAt: Date;
}

/** Who resolves an item and when; `audit` entries are appended in the same transaction. */
export interface DeadLetterResolution {
  /** The person's login. */
  readonly actor: string;
  readonly now: Date;
  /** (Default: none) */
  readonly audit?: readonly AuditDraft[];
}

export type ReplayResult =
  | { readonly status: 'replayed'; readonly jobId: string; readonly auditIds: readonly string[] }
  | { readonly status: 'not_found' }
  /** Already replayed or discarded; nothing changed. */
  | { readonly status: 'not_open'; readonly item: DeadLetterItem };

export type DiscardResult =
  | { readonly status: 'discarded'; readonly auditIds: readonly string[] }
  | { readonly status: 'not_found' }
  | { readonly status: 'not_open'; readonly item: DeadLetterItem };

/** Events that could not be written: inspected, replayed after a fix, or discarded. Items are created by the job outcome store. */
export interface DeadLetterStore {
  /** Items, newest first. */
  list(query?: DeadLetterQuery): Promise<Page<DeadLetterItem>>;
  /** Counts per error code, largest first. */
  groupByCode(filter?: { readonly status?: DeadLetterStatus }): Promise<readonly DeadLetterGroup[]>;
  get(id: string): Promise<DeadLetterItem | undefined>;
  /**
   * Re-enqueues the item's original event as a new job (in the event's lane,
   * behind any unfinished job of the same lead) and marks the item replayed,
   * in one transaction.
   */
  markReplayed(id: string, resolution: DeadLetterResolution): Promise<ReplayResult>;
  markDiscarded(id: string, resolution: DeadLetterResolution): Promise<DiscardResult>;
}
