import type { CrmFieldSchema, FieldType, FieldValue } from './crm-schema-types.js';
import { validValue, type FieldValidation } from './field-validation-result.js';

// Only free text may be cut: a cut email, URL, phone or option is a wrong value, not a short one.
const TRUNCATABLE: ReadonlySet<FieldType> = new Set<FieldType>(['string', 'text']);

/**
 * Applies `maxLength`, counted in Unicode code points, to string values and to
 * the ";"-joined form of multi-picklist values. With `truncate`, string and
 * text values are cut at `maxLength` code points, which never splits a
 * surrogate pair; every other type is rejected with `CRM_VALUE_TOO_LONG`.
 */
export function enforceMaxLength(value: FieldValue, field: CrmFieldSchema, truncate: boolean): FieldValidation {
  const max = field.maxLength;
  if (max === undefined || value === null || typeof value === 'number' || typeof value === 'boolean') return validValue(value);
  const text = typeof value === 'string' ? value : value.join(';');
  // UTF-16 length is never below the code-point count, so short strings skip the count.
  if (text.length <= max) return validValue(value);
  const end = codePointBoundary(text, max);
  if (end === text.length) return validValue(value);
  if (truncate && typeof value === 'string' && TRUNCATABLE.has(field.type)) return validValue(text.slice(0, end));
  return { ok: false, code: 'CRM_VALUE_TOO_LONG', message: `the value is longer than its maximum of ${max} characters` };
}

/** UTF-16 index just after the first `count` code points (the whole length when shorter). */
function codePointBoundary(text: string, count: number): number {
  let end = 0;
  let seen = 0;
  for (const codePoint of text) {
    if (seen === count) return end;
    end += codePoint.length;
    seen += 1;
  }
  return end;
}
