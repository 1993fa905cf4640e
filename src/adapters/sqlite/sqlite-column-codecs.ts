import { canonicalJson } from '../../core/hashing/canonical-json.js';
import type { FieldValue } from '../../core/crm-schema/crm-schema-types.js';
import { ERROR_CODES, type ErrorCode } from '../../core/errors/error-codes.js';
import { LANES, type Lane } from '../../ports/job-queue.js';

// Ports speak string ids so a PostgreSQL bigint or uuid fits the same
// interfaces; SQLite keeps INTEGER rowids, the fastest keys it has.

export function formatId(rowid: number | bigint): string {
  return String(rowid);
}

/** The rowid a port id names, or undefined for a string no row of ours can have (treated as "not found"). */
export function parseId(id: string): number | undefined {
  if (!/^[1-9]\d{0,15}$/.test(id)) return undefined;
  const value = Number(id);
  return Number.isSafeInteger(value) ? value : undefined;
}

export function toMs(date: Date): number {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError('invalid Date');
  return ms;
}

export function fromMs(ms: number): Date {
  return new Date(ms);
}

/** Raw payloads keep their key order (they are the raw event); only a value JSON cannot hold is refused. */
export function encodePayload(payload: unknown): string {
  const text = JSON.stringify(payload) as string | undefined;
  if (text === undefined) throw new TypeError('payload is not a JSON value');
  return text;
}

export function decodeJson(text: string): unknown {
  return JSON.parse(text) as unknown;
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
