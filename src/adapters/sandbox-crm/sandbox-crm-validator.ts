import type { CrmFieldSchema, CrmObjectSchema, FieldValue } from '../../core/crm-schema/crm-schema-types.js';
import type { ErrorCode } from '../../core/errors/error-codes.js';

/** Why the sandbox CRM refuses a value, as a real CRM would say it. */
export interface ValueRejection {
  readonly code: ErrorCode;
  readonly message: string;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
// Deliberately loose, like a CRM's own check: one @, something on both sides, a dot in the domain.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function isActiveOption(field: CrmFieldSchema, value: string): boolean {
  // An unrestricted picklist stores any text, as Salesforce's does.
  if (field.restricted === false) return true;
  return (field.options ?? []).some((option) => option.value === value && option.active);
}

function typeRejection(field: CrmFieldSchema, expected: string): ValueRejection {
  return { code: 'CRM_TYPE_MISMATCH', message: `${field.name}: expected ${expected}` };
}

/**
 * Checks one non-null value against its field the way the CRM's API does on
 * write. Independent of leadsync's own validation on purpose: the sandbox
 * stands in for a CRM that does not trust its callers.
 */
export function rejectValue(field: CrmFieldSchema, value: Exclude<FieldValue, null>): ValueRejection | undefined {
  if (field.readOnly) return { code: 'CRM_FIELD_READ_ONLY', message: `${field.name} is read-only` };
  switch (field.type) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : typeRejection(field, 'a finite number');
    case 'bool':
      return typeof value === 'boolean' ? undefined : typeRejection(field, 'true or false');
    case 'multi_picklist': {
      // Lists are the only object a FieldValue can be.
      if (typeof value !== 'object') return typeRejection(field, 'a list of options');
      const bad = value.find((item) => !isActiveOption(field, item));
      return bad === undefined ? undefined : { code: 'CRM_PICKLIST_MISMATCH', message: `${field.name}: "${bad}" is not an active option` };
    }
    default:
      break;
  }
  if (typeof value !== 'string') return typeRejection(field, 'a string');
  if (field.maxLength !== undefined && value.length > field.maxLength) {
    return { code: 'CRM_VALUE_TOO_LONG', message: `${field.name}: ${value.length} characters, at most ${field.maxLength} allowed` };
  }
  switch (field.type) {
    case 'picklist':
      return isActiveOption(field, value) ? undefined : { code: 'CRM_PICKLIST_MISMATCH', message: `${field.name}: "${value}" is not an active option` };
    case 'email':
      return EMAIL_SHAPE.test(value) ? undefined : typeRejection(field, 'an email address');
    case 'date':
      return DATE_ONLY.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ? undefined : typeRejection(field, 'a date (YYYY-MM-DD)');
    case 'datetime':
      return !DATE_ONLY.test(value) && !Number.isNaN(Date.parse(value)) ? undefined : typeRejection(field, 'an ISO 8601 date-time');
    default:
      return undefined;
  }
}

/** First reason the properties cannot be written to `object`, or undefined. */
export function rejectProperties(
  object: CrmObjectSchema,
  properties: Readonly<Record<string, FieldValue>>,
  creating: boolean,
): ValueRejection | undefined {
  for (const name of Object.keys(properties)) {
    const value = properties[name] as FieldValue;
    const field = Object.hasOwn(object.fields, name) ? object.fields[name] : undefined;
    if (field === undefined) return { code: 'CRM_FIELD_UNKNOWN', message: `${object.name} has no field "${name}"` };
    if (value === null) {
      if (field.required) return { code: 'CRM_REQUIRED_MISSING', message: `${name} is required and cannot be cleared` };
      if (field.readOnly) return { code: 'CRM_FIELD_READ_ONLY', message: `${name} is read-only` };
      continue;
    }
    const rejection = rejectValue(field, value);
    if (rejection !== undefined) return rejection;
  }
  if (creating) {
    for (const field of requiredFieldsOf(object)) {
      if ((properties[field.name] ?? null) === null) return { code: 'CRM_REQUIRED_MISSING', message: `${field.name} is required to create a ${object.name}` };
    }
  }
  return undefined;
}

// Schemas are immutable once loaded, so an object's required fields are worked out once, not on every create.
const requiredFields = new WeakMap<CrmObjectSchema, readonly CrmFieldSchema[]>();

function requiredFieldsOf(object: CrmObjectSchema): readonly CrmFieldSchema[] {
  let required = requiredFields.get(object);
  if (required === undefined) {
    required = Object.values(object.fields).filter((field) => field.required);
    requiredFields.set(object, required);
  }
  return required;
}
