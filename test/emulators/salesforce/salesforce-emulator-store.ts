import type { ResolvedField, ResolvedObject } from './salesforce-emulator-schema.js';
import { recordId, sfDateTime, type SfValue } from './salesforce-emulator-values.js';

/** One per-record error, as Salesforce reports it inside collection results (`statusCode`, not `errorCode`). */
export interface SfRecordError {
  readonly statusCode: string;
  readonly message: string;
  readonly fields: readonly string[];
}

export interface StoredRecord {
  readonly Id: string;
  readonly object: string;
  /** Values by canonical field name; absent means null. */
  readonly values: Map<string, SfValue>;
}

export type UpsertOutcome =
  | { readonly kind: 'saved'; readonly id: string; readonly created: boolean }
  | { readonly kind: 'multiple'; readonly ids: readonly string[] }
  | { readonly kind: 'error'; readonly error: SfRecordError };

// Deliberately loose, like Salesforce's own check.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TEXT_TYPES = new Set(['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist']);

function matches(stored: SfValue | undefined, value: string): boolean {
  // External ids match case-insensitively (CRM-CONTRACTS.md §2.1, unverified; the conservative reading).
  return stored !== undefined && String(stored).toLowerCase() === value.toLowerCase();
}

/** Records of every sObject, with Salesforce's per-record validation on write. */
export class SalesforceEmulatorStore {
  private readonly records = new Map<string, Map<string, StoredRecord>>();
  private counter = 0;
  /** Record writes that fail with UNABLE_TO_LOCK_ROW before writes succeed again. */
  lockFailures = 0;

  constructor(private readonly objects: ReadonlyMap<string, ResolvedObject>) {
    for (const object of objects.values()) this.records.set(object.name, new Map());
  }

  reset(): void {
    for (const records of this.records.values()) records.clear();
    this.lockFailures = 0;
  }

  all(object: string): StoredRecord[] {
    return [...(this.records.get(object)?.values() ?? [])];
  }

  byId(object: string, id: string): StoredRecord | undefined {
    return this.records.get(object)?.get(id);
  }

  /** Records whose field equals the value (external-id semantics: case-insensitive). */
  findBy(object: ResolvedObject, field: ResolvedField, value: string): StoredRecord[] {
    if (field.name === 'Id') {
      const found = this.all(object.name).find((record) => record.Id === value || record.Id.slice(0, 15) === value);
      return found === undefined ? [] : [found];
    }
    return this.all(object.name).filter((record) => matches(record.values.get(field.name), value));
  }

  /** A copy of one object's records, for rolling back an allOrNone request. */
  snapshot(object: string): Map<string, StoredRecord> {
    const copy = new Map<string, StoredRecord>();
    for (const [id, record] of this.records.get(object) ?? []) copy.set(id, { ...record, values: new Map(record.values) });
    return copy;
  }

  restore(object: string, snapshot: Map<string, StoredRecord>): void {
    this.records.set(object, snapshot);
  }

  /** Inserts a record without validation (seeding), returning its id. */
  seed(object: ResolvedObject, values: ReadonlyMap<string, SfValue>, now: Date): string {
    const id = recordId(object.keyPrefix, (this.counter += 1));
    const stamp = sfDateTime(now);
    const stored: StoredRecord = { Id: id, object: object.name, values: new Map(values) };
    stored.values.set('CreatedDate', stamp);
    stored.values.set('LastModifiedDate', stamp);
    stored.values.set('SystemModstamp', stamp);
    this.records.get(object.name)?.set(id, stored);
    return id;
  }

  /**
   * Upserts one record matched by an external id. `values` are already
   * deserialized (canonical field names, null = clear) and exclude the
   * external id field itself.
   */
  upsert(object: ResolvedObject, externalField: ResolvedField, externalValue: string, values: ReadonlyMap<string, SfValue | null>, now: Date): UpsertOutcome {
    const matched = this.findBy(object, externalField, externalValue);
    if (matched.length > 1) return { kind: 'multiple', ids: matched.map((record) => record.Id) };
    const existing = matched[0];
    if (this.lockFailures > 0) {
      this.lockFailures -= 1;
      const lockedId = existing?.Id ?? recordId(object.keyPrefix, this.counter + 1);
      return { kind: 'error', error: { statusCode: 'UNABLE_TO_LOCK_ROW', message: `unable to obtain exclusive access to this record or 1 records: ${lockedId}`, fields: [] } };
    }
    const creating = existing === undefined;
    // The external id value is written on create, so it is checked like any value (an Email external id must be an email).
    const error = (creating && externalField.name !== 'Id' ? this.valueProblem(externalField, externalValue) : undefined) ?? this.validate(object, values, creating, existing, externalField);
    if (error !== undefined) return { kind: 'error', error };

    const stamp = sfDateTime(now);
    if (existing === undefined) {
      const merged = new Map<string, SfValue>();
      for (const field of object.fields) if (field.defaultValue !== undefined && field.defaultedOnCreate) merged.set(field.name, field.defaultValue);
      for (const [name, value] of values) if (value !== null) merged.set(name, value);
      if (externalField.name !== 'Id') merged.set(externalField.name, externalValue);
      return { kind: 'saved', id: this.seed(object, merged, now), created: true };
    }
    for (const [name, value] of values) {
      if (value === null) existing.values.delete(name);
      else existing.values.set(name, value);
    }
    existing.values.set('LastModifiedDate', stamp);
    existing.values.set('SystemModstamp', stamp);
    return { kind: 'saved', id: existing.Id, created: false };
  }

  private validate(object: ResolvedObject, values: ReadonlyMap<string, SfValue | null>, creating: boolean, existing: StoredRecord | undefined, externalField: ResolvedField): SfRecordError | undefined {
    const notWritable = [...values.keys()].filter((name) => {
      const field = object.byLowerName.get(name.toLowerCase());
      return field === undefined || !(creating ? field.createable : field.updateable);
    });
    if (notWritable.length > 0) {
      return {
        statusCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
        message: `Unable to ${creating ? 'create' : 'create/update'} fields: ${notWritable.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
        fields: notWritable,
      };
    }
    for (const [name, value] of values) {
      const field = object.byLowerName.get(name.toLowerCase());
      if (field === undefined) continue;
      const problem = this.valueProblem(field, value);
      if (problem !== undefined) return problem;
    }
    const missing = object.fields.filter((field) => {
      if (!field.createable || field.nillable || field.defaultedOnCreate || field.type === 'boolean' || field === externalField) return false;
      const given = values.get(field.name);
      if (given !== undefined) return given === null;
      return creating || existing?.values.get(field.name) === undefined;
    });
    if (missing.length > 0) {
      const names = missing.map((field) => field.name);
      return { statusCode: 'REQUIRED_FIELD_MISSING', message: `Required fields are missing: [${names.join(', ')}]`, fields: names };
    }
    for (const [name, value] of values) {
      const field = object.byLowerName.get(name.toLowerCase());
      if (field === undefined || !field.unique || value === null) continue;
      const holder = this.findBy(object, field, String(value)).find((record) => record.Id !== existing?.Id);
      if (holder !== undefined) {
        return { statusCode: 'DUPLICATE_VALUE', message: `duplicate value found: ${field.name} duplicates value on record with id: ${holder.Id}`, fields: [] };
      }
    }
    return undefined;
  }

  private valueProblem(field: ResolvedField, value: SfValue | null): SfRecordError | undefined {
    if (value === null) return undefined;
    if (TEXT_TYPES.has(field.type) && typeof value === 'string' && field.length > 0 && value.length > field.length) {
      return { statusCode: 'STRING_TOO_LONG', message: `${field.label}: data value too large: ${value.slice(0, 40)} (max length=${field.length})`, fields: [field.name] };
    }
    if (field.type === 'email' && typeof value === 'string' && !EMAIL_SHAPE.test(value)) {
      return { statusCode: 'INVALID_EMAIL_ADDRESS', message: `${field.label}: invalid email address: ${value}`, fields: [field.name] };
    }
    if ((field.type === 'picklist' || field.type === 'multipicklist') && field.restrictedPicklist) {
      const allowed = new Set(field.picklistValues.filter((option) => option.active).map((option) => option.value));
      const parts = field.type === 'multipicklist' ? String(value).split(';') : [String(value)];
      const bad = parts.find((part) => !allowed.has(part));
      if (bad !== undefined) {
        return { statusCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', message: `${field.label}: bad value for restricted picklist field: ${bad}`, fields: [field.name] };
      }
    }
    return undefined;
  }
}
