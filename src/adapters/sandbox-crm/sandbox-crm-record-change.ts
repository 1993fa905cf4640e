import type { CrmObjectSchema, FieldValue } from '../../core/crm-schema/crm-schema-types.js';
import type { CrmRecordFailure, UpsertInput } from '../../ports/crm-destination.js';
import type { StoredFields } from './sandbox-crm-tables.js';
import { rejectProperties } from './sandbox-crm-validator.js';

export function sandboxFailure(code: CrmRecordFailure['code'], message: string): CrmRecordFailure {
  return { ok: false, code, message, retryable: false };
}

/** Unique values a write moves: the ones to release and the ones to claim. */
export interface UniqueChanges {
  readonly release: { field: string; valueJson: string }[];
  readonly claim: { field: string; valueJson: string }[];
}

/** What one upsert input does to one record, decided before anything is written. */
export type RecordChange =
  | CrmRecordFailure
  | {
      readonly ok: true;
      /** The record's fields after the write. */
      readonly fields: StoredFields;
      readonly moves: UniqueChanges;
      /** False when the input changes nothing (no write, no timestamps moved). */
      readonly changed: boolean;
    };

/** Whether a record is unknown (creating) or exists with these stored fields. */
export type ExistingRecord = { readonly exists: false } | { readonly exists: true; readonly fields: StoredFields };

/** Why an input's key cannot name a record of `object`, or undefined. */
export function keyProblem(object: CrmObjectSchema, key: { readonly idField: string; readonly id: string }): CrmRecordFailure | undefined {
  const field = Object.hasOwn(object.fields, key.idField) ? object.fields[key.idField] : undefined;
  if (field === undefined) return sandboxFailure('CRM_FIELD_UNKNOWN', `${object.name} has no field "${key.idField}"`);
  if (!field.unique) return sandboxFailure('CRM_REJECTED', `cannot look up ${object.name} by non-unique property ${key.idField}`);
  if (key.id === '') return sandboxFailure('CRM_REJECTED', `empty ${key.idField}`);
  return undefined;
}

/** The properties an input writes: its own plus the id field set to the id; a failure when the two disagree. */
export function inputProperties(input: UpsertInput): { readonly ok: true; readonly properties: Readonly<Record<string, FieldValue>> } | CrmRecordFailure {
  const given = input.properties[input.idField];
  if (given !== undefined && given !== input.id) return sandboxFailure('CRM_REJECTED', `${input.idField} in properties differs from the id`);
  return { ok: true, properties: { ...input.properties, [input.idField]: input.id } };
}

/**
 * Whether a new value is the stored one, compared as JSON text (so 0 and -0
 * are one value). Strings and booleans, most values, compare directly: their
 * JSON text is equal exactly when they are.
 */
function sameValue(value: FieldValue, stored: Exclude<FieldValue, null>): boolean {
  if (typeof value === 'string' || typeof value === 'boolean') return value === stored;
  return value !== null && JSON.stringify(value) === JSON.stringify(stored);
}

/**
 * Validates an input against the schema the way a CRM does and works out the
 * record's new fields: only real changes move a field's last-modified time,
 * as in a CRM's property history. Pure; the caller checks unique claims
 * against its store and writes. Shared by the SQLite and PostgreSQL flavours.
 */
export function planRecordChange(
  object: CrmObjectSchema,
  properties: Readonly<Record<string, FieldValue>>,
  existing: ExistingRecord,
  unique: ReadonlySet<string>,
  stamp: { readonly now: string; readonly writer: string },
): RecordChange {
  const rejection = rejectProperties(object, properties, !existing.exists);
  if (rejection !== undefined) return sandboxFailure(rejection.code, rejection.message);
  const fields: StoredFields = existing.exists ? { ...existing.fields } : {};
  const moves: UniqueChanges = { release: [], claim: [] };
  let changed = !existing.exists;
  for (const field of Object.keys(properties)) {
    const value = properties[field] as FieldValue;
    const before = Object.hasOwn(fields, field) ? fields[field] : undefined;
    if (before === undefined ? value === null : sameValue(value, before.v)) continue;
    if (unique.has(field)) {
      if (before !== undefined) moves.release.push({ field, valueJson: JSON.stringify(before.v) });
      if (value !== null) moves.claim.push({ field, valueJson: JSON.stringify(value) });
    }
    if (value === null) Reflect.deleteProperty(fields, field);
    // A field named "__proto__" must stay a field: assignment would set the prototype (defineProperty is slower, so only then).
    else if (field === '__proto__') Object.defineProperty(fields, field, { value: { v: value, at: stamp.now, by: stamp.writer }, enumerable: true, writable: true, configurable: true });
    else fields[field] = { v: value, at: stamp.now, by: stamp.writer };
    changed = true;
  }
  return { ok: true, fields, moves, changed };
}
