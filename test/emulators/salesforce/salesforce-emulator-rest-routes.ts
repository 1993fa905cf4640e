import type { FastifyInstance, FastifyReply } from 'fastify';
import { apiVersionOf, NOT_FOUND, sendErrors, type EmulatorContext, type SfApiError } from './salesforce-emulator-context.js';
import { describeObject, type ResolvedField, type ResolvedObject } from './salesforce-emulator-schema.js';
import { parseSoql, SoqlError } from './salesforce-emulator-soql.js';
import type { SfRecordError, StoredRecord } from './salesforce-emulator-store.js';
import { coerceJsonValue, type SfValue } from './salesforce-emulator-values.js';

type VersionParams = { version: string };
type ObjectParams = VersionParams & { object: string };
type ExternalParams = ObjectParams & { field: string; value: string };

/** Records per sObject Collections request (CRM-CONTRACTS.md §2.2). */
export const COLLECTION_LIMIT = 200;

function recordUrl(version: string, object: string, id: string): string {
  return `/services/data/v${version}/sobjects/${object}/${id}`;
}

function recordJson(record: StoredRecord, object: ResolvedObject, version: string, fields: readonly ResolvedField[]): Record<string, unknown> {
  const out: Record<string, unknown> = { attributes: { type: object.name, url: recordUrl(version, object.name, record.Id) } };
  for (const field of fields) out[field.name] = field.name === 'Id' ? record.Id : (record.values.get(field.name) ?? null);
  return out;
}

type BodyCheck = { ok: true; values: Map<string, SfValue | null> } | { ok: false; error: SfApiError };

/**
 * Deserializes one record body the way Salesforce does before any record is
 * processed: an unknown field or a value of the wrong JSON type fails the
 * whole request.
 */
function readBody(object: ResolvedObject, body: Record<string, unknown>, skip: ReadonlySet<string>): BodyCheck {
  const values = new Map<string, SfValue | null>();
  for (const [name, raw] of Object.entries(body)) {
    if (name === 'attributes' || skip.has(name.toLowerCase())) continue;
    const field = object.byLowerName.get(name.toLowerCase());
    if (field === undefined) return { ok: false, error: { errorCode: 'INVALID_FIELD', message: `No such column '${name}' on sobject of type ${object.name}` } };
    const coerced = coerceJsonValue(field, raw);
    if (!coerced.ok) return { ok: false, error: { errorCode: 'JSON_PARSER_ERROR', message: coerced.message } };
    values.set(field.name, coerced.value);
  }
  return { ok: true, values };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Resolves version, object and external id field, or answers the request with Salesforce's 404. */
function resolve(context: EmulatorContext, reply: FastifyReply, params: ObjectParams & { field?: string }): { version: string; object: ResolvedObject; field: ResolvedField | undefined } | undefined {
  const version = apiVersionOf(params.version);
  const object = context.objects.get(params.object.toLowerCase());
  if (version === undefined || object === undefined) {
    sendErrors(reply, 404, [NOT_FOUND]);
    return undefined;
  }
  if (params.field === undefined) return { version, object, field: undefined };
  const field = object.byLowerName.get(params.field.toLowerCase());
  if (field === undefined || !(field.externalId || field.name === 'Id')) {
    sendErrors(reply, 404, [{ errorCode: 'NOT_FOUND', message: `Provided external ID field does not exist or is not accessible: ${params.field}` }]);
    return undefined;
  }
  return { version, object, field };
}

function collectionError(error: SfRecordError): Record<string, unknown> {
  return { success: false, errors: [{ statusCode: error.statusCode, message: error.message, fields: error.fields }] };
}

export function registerRestRoutes(app: FastifyInstance, context: EmulatorContext): void {
  app.get('/services/data', () => [{ label: "Spring '24", url: '/services/data/v60.0', version: '60.0' }]);

  app.get<{ Params: VersionParams }>('/services/data/:version/sobjects', (request, reply) => {
    const version = apiVersionOf(request.params.version);
    if (version === undefined) return sendErrors(reply, 404, [NOT_FOUND]);
    return {
      encoding: 'UTF-8',
      maxBatchSize: 200,
      sobjects: [...context.objects.values()].map((object) => ({
        name: object.name, label: object.label, keyPrefix: object.keyPrefix, custom: object.name.endsWith('__c'), createable: true, updateable: true, queryable: true,
        urls: { sobject: `/services/data/v${version}/sobjects/${object.name}`, describe: `/services/data/v${version}/sobjects/${object.name}/describe` },
      })),
    };
  });

  app.get<{ Params: ObjectParams }>('/services/data/:version/sobjects/:object/describe', (request, reply) => {
    const target = resolve(context, reply, request.params);
    if (target === undefined) return reply;
    return describeObject(target.object, `/services/data/v${target.version}`);
  });

  app.get<{ Params: VersionParams }>('/services/data/:version/limits', (request, reply) => {
    if (apiVersionOf(request.params.version) === undefined) return sendErrors(reply, 404, [NOT_FOUND]);
    const header = String(reply.getHeader('Sforce-Limit-Info') ?? '');
    const [used, max] = (/api-usage=(\d+)\/(\d+)/.exec(header) ?? []).slice(1).map(Number);
    return { DailyApiRequests: { Max: max ?? 0, Remaining: (max ?? 0) - (used ?? 0) } };
  });

  app.get<{ Params: ExternalParams }>('/services/data/:version/sobjects/:object/:field/:value', (request, reply) => {
    const target = resolve(context, reply, request.params);
    if (target?.field === undefined) return reply;
    const found = context.store.findBy(target.object, target.field, request.params.value);
    if (found.length > 1) return reply.code(300).send(found.map((record) => recordUrl(target.version, target.object.name, record.Id)));
    const record = found[0];
    if (record === undefined) return sendErrors(reply, 404, [NOT_FOUND]);
    return recordJson(record, target.object, target.version, target.object.fields);
  });

  app.patch<{ Params: ExternalParams; Querystring: { updateOnly?: string } }>('/services/data/:version/sobjects/:object/:field/:value', (request, reply) => {
    const target = resolve(context, reply, request.params);
    if (target?.field === undefined) return reply;
    const { object, field, version } = target;
    if (!isPlainObject(request.body)) return sendErrors(reply, 400, [{ errorCode: 'JSON_PARSER_ERROR', message: 'The request body must be a JSON object' }]);
    if (Object.keys(request.body).some((name) => name.toLowerCase() === field.name.toLowerCase())) {
      // The external id goes in the URL only (CRM-CONTRACTS.md §2.1).
      return sendErrors(reply, 400, [{ errorCode: 'INVALID_FIELD', message: `The external ID field ${field.name} is set in the URL; the request body must not contain it`, fields: [field.name] }]);
    }
    const body = readBody(object, request.body, new Set());
    if (!body.ok) return sendErrors(reply, 400, [body.error]);
    if (request.query.updateOnly === 'true' && context.store.findBy(object, field, request.params.value).length === 0) return sendErrors(reply, 404, [NOT_FOUND]);
    const outcome = context.store.upsert(object, field, request.params.value, body.values, new Date());
    if (outcome.kind === 'multiple') return reply.code(300).send(outcome.ids.map((id) => recordUrl(version, object.name, id)));
    if (outcome.kind === 'error') return sendErrors(reply, 400, [{ errorCode: outcome.error.statusCode, message: outcome.error.message, fields: outcome.error.fields }]);
    // `created` and a body on update exist from v46.0; older versions answer an update with 204 (CRM-CONTRACTS.md §2.1).
    if (Number(version) < 46) return outcome.created ? reply.code(201).send({ id: outcome.id, success: true, errors: [] }) : reply.code(204).send();
    return reply.code(outcome.created ? 201 : 200).send({ id: outcome.id, success: true, errors: [], created: outcome.created });
  });

  app.patch<{ Params: ObjectParams & { field: string } }>('/services/data/:version/composite/sobjects/:object/:field', (request, reply) => {
    const target = resolve(context, reply, request.params);
    if (target?.field === undefined) return reply;
    const { object, field } = target;
    if (Number(target.version) < 46) return sendErrors(reply, 404, [NOT_FOUND]);
    const body = request.body;
    if (!isPlainObject(body) || !Array.isArray(body['records'])) return sendErrors(reply, 400, [{ errorCode: 'JSON_PARSER_ERROR', message: 'Cannot deserialize the request: expecting {"allOrNone":…,"records":[…]}' }]);
    const records = body['records'] as unknown[];
    if (records.length > COLLECTION_LIMIT) {
      return sendErrors(reply, 400, [{ errorCode: 'EXCEEDED_ID_LIMIT', message: `record limit reached. cannot submit more than ${COLLECTION_LIMIT} records into this call` }]);
    }
    const allOrNone = body['allOrNone'] === true;
    const parsed: { key: string; values: Map<string, SfValue | null> }[] = [];
    for (const record of records) {
      if (!isPlainObject(record)) return sendErrors(reply, 400, [{ errorCode: 'JSON_PARSER_ERROR', message: 'Each record must be a JSON object' }]);
      const attributes = record['attributes'];
      const type = isPlainObject(attributes) ? attributes['type'] : undefined;
      if (typeof type !== 'string') return sendErrors(reply, 400, [{ errorCode: 'INVALID_TYPE', message: 'Must send a concrete entity type.' }]);
      if (type.toLowerCase() !== object.name.toLowerCase()) return sendErrors(reply, 400, [{ errorCode: 'INVALID_TYPE', message: `Every record must be of the type in the URL: ${object.name}` }]);
      const read = readBody(object, record, new Set([field.name.toLowerCase()]));
      if (!read.ok) return sendErrors(reply, 400, [read.error]);
      const key = Object.entries(record).find(([name]) => name.toLowerCase() === field.name.toLowerCase())?.[1];
      parsed.push({ key: typeof key === 'string' || typeof key === 'number' ? String(key) : '', values: read.values });
    }
    const counts = new Map<string, number>();
    for (const { key } of parsed) counts.set(key.toLowerCase(), (counts.get(key.toLowerCase()) ?? 0) + 1);
    const snapshot = allOrNone ? context.store.snapshot(object.name) : undefined;
    const results = parsed.map(({ key, values }) => {
      if (key === '') return collectionError({ statusCode: 'REQUIRED_FIELD_MISSING', message: `Required fields are missing: [${field.name}]`, fields: [field.name] });
      if ((counts.get(key.toLowerCase()) ?? 0) > 1) return collectionError({ statusCode: 'DUPLICATE_EXTERNAL_ID', message: `Duplicate external id specified: ${key}`, fields: [field.name] });
      const outcome = context.store.upsert(object, field, key, values, new Date());
      if (outcome.kind === 'saved') return { id: outcome.id, success: true, errors: [], created: outcome.created };
      if (outcome.kind === 'multiple') {
        return collectionError({ statusCode: 'DUPLICATE_EXTERNAL_ID', message: `${field.name}: more than one record found for external id field: [${outcome.ids.join(', ')}]`, fields: [field.name] });
      }
      return collectionError(outcome.error);
    });
    if (snapshot !== undefined && results.some((result) => result.success === false)) {
      context.store.restore(object.name, snapshot);
      return results.map((result) =>
        result.success === false
          ? result
          : collectionError({ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK', message: 'Record rolled back because not all records were valid and the request was using AllOrNone header', fields: [] }),
      );
    }
    return results;
  });

  app.get<{ Params: VersionParams; Querystring: { q?: string } }>('/services/data/:version/query', (request, reply) => {
    const version = apiVersionOf(request.params.version);
    if (version === undefined) return sendErrors(reply, 404, [NOT_FOUND]);
    let query: ReturnType<typeof parseSoql>;
    try {
      query = parseSoql(request.query.q ?? '');
    } catch (error) {
      if (error instanceof SoqlError) return sendErrors(reply, 400, [{ errorCode: 'MALFORMED_QUERY', message: error.message }]);
      throw error;
    }
    const object = context.objects.get(query.object.toLowerCase());
    if (object === undefined) {
      return sendErrors(reply, 400, [{ errorCode: 'INVALID_TYPE', message: `sObject type '${query.object}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.` }]);
    }
    const fields: ResolvedField[] = [];
    for (const name of [...query.fields, ...(query.where === undefined ? [] : [query.where.field])]) {
      const field = object.byLowerName.get(name.toLowerCase());
      if (field === undefined) {
        return sendErrors(reply, 400, [{ errorCode: 'INVALID_FIELD', message: `No such column '${name}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.` }]);
      }
      fields.push(field);
    }
    const whereField = query.where === undefined ? undefined : fields.pop();
    let records = context.store.all(object.name);
    if (whereField !== undefined && query.where !== undefined) {
      // SOQL compares text case-insensitively.
      const wanted = new Set(query.where.values.map((value) => value.toLowerCase()));
      records = records.filter((record) => {
        const value = whereField.name === 'Id' ? record.Id : record.values.get(whereField.name);
        return value !== undefined && (wanted.has(String(value).toLowerCase()) || (whereField.name === 'Id' && wanted.has(String(value).slice(0, 15).toLowerCase())));
      });
    }
    if (query.limit !== undefined) records = records.slice(0, query.limit);
    return { totalSize: records.length, done: true, records: records.map((record) => recordJson(record, object, version, fields)) };
  });
}
