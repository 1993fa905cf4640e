import type { CrmFieldSchema, CrmObjectSchema } from './crm-schema-types.js';
import { compileField, compileObject, type CompiledField } from './compiled-schema.js';
import type { FieldValidation, ValidateOptions } from './field-validation-result.js';
import { enforceMaxLength } from './length-limit.js';

export type { FieldValidation, ValidateOptions } from './field-validation-result.js';
export { compileSchema, findField, type CompiledSchema, type CompiledObject, type CompiledField } from './compiled-schema.js';

/**
 * Validates one value against one CRM field and returns it in the CRM's
 * canonical form. Checks run in this order:
 * 1. unknown field → `CRM_FIELD_UNKNOWN`;
 * 2. read-only → `CRM_FIELD_READ_ONLY` (even for null: clearing is a write);
 * 3. empty — null, undefined, a whitespace-only string, and for a
 *    multi-picklist an empty list → `null`, or `CRM_REQUIRED_MISSING` when
 *    the field is required;
 * 4. type and coercion → `CRM_TYPE_MISMATCH` / `CRM_PICKLIST_MISMATCH`
 *    (an unrestricted picklist accepts other values, with a `warning`);
 * 5. `maxLength` → `CRM_VALUE_TOO_LONG`, or a cut with `options.truncate`.
 *
 * Idempotent: validating an accepted value again returns the same value.
 */
export function validateField(
  field: CrmFieldSchema | undefined,
  fieldName: string,
  value: unknown,
  options: ValidateOptions = {},
): FieldValidation {
  // `object.fields[name]` on a plain record finds `constructor` & co. on the prototype; those are not fields.
  const known = typeof field === 'object' ? compileField(field) : undefined;
  return validateCompiled(known, fieldName, value, options);
}

/** Per-field results of a record, and what a create would still lack. */
export interface RecordValidation {
  /** One result per key of `values` whose value is not `undefined`. */
  readonly fields: Record<string, FieldValidation>;
  /**
   * Required, writable fields of the object absent from `values` (or
   * `undefined` there), in schema order. Fields present but empty are reported
   * in `fields` as `CRM_REQUIRED_MISSING` instead, so nothing is listed twice.
   * Only a create needs these; an update leaves absent fields as they are.
   */
  readonly missingRequired: string[];
}

/**
 * Validates every value of a record against an object schema. `undefined`
 * values count as absent, the way optional properties do.
 */
export function validateRecord(object: CrmObjectSchema, values: Readonly<Record<string, unknown>>, options: ValidateOptions = {}): RecordValidation {
  const compiled = compileObject(object);
  // No prototype: a field named "__proto__" must be an ordinary key.
  const fields = Object.create(null) as Record<string, FieldValidation>;
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) fields[name] = validateCompiled(compiled.fields.get(name), name, value, options);
  }
  const missingRequired = compiled.requiredWritable.filter((name) => !Object.hasOwn(values, name) || values[name] === undefined);
  return { fields, missingRequired };
}

/**
 * {@link validateField} for a field already compiled (`compileObject(object).fields.get(name)`),
 * for callers that validate many fields of one object: it spares a cache lookup per field.
 */
export function validateCompiled(field: CompiledField | undefined, fieldName: string, value: unknown, options: ValidateOptions = {}): FieldValidation {
  if (field === undefined) return fail('CRM_FIELD_UNKNOWN', fieldName, 'the CRM object has no such field');
  const schema = field.schema;
  if (schema.readOnly) return fail('CRM_FIELD_READ_ONLY', fieldName, 'the field is read-only');
  if (isEmpty(value, schema)) return emptyValue(schema, fieldName);
  const coerced = field.coerce(value, field.picklist);
  if (!coerced.ok) return { ...coerced, message: `Field "${fieldName}": ${coerced.message}` };
  // A multi-picklist of only blanks (";;") is empty too.
  if (coerced.value === null) return emptyValue(schema, fieldName);
  // The usual value is within its limit and has no warning: the coerced result is the answer as it is
  // (what the steps below would copy), one object fewer per field of every event.
  if (coerced.warning === undefined && withinMaxLength(coerced.value, schema.maxLength)) return coerced;
  const limited = enforceMaxLength(coerced.value, schema, options.truncate === true);
  if (!limited.ok) return { ...limited, message: `Field "${fieldName}": ${limited.message}` };
  // A cut can leave only blanks (maxLength 0, leading spaces): that is an empty value, not text.
  const result = limited.value !== coerced.value && isEmpty(limited.value, schema) ? emptyValue(schema, fieldName) : limited;
  return coerced.warning === undefined || !result.ok ? result : { ...result, warning: `Field "${fieldName}": ${coerced.warning}` };
}

/** True when `enforceMaxLength` would pass the value unchanged without counting code points. */
function withinMaxLength(value: unknown, max: number | undefined): boolean {
  if (max === undefined) return true;
  // UTF-16 length is never below the code-point count, as in enforceMaxLength.
  if (typeof value === 'string') return value.length <= max;
  return value === null || typeof value === 'number' || typeof value === 'boolean';
}

function isEmpty(value: unknown, field: CrmFieldSchema): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return isBlank(value);
  // Only a list field has an empty list; elsewhere [] is a mapping mistake worth a type error.
  return field.type === 'multi_picklist' && Array.isArray(value) && value.length === 0;
}

/**
 * `!/\S/.test(text)` without running the regex for the usual value, which
 * starts with a visible ASCII character: this runs for every field of every
 * event. Other text (leading blanks, non-ASCII) goes to the regex, whose
 * `\s` knows every Unicode space.
 */
function isBlank(text: string): boolean {
  if (text.length === 0) return true;
  const first = text.charCodeAt(0);
  if (first > 0x20 && first < 0x7f) return false;
  // `\S` stops at the first visible character, so long strings cost nothing here.
  return !/\S/.test(text);
}

function emptyValue(field: CrmFieldSchema, fieldName: string): FieldValidation {
  return field.required ? fail('CRM_REQUIRED_MISSING', fieldName, 'the field is required and has no value') : { ok: true, value: null };
}

function fail(code: 'CRM_FIELD_UNKNOWN' | 'CRM_FIELD_READ_ONLY' | 'CRM_REQUIRED_MISSING', fieldName: string, why: string): FieldValidation {
  return { ok: false, code, message: `Field "${fieldName}": ${why}` };
}
