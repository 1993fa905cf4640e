import type { CrmObjectSchema, CrmSchema, FieldValue } from '../../core/crm-schema/crm-schema-types.js';
import { canonicalJson } from '../../core/hashing/canonical-json.js';
import { sha256Hex } from '../../core/hashing/sha256.js';
import { LeadsyncError } from '../../core/errors/error-codes.js';
import type { Clock } from '../../ports/clock.js';
import type {
  CrmDestination,
  CrmRateLimitStatus,
  CrmRecordFailure,
  ReadResult,
  RecordKey,
  UpsertInput,
  UpsertResult,
} from '../../ports/crm-destination.js';
import { recordFailure } from './hubspot-error-mapping.js';
import { HubSpotHttpClient, type HubSpotCall } from './hubspot-http-client.js';
import { objectFromProperties, isContactEmail } from './hubspot-schema-reader.js';
import { decodeValue, encodeProperties } from './hubspot-values.js';
import { asBatchResponse, asHubSpotError, asPropertyList, type HubSpotBatchResponse, type HubSpotError } from './hubspot-wire.js';

export interface HubSpotDestinationOptions {
  /** (Default: https://api.hubapi.com) */
  readonly baseUrl?: string;
  /** A private-app access token ("pat-…"), sent as `Authorization: Bearer <token>`; give it without "Bearer ". */
  readonly token: string;
  /**
   * leadsync object name → HubSpot object type. Objects not listed are
   * refused with CRM_OBJECT_UNKNOWN. (Default: `{ contacts: 'contacts', companies: 'companies' }`)
   */
  readonly objects?: Readonly<Record<string, string>>;
  /** Per-request timeout in ms. (Default: 30000) */
  readonly timeoutMs?: number;
  /** (Default: the global fetch) */
  readonly fetch?: typeof fetch;
  /** (Default: `hubspot`) */
  readonly name?: string;
  /** Used for the daily-limit pause. (Default: the system clock) */
  readonly clock?: Clock;
  /** How long a described schema is reused before the properties API is asked again. (Default: 300000) */
  readonly schemaMaxAgeMs?: number;
}

/** Inputs per batch read or batch upsert call: HubSpot's limit. */
export const HUBSPOT_BATCH_LIMIT = 100;
const DEFAULT_OBJECTS: Readonly<Record<string, string>> = { contacts: 'contacts', companies: 'companies' };
const SYSTEM_CLOCK: Clock = { now: () => new Date() };

function rejected(code: CrmRecordFailure['code'], message: string): CrmRecordFailure {
  return { ok: false, code, message, retryable: false };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** How a HubSpot id value compares: contact emails ignore case, as HubSpot stores them lower-cased. */
function idKey(objectType: string, idField: string, id: string): string {
  return isContactEmail(objectType, idField) ? id.toLowerCase() : id;
}

/**
 * A discovery: the objects HubSpot described, and the objects it refused for
 * good (a 403 for a scope the app lacks) with why, so one missing scope fails
 * only that object's records. A transient failure fails the whole discovery.
 */
type SchemaLoad =
  | { readonly ok: true; readonly schema: CrmSchema; readonly refused: ReadonlyMap<string, CrmRecordFailure> }
  | { readonly ok: false; readonly failure: CrmRecordFailure };

/** One valid upsert input on its way to HubSpot. */
interface PendingWrite {
  readonly position: number;
  readonly input: UpsertInput;
  readonly encoded: Record<string, string>;
}

/**
 * HubSpot CRM v3 as a leadsync destination: the properties API for the
 * schema, batch read by id property, and batch upsert by id property (≤ 100
 * inputs a call; the realtime lane sends one-input batches, the only atomic
 * create-or-update HubSpot offers). Each upsert input carries an
 * `objectWriteTraceId`, so a 207 reports failures per record and only those
 * records fail. Every HubSpot error becomes a registered code: validation
 * details (INVALID_OPTION with the nearest valid options, INVALID_EMAIL,
 * LEADING_TRAILING_WHITESPACE, unknown or read-only property) are permanent;
 * 429s, 5xx (JSON or HTML bodies), timeouts and resets are retryable; a DAILY
 * 429 also says how long to pause the whole destination.
 */
export class HubSpotDestination implements CrmDestination {
  readonly name: string;
  private readonly http: HubSpotHttpClient;
  private readonly objects: ReadonlyMap<string, string>;
  private readonly clock: Clock;
  private readonly schemaMaxAgeMs: number;
  private schemaCache: { load: Extract<SchemaLoad, { ok: true }>; loadedAt: number } | undefined;
  private schemaLoading: Promise<SchemaLoad> | undefined;

  constructor(options: HubSpotDestinationOptions) {
    if (options.token.trim() === '') throw new RangeError('HubSpot destination: token is empty; set destination.token to the private-app token');
    if (/^bearer\s/i.test(options.token)) {
      throw new RangeError('HubSpot destination: give the token without the "Bearer " prefix; leadsync adds it (a doubled prefix is a 401)');
    }
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new RangeError(`HubSpot destination: timeoutMs must be a positive integer, got ${timeoutMs}`);
    const baseUrl = (options.baseUrl ?? 'https://api.hubapi.com').replace(/\/+$/, '');
    if (!URL.canParse(baseUrl)) throw new RangeError(`HubSpot destination: baseUrl is not a URL: ${baseUrl}`);
    this.name = options.name ?? 'hubspot';
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.schemaMaxAgeMs = options.schemaMaxAgeMs ?? 300_000;
    this.objects = new Map(Object.entries(options.objects ?? DEFAULT_OBJECTS));
    this.http = new HubSpotHttpClient({ baseUrl, token: options.token, timeoutMs, fetch: options.fetch ?? globalThis.fetch, clock: this.clock });
  }

  /** The rate-limit headers of the last HubSpot response that carried them. */
  rateLimitStatus(): CrmRateLimitStatus | undefined {
    return this.http.rateLimitStatus();
  }

  /** Forgets the cached schema, so the next call reads the properties again. */
  refreshSchema(): void {
    this.schemaCache = undefined;
  }

  async describe(): Promise<CrmSchema> {
    const loaded = await this.loadSchema(true);
    if (!loaded.ok) throw new LeadsyncError(loaded.failure.code, `HubSpot schema discovery failed: ${loaded.failure.message}`, { details: { retryable: loaded.failure.retryable } });
    const [refused] = loaded.refused;
    // A schema missing an object would read as "no such object" later; say why now.
    if (refused !== undefined) throw new LeadsyncError(refused[1].code, `HubSpot schema discovery failed for ${refused[0]}: ${refused[1].message}`, { details: { retryable: false } });
    return loaded.schema;
  }

  async read(object: string, keys: readonly RecordKey[]): Promise<readonly ReadResult[]> {
    const results: ReadResult[] = new Array<ReadResult>(keys.length);
    const prepared = await this.prepare(object, keys, results);
    if (prepared === undefined) return results;
    const { objectType, schemaObject, valid } = prepared;
    const byField = new Map<string, number[]>();
    for (const position of valid) {
      const key = keys[position] as RecordKey;
      byField.set(key.idField, [...(byField.get(key.idField) ?? []), position]);
    }
    const properties = Object.keys(schemaObject.fields);
    for (const [idField, positions] of byField) {
      // One input per distinct id: asking twice for a record is not an error worth a round trip.
      const ids = [...new Map(positions.map((position) => [idKey(objectType, idField, (keys[position] as RecordKey).id), (keys[position] as RecordKey).id])).values()];
      for (const batch of chunks(ids, HUBSPOT_BATCH_LIMIT)) {
        const call = await this.http.call('POST', `/crm/v3/objects/${encodeURIComponent(objectType)}/batch/read`, {
          idProperty: idField,
          inputs: batch.map((id) => ({ id })),
          properties,
          propertiesWithHistory: [],
        });
        const wanted = new Set(batch.map((id) => idKey(objectType, idField, id)));
        const outcome = this.readOutcome(call, objectType, idField, schemaObject);
        for (const position of positions) {
          const id = idKey(objectType, idField, (keys[position] as RecordKey).id);
          if (!wanted.has(id)) continue;
          results[position] = outcome(id);
        }
      }
    }
    return results;
  }

  async upsert(object: string, inputs: readonly UpsertInput[]): Promise<readonly UpsertResult[]> {
    const results: UpsertResult[] = new Array<UpsertResult>(inputs.length);
    const prepared = await this.prepare(object, inputs, results);
    if (prepared === undefined) return results;
    const { objectType, schemaObject, valid } = prepared;
    const seen = new Set<string>();
    const pending: PendingWrite[] = [];
    for (const position of valid) {
      const input = inputs[position] as UpsertInput;
      const identity = `${input.idField}\u0000${idKey(objectType, input.idField, input.id)}`;
      // HubSpot refuses a whole batch in which two inputs name one record; refuse the later input only.
      if (seen.has(identity)) {
        results[position] = rejected('CRM_REJECTED', `duplicate input for ${input.idField} in the same batch`);
        continue;
      }
      seen.add(identity);
      pending.push({ position, input, encoded: encodeProperties(input.properties) });
    }
    for (const batch of chunks(pending, HUBSPOT_BATCH_LIMIT)) {
      for (const [position, result] of await this.upsertBatch(objectType, schemaObject, batch)) results[position] = result;
    }
    return results;
  }

  /** Checks the object and each key; fills `results` for the refused ones and returns the positions to send. */
  private async prepare(
    object: string,
    keys: readonly RecordKey[],
    results: (ReadResult | UpsertResult)[],
  ): Promise<{ objectType: string; schemaObject: CrmObjectSchema; valid: number[] } | undefined> {
    const objectType = this.objects.get(object);
    if (objectType === undefined) {
      const known = [...this.objects.keys()].join(', ');
      results.fill(rejected('CRM_OBJECT_UNKNOWN', `no object "${object}" in the HubSpot destination (configured: ${known})`));
      return undefined;
    }
    if (keys.length === 0) return undefined;
    const loaded = await this.loadSchema(false);
    if (!loaded.ok) {
      results.fill(loaded.failure);
      return undefined;
    }
    const refused = loaded.refused.get(object);
    if (refused !== undefined) {
      results.fill(refused);
      return undefined;
    }
    const schemaObject = loaded.schema.objects[object];
    if (schemaObject === undefined) {
      results.fill(rejected('CRM_OBJECT_UNKNOWN', `HubSpot described no object "${object}"`));
      return undefined;
    }
    const valid: number[] = [];
    keys.forEach((key, position) => {
      const field = Object.hasOwn(schemaObject.fields, key.idField) ? schemaObject.fields[key.idField] : undefined;
      if (field === undefined) results[position] = rejected('CRM_FIELD_UNKNOWN', `${objectType} has no property "${key.idField}"`);
      else if (!field.unique) results[position] = rejected('CRM_REJECTED', `cannot look up ${objectType} by ${key.idField}: HubSpot upserts and reads only by a unique property (hasUniqueValue, or email for contacts)`);
      else if (key.id.trim() === '') results[position] = rejected('CRM_REJECTED', `empty ${key.idField}`);
      else valid.push(position);
    });
    return { objectType, schemaObject, valid };
  }

  private readOutcome(call: HubSpotCall, objectType: string, idField: string, schemaObject: CrmObjectSchema): (id: string) => ReadResult {
    if (!call.ok) return () => call.failure;
    const batch = asBatchResponse(call.body);
    if (batch === undefined) return () => ({ ok: false, code: 'CRM_UNAVAILABLE', message: `HubSpot batch read answered ${call.status} with an unexpected body`, retryable: true });
    const found = new Map<string, ReadResult>();
    for (const record of batch.results) {
      const value = record.properties[idField];
      if (value === null || value === undefined) continue;
      const properties: Record<string, FieldValue> = {};
      for (const [name, raw] of Object.entries(record.properties)) {
        // Only the schema's fields: hs_object_id and friends are not values leadsync manages unless described.
        if (!Object.hasOwn(schemaObject.fields, name)) continue;
        const decoded = decodeValue(schemaObject.fields[name], raw);
        if (decoded !== undefined) Object.defineProperty(properties, name, { value: decoded, enumerable: true, writable: true, configurable: true });
      }
      found.set(idKey(objectType, idField, value), {
        ok: true,
        found: true,
        recordId: record.id,
        properties,
        updatedAt: record.updatedAt ?? this.clock.now().toISOString(),
      });
    }
    const missing = new Set<string>();
    const failed = new Map<string, CrmRecordFailure>();
    for (const error of batch.errors) {
      const ids = error.context?.['ids'] ?? [];
      if (error.category === 'OBJECT_NOT_FOUND') for (const id of ids) missing.add(idKey(objectType, idField, id));
      else for (const id of ids) failed.set(idKey(objectType, idField, id), recordFailure(error, schemaObject, {}));
    }
    return (id) =>
      found.get(id) ??
      failed.get(id) ??
      (missing.has(id)
        ? { ok: true, found: false }
        : { ok: false, code: 'CRM_UNAVAILABLE', message: 'HubSpot batch read did not report this record (neither found nor missing)', retryable: true });
  }

  /** One batch upsert call; a whole-batch validation 400 is retried one input at a time so only the bad inputs fail. */
  private async upsertBatch(objectType: string, schemaObject: CrmObjectSchema, batch: readonly PendingWrite[]): Promise<Map<number, UpsertResult>> {
    const call = await this.http.call('POST', `/crm/v3/objects/${encodeURIComponent(objectType)}/batch/upsert`, {
      inputs: batch.map((write) => ({
        idProperty: write.input.idField,
        id: write.input.id,
        properties: write.encoded,
        objectWriteTraceId: String(write.position),
      })),
    });
    const out = new Map<number, UpsertResult>();
    if (!call.ok) {
      const error = asHubSpotError(call.body);
      const perRecord = call.status === 400 || call.status === 409 ? recordLevel(error) : undefined;
      if (perRecord !== undefined && batch.length > 1) {
        // Without per-input errors the batch cannot say which input was bad: ask once per input.
        for (const write of batch) for (const [position, result] of await this.upsertBatch(objectType, schemaObject, [write])) out.set(position, result);
        return out;
      }
      const only = batch[0];
      for (const write of batch) out.set(write.position, perRecord !== undefined && only !== undefined ? recordFailure(perRecord, schemaObject, only.encoded) : call.failure);
      return out;
    }
    const response = asBatchResponse(call.body);
    if (response === undefined) {
      for (const write of batch) out.set(write.position, { ok: false, code: 'CRM_UNAVAILABLE', message: `HubSpot batch upsert answered ${call.status} with an unexpected body`, retryable: true });
      return out;
    }
    return this.upsertOutcomes(objectType, schemaObject, batch, response);
  }

  private upsertOutcomes(objectType: string, schemaObject: CrmObjectSchema, batch: readonly PendingWrite[], response: HubSpotBatchResponse): Map<number, UpsertResult> {
    const out = new Map<number, UpsertResult>();
    const byTrace = new Map(batch.map((write) => [String(write.position), write]));
    const byId = new Map(batch.map((write) => [`${write.input.idField}\u0000${idKey(objectType, write.input.idField, write.input.id)}`, write]));
    for (const record of response.results) {
      let write = record.objectWriteTraceId === undefined ? undefined : byTrace.get(record.objectWriteTraceId);
      if (write === undefined) {
        // Older responses do not echo the trace id: match on the id property's value instead.
        write = [...byId.values()].find((candidate) => {
          const value = record.properties[candidate.input.idField];
          return typeof value === 'string' && idKey(objectType, candidate.input.idField, value) === idKey(objectType, candidate.input.idField, candidate.input.id);
        });
      }
      if (write !== undefined) out.set(write.position, { ok: true, recordId: record.id, created: record.new === true });
    }
    for (const error of response.errors) {
      const traced = (error.context?.['objectWriteTraceId'] ?? []).map((trace) => byTrace.get(trace));
      const byIds = (error.context?.['ids'] ?? []).map((id) => batch.find((write) => idKey(objectType, write.input.idField, write.input.id) === idKey(objectType, write.input.idField, id)));
      for (const write of [...traced, ...byIds]) {
        if (write !== undefined && !out.has(write.position)) out.set(write.position, recordFailure(error, schemaObject, write.encoded));
      }
    }
    for (const write of batch) {
      if (!out.has(write.position)) {
        // Upsert by id property is idempotent, so asking again is safe; dropping the record silently is not.
        out.set(write.position, { ok: false, code: 'CRM_UNAVAILABLE', message: 'HubSpot batch upsert did not report this record (neither a result nor an error)', retryable: true });
      }
    }
    return out;
  }

  private loadSchema(fresh: boolean): Promise<SchemaLoad> {
    const cached = this.schemaCache;
    if (!fresh && cached !== undefined && this.clock.now().getTime() - cached.loadedAt < this.schemaMaxAgeMs) return Promise.resolve(cached.load);
    // Concurrent callers share one discovery.
    this.schemaLoading ??= this.discover().finally(() => {
      this.schemaLoading = undefined;
    });
    return this.schemaLoading;
  }

  private async discover(): Promise<SchemaLoad> {
    const objects: Record<string, CrmObjectSchema> = {};
    const refused = new Map<string, CrmRecordFailure>();
    for (const [name, objectType] of this.objects) {
      const call = await this.http.call('GET', `/crm/v3/properties/${encodeURIComponent(objectType)}?archived=false`);
      if (!call.ok && (call.failure.retryable || call.failure.code === 'CRM_AUTH')) return { ok: false, failure: call.failure };
      if (!call.ok) {
        refused.set(name, { ...call.failure, message: `properties of ${objectType}: ${call.failure.message}` });
        continue;
      }
      const properties = asPropertyList(call.body);
      if (properties === undefined) {
        return { ok: false, failure: { ok: false, code: 'CRM_UNAVAILABLE', message: `HubSpot properties of ${objectType}: unexpected body`, retryable: true } };
      }
      objects[name] = objectFromProperties(name, objectType, properties);
    }
    // The version is the content: the same properties give the same version in every process.
    const schema: CrmSchema = { version: `hubspot-${sha256Hex(canonicalJson(objects)).slice(0, 12)}`, objects };
    const load = { ok: true, schema, refused } as const;
    this.schemaCache = { load, loadedAt: this.clock.now().getTime() };
    return load;
  }
}

/** A 400/409 that is about the record rather than the request: property validation or a unique-value conflict. */
function recordLevel(error: HubSpotError | undefined): HubSpotError | undefined {
  if (error === undefined) return undefined;
  if (error.category === 'CONFLICT') return error;
  return error.category === 'VALIDATION_ERROR' && (error.message ?? '').startsWith('Property values were not valid') ? error : undefined;
}
