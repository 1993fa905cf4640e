/**
 * A strict, time-zone-independent reader and writer of ISO 8601 / RFC 3339
 * timestamps. `Date.parse` is not used because it reads offset-less
 * date-times in the host's local zone and accepts non-ISO formats per engine,
 * which would make the pure core depend on where it runs. Both directions are
 * hand-written (no regex captures, no `toISOString`) because they run on
 * every datetime field and every merge decision: several times faster.
 */
export type ParsedTimestamp =
  | { readonly ok: true; readonly epochMs: number; readonly hasTime: boolean }
  | { readonly ok: false; readonly problem: string };

/** 0001-01-01T00:00:00.000Z: CRMs reject year 0 and ISO needs a sign outside 0000..9999. */
export const MIN_EPOCH_MS = -62_135_596_800_000;
/** 9999-12-31T23:59:59.999Z */
export const MAX_EPOCH_MS = 253_402_300_799_999;

const MS_PER_DAY = 86_400_000;
const NOT_ISO: ParsedTimestamp = { ok: false, problem: 'is not an ISO 8601 date or date-time' };
const IMPOSSIBLE: ParsedTimestamp = { ok: false, problem: 'is not a possible date or time' };
/** The problem of a date-time without an offset, which some callers read as UTC instead. */
export const NO_OFFSET_PROBLEM = 'has no UTC offset (add Z or ±hh:mm)';
const NO_OFFSET: ParsedTimestamp = { ok: false, problem: NO_OFFSET_PROBLEM };
const OUT_OF_RANGE: ParsedTimestamp = { ok: false, problem: 'is outside the years 0001..9999' };

const HYPHEN = 45;
const COLON = 58;
const PLUS = 43;
const DOT = 46;
const COMMA = 44;

/**
 * Reads `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDThh:mm[:ss[.fff…]]` followed
 * by `Z` or a `±hh[[:]mm]` offset; `t`, `z` and a space separator are
 * accepted too. Seconds are optional; fractions past milliseconds are cut
 * (not rounded). Impossible dates (2026-02-30), hour 24, leap second 60,
 * offsets of 24 h or more and offset-less date-times are refused.
 */
export function parseIsoTimestamp(text: string): ParsedTimestamp {
  const length = text.length;
  if (length < 10 || text.charCodeAt(4) !== HYPHEN || text.charCodeAt(7) !== HYPHEN) return NOT_ISO;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  if (year < 0 || month < 0 || day < 0) return NOT_ISO;
  const days = civilDays(year, month, day);
  if (length === 10) return days === undefined ? IMPOSSIBLE : inRange(days * MS_PER_DAY, false);

  const separator = text[10];
  if ((separator !== 'T' && separator !== 't' && separator !== ' ') || length < 16 || text.charCodeAt(13) !== COLON) return NOT_ISO;
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  if (hour < 0 || minute < 0) return NOT_ISO;
  let at = 16;
  let second = 0;
  let millis = 0;
  if (text.charCodeAt(at) === COLON) {
    second = digits(text, at + 1, 2);
    if (second < 0) return NOT_ISO;
    at += 3;
    const mark = text.charCodeAt(at);
    if (mark === DOT || mark === COMMA) {
      const start = (at += 1);
      while (at < length && isDigit(text.charCodeAt(at))) at += 1;
      if (at === start || at - start > 9) return NOT_ISO;
      millis = digits(text.slice(start, Math.min(at, start + 3)).padEnd(3, '0'), 0, 3);
    }
  }
  const offset = readOffsetMinutes(text, at);
  if (offset === undefined) return at === length ? NO_OFFSET : NOT_ISO;
  if (offset === null || days === undefined || hour > 23 || minute > 59 || second > 59) return IMPOSSIBLE;
  return inRange(days * MS_PER_DAY + ((hour * 60 + minute - offset) * 60 + second) * 1000 + millis, true);
}

/**
 * Writes epoch milliseconds as `YYYY-MM-DDThh:mm:ss.sssZ`, exactly what
 * `Date#toISOString` gives for years 0000..9999.
 */
export function formatIsoTimestamp(epochMs: number): string {
  const days = Math.floor(epochMs / MS_PER_DAY);
  let rest = epochMs - days * MS_PER_DAY;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const millis = rest - second * 1000;
  return `${formatIsoDate(days)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(millis, 3)}Z`;
}

/** Writes the UTC day of epoch milliseconds as `YYYY-MM-DD`. */
export function formatIsoDay(epochMs: number): string {
  return formatIsoDate(Math.floor(epochMs / MS_PER_DAY));
}

function inRange(epochMs: number, hasTime: boolean): ParsedTimestamp {
  return epochMs < MIN_EPOCH_MS || epochMs > MAX_EPOCH_MS ? OUT_OF_RANGE : { ok: true, epochMs, hasTime };
}

/** Offset in minutes east of UTC; undefined when the text there is not an offset, null when impossible. */
function readOffsetMinutes(text: string, at: number): number | null | undefined {
  const remaining = text.length - at;
  const sign = text.charCodeAt(at);
  if (remaining === 1 && (text[at] === 'Z' || text[at] === 'z')) return 0;
  if ((sign !== PLUS && sign !== HYPHEN) || (remaining !== 3 && remaining !== 5 && remaining !== 6)) return undefined;
  const hours = digits(text, at + 1, 2);
  const minutesAt = remaining === 6 ? at + 4 : at + 3;
  if (remaining === 6 && text.charCodeAt(at + 3) !== COLON) return undefined;
  const minutes = remaining === 3 ? 0 : digits(text, minutesAt, 2);
  if (hours < 0 || minutes < 0) return undefined;
  if (hours > 23 || minutes > 59) return null;
  return (sign === HYPHEN ? -1 : 1) * (hours * 60 + minutes);
}

/** The number written by `count` ASCII digits at `start`, or -1. */
function digits(text: string, start: number, count: number): number {
  if (start + count > text.length) return -1;
  let value = 0;
  for (let index = start; index < start + count; index += 1) {
    const code = text.charCodeAt(index);
    if (!isDigit(code)) return -1;
    value = value * 10 + (code - 48);
  }
  return value;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function pad(value: number, width: number): string {
  // Two- and three-digit parts come from tables: every datetime written goes through here several times.
  // (A fractional or out-of-range value finds no entry and is written as before.)
  const written = width === 2 ? TWO_DIGITS[value] : width === 3 ? THREE_DIGITS[value] : undefined;
  return written ?? String(value).padStart(width, '0');
}

const TWO_DIGITS: readonly string[] = Array.from({ length: 100 }, (_, value) => String(value).padStart(2, '0'));
const THREE_DIGITS: readonly string[] = Array.from({ length: 1000 }, (_, value) => String(value).padStart(3, '0'));

/**
 * Days since 1970-01-01 for a proleptic Gregorian date, or undefined when the
 * date does not exist. Arithmetic (H. Hinnant's days_from_civil) rather than
 * `Date.UTC`, which maps years 0..99 to 1900..1999.
 */
function civilDays(year: number, month: number, day: number): number | undefined {
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** `YYYY-MM-DD` for days since 1970-01-01 (H. Hinnant's civil_from_days). */
function formatIsoDate(days: number): string {
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
