import type { ResolvedField } from './salesforce-emulator-schema.js';

/** A stored field value, as Salesforce returns it in JSON (multi-picklists as `a;b`). */
export type SfValue = string | number | boolean;

export type Coerced = { readonly ok: true; readonly value: SfValue | null } | { readonly ok: false; readonly message: string };

const NUMBER_TYPES = new Set(['double', 'int', 'currency', 'percent']);
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function describeJson(value: unknown): string {
  if (typeof value === 'string') return `VALUE_STRING value ${value}`;
  if (typeof value === 'number') return `VALUE_NUMBER_INT value ${value}`;
  if (typeof value === 'boolean') return `VALUE_${String(value).toUpperCase()}`;
  return Array.isArray(value) ? 'START_ARRAY token' : 'START_OBJECT token';
}

function javaType(field: ResolvedField): string {
  if (field.type === 'int') return 'int';
  if (NUMBER_TYPES.has(field.type)) return 'double';
  if (field.type === 'boolean') return 'boolean';
  if (field.type === 'date') return 'date';
  if (field.type === 'datetime') return 'datetime';
  return 'string';
}

/**
 * A JSON body value as Salesforce's deserializer reads it. A failure here
 * fails the whole request with 400 JSON_PARSER_ERROR, as in Salesforce, where
 * the body is deserialized before any record is looked at.
 */
export function coerceJsonValue(field: ResolvedField, value: unknown): Coerced {
  if (value === null) return { ok: true, value: null };
  const parserError = { ok: false as const, message: `Cannot deserialize instance of ${javaType(field)} from ${describeJson(value)} or request may be missing a required field` };
  if (NUMBER_TYPES.has(field.type)) {
    if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value: field.type === 'int' ? Math.trunc(value) : value };
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return { ok: true, value: Number(value) };
    return parserError;
  }
  if (field.type === 'boolean') {
    if (typeof value === 'boolean') return { ok: true, value };
    if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' };
    return parserError;
  }
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return parserError;
  const text = String(value);
  if (field.type === 'date' && !(DATE_ONLY.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`)))) return parserError;
  if (field.type === 'datetime' && Number.isNaN(Date.parse(text))) return parserError;
  return { ok: true, value: text };
}

/**
 * A Bulk API 2.0 CSV cell: empty leaves the field unchanged (undefined),
 * `#N/A` clears it. A value that does not parse is that row's error.
 */
export function coerceCsvValue(field: ResolvedField, cell: string): Coerced | undefined {
  if (cell === '') return undefined;
  if (cell === '#N/A') return { ok: true, value: null };
  const typeError = { ok: false as const, message: `${field.label}: value not of required type: ${cell}` };
  if (NUMBER_TYPES.has(field.type)) {
    const parsed = Number(cell);
    return Number.isFinite(parsed) ? { ok: true, value: field.type === 'int' ? Math.trunc(parsed) : parsed } : typeError;
  }
  if (field.type === 'boolean') {
    const lower = cell.toLowerCase();
    if (lower === 'true' || lower === '1') return { ok: true, value: true };
    if (lower === 'false' || lower === '0') return { ok: true, value: false };
    return typeError;
  }
  if (field.type === 'date' && !(DATE_ONLY.test(cell) && !Number.isNaN(Date.parse(`${cell}T00:00:00Z`)))) return typeError;
  if (field.type === 'datetime' && Number.isNaN(Date.parse(cell))) return typeError;
  return { ok: true, value: cell };
}

/** Salesforce's JSON date-time format: `2026-11-27T14:37:58.000+0000`. */
export function sfDateTime(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}

const ID_SUFFIX_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** An 18-character record id: prefix, pod, counter, and the case-safe checksum suffix Salesforce appends. */
export function recordId(keyPrefix: string, counter: number): string {
  const id15 = `${keyPrefix}5e00000${counter.toString(36).toUpperCase().padStart(5, '0')}`;
  if (id15.length !== 15) throw new Error(`record counter ${counter} does not fit a 15-character id`);
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk += 1) {
    let bits = 0;
    for (let index = 0; index < 5; index += 1) {
      const char = id15.charAt(chunk * 5 + index);
      if (char >= 'A' && char <= 'Z') bits |= 1 << index;
    }
    suffix += ID_SUFFIX_CHARS.charAt(bits);
  }
  return id15 + suffix;
}
