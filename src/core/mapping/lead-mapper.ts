import type { ErrorCode } from '../errors/error-codes.js';
import type { NormalizeContext, NormalizerKind } from '../normalize/normalizer-types.js';
import { foldKey } from './fold-key.js';
import type { ConfidenceSource, FieldMapping, MappingTable } from './mapping-types.js';
import { isEmptyValue, readFirst, readPath } from './payload-path.js';
import { parseSourceTimestamp } from './source-timestamp.js';

/** What the mapper needs of the normalizers: one call by kind. */
export type NormalizeFn = (
  kind: NormalizerKind,
  value: string,
  context?: NormalizeContext,
) => { readonly ok: true; readonly value: Readonly<Record<string, unknown>> } | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/** The value each normalizer writes when the mapping names no `pick`. */
export const DEFAULT_PICK: Readonly<Record<NormalizerKind, string>> = {
  title: 'function',
  country: 'country',
  company: 'name',
  domain: 'domain',
  email: 'email',
  phone: 'e164',
  intent: 'score',
};

export type MappedValue =
  | {
      readonly status: 'value';
      readonly field: string;
      readonly value: unknown;
      readonly confidence: number;
      readonly reason: string;
      readonly truncate: boolean;
    }
  | { readonly status: 'absent'; readonly field: string }
  | {
      readonly status: 'error';
      readonly field: string;
      readonly code: ErrorCode;
      readonly message: string;
      readonly value: unknown;
    };

export interface MappedObject {
  readonly object: string;
  readonly matchField: string;
  readonly values: readonly MappedValue[];
}

export type MapResult =
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string }
  | {
      readonly ok: true;
      readonly leadId: string;
      readonly sourceUpdatedAt: string;
      readonly objects: readonly MappedObject[];
    };

/**
 * Runs a mapping table over one payload: reads the lead identity, then every
 * field's paths, normalizer, picklist map, confidence and default. Pure: the
 * normalizers come in as a function.
 */
export function mapPayload(payload: unknown, table: MappingTable, source: string, normalizeFn: NormalizeFn): MapResult {
  const normalize = memoizedPerEvent(normalizeFn);
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { ok: false, code: 'MAPPING_PAYLOAD_NOT_OBJECT', message: 'the payload must be a JSON object' };
  }
  const leadIdHit = readFirst(payload, table.leadIdPaths);
  if (!leadIdHit || (typeof leadIdHit.value !== 'string' && typeof leadIdHit.value !== 'number')) {
    return { ok: false, code: 'MAPPING_LEAD_ID_MISSING', message: `no lead id at ${table.leadIdPaths.join(' or ')}` };
  }
  const updatedHit = readFirst(payload, table.updatedAtPaths);
  if (!updatedHit) {
    return { ok: false, code: 'MAPPING_UPDATED_AT_MISSING', message: `no source updated-at at ${table.updatedAtPaths.join(' or ')}` };
  }
  const sourceUpdatedAt = parseSourceTimestamp(updatedHit.value);
  if (sourceUpdatedAt === null) {
    return {
      ok: false,
      code: 'MAPPING_UPDATED_AT_INVALID',
      message: `${updatedHit.path} holds ${JSON.stringify(updatedHit.value)}, not an ISO 8601 date-time or epoch time`,
    };
  }

  const context = leadCountry(payload, table, normalize);
  const objects = table.objects.map((objectMapping) => ({
    object: objectMapping.object,
    matchField: objectMapping.match,
    values: objectMapping.fields.map((field) => mapField(payload, field, source, normalize, context)),
  }));
  return { ok: true, leadId: String(leadIdHit.value).trim(), sourceUpdatedAt, objects };
}

// One payload value often feeds several fields (a title gives function and seniority; a
// country gives country and region), so each distinct (kind, value, country) is normalized once.
function memoizedPerEvent(normalize: NormalizeFn): NormalizeFn {
  const results = new Map<string, ReturnType<NormalizeFn>>();
  return (kind, value, context) => {
    const key = `${kind}\u0000${context?.country ?? ''}\u0000${value}`;
    let result = results.get(key);
    if (result === undefined) {
      result = normalize(kind, value, context);
      results.set(key, result);
    }
    return result;
  };
}

// Phone numbers written nationally need the lead's country; the mapping's own country field gives it.
function leadCountry(payload: object, table: MappingTable, normalize: NormalizeFn): NormalizeContext {
  for (const objectMapping of table.objects) {
    for (const field of objectMapping.fields) {
      if (field.normalize !== 'country') continue;
      const hit = readFirst(payload, field.from);
      if (!hit || typeof hit.value !== 'string') continue;
      const result = normalize('country', hit.value);
      if (result.ok && typeof result.value['country'] === 'string') return { country: result.value['country'] };
    }
  }
  return {};
}

function mapField(
  payload: object,
  field: FieldMapping,
  source: string,
  normalize: NormalizeFn,
  context: NormalizeContext,
): MappedValue {
  const hit = readFirst(payload, field.from);
  if (!hit) {
    if (field.default === undefined) return { status: 'absent', field: field.to };
    return {
      status: 'value',
      field: field.to,
      value: field.default,
      confidence: confidenceOf(payload, field.confidence),
      reason: `${source}: default`,
      truncate: field.truncate,
    };
  }
  let value: unknown = hit.value;
  let how = hit.path;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return { status: 'error', field: field.to, code: 'MAPPING_VALUE_NOT_SCALAR', message: `${hit.path} holds an object`, value: '[object]' };
  }
  if (field.normalize) {
    const pick = field.pick ?? DEFAULT_PICK[field.normalize];
    const result = normalize(field.normalize, typeof value === 'string' ? value : String(value), context);
    if (!result.ok) return { status: 'error', field: field.to, code: result.code, message: `${hit.path}: ${result.message}`, value };
    if (field.normalize === 'email' && result.value['valid'] === false) {
      return { status: 'error', field: field.to, code: 'NORMALIZE_EMAIL_INVALID', message: `${hit.path}: not a valid email address`, value };
    }
    value = result.value[pick];
    how = `${hit.path} (${field.normalize}.${pick})`;
    if (isEmptyValue(value)) return { status: 'absent', field: field.to };
  }
  if (field.values) value = mapPicklistValue(value, field.values);
  return {
    status: 'value',
    field: field.to,
    value,
    confidence: confidenceOf(payload, field.confidence),
    reason: `${source}: ${how}`,
    truncate: field.truncate,
  };
}

function mapPicklistValue(value: unknown, values: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item: unknown) => mapPicklistValue(item, values));
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return value;
  return values.get(foldKey(String(value))) ?? value;
}

function confidenceOf(payload: object, source: ConfidenceSource): number {
  if (source.kind === 'fixed') return source.value;
  const raw = readPath(payload, source.path);
  const number = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(number)) return source.fallback;
  return Math.min(1, Math.max(0, number / source.outOf));
}
