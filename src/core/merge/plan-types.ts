import type { ErrorCode } from '../errors/error-codes.js';
import type { FieldValue } from '../crm-schema/crm-schema-types.js';

/** Per-field merge policies (DESIGN.md "Merge policies"). */
export const MERGE_POLICIES = ['overwrite', 'fill_empty', 'higher_confidence', 'never', 'approval'] as const;
export type MergePolicy = (typeof MERGE_POLICIES)[number];

export interface FieldPolicy {
  readonly policy: MergePolicy;
  /** For `higher_confidence`: proposals below this confidence never win. (Default: 0) */
  readonly minConfidence?: number | undefined;
  /**
   * Sources in order of precedence, highest first. A source lower in the list
   * never replaces a value last applied by a source higher in it. Sources not
   * listed rank below every listed source. (Default: no precedence)
   */
  readonly precedence?: readonly string[] | undefined;
}

/** Why a proposed value was not applied. Skips are outcomes, not errors. */
export const SKIP_REASONS = ['policy', 'stale', 'no_change', 'low_confidence', 'precedence'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** One validated value a source proposes for one CRM field. */
export interface ProposedValue {
  readonly field: string;
  readonly value: FieldValue;
  /** 0..1 */
  readonly confidence: number;
  /** Source timestamp of the event, ISO 8601 UTC. */
  readonly sourceUpdatedAt: string;
  readonly source: string;
  /** Why the value is proposed, e.g. "clearbit.person.employment.title (title normalizer)". */
  readonly reason: string;
}

/** A value that failed schema validation; the planner reports it as a `rejected` entry. */
export interface RejectedProposal {
  readonly field: string;
  readonly rejected: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly suggestions?: readonly string[];
  };
  /** The value as the source sent it (before coercion). */
  readonly value: unknown;
}

/** What the planner takes per field: a validated proposal or a rejected one. */
export type ProposalInput = ProposedValue | RejectedProposal;

/** Tells a rejected proposal from a validated one. */
export function isRejectedProposal(input: ProposalInput): input is RejectedProposal {
  return 'rejected' in input;
}

/** The current value of one CRM field with what we know of how it got there. */
export interface CurrentFieldState {
  readonly value: FieldValue;
  /** Source timestamp of the change that set the value, when we set it. */
  readonly appliedAt?: string;
  readonly confidence?: number;
  readonly source?: string;
  /** The record was not read: `value` is what leadsync last wrote (null: never wrote it), not the CRM's value. */
  readonly unread?: true;
}

export interface CurrentRecord {
  readonly id?: string;
  readonly fields: Readonly<Record<string, CurrentFieldState>>;
  /**
   * The CRM was not read (`destination.readBeforeWrite: when_needed` and no
   * field of the plan needed it): `fields` hold leadsync's own field state —
   * what it last wrote — not the CRM's values, and the record may not exist.
   * The planner then never skips a value as `no_change`, since the CRM may
   * hold something else. (Default: the CRM was read)
   */
  readonly unread?: true;
}

/** Plan entry kinds, in the order entries of one field are listed. */
export const PLAN_KINDS = ['change', 'pending_approval', 'rejected', 'skip'] as const;
export type PlanKind = (typeof PLAN_KINDS)[number];

/** The planner's decision for one proposal; a plan holds one entry per proposal. */
export type FieldPlan =
  | {
      readonly kind: 'change';
      readonly field: string;
      readonly before: FieldValue;
      readonly after: FieldValue;
      readonly confidence: number;
      readonly reason: string;
      /** Recorded with the write as the field's `CurrentFieldState.source`. */
      readonly source: string;
      /** Recorded with the write as the field's `CurrentFieldState.appliedAt`. */
      readonly sourceUpdatedAt: string;
    }
  | {
      readonly kind: 'skip';
      readonly field: string;
      readonly skip: SkipReason;
      readonly before: FieldValue;
      readonly proposed: FieldValue;
      /** Why, in words, without the values (they may be PII). */
      readonly detail: string;
      readonly source: string;
      readonly sourceUpdatedAt: string;
    }
  | {
      readonly kind: 'pending_approval';
      readonly field: string;
      readonly before: FieldValue;
      readonly proposed: FieldValue;
      readonly confidence: number;
      readonly reason: string;
      /** Needed to record `appliedAt`/`source` when the change is approved. */
      readonly source: string;
      readonly sourceUpdatedAt: string;
    }
  | {
      readonly kind: 'rejected';
      readonly field: string;
      readonly code: ErrorCode;
      readonly message: string;
      readonly value: unknown;
      /** Nearest valid options for a picklist mismatch. */
      readonly suggestions?: readonly string[];
    };
