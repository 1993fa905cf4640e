import type { CrmSchema, FieldValue } from '../core/crm-schema/crm-schema-types.js';
import type { ErrorCode } from '../core/errors/error-codes.js';

/** A CRM-side failure for one record. */
export interface CrmRecordFailure {
  readonly ok: false;
  readonly code: ErrorCode;
  /** The CRM's reason, without raw PII. */
  readonly message: string;
  /** Whether the same write may succeed later unchanged (429, 5xx, timeouts). */
  readonly retryable: boolean;
  /** The CRM's Retry-After, when it sent one. */
  readonly retryAfterMs?: number;
  /**
   * The CRM stopped serving every call for a long time (HubSpot DAILY 429,
   * Salesforce REQUEST_LIMIT_EXCEEDED): the rate-limit governor pauses the
   * whole destination this long instead of letting jobs burn their retries.
   */
  readonly pauseDestinationMs?: number;
}

/** Identifies a record by a unique field, e.g. `{ idField: 'email', id: 'ada@example.com' }`. */
export interface RecordKey {
  readonly idField: string;
  readonly id: string;
}

export type ReadResult =
  | {
      readonly ok: true;
      readonly found: true;
      readonly recordId: string;
      readonly properties: Readonly<Record<string, FieldValue>>;
      /** When the record last changed in the CRM (ISO 8601). */
      readonly updatedAt: string;
    }
  | { readonly ok: true; readonly found: false }
  | CrmRecordFailure;

export interface UpsertInput extends RecordKey {
  /** Fields to set; null clears a field. */
  readonly properties: Readonly<Record<string, FieldValue>>;
}

export type UpsertResult =
  | { readonly ok: true; readonly recordId: string; readonly created: boolean }
  | CrmRecordFailure;

/**
 * A CRM that leads are written to. Batch calls return one result per input,
 * in order, so only failed records are retried. CRM-side failures (validation,
 * 429, 5xx) are results, not exceptions; a rejection means a bug or a broken
 * adapter.
 */
export interface CrmDestination {
  readonly name: string;
  /** The CRM's schema: objects, fields, types, picklist options. */
  describe(): Promise<CrmSchema>;
  read(object: string, keys: readonly RecordKey[]): Promise<readonly ReadResult[]>;
  upsert(object: string, inputs: readonly UpsertInput[]): Promise<readonly UpsertResult[]>;
  /**
   * What the CRM's last response said about its rate limit (HubSpot
   * `X-HubSpot-RateLimit-*`, Salesforce `Sforce-Limit-Info`), for the
   * rate-limit governor to adapt to; undefined before any response told.
   * (Default: absent — the governor uses the configured limit only)
   */
  rateLimitStatus?(): CrmRateLimitStatus | undefined;
}

/** A CRM's own account of its rate limit, from its last response's headers. */
export interface CrmRateLimitStatus {
  /** Calls left in the current window. */
  readonly remaining: number;
  /** Calls allowed per window. */
  readonly max: number;
  readonly intervalMs: number;
  /** Calls left today, where the CRM says. */
  readonly dailyRemaining?: number;
}
