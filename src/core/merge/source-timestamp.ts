import { parseIsoTimestamp } from '../crm-schema/iso-timestamp-codec.js';

// All proposals of one event share its timestamp, and appliedAt values repeat
// across fields, so most reads are repeats. A pure function's memo: results
// never depend on it.
const RECENT_TIMESTAMPS = 1024;
const recentlyRead = new Map<string, number>();

/**
 * A source timestamp as epoch milliseconds, for ordering. Timestamps are
 * compared as instants, not strings, so "…T01:00:00+01:00" equals
 * "…T00:00:00Z". An unreadable timestamp counts as -∞: it can never win over
 * a readable one, and an unreadable `appliedAt` never blocks a fresh value.
 */
export function sourceTimestampMs(timestamp: string | undefined): number {
  if (timestamp === undefined) return Number.NEGATIVE_INFINITY;
  const remembered = recentlyRead.get(timestamp);
  if (remembered !== undefined) return remembered;
  const parsed = parseIsoTimestamp(timestamp);
  const epochMs = parsed.ok ? parsed.epochMs : Number.NEGATIVE_INFINITY;
  if (recentlyRead.size >= RECENT_TIMESTAMPS) recentlyRead.clear();
  recentlyRead.set(timestamp, epochMs);
  return epochMs;
}

/**
 * Whether a proposal is older than the value already applied. Equal instants
 * are not stale: the same event re-planned after a partial failure must still
 * apply, and a same-instant different value is a correction, not history.
 */
export function isOlderThanApplied(proposedAt: string, appliedAt: string | undefined): boolean {
  return appliedAt !== undefined && sourceTimestampMs(proposedAt) < sourceTimestampMs(appliedAt);
}
