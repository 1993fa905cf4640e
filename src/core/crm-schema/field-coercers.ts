import { coerceEmail, coercePhone, coerceUrl } from './contact-coercers.js';
import type { FieldType } from './crm-schema-types.js';
import { coerceDate, coerceDateTime } from './date-coercers.js';
import type { FieldValidation } from './field-validation-result.js';
import type { PicklistIndex } from './picklist-index.js';
import { coerceMultiPicklist, coercePicklist } from './picklist-coercers.js';
import { coerceBoolean, coerceNumber, coerceText } from './scalar-coercers.js';

/**
 * Checks a non-empty value against one field type and returns it in the CRM's
 * canonical form. Each coercer documents what it accepts.
 */
export type FieldCoercer = (value: unknown, picklist: PicklistIndex) => FieldValidation;

/** One coercer per field type; `satisfies` makes a new FieldType a compile error here. */
export const FIELD_COERCERS = {
  string: coerceText,
  text: coerceText,
  number: coerceNumber,
  bool: coerceBoolean,
  date: coerceDate,
  datetime: coerceDateTime,
  picklist: coercePicklist,
  multi_picklist: coerceMultiPicklist,
  email: coerceEmail,
  phone: coercePhone,
  url: coerceUrl,
} as const satisfies Record<FieldType, FieldCoercer>;
