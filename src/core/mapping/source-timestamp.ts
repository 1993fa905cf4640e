// Epoch values below this are seconds, above it milliseconds: 1e11 s is the year 5138,
// 1e11 ms is 1973, so no real lead timestamp is ambiguous.
const EPOCH_SECONDS_LIMIT = 1e11;
const ISO_LIKE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Reads a source timestamp (ISO 8601 string, or epoch seconds/milliseconds as a
 * number or numeric string) into ISO 8601 UTC with milliseconds, or null when
 * it is not a date-time. A date-time without an offset is read as UTC.
 */
export function parseSourceTimestamp(value: unknown): string | null {
  let millis: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return null;
    millis = value < EPOCH_SECONDS_LIMIT ? value * 1000 : value;
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) return parseSourceTimestamp(Number(text));
    if (!ISO_LIKE.test(text)) return null;
    const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(text);
    const withT = text.replace(' ', 'T');
    millis = Date.parse(hasOffset || withT.length === 10 ? withT : `${withT}Z`);
    if (!Number.isFinite(millis)) return null;
    if (!calendarDateExists(text)) return null;
  } else {
    return null;
  }
  const date = new Date(Math.round(millis));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

// Date.parse rolls 2026-02-30 over to March 2; a source that sends it has a bug we should not hide.
function calendarDateExists(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const probe = new Date(Date.UTC(year, month - 1, day));
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}
