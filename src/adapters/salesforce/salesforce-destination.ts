import { createHash } from 'node:crypto';
import type { CrmObjectSchema, CrmSchema, FieldValue } from '../../core/crm-schema/crm-schema-types.js';
import { LeadsyncError } from '../../core/errors/error-codes.js';
import type { CrmDestination, CrmRateLimitStatus, CrmRecordFailure, ReadResult, RecordKey, UpsertInput, UpsertResult } from '../../ports/crm-destination.js';
import { SalesforceTokenSource, type SalesforceAuth } from './salesforce-auth.js';
import { runBulkUpsert } from './salesforce-bulk-ingest.js';
import { callFailure, parseErrors, recordErrorFailure, type MappingContext } from './salesforce-error-mapping.js';
import { SalesforceHttpClient } from './salesforce-http-client.js';
import { queryByField, type SalesforceRecord } from './salesforce-record-reader.js';
import { readSalesforceObject, type SalesforceObjectInfo } from './salesforce-schema-reader.js';
import { decodeValue, prepareInput, sameValue, type PreparedInput } from './salesforce-values.js';

export type { SalesforceAuth } from './salesforce-auth.js';

export interface SalesforceDestinationOptions {
  /** The org's My Domain URL, e.g. `https://acme.my.salesforce.com`: the base of every REST call. */
  readonly instanceUrl: string;
  /** Where the token endpoint is. Client credentials need the My Domain URL. (Default: instanceUrl) */
  readonly loginUrl?: string;
  readonly auth: SalesforceAuth;
  /** REST API version; at least 46.0 (sObject Collections upsert). (Default: `60.0`) */
  readonly apiVersion?: string;
  /** sObjects leadsync reads and writes; they are the object names of the schema. (Default: Lead, Contact, Account) */
  readonly objects?: readonly string[];
  /** Per-request timeout. (Default: 30000) */
  readonly timeoutMs?: number;
  /** An upsert call with at least this many records goes through a Bulk API 2.0 job. (Default: 2000) */
  readonly bulkThreshold?: number;
  /** Wait between Bulk API job polls. (Default: 2000) */
  readonly bulkPollIntervalMs?: number;
  /** Longest wait for a Bulk API job before its records are reported retryable. (Default: 600000) */
  readonly bulkTimeoutMs?: number;
  /** How long a daily-limit 403 (REQUEST_LIMIT_EXCEEDED TotalRequests) pauses the destination. (Default: 900000, 15 minutes) */
  readonly dailyLimitPauseMs?: number;
  /** Wait suggested after a concurrent-request-limit 403, which has no Retry-After. (Default: 5000) */
  readonly concurrentLimitRetryMs?: number;
  /** (Default: `salesforce`) */
  readonly name?: string;
  /** (Default: the global fetch) */
  readonly fetch?: typeof fetch;
}

/** Records per sObject Collections request (CRM-CONTRACTS.md §2.2). */
export const COLLECTION_SIZE = 200;
const DEFAULT_OBJECTS = ['Lead', 'Contact', 'Account'] as const;

type ObjectLookup = SalesforceObjectInfo | CrmRecordFailure;

function isFailure(value: object): value is CrmRecordFailure {
  return 'ok' in value && value.ok === false;
}

function rejected(message: string): CrmRecordFailure {
  return { ok: false, code: 'CRM_REJECTED', message, retryable: false };
}

function isoTime(value: unknown): string {
  const parsed = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(parsed) ? new Date(0).toISOString() : new Date(parsed).toISOString();
}

/**
 * Salesforce REST as a CRM destination (docs/adapters/salesforce.md):
 * OAuth client-credentials or JWT-bearer tokens, refreshed once on 401;
 * describe for the schema; one record → PATCH by external id; several →
 * sObject Collections upsert in chunks of 200 with `allOrNone:false`; from
 * `bulkThreshold` records → a Bulk API 2.0 ingest job. Every failure is a
 * per-record result. A write that timed out or lost its connection is
 * ambiguous: the records are read back by external id, and those showing
 * the written values count as written.
 */
export class SalesforceDestination implements CrmDestination {
  readonly name: string;
  private readonly http: SalesforceHttpClient;
  private readonly apiVersion: string;
  private readonly objects: readonly string[];
  private readonly bulkThreshold: number;
  private readonly bulkPollIntervalMs: number;
  private readonly bulkTimeoutMs: number;
  private readonly mapping: MappingContext;
  private readonly infos = new Map<string, Promise<ObjectLookup>>();

  constructor(options: SalesforceDestinationOptions) {
    const apiVersion = options.apiVersion ?? '60.0';
    if (!/^\d+\.0$/.test(apiVersion) || Number(apiVersion) < 46) throw new RangeError(`destination.apiVersion must look like "60.0" and be at least 46.0, got "${apiVersion}"`);
    const timeoutMs = options.timeoutMs ?? 30_000;
    const fetchFn = options.fetch ?? globalThis.fetch;
    this.name = options.name ?? 'salesforce';
    this.apiVersion = apiVersion;
    this.objects = options.objects ?? DEFAULT_OBJECTS;
    this.bulkThreshold = options.bulkThreshold ?? 2000;
    this.bulkPollIntervalMs = options.bulkPollIntervalMs ?? 2000;
    this.bulkTimeoutMs = options.bulkTimeoutMs ?? 600_000;
    this.mapping = { object: undefined, dailyLimitPauseMs: options.dailyLimitPauseMs ?? 900_000, concurrentLimitRetryMs: options.concurrentLimitRetryMs ?? 5000 };
    const tokens = new SalesforceTokenSource(options.loginUrl ?? options.instanceUrl, options.auth, fetchFn, timeoutMs);
    this.http = new SalesforceHttpClient({ instanceUrl: options.instanceUrl, apiVersion, tokens, fetch: fetchFn, timeoutMs });
  }

  rateLimitStatus(): CrmRateLimitStatus | undefined {
    return this.http.rateLimitStatus();
  }

  /** Describes every configured object afresh; throws a LeadsyncError when one cannot be described. */
  async describe(): Promise<CrmSchema> {
    this.infos.clear();
    const infos = await Promise.all(this.objects.map((object) => this.objectInfo(object)));
    const objects: Record<string, CrmObjectSchema> = {};
    for (const [index, info] of infos.entries()) {
      const object = this.objects[index] ?? '';
      if (isFailure(info)) throw new LeadsyncError(info.code, `describe ${object}: ${info.message}`);
      Object.defineProperty(objects, object, { value: info.schema, enumerable: true, writable: true, configurable: true });
    }
    const hash = createHash('sha256').update(JSON.stringify(objects)).digest('hex').slice(0, 12);
    return { version: `salesforce-v${this.apiVersion}-${hash}`, objects };
  }

  async read(object: string, keys: readonly RecordKey[]): Promise<readonly ReadResult[]> {
    const info = await this.objectInfo(object);
    if (isFailure(info)) return keys.map(() => info);
    const results: (ReadResult | undefined)[] = new Array<ReadResult | undefined>(keys.length);
    const groups = new Map<string, number[]>();
    keys.forEach((key, index) => {
      const field = info.fields.get(key.idField.toLowerCase());
      if (field === undefined) results[index] = { ok: false, code: 'CRM_FIELD_UNKNOWN', message: `${info.name} has no field "${key.idField}"`, retryable: false };
      else if (key.id === '') results[index] = rejected(`empty ${field.name}`);
      else {
        const group = groups.get(field.name) ?? [];
        group.push(index);
        groups.set(field.name, group);
      }
    });
    const select = [...info.fields.values()].filter((field) => field.crm !== undefined).map((field) => field.name);
    for (const [fieldName, indexes] of groups) {
      const field = info.fields.get(fieldName.toLowerCase());
      if (field === undefined) continue;
      const found = await queryByField(this.http, info, field, indexes.map((index) => keys[index]?.id ?? ''), select, { ...this.mapping, object: info });
      for (const index of indexes) {
        if (isFailure(found)) {
          results[index] = found;
          continue;
        }
        const records = found.get((keys[index]?.id ?? '').toLowerCase()) ?? [];
        const record = records[0];
        if (records.length > 1) {
          results[index] = { ok: false, code: 'CRM_MULTIPLE_MATCHES', message: `${records.length} ${info.name} records have this ${field.name} (${records.map((r) => String(r['Id'])).join(', ')})`, retryable: false };
        } else if (record === undefined) results[index] = { ok: true, found: false };
        else results[index] = { ok: true, found: true, recordId: String(record['Id']), properties: this.properties(info, record), updatedAt: isoTime(record['SystemModstamp'] ?? record['LastModifiedDate']) };
      }
    }
    return results.map((result) => result ?? rejected('internal: no result for this key'));
  }

  /** Realtime and small batches over REST; from `bulkThreshold` records, a Bulk API 2.0 job. */
  upsert(object: string, inputs: readonly UpsertInput[]): Promise<readonly UpsertResult[]> {
    return this.write(object, inputs, inputs.length >= this.bulkThreshold ? 'bulk' : 'rest');
  }

  /** Upserts through a Bulk API 2.0 ingest job whatever the count: for backfills. */
  bulkUpsert(object: string, inputs: readonly UpsertInput[]): Promise<readonly UpsertResult[]> {
    return this.write(object, inputs, 'bulk');
  }

  private properties(info: SalesforceObjectInfo, record: SalesforceRecord): Record<string, FieldValue> {
    const properties: Record<string, FieldValue> = {};
    for (const [name, raw] of Object.entries(record)) {
      if (name === 'attributes' || name === 'Id') continue;
      const value = decodeValue(info.fields.get(name.toLowerCase()), raw);
      if (value === null || value === undefined) continue;
      Object.defineProperty(properties, name, { value, enumerable: true, writable: true, configurable: true });
    }
    return properties;
  }

  private resolveObject(object: string): string | undefined {
    return this.objects.find((candidate) => candidate === object) ?? this.objects.find((candidate) => candidate.toLowerCase() === object.toLowerCase());
  }

  private objectInfo(object: string): Promise<ObjectLookup> {
    const name = this.resolveObject(object);
    if (name === undefined) {
      return Promise.resolve({ ok: false, code: 'CRM_OBJECT_UNKNOWN', message: `"${object}" is not one of the configured Salesforce objects (${this.objects.join(', ')})`, retryable: false });
    }
    let info = this.infos.get(name);
    if (info === undefined) {
      info = this.fetchInfo(name);
      this.infos.set(name, info);
      // A failed describe is not kept: the next call tries again. (A rejection reaches the caller through `info`.)
      const forget = (): void => {
        if (this.infos.get(name) === info) this.infos.delete(name);
      };
      info.then((result) => {
        if (isFailure(result)) forget();
      }, forget);
    }
    return info;
  }

  private async fetchInfo(name: string): Promise<ObjectLookup> {
    const answer = await this.http.call('GET', `/sobjects/${encodeURIComponent(name)}/describe`);
    if (answer.kind !== 'response' || answer.status !== 200) return callFailure(answer, { ...this.mapping, notFound: 'CRM_OBJECT_UNKNOWN' });
    try {
      return readSalesforceObject(name, answer.json);
    } catch (error) {
      return { ok: false, code: 'CRM_UNAVAILABLE', message: `Salesforce describe of ${name} could not be read: ${(error as Error).message}`, retryable: true };
    }
  }

  private async write(object: string, inputs: readonly UpsertInput[], mode: 'rest' | 'bulk'): Promise<readonly UpsertResult[]> {
    const info = await this.objectInfo(object);
    if (isFailure(info)) return inputs.map(() => info);
    const results: (UpsertResult | undefined)[] = new Array<UpsertResult | undefined>(inputs.length);
    const seen = new Set<string>();
    const groups = new Map<string, PreparedInput[]>();
    inputs.forEach((input, index) => {
      const prepared = prepareInput(info, input, index);
      if (isFailure(prepared)) {
        results[index] = prepared;
        return;
      }
      // Salesforce fails every record of a request that share an external id; the first one is kept, later ones refused.
      const identity = `${prepared.idField.name}\u0000${prepared.id.toLowerCase()}`;
      if (seen.has(identity)) {
        results[index] = rejected(`duplicate input for ${prepared.idField.name} in the same batch`);
        return;
      }
      seen.add(identity);
      const group = groups.get(prepared.idField.name) ?? [];
      group.push(prepared);
      groups.set(prepared.idField.name, group);
    });
    for (const [externalIdField, group] of groups) {
      // The key field tells a lost create race (DUPLICATE_VALUE on it: retryable) from a clash on another unique field.
      const context: MappingContext = { ...this.mapping, object: info, externalIdField };
      let outcome: Map<number, UpsertResult>;
      if (mode === 'bulk') {
        outcome = await runBulkUpsert(this.http, info, group, context, {
          pollIntervalMs: this.bulkPollIntervalMs,
          timeoutMs: this.bulkTimeoutMs,
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        });
      } else if (group.length === 1 && group[0] !== undefined) {
        outcome = new Map([[group[0].index, await this.upsertOne(info, group[0], context)]]);
      } else {
        outcome = new Map();
        for (let start = 0; start < group.length; start += COLLECTION_SIZE) {
          for (const [index, result] of await this.upsertCollection(info, group.slice(start, start + COLLECTION_SIZE), context)) outcome.set(index, result);
        }
      }
      for (const [index, result] of outcome) results[index] = result;
    }
    return results.map((result) => result ?? rejected('internal: no result for this input'));
  }

  private async upsertOne(info: SalesforceObjectInfo, input: PreparedInput, context: MappingContext): Promise<UpsertResult> {
    const answer = await this.http.call('PATCH', `/sobjects/${encodeURIComponent(info.name)}/${encodeURIComponent(input.idField.name)}/${encodeURIComponent(input.id)}`, {
      json: Object.fromEntries(input.body),
    });
    if (answer.kind === 'timeout' || answer.kind === 'network') return (await this.confirmByRead(info, [input], answer.kind, context)).get(input.index) ?? callFailure(answer, context);
    if (answer.kind === 'response' && (answer.status === 200 || answer.status === 201)) {
      const body = answer.json as { id?: unknown; created?: unknown } | undefined;
      if (typeof body?.id === 'string') return { ok: true, recordId: body.id, created: body.created === true || (body.created === undefined && answer.status === 201) };
    }
    if (answer.kind === 'response' && answer.status === 204) {
      // API versions before 46.0 answer an update with no body: read the id back.
      return (await this.confirmByRead(info, [input], 'no-body', context)).get(input.index) ?? callFailure(answer, context);
    }
    return callFailure(answer, { ...context, body: input.body });
  }

  private async upsertCollection(info: SalesforceObjectInfo, chunk: readonly PreparedInput[], context: MappingContext): Promise<Map<number, UpsertResult>> {
    const idField = chunk[0]?.idField;
    const outcome = new Map<number, UpsertResult>();
    if (idField === undefined) return outcome;
    const answer = await this.http.call('PATCH', `/composite/sobjects/${encodeURIComponent(info.name)}/${encodeURIComponent(idField.name)}`, {
      json: { allOrNone: false, records: chunk.map((input) => ({ attributes: { type: info.name }, [idField.name]: input.id, ...Object.fromEntries(input.body) })) },
    });
    if (answer.kind === 'timeout' || answer.kind === 'network') return this.confirmByRead(info, chunk, answer.kind, context);
    if (answer.kind === 'response' && answer.status === 200 && Array.isArray(answer.json) && answer.json.length === chunk.length) {
      const rows = answer.json as { id?: unknown; success?: unknown; created?: unknown; errors?: unknown }[];
      chunk.forEach((input, position) => {
        const row = rows[position];
        if (row?.success === true && typeof row.id === 'string') outcome.set(input.index, { ok: true, recordId: row.id, created: row.created === true });
        else {
          const error = parseErrors(row?.errors)[0] ?? { code: 'UNKNOWN', message: 'success:false without errors', fields: [] };
          outcome.set(input.index, recordErrorFailure(error, { ...context, body: input.body }));
        }
      });
      return outcome;
    }
    if (answer.kind === 'response' && answer.status === 400) {
      // A whole-request 400 (a field Salesforce no longer knows, a type it cannot read) would fail
      // innocent records: describe afresh and send each record alone so only the bad ones fail.
      this.infos.delete(info.name);
      for (const input of chunk) outcome.set(input.index, await this.upsertOne(info, input, context));
      return outcome;
    }
    const failure = callFailure(answer, context);
    for (const input of chunk) outcome.set(input.index, failure);
    return outcome;
  }

  /**
   * After a write whose answer was lost: reads the records back by external
   * id. One showing every written value counts as written (created when it
   * was not modified after creation); otherwise the write is retryable.
   */
  private async confirmByRead(info: SalesforceObjectInfo, inputs: readonly PreparedInput[], why: 'timeout' | 'network' | 'no-body', context: MappingContext): Promise<Map<number, UpsertResult>> {
    const outcome = new Map<number, UpsertResult>();
    const idField = inputs[0]?.idField;
    if (idField === undefined) return outcome;
    const fields = new Set<string>(['CreatedDate', 'LastModifiedDate']);
    for (const input of inputs) for (const name of input.body.keys()) fields.add(name);
    const select = [...fields].filter((name) => info.fields.has(name.toLowerCase()));
    const found = await queryByField(this.http, info, idField, inputs.map((input) => input.id), select, { ...context });
    const lost = why === 'timeout' ? 'timed out' : why === 'network' ? 'lost its connection' : 'had no answer body';
    for (const input of inputs) {
      if (isFailure(found)) {
        outcome.set(input.index, { ok: false, code: 'CRM_UNAVAILABLE', message: `Salesforce write ${lost}, and reading the record back failed too (${found.code}); retry`, retryable: true });
        continue;
      }
      const records = found.get(input.id.toLowerCase()) ?? [];
      const record = records[0];
      const landed =
        records.length === 1 &&
        record !== undefined &&
        [...input.body].every(([name, value]) => {
          const field = info.fields.get(name.toLowerCase());
          return field !== undefined && sameValue(field, value, record[field.name]);
        });
      if (landed) {
        outcome.set(input.index, { ok: true, recordId: String(record['Id']), created: record['CreatedDate'] === record['LastModifiedDate'] });
      } else {
        outcome.set(input.index, { ok: false, code: 'CRM_UNAVAILABLE', message: `Salesforce write ${lost}; reading the record back shows the write did not land; retry`, retryable: true });
      }
    }
    return outcome;
  }
}
