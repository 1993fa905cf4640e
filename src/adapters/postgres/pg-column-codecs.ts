import { canonicalJson } from '../../core/hashing/canonical-json.js';
import type { FieldValue } from '../../core/crm-schema/crm-schema-types.js';
import { ERROR_CODES, type ErrorCode } from '../../core/errors/error-codes.js';
import { LANES, type Lane } from '../../ports/job-queue.js';

// Ports speak string ids. Our own rows have bigint identity keys, which
// node-postgres returns as strings already (int8 does not fit a double).

/** Whether `id` can be a bigint key of ours; anything else is treated as "not found" without asking the database. */
export function isRowId(id: string): boolean {
  return /^[1-9]\d{0,17}$/.test(id);
}

export function checkDate(date: Date): Date {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid Date');
  return date;
}

/** Raw payloads keep their text (key order); only a value JSON cannot hold is refused. */
export function encodePayload(payload: unknown): string {
  const text = JSON.stringify(payload) as string | undefined;
  if (text === undefined) throw new TypeError('payload is not a JSON value');
  return text;
}

/** Field values in canonical JSON, which also refuses NaN and Infinity instead of storing them as null. */
export function encodeFieldValue(value: FieldValue): string {
  return canonicalJson(value);
}

export function decodeFieldValue(text: string): FieldValue {
  return JSON.parse(text) as FieldValue;
}

export function parseErrorCode(text: string): ErrorCode {
  // Codes are never removed from the registry, so an unknown one means a
  // newer leadsync wrote this row or the row was edited by hand.
  if (!Object.hasOwn(ERROR_CODES, text)) throw new Error(`unknown error code "${text}" in storage`);
  return text as ErrorCode;
}

export function parseLane(text: string): Lane {
  const lane = LANES.find((candidate) => candidate === text);
  if (lane === undefined) throw new Error(`unknown lane "${text}" in storage`);
  return lane;
}

/**
 * The ids of a multi-row insert in input order, from rows of `(id, ord)` where
 * `ord` is the input's 1-based position (`unnest … WITH ORDINALITY`).
 */
export function idsInInputOrder(rows: readonly { readonly id: string; readonly ord: string }[], count: number, what: string): string[] {
  const ids = new Array<string | undefined>(count).fill(undefined);
  for (const row of rows) ids[Number(row.ord) - 1] = row.id;
  return ids.map((id) => {
    if (id === undefined) throw new Error(`${what} insert returned ${rows.length} rows for ${count}`);
    return id;
  });
}

/**
 * An escape in JSON.stringify's output that PostgreSQL's JSON parser refuses: a lone surrogate
 * (\ud800–\udfff; paired surrogates are written as characters) or NUL. Statements that send
 * rows as one JSON parameter send them the old way (column arrays) when it matches, so such
 * values are stored, or refused, exactly as before. May also match an escaped backslash
 * followed by such text, which only sends that batch the slower way.
 */
export const JSON_UNSAFE_ESCAPE = /\\u(?:d[89a-f][0-9a-f]{2}|0000)/i;
