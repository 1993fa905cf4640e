import type { CrmFieldSchema, CrmObjectSchema, CrmSchema } from './crm-schema-types.js';
import { FIELD_COERCERS, type FieldCoercer } from './field-coercers.js';
import { buildPicklistIndex, type PicklistIndex } from './picklist-index.js';

/** A field with its coercer bound and its picklist keys normalised once. */
export interface CompiledField {
  readonly schema: CrmFieldSchema;
  readonly coerce: FieldCoercer;
  /** Empty for non-picklist fields. */
  readonly picklist: PicklistIndex;
}

/** An object's fields by name, plus the required fields a create must fill. */
export interface CompiledObject {
  readonly schema: CrmObjectSchema;
  /** A `Map`, so a field named "constructor" or "__proto__" is looked up safely. */
  readonly fields: ReadonlyMap<string, CompiledField>;
  /** Required, writable fields in schema order; read-only fields are the CRM's to fill. */
  readonly requiredWritable: readonly string[];
}

/** A whole schema compiled for validation. */
export interface CompiledSchema {
  readonly schema: CrmSchema;
  readonly objects: ReadonlyMap<string, CompiledObject>;
}

// Keyed by identity: schemas are immutable once loaded, and a pulled schema is a new object.
const compiledSchemas = new WeakMap<CrmSchema, CompiledSchema>();
const compiledObjects = new WeakMap<CrmObjectSchema, CompiledObject>();
const compiledFields = new WeakMap<CrmFieldSchema, CompiledField>();
const NO_OPTIONS = buildPicklistIndex(undefined);

/**
 * Precomputes lookup maps and normalised option keys for every object and
 * field of a schema, cached per schema object, so validation does no per-call
 * setup. `validateField` and `validateRecord` compile lazily through the same
 * caches, so calling this is an optimisation (do it once when a schema loads),
 * not a requirement. Do not mutate a schema after compiling it.
 */
export function compileSchema(schema: CrmSchema): CompiledSchema {
  const cached = compiledSchemas.get(schema);
  if (cached !== undefined) return cached;
  const objects = new Map<string, CompiledObject>();
  for (const [name, object] of Object.entries(schema.objects)) objects.set(name, compileObject(object));
  const compiled: CompiledSchema = { schema, objects };
  compiledSchemas.set(schema, compiled);
  return compiled;
}

/** Compiles (or returns the cached compilation of) one object. */
export function compileObject(object: CrmObjectSchema): CompiledObject {
  const cached = compiledObjects.get(object);
  if (cached !== undefined) return cached;
  const fields = new Map<string, CompiledField>();
  const requiredWritable: string[] = [];
  for (const [name, field] of Object.entries(object.fields)) {
    fields.set(name, compileField(field));
    if (field.required && !field.readOnly) requiredWritable.push(name);
  }
  const compiled: CompiledObject = { schema: object, fields, requiredWritable };
  compiledObjects.set(object, compiled);
  return compiled;
}

/** Compiles (or returns the cached compilation of) one field. */
export function compileField(field: CrmFieldSchema): CompiledField {
  const cached = compiledFields.get(field);
  if (cached !== undefined) return cached;
  const isPicklist = field.type === 'picklist' || field.type === 'multi_picklist';
  const compiled: CompiledField = {
    schema: field,
    coerce: FIELD_COERCERS[field.type],
    picklist: isPicklist ? buildPicklistIndex(field.options, field.restricted !== false) : NO_OPTIONS,
  };
  compiledFields.set(field, compiled);
  return compiled;
}

/**
 * The schema of a field of an object, or undefined. Safer than
 * `object.fields[name]`, which finds `constructor` and friends on the prototype.
 */
export function findField(object: CrmObjectSchema, name: string): CrmFieldSchema | undefined {
  return compileObject(object).fields.get(name)?.schema;
}
