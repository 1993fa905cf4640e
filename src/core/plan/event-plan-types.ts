import type { CrmSchema, FieldValue } from '../crm-schema/crm-schema-types.js';
import type { ErrorCode } from '../errors/error-codes.js';
import type { ProposalInput } from '../merge/plan-types.js';
import type { FieldPlan, FieldPolicy } from '../merge/plan-types.js';
import type { NormalizeFn } from '../mapping/lead-mapper.js';
import type { MappingTable } from '../mapping/mapping-types.js';
import type { ReadBeforeWrite } from './current-record-need.js';

/** Everything the pure planner needs besides the payload and the current records. */
export interface PlanContext {
  readonly source: string;
  readonly mapping: MappingTable;
  readonly schema: CrmSchema;
  readonly normalize: NormalizeFn;
  /** Policies keyed "object.field", plus the default for fields not listed. */
  readonly policies: { readonly default: FieldPolicy; readonly fields: Readonly<Record<string, FieldPolicy>> };
  /** The destination's `readBeforeWrite`: whether a record is read only when its plan needs it (see `currentRecordNeed`). (Default: always) */
  readonly readBeforeWrite?: ReadBeforeWrite;
}

export interface Rejection {
  readonly code: ErrorCode;
  readonly message: string;
}

/** One CRM object of an event after mapping and validation, before the current record is known. */
export type PreparedObject =
  | {
      readonly status: 'ready';
      readonly object: string;
      readonly leadKey: string;
      readonly match: { readonly field: string; readonly value: string };
      readonly proposals: readonly ProposalInput[];
    }
  | { readonly status: 'skipped'; readonly object: string; readonly detail: string }
  | { readonly status: 'rejected'; readonly object: string; readonly rejection: Rejection };

/** An event after mapping and validation: what the worker needs to read current records. */
export type PreparedEvent =
  | {
      readonly ok: false;
      readonly source: string;
      readonly payloadHash: string;
      readonly rejection: Rejection;
    }
  | {
      readonly ok: true;
      readonly source: string;
      readonly leadId: string;
      readonly sourceUpdatedAt: string;
      readonly idempotencyKey: string;
      readonly payloadHash: string;
      readonly mapping: { readonly name: string; readonly version: number };
      readonly schemaVersion: string;
      readonly objects: readonly PreparedObject[];
    };

/** The plan for one CRM record. */
export type ObjectPlan =
  | {
      readonly status: 'planned';
      readonly object: string;
      readonly leadKey: string;
      readonly match: { readonly field: string; readonly value: string };
      readonly recordId: string | null;
      readonly fields: readonly FieldPlan[];
      /** Field values to send to the CRM (changes only). Empty means nothing to write. */
      readonly write: Readonly<Record<string, FieldValue>>;
      /** Planned without reading the CRM record (see `CurrentRecord.unread`): `before` values are leadsync's own, and the record may not exist yet. */
      readonly unread?: true;
    }
  | { readonly status: 'skipped'; readonly object: string; readonly detail: string }
  | { readonly status: 'rejected'; readonly object: string; readonly leadKey?: string; readonly rejection: Rejection };

/**
 * What an event would do, overall:
 * - `write`: at least one change, nothing rejected;
 * - `no_change`: nothing to write and nothing rejected (skips and approvals only);
 * - `partial`: some fields rejected, the rest written — the event is also dead-lettered so a mapping fix and replay completes it;
 * - `rejected`: nothing can be written (identity missing, or every object rejected).
 */
export const EVENT_OUTCOMES = ['write', 'no_change', 'partial', 'rejected'] as const;
export type EventOutcome = (typeof EVENT_OUTCOMES)[number];

export interface EventPlan {
  readonly outcome: EventOutcome;
  readonly source: string;
  readonly payloadHash: string;
  readonly leadId: string | null;
  readonly sourceUpdatedAt: string | null;
  readonly idempotencyKey: string | null;
  readonly mapping: { readonly name: string; readonly version: number };
  readonly schemaVersion: string;
  readonly objects: readonly ObjectPlan[];
  readonly rejection?: Rejection;
}
