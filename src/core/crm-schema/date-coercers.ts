import { typeMismatch, validValue, type FieldValidation } from './field-validation-result.js';
import { MAX_EPOCH_MS, MIN_EPOCH_MS, formatIsoDay, formatIsoTimestamp, parseIsoTimestamp } from './iso-timestamp-codec.js';

/**
 * `date`: an ISO date ("2026-01-02"), an ISO date-time with offset, epoch
 * milliseconds or a valid `Date` → "YYYY-MM-DD" of that instant in UTC, so
 * "2026-01-02T23:30:00-05:00" is "2026-01-03". Date-times without an offset
 * are refused: their UTC day depends on a zone we do not know.
 */
export function coerceDate(value: unknown): FieldValidation {
  const instant = toEpochMs(value, 'an ISO date (YYYY-MM-DD), ISO date-time with offset, or epoch milliseconds');
  return instant.ok ? validValue(formatIsoDay(instant.epochMs)) : instant.error;
}

/**
 * `datetime`: an ISO 8601 date-time with `Z` or an offset, epoch milliseconds
 * or a valid `Date` → UTC with milliseconds ("2026-01-02T03:04:05.000Z"). A
 * bare ISO date is midnight UTC. Offset-less date-times are refused.
 */
export function coerceDateTime(value: unknown): FieldValidation {
  const instant = toEpochMs(value, 'an ISO 8601 date-time with offset, or epoch milliseconds');
  return instant.ok ? validValue(formatIsoTimestamp(instant.epochMs)) : instant.error;
}

type Instant = { readonly ok: true; readonly epochMs: number } | { readonly ok: false; readonly error: FieldValidation };

function toEpochMs(value: unknown, expected: string): Instant {
  let epochMs: number;
  if (typeof value === 'string') {
    const parsed = parseIsoTimestamp(value.trim());
    if (!parsed.ok) return { ok: false, error: { ok: false, code: 'CRM_TYPE_MISMATCH', message: `expects ${expected}; the value ${parsed.problem}` } };
    epochMs = parsed.epochMs;
  } else if (typeof value === 'number') {
    // Integers only: a fractional epoch is more likely seconds-with-decimals than milliseconds.
    if (!Number.isInteger(value)) return { ok: false, error: typeMismatch(expected, value) };
    epochMs = value;
  } else if (value instanceof Date) {
    epochMs = value.getTime();
  } else {
    return { ok: false, error: typeMismatch(expected, value) };
  }
  if (!(epochMs >= MIN_EPOCH_MS && epochMs <= MAX_EPOCH_MS)) {
    return { ok: false, error: { ok: false, code: 'CRM_TYPE_MISMATCH', message: `expects ${expected}; the value is outside the years 0001..9999` } };
  }
  return { ok: true, epochMs };
}
