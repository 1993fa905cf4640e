import type { FieldValue } from '../crm-schema/crm-schema-types.js';
import type { ErrorCode } from '../errors/error-codes.js';

/** What happened to an event (or a person's decision about one), as recorded in the audit. */
export const AUDIT_OUTCOMES = [
  'written',
  'no_change',
  'duplicate',
  'stale',
  'pending_approval',
  'rejected',
  'dead_lettered',
  'replayed',
  'approved',
  'discarded',
] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Who caused an audit entry: a source's event, leadsync itself, or a person (approve, replay, discard). */
export const ACTOR_KINDS = ['source', 'system', 'person'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

export interface AuditActor {
  readonly kind: ActorKind;
  /** Source name, `leadsync`, or the person's login. */
  readonly name: string;
}

/** One field's change (or proposed change, for `stale` and `pending_approval`). */
export interface AuditChange {
  readonly field: string;
  readonly before: FieldValue;
  readonly after: FieldValue;
  /** 0..1, or null when the change carries no confidence (a person's edit). */
  readonly confidence: number | null;
  /** Why the value changed or did not, e.g. "overwrite policy" or "stale: older than 2026-01-02T…". */
  readonly reason: string;
  /**
   * `false` when the CRM record was not read before the write
   * (`destination.readBeforeWrite: when_needed`): `before` is then the value
   * leadsync last wrote to the field (null when it never wrote it), which a
   * person may have changed in the CRM since. Absent: `before` was read from
   * the CRM. Covered by the row hash only when present, so rows sealed before
   * the flag existed verify unchanged.
   */
  readonly beforeRead?: false;
}

/**
 * A sealed audit row. Every field except `rowHash` is covered by `rowHash`,
 * and `prevHash` links it to the row before it, so changing, removing or
 * reordering a row breaks the chain from that row on.
 */
export interface AuditRecord {
  /** Position in the chain; assigned by the store, strictly increasing. */
  readonly id: string;
  /** When the entry was written: UTC ISO 8601 with milliseconds, exactly as `Date#toISOString` prints it. */
  readonly time: string;
  readonly leadKey: string;
  /** Source of the event the entry is about; null when no event is involved. */
  readonly source: string | null;
  readonly eventId: string | null;
  readonly idempotencyKey: string | null;
  /** SHA-256 of the canonical JSON of the payload. */
  readonly payloadHash: string | null;
  readonly mappingVersion: string | null;
  readonly schemaVersion: string | null;
  /** CRM object written, e.g. `contact`. */
  readonly object: string | null;
  readonly changes: readonly AuditChange[];
  readonly actor: AuditActor;
  readonly outcome: AuditOutcome;
  /** Job attempt that produced the entry (1 = first try); 0 when no job was involved. */
  readonly attempt: number;
  readonly errorCode: ErrorCode | null;
  readonly errorTrace: string | null;
  readonly crmRecordId: string | null;
  readonly prevHash: string;
  readonly rowHash: string;
}

/** The fields of a record that are hashed: everything but `rowHash`. */
export type AuditRecordBody = Omit<AuditRecord, 'rowHash'>;

/**
 * What a caller hands to an audit store: a record without its chain fields.
 * Optional fields are stored as null.
 */
export interface AuditDraft {
  readonly time: string;
  readonly leadKey: string;
  readonly source?: string | null;
  readonly eventId?: string | null;
  readonly idempotencyKey?: string | null;
  readonly payloadHash?: string | null;
  readonly mappingVersion?: string | null;
  readonly schemaVersion?: string | null;
  readonly object?: string | null;
  /** (Default: []) */
  readonly changes?: readonly AuditChange[];
  readonly actor: AuditActor;
  readonly outcome: AuditOutcome;
  /** (Default: 0) */
  readonly attempt?: number;
  readonly errorCode?: ErrorCode | null;
  readonly errorTrace?: string | null;
  readonly crmRecordId?: string | null;
}

/** Result of checking a chain: how many rows verified, or the first row that does not. */
export type ChainVerification =
  | {
      readonly ok: true;
      readonly rows: number;
      /** rowHash of the last row (the genesis hash when empty). A chain cannot see its own tail cut off; keep this elsewhere to detect that. */
      readonly headHash: string;
    }
  | {
      readonly ok: false;
      /** Rows that verified before the broken one. */
      readonly rows: number;
      readonly firstBrokenId: string;
      readonly reason: ChainBreak;
      readonly detail: string;
    };

/**
 * `prev_hash_mismatch`: the row does not point at the row before it (a row was removed, inserted or reordered).
 * `row_hash_mismatch`: the row's content no longer matches its hash (a field was changed).
 */
export const CHAIN_BREAKS = ['prev_hash_mismatch', 'row_hash_mismatch'] as const;
export type ChainBreak = (typeof CHAIN_BREAKS)[number];
