import type { FieldValue } from '../core/crm-schema/crm-schema-types.js';

/** What leadsync last applied to one CRM field: the merge planner's "current field state". */
export interface FieldStateEntry {
  readonly value: FieldValue;
  /** Source timestamp of the change that set the value (ISO 8601), compared for staleness. */
  readonly appliedAt: string;
  /** 0..1 */
  readonly confidence: number;
  readonly source: string;
}

/** A field state to store; written by the job outcome store, atomically with the audit entry. */
export interface FieldStateUpdate extends FieldStateEntry {
  readonly leadKey: string;
  readonly object: string;
  readonly field: string;
}

export interface FieldStateStore {
  /** Field name -> last applied state, for one lead and CRM object; `{}` when nothing was applied. */
  read(leadKey: string, object: string): Promise<Readonly<Record<string, FieldStateEntry>>>;
  /** `read` for many records at once (one round trip where the store has them): results in the order of `keys`. */
  readMany(keys: readonly FieldStateKey[]): Promise<readonly Readonly<Record<string, FieldStateEntry>>[]>;
}

/** One lead's record of one CRM object. */
export interface FieldStateKey {
  readonly leadKey: string;
  readonly object: string;
}
