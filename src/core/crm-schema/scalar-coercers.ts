import { typeMismatch, validValue, type FieldValidation } from './field-validation-result.js';

/**
 * `string` / `text`: strings pass unchanged (no trimming — formatting belongs
 * to the normalizers), finite numbers and booleans are stringified
 * (`42` → "42", `true` → "true"), bigints too. Arrays, objects and
 * non-finite numbers are a type mismatch.
 */
export function coerceText(value: unknown): FieldValidation {
  switch (typeof value) {
    case 'string':
      return validValue(value);
    case 'number':
      return Number.isFinite(value) ? validValue(String(value)) : typeMismatch('text', value);
    case 'boolean':
      return validValue(value ? 'true' : 'false');
    case 'bigint':
      return validValue(value.toString());
    default:
      return typeMismatch('text', value);
  }
}

// Plain decimal notation only. No thousands separators: "1,200" is 1200 in
// English and 1.2 in German, and guessing wrong writes a plausible wrong number.
const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * `number`: finite numbers and decimal strings ("12.5", " -3 ", "1e3") become
 * a number; `-0` becomes `0`. Strings with thousands separators ("1,200"),
 * hex, "Infinity" and booleans are a type mismatch.
 */
export function coerceNumber(value: unknown): FieldValidation {
  if (typeof value === 'number') {
    // `+ 0` turns -0 into 0 so equal numbers have one canonical form.
    return Number.isFinite(value) ? validValue(value + 0) : typeMismatch('a finite number', value);
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (!NUMERIC.test(text)) {
      return text.includes(',')
        ? { ok: false, code: 'CRM_TYPE_MISMATCH', message: 'expects a number; separators such as "," are ambiguous (thousands or decimal) — normalize the value first' }
        : typeMismatch('a number', value);
    }
    const parsed = Number(text);
    return Number.isFinite(parsed) ? validValue(parsed + 0) : typeMismatch('a finite number', value);
  }
  if (typeof value === 'bigint' && Number.isSafeInteger(Number(value))) return validValue(Number(value));
  return typeMismatch('a number', value);
}

const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['yes', true],
  ['1', true],
  ['false', false],
  ['no', false],
  ['0', false],
]);

/**
 * `bool`: booleans; the numbers 1 and 0; the strings true/false, yes/no, 1/0
 * in any case and with surrounding spaces. Anything else ("y", "on", 2) is a
 * type mismatch rather than a guess.
 */
export function coerceBoolean(value: unknown): FieldValidation {
  if (typeof value === 'boolean') return validValue(value);
  if (value === 1 || value === 0) return validValue(value === 1);
  if (typeof value === 'string') {
    const word = BOOLEAN_WORDS.get(value.trim().toLowerCase());
    if (word !== undefined) return validValue(word);
  }
  return typeMismatch('a boolean (true/false, yes/no, 1/0)', value);
}
