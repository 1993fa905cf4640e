import type { CrmObjectSchema, FieldValue } from '../crm-schema/crm-schema-types.js';
import { compileObject } from '../crm-schema/compiled-schema.js';
import { validateCompiled } from '../crm-schema/field-validator.js';
import type { ValidateOptions } from '../crm-schema/field-validation-result.js';
import { payloadHash } from '../hashing/canonical-json.js';
import { idempotencyKey } from '../hashing/idempotency-key.js';
import { mapPayload, type MappedObject } from '../mapping/lead-mapper.js';
import { planMerge } from '../merge/merge-planner.js';
import type { CurrentRecord, FieldPolicy, ProposalInput } from '../merge/plan-types.js';
import type { EventPlan, ObjectPlan, PlanContext, PreparedEvent, PreparedObject } from './event-plan-types.js';

/** The lead key of one CRM record: `object:matchValue`, e.g. `contacts:ada@example.com`. */
export function recordLeadKey(object: string, matchValue: string): string {
  return `${object}:${matchValue}`;
}

/**
 * Step one of planning: identity, hashes, mapping and validation. Needs no
 * current record, so the worker can run it first and then read exactly the
 * records it names.
 */
export function prepareEvent(payload: unknown, context: PlanContext): PreparedEvent {
  const hash = payloadHash(payload);
  const mapped = mapPayload(payload, context.mapping, context.source, context.normalize);
  if (!mapped.ok) {
    return { ok: false, source: context.source, payloadHash: hash, rejection: { code: mapped.code, message: mapped.message } };
  }
  return {
    ok: true,
    source: context.source,
    leadId: mapped.leadId,
    sourceUpdatedAt: mapped.sourceUpdatedAt,
    idempotencyKey: idempotencyKey(context.source, mapped.leadId, mapped.sourceUpdatedAt),
    payloadHash: hash,
    mapping: { name: context.mapping.name, version: context.mapping.version },
    schemaVersion: context.schema.version,
    objects: mapped.objects.map((object) => prepareObject(object, mapped.sourceUpdatedAt, context)),
  };
}

function prepareObject(mapped: MappedObject, sourceUpdatedAt: string, context: PlanContext): PreparedObject {
  const schema = context.schema.objects[mapped.object];
  if (!schema) {
    return { status: 'rejected', object: mapped.object, rejection: { code: 'CRM_OBJECT_UNKNOWN', message: `the CRM schema has no object "${mapped.object}"` } };
  }
  const optional = isOptional(context, mapped.object);
  const matchValue = findValue(mapped);
  if (!matchValue || matchValue.status === 'absent') {
    return optional
      ? { status: 'skipped', object: mapped.object, detail: `no value for the match field "${mapped.matchField}"` }
      : { status: 'rejected', object: mapped.object, rejection: { code: 'CRM_REQUIRED_MISSING', message: `no value for the match field "${mapped.matchField}"` } };
  }
  if (matchValue.status === 'error') {
    return { status: 'rejected', object: mapped.object, rejection: { code: matchValue.code, message: `match field "${mapped.matchField}": ${matchValue.message}` } };
  }
  const fields = compileObject(schema).fields;
  const matchValidation = validateCompiled(fields.get(mapped.matchField), mapped.matchField, matchValue.value, NO_OPTIONS);
  if (!matchValidation.ok || typeof matchValidation.value !== 'string') {
    return {
      status: 'rejected',
      object: mapped.object,
      rejection: matchValidation.ok
        ? { code: 'CRM_TYPE_MISMATCH', message: `match field "${mapped.matchField}" must be text` }
        : { code: matchValidation.code, message: matchValidation.message },
    };
  }

  const proposals: ProposalInput[] = [];
  for (const value of mapped.values) {
    if (value.field === mapped.matchField || value.status === 'absent') continue;
    if (value.status === 'error') {
      proposals.push({ field: value.field, rejected: { code: value.code, message: value.message }, value: value.value });
      continue;
    }
    const validation = validateCompiled(fields.get(value.field), value.field, value.value, value.truncate ? TRUNCATE : NO_OPTIONS);
    if (!validation.ok) {
      proposals.push({
        field: value.field,
        rejected: { code: validation.code, message: validation.message, ...(validation.suggestions ? { suggestions: validation.suggestions } : {}) },
        value: value.value,
      });
      continue;
    }
    proposals.push({
      field: value.field,
      value: validation.value,
      confidence: value.confidence,
      sourceUpdatedAt,
      source: context.source,
      // A value the CRM takes although the schema does not list it (unrestricted picklist): the audit says so.
      reason: validation.warning === undefined ? value.reason : `${value.reason}; ${validation.warning}`,
    });
  }
  return {
    status: 'ready',
    object: mapped.object,
    leadKey: recordLeadKey(mapped.object, matchValidation.value),
    match: { field: mapped.matchField, value: matchValidation.value },
    proposals,
  };
}

// Shared option objects: one per field and event was garbage.
const NO_OPTIONS: ValidateOptions = {};
const TRUNCATE: ValidateOptions = { truncate: true };

function isOptional(context: PlanContext, object: string): boolean {
  for (const mapping of context.mapping.objects) if (mapping.object === object) return mapping.optional;
  return false;
}

function findValue(mapped: MappedObject): MappedObject['values'][number] | undefined {
  for (const value of mapped.values) if (value.field === mapped.matchField) return value;
  return undefined;
}

/**
 * Step two: merge each prepared object with its current record (null when the
 * CRM has none) under the field policies. Deterministic for a given input.
 */
export function planEvent(prepared: PreparedEvent, currents: ReadonlyMap<string, CurrentRecord | null>, context: PlanContext): EventPlan {
  if (!prepared.ok) {
    return {
      outcome: 'rejected',
      source: prepared.source,
      payloadHash: prepared.payloadHash,
      leadId: null,
      sourceUpdatedAt: null,
      idempotencyKey: null,
      mapping: { name: context.mapping.name, version: context.mapping.version },
      schemaVersion: context.schema.version,
      objects: [],
      rejection: prepared.rejection,
    };
  }
  const objects = prepared.objects.map((object) => planObject(object, currents, context));
  return {
    outcome: eventOutcome(objects),
    source: prepared.source,
    payloadHash: prepared.payloadHash,
    leadId: prepared.leadId,
    sourceUpdatedAt: prepared.sourceUpdatedAt,
    idempotencyKey: prepared.idempotencyKey,
    mapping: prepared.mapping,
    schemaVersion: prepared.schemaVersion,
    objects,
  };
}

function planObject(prepared: PreparedObject, currents: ReadonlyMap<string, CurrentRecord | null>, context: PlanContext): ObjectPlan {
  if (prepared.status !== 'ready') return prepared;
  const current = currents.get(prepared.leadKey) ?? null;
  const schema = context.schema.objects[prepared.object] as CrmObjectSchema;
  const fields = planMerge({ proposals: prepared.proposals, current, policies: policiesOf(context.policies.fields, prepared.object), defaultPolicy: context.policies.default });
  const write: Record<string, FieldValue> = {};
  for (const field of fields) if (field.kind === 'change') write[field.field] = field.after;

  // A create must carry every required field; an update leaves absent fields alone.
  if (current === null) {
    const missing = missingOnCreate(requiredOnCreate(schema), prepared.match.field, write);
    if (missing !== undefined) {
      return {
        status: 'rejected',
        object: prepared.object,
        leadKey: prepared.leadKey,
        rejection: { code: 'CRM_REQUIRED_MISSING', message: `creating the record needs ${missing.join(', ')}` },
      };
    }
  }
  // Two literals rather than a spread of a conditional object: one object fewer per planned record.
  const recordId = current?.id ?? null;
  if (current?.unread === true) {
    return { status: 'planned', object: prepared.object, leadKey: prepared.leadKey, match: prepared.match, recordId, fields, write, unread: true };
  }
  return { status: 'planned', object: prepared.object, leadKey: prepared.leadKey, match: prepared.match, recordId, fields, write };
}

/** Required fields a create would lack, or undefined when it has them all (a loop, not a filter: most creates lack none). */
function missingOnCreate(required: readonly string[], matchField: string, write: Readonly<Record<string, FieldValue>>): string[] | undefined {
  let missing: string[] | undefined;
  for (const name of required) if (name !== matchField && write[name] === undefined) (missing ??= []).push(name);
  return missing;
}

// Per-object views of the config and schema, derived once: planning runs for every event.
const objectPolicies = new WeakMap<Readonly<Record<string, FieldPolicy>>, Map<string, Readonly<Record<string, FieldPolicy>>>>();
const createRequirements = new WeakMap<CrmObjectSchema, readonly string[]>();

/** The policies of one object's fields, keyed by field name (config keys them "object.field"). */
export function policiesOf(fieldPolicies: Readonly<Record<string, FieldPolicy>>, object: string): Readonly<Record<string, FieldPolicy>> {
  let byObject = objectPolicies.get(fieldPolicies);
  if (byObject === undefined) {
    byObject = new Map();
    objectPolicies.set(fieldPolicies, byObject);
  }
  let policies = byObject.get(object);
  if (policies === undefined) {
    const prefix = `${object}.`;
    const own: Record<string, FieldPolicy> = Object.create(null) as Record<string, FieldPolicy>;
    for (const [key, policy] of Object.entries(fieldPolicies)) if (key.startsWith(prefix)) own[key.slice(prefix.length)] = policy;
    policies = own;
    byObject.set(object, policies);
  }
  return policies;
}

/** Fields a create must carry: required and writable. */
export function requiredOnCreate(schema: CrmObjectSchema): readonly string[] {
  let names = createRequirements.get(schema);
  if (names === undefined) {
    names = Object.values(schema.fields)
      .filter((field) => field.required && !field.readOnly)
      .map((field) => field.name);
    createRequirements.set(schema, names);
  }
  return names;
}

function eventOutcome(objects: readonly ObjectPlan[]): EventPlan['outcome'] {
  // Loops rather than filter/some: this runs for every event.
  let planned = false;
  let rejectedObjects = false;
  let rejectedFields = false;
  let writes = false;
  for (const object of objects) {
    if (object.status === 'rejected') rejectedObjects = true;
    if (object.status !== 'planned') continue;
    planned = true;
    for (const field of object.fields) if (field.kind === 'rejected') rejectedFields = true;
    if (Object.keys(object.write).length > 0) writes = true;
  }
  if (!planned) return rejectedObjects ? 'rejected' : 'no_change';
  if (rejectedObjects || rejectedFields) return 'partial';
  return writes ? 'write' : 'no_change';
}
