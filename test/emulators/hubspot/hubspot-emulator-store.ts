import { errorBody, standardError, type StandardError } from './hubspot-emulator-bodies.js';
import type { EmulatedObjectType, EmulatedProperty } from './hubspot-emulator-properties.js';
import { canonicalValue, isContactEmail, validateProperties, validatePropertyValue, validationMessage } from './hubspot-emulator-validation.js';

/** A reply the routes send as is. */
export interface EmulatorReply {
  readonly status: number;
  readonly body: unknown;
}

/** One stored record: HubSpot keeps every value as a string. */
export interface StoredRecord {
  readonly id: string;
  readonly properties: Map<string, string>;
  readonly createdAt: string;
  updatedAt: string;
}

/** Per-object state: property definitions, records, and an index per unique property. */
interface ObjectState {
  readonly type: EmulatedObjectType;
  readonly properties: ReadonlyMap<string, EmulatedProperty>;
  readonly uniqueProperties: ReadonlySet<string>;
  readonly records: Map<string, StoredRecord>;
  readonly index: Map<string, Map<string, string>>;
}

/** Most inputs a batch call takes (rudder-transformer#2952, api-evangelist limits). */
export const MAX_BATCH_INPUTS = 100;
/** Most inputs of a batch read that asks for property history. */
export const MAX_HISTORY_BATCH_INPUTS = 50;

const BUILT_IN = ['hs_object_id', 'createdate', 'lastmodifieddate'];

type UpsertInputBody = { id?: unknown; idProperty?: unknown; properties?: unknown; objectWriteTraceId?: unknown };

/** What one upsert input resolved to before anything is written. */
type PlannedWrite =
  | { readonly ok: true; readonly index: number; readonly idProperty: string; readonly id: string; readonly values: Record<string, string>; readonly traceId: string | undefined }
  | { readonly ok: false; readonly index: number; readonly error: StandardError; readonly traceId: string | undefined };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The emulator's CRM data: object types with their properties and records,
 * and the CRM v3 batch read and batch upsert semantics on top of them.
 */
export class HubSpotEmulatorStore {
  private readonly objects = new Map<string, ObjectState>();
  private nextId = 1001;

  constructor(
    objectTypes: readonly EmulatedObjectType[],
    private readonly now: () => number,
    private readonly portalId: number,
  ) {
    for (const type of objectTypes) {
      const properties = new Map(type.properties.map((entry) => [entry.definition.name, entry]));
      const uniqueProperties = new Set(
        type.properties.filter((entry) => entry.definition.hasUniqueValue || isContactEmail(type, entry.definition.name)).map((entry) => entry.definition.name),
      );
      this.objects.set(type.name, { type, properties, uniqueProperties, records: new Map(), index: new Map([...uniqueProperties].map((name) => [name, new Map<string, string>()])) });
    }
  }

  objectType(name: string): EmulatedObjectType | undefined {
    return this.objects.get(name)?.type;
  }

  /** Drops every record; property definitions stay. */
  clearRecords(): void {
    for (const state of this.objects.values()) {
      state.records.clear();
      for (const index of state.index.values()) index.clear();
    }
  }

  records(objectName: string): { id: string; properties: Record<string, string>; createdAt: string; updatedAt: string }[] | undefined {
    const state = this.objects.get(objectName);
    if (state === undefined) return undefined;
    return [...state.records.values()].map((record) => ({ id: record.id, properties: Object.fromEntries(record.properties), createdAt: record.createdAt, updatedAt: record.updatedAt }));
  }

  /** Stores records as given, without validation: for seeding a portal in tests. Returns their ids. */
  seed(objectName: string, records: readonly Readonly<Record<string, string>>[]): string[] {
    const state = this.objects.get(objectName);
    if (state === undefined) throw new Error(`the emulator has no object type "${objectName}"`);
    return records.map((values) => this.write(state, undefined, values).id);
  }

  properties(objectName: string): EmulatorReply {
    const state = this.objects.get(objectName);
    if (state === undefined) return this.unknownObject(objectName);
    return { status: 200, body: { results: state.type.properties.map((entry) => entry.definition) } };
  }

  property(objectName: string, propertyName: string): EmulatorReply {
    const state = this.objects.get(objectName);
    if (state === undefined) return this.unknownObject(objectName);
    const entry = state.properties.get(propertyName);
    if (entry === undefined) return { status: 404, body: errorBody('OBJECT_NOT_FOUND', `Unable to find property with name ${propertyName} for object type ${state.type.typeId}`) };
    return { status: 200, body: entry.definition };
  }

  /** `POST /crm/v3/objects/{objectType}/batch/read`. */
  batchRead(objectName: string, body: unknown): EmulatorReply {
    const requestedAt = new Date(this.now()).toISOString();
    const state = this.objects.get(objectName);
    if (state === undefined) return this.unknownObject(objectName);
    if (!isObject(body) || !Array.isArray(body['inputs'])) return this.invalidInput('inputs must be an array of {"id": "..."}');
    const inputs = body['inputs'] as unknown[];
    const history = Array.isArray(body['propertiesWithHistory']) ? (body['propertiesWithHistory'] as unknown[]) : [];
    if (history.length > 0 && inputs.length > MAX_HISTORY_BATCH_INPUTS) {
      return this.invalidInput(
        `The maximum number of inputs supported in a batch request for property histories is ${MAX_HISTORY_BATCH_INPUTS}. Please reduce the number of items and try again`,
      );
    }
    if (inputs.length > MAX_BATCH_INPUTS) return this.tooManyInputs(inputs.length);
    const idProperty = typeof body['idProperty'] === 'string' && body['idProperty'] !== '' ? body['idProperty'] : 'hs_object_id';
    if (idProperty !== 'hs_object_id') {
      const problem = this.idPropertyProblem(state, idProperty, 'read');
      if (problem !== undefined) return problem;
    }
    const requested = Array.isArray(body['properties']) ? (body['properties'] as unknown[]).filter((name): name is string => typeof name === 'string') : [];
    const results: unknown[] = [];
    const missing: string[] = [];
    for (const input of inputs) {
      const id = isObject(input) && typeof input['id'] === 'string' ? input['id'] : undefined;
      if (id === undefined) return this.invalidInput('every input needs a string "id"');
      const record = idProperty === 'hs_object_id' ? state.records.get(id) : this.findBy(state, idProperty, id);
      if (record === undefined) missing.push(id);
      else results.push(this.readView(record, requested));
    }
    const completedAt = new Date(this.now()).toISOString();
    if (missing.length === 0) return { status: 200, body: { status: 'COMPLETE', results, requestedAt, startedAt: requestedAt, completedAt } };
    const notFound = standardError(
      'OBJECT_NOT_FOUND',
      `Could not get some ${state.type.singular} objects, they may be deleted or not exist. Check that ids are valid.`,
      { ids: missing },
    );
    return { status: 207, body: { status: 'COMPLETE', results, numErrors: 1, errors: [notFound], requestedAt, startedAt: requestedAt, completedAt } };
  }

  /**
   * `POST /crm/v3/objects/{objectType}/batch/upsert`. When every input carries
   * an `objectWriteTraceId`, failures are reported per input in a 207 and the
   * valid inputs are written; otherwise the first invalid input fails the
   * whole batch with a 400 and nothing is written (HubSpot's documented
   * default for batch writes without trace ids).
   */
  batchUpsert(objectName: string, body: unknown): EmulatorReply {
    const requestedAt = new Date(this.now()).toISOString();
    const state = this.objects.get(objectName);
    if (state === undefined) return this.unknownObject(objectName);
    if (!isObject(body) || !Array.isArray(body['inputs'])) return this.invalidInput('inputs must be an array of {"id", "idProperty", "properties"}');
    const inputs = body['inputs'] as unknown[];
    if (inputs.length > MAX_BATCH_INPUTS) return this.tooManyInputs(inputs.length);
    const shapeProblem = inputs.findIndex((input) => !isObject(input) || typeof input['id'] !== 'string' || !isObject(input['properties']));
    if (shapeProblem !== -1) return this.invalidInput(`inputs[${shapeProblem}] needs a string "id" and a "properties" object of string values`);
    const typed = inputs as UpsertInputBody[];
    for (const input of typed) {
      const idProperty = typeof input.idProperty === 'string' && input.idProperty !== '' ? input.idProperty : 'hs_object_id';
      const problem = this.idPropertyProblem(state, idProperty, 'upsert');
      if (problem !== undefined) return problem;
    }
    const seen = new Set<string>();
    const duplicates: string[] = [];
    for (const input of typed) {
      const idProperty = input.idProperty as string;
      const key = `${idProperty}\u0000${canonicalValue(state.type, idProperty, input.id as string)}`;
      if (seen.has(key)) duplicates.push(input.id as string);
      seen.add(key);
    }
    // The real message for this case is unknown (segmentio/action-destinations#3969 only says the batch is rejected).
    if (duplicates.length > 0) return this.invalidInput(`Duplicate IDs found in batch input: [${duplicates.join(', ')}]. IDs must be unique`);

    const perInput = typed.every((input) => typeof input.objectWriteTraceId === 'string' && input.objectWriteTraceId !== '');
    const plans = typed.map((input, index) => this.planWrite(state, input, index));
    const firstFailure = plans.find((plan) => !plan.ok);
    if (!perInput && firstFailure !== undefined && !firstFailure.ok) {
      return { status: firstFailure.error.category === 'CONFLICT' ? 409 : 400, body: errorBody(firstFailure.error.category, firstFailure.error.message) };
    }
    const results: unknown[] = [];
    const errors: StandardError[] = [];
    for (const plan of plans) {
      if (!plan.ok) {
        errors.push(plan.error);
        continue;
      }
      // Checked again at write time: an earlier input of this batch may have taken a unique value.
      const conflict = this.uniqueConflict(state, plan.idProperty, plan.id, plan.values);
      if (conflict !== undefined) {
        errors.push({ ...conflict, context: plan.traceId === undefined ? {} : { objectWriteTraceId: [plan.traceId] } });
        continue;
      }
      const existing = this.findBy(state, plan.idProperty, plan.id);
      const record = this.write(state, existing, { ...plan.values, [plan.idProperty]: plan.id });
      results.push({
        ...this.readView(record, Object.keys(plan.values).concat(plan.idProperty)),
        new: existing === undefined,
        ...(plan.traceId === undefined ? {} : { objectWriteTraceId: plan.traceId }),
      });
    }
    const completedAt = new Date(this.now()).toISOString();
    const envelope = { status: 'COMPLETE', results, requestedAt, startedAt: requestedAt, completedAt };
    return errors.length === 0 ? { status: 200, body: envelope } : { status: 207, body: { ...envelope, numErrors: errors.length, errors } };
  }

  private planWrite(state: ObjectState, input: UpsertInputBody, index: number): PlannedWrite {
    const traceId = typeof input.objectWriteTraceId === 'string' ? input.objectWriteTraceId : undefined;
    const context = traceId === undefined ? {} : { objectWriteTraceId: [traceId] };
    const idProperty = input.idProperty as string;
    const values: Record<string, string> = {};
    for (const [name, raw] of Object.entries(input.properties as Record<string, unknown>)) {
      // The wire format is strings; numbers and booleans are stringified as HubSpot does, null clears.
      values[name] = raw === null ? '' : typeof raw === 'string' ? raw : JSON.stringify(raw);
    }
    const details = validateProperties(state.type, state.properties, values);
    const idDefinition = state.properties.get(idProperty);
    const idDetail = idDefinition === undefined ? undefined : validatePropertyValue(state.type, idDefinition, input.id as string);
    if (idDetail !== undefined && !details.some((entry) => entry.name === idProperty)) details.unshift(idDetail);
    if (details.length > 0) {
      const error = standardError(
        'VALIDATION_ERROR',
        validationMessage(details),
        context,
        details.map((entry) => ({ message: entry.message, code: entry.error, in: entry.name })),
      );
      return { ok: false, index, error, traceId };
    }
    const id = canonicalValue(state.type, idProperty, input.id as string);
    const conflict = this.uniqueConflict(state, idProperty, id, values);
    if (conflict !== undefined) return { ok: false, index, error: { ...conflict, context }, traceId };
    return { ok: true, index, idProperty, id, values, traceId };
  }

  /** A CONFLICT when a write would give a unique value held by another record to this one. */
  private uniqueConflict(state: ObjectState, idProperty: string, id: string, values: Readonly<Record<string, string>>): StandardError | undefined {
    const target = this.findBy(state, idProperty, id);
    for (const [name, raw] of Object.entries(values)) {
      if (!state.uniqueProperties.has(name) || raw === '' || name === idProperty) continue;
      const holder = state.index.get(name)?.get(canonicalValue(state.type, name, raw));
      if (holder === undefined || holder === target?.id) continue;
      const message = isContactEmail(state.type, name)
        ? `Contact already exists. Existing ID: ${holder}`
        : `${state.type.singular} with ${name} "${raw}" already exists. Existing ID: ${holder}`;
      return standardError('CONFLICT', message, {});
    }
    return undefined;
  }

  private write(state: ObjectState, existing: StoredRecord | undefined, values: Readonly<Record<string, string>>): StoredRecord {
    const at = new Date(this.now()).toISOString();
    const record: StoredRecord = existing ?? { id: String(this.nextId++), properties: new Map(), createdAt: at, updatedAt: at };
    if (existing === undefined) {
      state.records.set(record.id, record);
      record.properties.set('hs_object_id', record.id);
      record.properties.set('createdate', at);
    }
    for (const [name, raw] of Object.entries(values)) {
      const value = canonicalValue(state.type, name, raw);
      const before = record.properties.get(name);
      if (before === value || (before === undefined && value === '')) continue;
      const index = state.index.get(name);
      if (index !== undefined && before !== undefined) index.delete(before);
      if (value === '') record.properties.delete(name);
      else {
        record.properties.set(name, value);
        index?.set(value, record.id);
      }
      record.updatedAt = at;
    }
    record.properties.set('lastmodifieddate', record.updatedAt);
    return record;
  }

  private findBy(state: ObjectState, idProperty: string, id: string): StoredRecord | undefined {
    const recordId = state.index.get(idProperty)?.get(canonicalValue(state.type, idProperty, id));
    return recordId === undefined ? undefined : state.records.get(recordId);
  }

  /** A record as the object APIs return it: the requested properties (null when empty) plus the built-in ones. */
  private readView(record: StoredRecord, requested: readonly string[]): Record<string, unknown> {
    const properties: Record<string, string | null> = {};
    for (const name of [...requested, ...BUILT_IN]) properties[name] = record.properties.get(name) ?? null;
    return { id: record.id, properties, createdAt: record.createdAt, updatedAt: record.updatedAt, archived: false };
  }

  private idPropertyProblem(state: ObjectState, idProperty: string, operation: 'read' | 'upsert'): EmulatorReply | undefined {
    if (!state.properties.has(idProperty) && idProperty !== 'hs_object_id') {
      return this.invalidInput(`Property "${idProperty}" does not exist`);
    }
    if (state.uniqueProperties.has(idProperty)) return undefined;
    // Quoted from segmentio/action-destinations#3957; "0-1"/"0-2" is the object type id.
    const verb = operation === 'read' ? 'read' : 'update/upsert';
    return this.invalidInput(`Unable to perform ${verb} by non-unique ${state.type.typeId} property ${idProperty} in portal ID ${this.portalId}`);
  }

  private unknownObject(objectName: string): EmulatorReply {
    return { status: 400, body: errorBody('VALIDATION_ERROR', `Unable to infer object type from: ${objectName}`) };
  }

  private invalidInput(message: string): EmulatorReply {
    return { status: 400, body: errorBody('VALIDATION_ERROR', message) };
  }

  private tooManyInputs(count: number): EmulatorReply {
    // HubSpot's exact wording for this is unknown; the limit itself is documented.
    return this.invalidInput(`Too many inputs: ${count}. The maximum number of inputs per batch is ${MAX_BATCH_INPUTS}`);
  }
}
