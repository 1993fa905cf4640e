import type { ErrorCode } from '../errors/error-codes.js';
import type { NormalizeContext, NormalizerKind } from '../normalize/normalizer-types.js';
import { foldKey } from './fold-key.js';
import type { ConfidenceSource, FieldMapping, MappingTable } from './mapping-types.js';
import { isEmptyValue, parsePath, readPath, readSegments, type PathSegment } from './payload-path.js';
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
 * normalizers come in as a function. The table is compiled once (parsed
 * paths, reason texts, constant confidences) and kept with it.
 */
export function mapPayload(payload: unknown, table: MappingTable, source: string, normalizeFn: NormalizeFn): MapResult {
  const compiled = compiledTable(table, source);
  const normalize = memoizedPerEvent(normalizeFn);
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { ok: false, code: 'MAPPING_PAYLOAD_NOT_OBJECT', message: 'the payload must be a JSON object' };
  }
  const leadIdHit = readFirstCompiled(payload, compiled.leadIdPaths);
  if (leadIdHit < 0 || (typeof hitValue !== 'string' && typeof hitValue !== 'number')) {
    return { ok: false, code: 'MAPPING_LEAD_ID_MISSING', message: `no lead id at ${table.leadIdPaths.join(' or ')}` };
  }
  const leadId = String(hitValue).trim();
  const updatedHit = readFirstCompiled(payload, compiled.updatedAtPaths);
  if (updatedHit < 0) {
    return { ok: false, code: 'MAPPING_UPDATED_AT_MISSING', message: `no source updated-at at ${table.updatedAtPaths.join(' or ')}` };
  }
  const sourceUpdatedAt = parseSourceTimestamp(hitValue);
  if (sourceUpdatedAt === null) {
    return {
      ok: false,
      code: 'MAPPING_UPDATED_AT_INVALID',
      message: `${table.updatedAtPaths[updatedHit] ?? ''} holds ${JSON.stringify(hitValue)}, not an ISO 8601 date-time or epoch time`,
    };
  }

  // What each distinct list of source paths holds in this payload, read on first use: fields often
  // share one (a title feeds jobtitle, function and seniority; a country feeds country, region and
  // the phone's context).
  const reads: unknown[] = new Array<unknown>(compiled.sourceCount * 2);
  const context = leadCountry(payload, compiled, normalize, reads);
  const objects: MappedObject[] = [];
  for (const objectMapping of compiled.objects) {
    const values: MappedValue[] = [];
    for (const field of objectMapping.fields) values.push(mapField(payload, field, normalize, context, compiled, reads));
    objects.push({ object: objectMapping.object, matchField: objectMapping.match, values });
  }
  return { ok: true, leadId, sourceUpdatedAt, objects };
}

// ---------------------------------------------------------------------------
// The compiled form of a table: everything that does not depend on the payload.

interface CompiledField {
  readonly mapping: FieldMapping;
  readonly to: string;
  /** Index of the field's list of paths among the table's distinct lists (`CompiledTable.sources`). */
  readonly source: number;
  readonly pathTexts: readonly string[];
  readonly pick: string | undefined;
  /** Reads `pick` from a normalizer's result value. */
  readonly picker: Picker;
  /** Reason per path index (`source: path` or `source: path (kind.pick)`). */
  readonly reasons: readonly string[];
  readonly defaultReason: string;
  /** The confidence when it does not depend on the payload. */
  readonly fixedConfidence: number | undefined;
  /** The parsed path of a confidence read from the payload. */
  readonly confidencePath: readonly PathSegment[] | undefined;
}

interface CompiledTable {
  readonly source: string;
  /** The distinct lists of paths that feed fields, each read at most once per payload. */
  readonly sources: readonly (readonly (readonly PathSegment[])[])[];
  readonly sourceCount: number;
  readonly leadIdPaths: readonly (readonly PathSegment[])[];
  readonly updatedAtPaths: readonly (readonly PathSegment[])[];
  readonly countryFields: readonly CompiledField[];
  readonly objects: readonly { readonly object: string; readonly match: string; readonly fields: readonly CompiledField[] }[];
}

const compiledTables = new WeakMap<MappingTable, CompiledTable>();

function compiledTable(table: MappingTable, source: string): CompiledTable {
  const cached = compiledTables.get(table);
  if (cached !== undefined && cached.source === source) return cached;
  const sourceIndexes = new Map<string, number>();
  const sources: (readonly (readonly PathSegment[])[])[] = [];
  const sourceOf = (from: readonly string[]): number => {
    const key = JSON.stringify(from);
    let index = sourceIndexes.get(key);
    if (index === undefined) {
      index = sources.length;
      sources.push(from.map(parsePath));
      sourceIndexes.set(key, index);
    }
    return index;
  };
  const objects = table.objects.map((objectMapping) => ({
    object: objectMapping.object,
    match: objectMapping.match,
    fields: objectMapping.fields.map((field) => compileField(field, source, sourceOf(field.from))),
  }));
  const compiled: CompiledTable = {
    source,
    sources,
    sourceCount: sources.length,
    leadIdPaths: table.leadIdPaths.map(parsePath),
    updatedAtPaths: table.updatedAtPaths.map(parsePath),
    countryFields: objects.flatMap((object) => object.fields.filter((field) => field.mapping.normalize === 'country')),
    objects,
  };
  compiledTables.set(table, compiled);
  return compiled;
}

function compileField(field: FieldMapping, source: string, sourceIndex: number): CompiledField {
  const pick = field.normalize ? (field.pick ?? DEFAULT_PICK[field.normalize]) : undefined;
  return {
    mapping: field,
    to: field.to,
    source: sourceIndex,
    pathTexts: field.from,
    pick,
    picker: pickerOf(pick ?? ''),
    reasons: field.from.map((path) => (field.normalize ? `${source}: ${path} (${field.normalize}.${pick ?? ''})` : `${source}: ${path}`)),
    defaultReason: `${source}: default`,
    fixedConfidence: field.confidence.kind === 'fixed' ? field.confidence.value : undefined,
    confidencePath: field.confidence.kind === 'fixed' ? undefined : parsePath(field.confidence.path),
  };
}

type Picker = (value: Readonly<Record<string, unknown>>) => unknown;

// One reader per output member of the normalizers: each sees one or two result shapes, where a
// `value[pick]` shared by every field saw them all and read through the slowest, generic path.
const PICKERS: ReadonlyMap<string, Picker> = new Map<string, Picker>([
  ['function', (value) => value['function']],
  ['seniority', (value) => value['seniority']],
  ['country', (value) => value['country']],
  ['region', (value) => value['region']],
  ['name', (value) => value['name']],
  ['domain', (value) => value['domain']],
  ['email', (value) => value['email']],
  ['valid', (value) => value['valid']],
  ['freeMail', (value) => value['freeMail']],
  ['e164', (value) => value['e164']],
  ['score', (value) => value['score']],
  ['level', (value) => value['level']],
]);

function pickerOf(pick: string): Picker {
  return PICKERS.get(pick) ?? ((value) => value[pick]);
}

// The value found by the last readFirstCompiled call. A module-level slot
// instead of a `{ value, path }` object per read: this runs for every field
// of every event, and the objects were a large share of the garbage.
let hitValue: unknown;

/** Index of the first path holding a non-empty value (left in `hitValue`), or -1. */
function readFirstCompiled(payload: object, paths: readonly (readonly PathSegment[])[]): number {
  for (let index = 0; index < paths.length; index += 1) {
    const value = readSegments(payload, paths[index] as readonly PathSegment[]);
    if (!isEmptyValue(value)) {
      hitValue = value;
      return index;
    }
  }
  hitValue = undefined;
  return -1;
}

/**
 * {@link readFirstCompiled} for a field's list of paths, read once per payload: `reads` holds, per
 * list, the hit index (undefined until read) and the value found.
 */
function readSource(payload: object, table: CompiledTable, field: CompiledField, reads: unknown[]): number {
  const slot = field.source * 2;
  let hit = reads[slot] as number | undefined;
  if (hit === undefined) {
    hit = readFirstCompiled(payload, table.sources[field.source] as readonly (readonly PathSegment[])[]);
    reads[slot] = hit;
    reads[slot + 1] = hitValue;
  } else {
    hitValue = reads[slot + 1];
  }
  return hit;
}

// One payload value often feeds several fields (a title gives function and seniority; a
// country gives country and region), so each distinct (kind, value, country) is normalized once
// per event. A flat list searched in order rather than a Map with a joined key: an event makes a
// handful of calls, and the Map, its key strings and a closure per event were most of the cost.
function memoizedPerEvent(normalize: NormalizeFn): NormalizeFn {
  // Per entry: kind, context country ('' for none), value, result.
  const entries: unknown[] = [];
  return (kind, value, context) => {
    const country = context?.country ?? '';
    for (let index = 0; index < entries.length; index += 4) {
      if (entries[index] === kind && entries[index + 2] === value && entries[index + 1] === country) return entries[index + 3] as ReturnType<NormalizeFn>;
    }
    const result = normalize(kind, value, context);
    entries.push(kind, country, value, result);
    return result;
  };
}

// Phone numbers written nationally need the lead's country; the mapping's own country field gives it.
function leadCountry(payload: object, table: CompiledTable, normalize: NormalizeFn, reads: unknown[]): NormalizeContext {
  for (const field of table.countryFields) {
    if (readSource(payload, table, field, reads) < 0 || typeof hitValue !== 'string') continue;
    const result = normalize('country', hitValue);
    if (result.ok && typeof result.value['country'] === 'string') return { country: result.value['country'] };
  }
  return {};
}

function mapField(payload: object, compiled: CompiledField, normalize: NormalizeFn, context: NormalizeContext, table: CompiledTable, reads: unknown[]): MappedValue {
  const field = compiled.mapping;
  const hit = readSource(payload, table, compiled, reads);
  if (hit < 0) {
    if (field.default === undefined) return { status: 'absent', field: field.to };
    return {
      status: 'value',
      field: field.to,
      value: field.default,
      confidence: compiled.fixedConfidence ?? confidenceOf(payload, field.confidence, compiled.confidencePath),
      reason: compiled.defaultReason,
      truncate: field.truncate,
    };
  }
  let value: unknown = hitValue;
  const path = compiled.pathTexts[hit] ?? '';
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return { status: 'error', field: field.to, code: 'MAPPING_VALUE_NOT_SCALAR', message: `${path} holds an object`, value: '[object]' };
  }
  if (field.normalize) {
    const result = normalize(field.normalize, typeof value === 'string' ? value : String(value), context);
    if (!result.ok) return { status: 'error', field: field.to, code: result.code, message: `${path}: ${result.message}`, value };
    if (field.normalize === 'email' && result.value['valid'] === false) {
      return { status: 'error', field: field.to, code: 'NORMALIZE_EMAIL_INVALID', message: `${path}: not a valid email address`, value };
    }
    value = compiled.picker(result.value);
    if (isEmptyValue(value)) return { status: 'absent', field: field.to };
  }
  if (field.values) value = mapPicklistValue(value, field.values);
  return {
    status: 'value',
    field: field.to,
    value,
    confidence: compiled.fixedConfidence ?? confidenceOf(payload, field.confidence, compiled.confidencePath),
    reason: compiled.reasons[hit] ?? '',
    truncate: field.truncate,
  };
}

function mapPicklistValue(value: unknown, values: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item: unknown) => mapPicklistValue(item, values));
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return value;
  return values.get(foldedKey(String(value))) ?? value;
}

// Picklist values repeat (the same few functions, seniorities, lead sources), and folding costs a
// Unicode normalization and two regex passes: recent folds are remembered, at most FOLDED_KEYS.
const FOLDED_KEYS = 1024;
const foldedKeys = new Map<string, string>();

function foldedKey(value: string): string {
  let key = foldedKeys.get(value);
  if (key === undefined) {
    key = foldKey(value);
    if (foldedKeys.size >= FOLDED_KEYS) foldedKeys.clear();
    if (value.length <= 200) foldedKeys.set(value, key);
  }
  return key;
}

function confidenceOf(payload: object, source: ConfidenceSource, path: readonly PathSegment[] | undefined): number {
  if (source.kind === 'fixed') return source.value;
  const raw = path === undefined ? readPath(payload, source.path) : readSegments(payload, path);
  const number = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(number)) return source.fallback;
  return Math.min(1, Math.max(0, number / source.outOf));
}
