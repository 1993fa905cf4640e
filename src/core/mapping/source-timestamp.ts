import { formatIsoTimestamp, MAX_EPOCH_MS, NO_OFFSET_PROBLEM, parseIsoTimestamp } from '../crm-schema/iso-timestamp-codec.js';

// Epoch values below this are seconds, above it milliseconds: 1e11 s is the year 5138,
// 1e11 ms is 1973, so no real lead timestamp is ambiguous.
const EPOCH_SECONDS_LIMIT = 1e11;
const EPOCH_NUMBER = /^\d+(\.\d+)?$/;

/**
 * Reads a source timestamp (ISO 8601 string, or epoch seconds/milliseconds as a
 * number or numeric string) into ISO 8601 UTC with milliseconds, or null when
 * it is not a date-time. Unlike a CRM datetime field, a source may leave out
 * the offset: such a date-time is read as UTC. The ISO grammar itself is the
 * CRM codec's (strict, no `Date.parse`), so both read the same texts alike.
 */
export function parseSourceTimestamp(value: unknown): string | null {
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value !== 'string') return null;
  const text = value.trim();
  // An ISO date has a hyphen at 4, which no epoch number has: the usual timestamp skips the regex.
  if (text.charCodeAt(4) !== 45 && EPOCH_NUMBER.test(text)) return fromEpoch(Number(text));
  let parsed = parseIsoTimestamp(text);
  if (!parsed.ok && parsed.problem === NO_OFFSET_PROBLEM) parsed = parseIsoTimestamp(`${text}Z`);
  if (!parsed.ok) return null;
  // Text already in the output form (`YYYY-MM-DDThh:mm:ss.sssZ`) that parsed is what formatting would
  // write again: the parser refused any field out of range, so every part round-trips.
  return isUtcMillisForm(text) ? text : formatIsoTimestamp(parsed.epochMs);
}

function isUtcMillisForm(text: string): boolean {
  return text.length === 24 && text.charCodeAt(10) === 84 /* T */ && text.charCodeAt(16) === 58 /* : */ && text.charCodeAt(19) === 46 /* . */ && text.charCodeAt(23) === 90 /* Z */;
}

function fromEpoch(value: number): string | null {
  if (!Number.isFinite(value) || value < 0) return null;
  const millis = Math.round(value < EPOCH_SECONDS_LIMIT ? value * 1000 : value);
  return millis > MAX_EPOCH_MS ? null : formatIsoTimestamp(millis);
}
