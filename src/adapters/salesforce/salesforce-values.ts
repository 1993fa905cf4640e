import type { FieldValue } from '../../core/crm-schema/crm-schema-types.js';
import type { CrmRecordFailure, UpsertInput } from '../../ports/crm-destination.js';
import type { SalesforceFieldInfo, SalesforceObjectInfo } from './salesforce-schema-reader.js';

/** A value as Salesforce's JSON takes it: multi-picklists as `a;b`. */
export type SalesforceValue = string | number | boolean | null;

/** An input ready to send: canonical field names, Salesforce values, the external id apart. */
export interface PreparedInput {
  readonly index: number;
  readonly idField: SalesforceFieldInfo;
  readonly id: string;
  readonly body: ReadonlyMap<string, SalesforceValue>;
}

function rejected(code: CrmRecordFailure['code'], message: string): CrmRecordFailure {
  return { ok: false, code, message, retryable: false };
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** One value in Salesforce's JSON form, or why it cannot be sent. */
export function encodeValue(field: SalesforceFieldInfo, value: FieldValue): SalesforceValue | CrmRecordFailure {
  if (value === null) return null;
  const mismatch = (expected: string): CrmRecordFailure => rejected('CRM_TYPE_MISMATCH', `${field.name}: expected ${expected} for Salesforce type ${field.sfType}`);
  switch (field.type) {
    case undefined:
      return rejected('CRM_FIELD_READ_ONLY', `${field.name}: leadsync cannot write Salesforce ${field.sfType} fields`);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? value : mismatch('a finite number');
    case 'bool':
      return typeof value === 'boolean' ? value : mismatch('true or false');
    case 'multi_picklist':
      if (typeof value === 'string') return value;
      return typeof value === 'object' ? value.join(';') : mismatch('a list of options');
    case 'date':
      return typeof value === 'string' && DATE_ONLY.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ? value : mismatch('a date (YYYY-MM-DD)');
    case 'datetime':
      return typeof value === 'string' && !DATE_ONLY.test(value) && !Number.isNaN(Date.parse(value)) ? value : mismatch('an ISO 8601 date-time');
    default:
      if (typeof value === 'string') return value;
      return typeof value === 'number' ? String(value) : mismatch('text');
  }
}

/**
 * Checks what Salesforce would refuse for the whole request rather than for
 * the record (an unknown field, a value of the wrong JSON type), so one bad
 * record cannot fail a collection of 200. Everything Salesforce reports per
 * record (picklists, lengths, emails, required, read-only, uniqueness) is left
 * to Salesforce and mapped from its answer.
 */
export function prepareInput(object: SalesforceObjectInfo, input: UpsertInput, index: number): PreparedInput | CrmRecordFailure {
  const idField = object.fields.get(input.idField.toLowerCase());
  if (idField === undefined) return rejected('CRM_FIELD_UNKNOWN', `${object.name} has no field "${input.idField}"`);
  if (!idField.externalId) {
    return rejected('CRM_REJECTED', `cannot upsert ${object.name} by ${idField.name}: it is not an External ID field (mark it External ID in Setup, or match on one that is)`);
  }
  if (input.id === '') return rejected('CRM_REJECTED', `empty ${idField.name}`);
  const body = new Map<string, SalesforceValue>();
  for (const [name, value] of Object.entries(input.properties)) {
    const field = object.fields.get(name.toLowerCase());
    if (field === undefined) return rejected('CRM_FIELD_UNKNOWN', `${object.name} has no field "${name}"`);
    if (field === idField) {
      // The external id goes in the URL; in the body it must agree or be left out.
      if (value !== input.id) return rejected('CRM_REJECTED', `${idField.name} in properties differs from the id`);
      continue;
    }
    const encoded = encodeValue(field, value);
    if (encoded !== null && typeof encoded === 'object') return encoded;
    body.set(field.name, encoded);
  }
  return { index, idField, id: input.id, body };
}

/** A value read from Salesforce in our form: multi-picklists as lists; null stays null. */
export function decodeValue(field: SalesforceFieldInfo | undefined, value: unknown): FieldValue | undefined {
  if (value === null || value === undefined) return null;
  if (field?.type === 'multi_picklist' && typeof value === 'string') return value === '' ? [] : value.split(';');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  // Compound values (addresses, locations) are not fields of our schema.
  return undefined;
}

/** Whether a value read back equals what was written (for the re-read after an ambiguous timeout). */
export function sameValue(field: SalesforceFieldInfo, written: SalesforceValue, value: unknown): boolean {
  if (written === null) return value === null || value === undefined || value === '';
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return false;
  const read = value;
  if (field.type === 'number') return Number(read) === Number(written);
  if (field.type === 'datetime') return Date.parse(String(read).replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) === Date.parse(String(written));
  if (field.type === 'multi_picklist') {
    const a = String(written).split(';').sort();
    const b = String(read).split(';').sort();
    return a.length === b.length && a.every((item, index) => item === b[index]);
  }
  return String(read) === String(written);
}

/** A cell of a Bulk API 2.0 CSV: `#N/A` clears a field, an empty cell leaves it unchanged. */
export function csvCell(value: SalesforceValue | undefined): string {
  if (value === undefined) return '';
  // An empty string clears the field over JSON; in a CSV only #N/A does.
  if (value === null || value === '') return '#N/A';
  return String(value);
}

/** A SOQL string literal. */
export function soqlLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}'`;
}
