import type { CrmFieldSchema, CrmSchema } from '../core/crm-schema/crm-schema-types.js';
import { foldKey } from '../core/mapping/fold-key.js';
import type { ConfidenceSource, MappingTable } from '../core/mapping/mapping-types.js';
import type { NormalizerKind } from '../core/normalize/normalizer-types.js';
import type { CrmSchemaDocument, MappingConfig } from './config-schema.js';

/** The outputs each normalizer offers to `pick`. */
export const PICKS_BY_KIND: Readonly<Record<NormalizerKind, readonly string[]>> = {
  title: ['function', 'seniority'],
  country: ['country', 'region'],
  company: ['name'],
  domain: ['domain'],
  email: ['email', 'domain', 'freeMail', 'valid'],
  phone: ['e164'],
  intent: ['score', 'level'],
};

/** Turns the YAML form of a CRM schema into the core model (labels and defaults filled in). */
export function compileCrmSchema(document: CrmSchemaDocument): CrmSchema {
  const objects: Record<string, CrmSchema['objects'][string]> = {};
  for (const [objectName, object] of Object.entries(document.objects)) {
    const fields: Record<string, CrmFieldSchema> = {};
    for (const [fieldName, field] of Object.entries(object.fields)) {
      fields[fieldName] = {
        name: fieldName,
        label: field.label ?? fieldName,
        type: field.type,
        required: field.required,
        readOnly: field.readOnly,
        unique: field.unique,
        ...(field.maxLength === undefined ? {} : { maxLength: field.maxLength }),
        ...(field.options === undefined
          ? {}
          : {
              options: field.options.map((option) =>
                typeof option === 'string'
                  ? { value: option, label: option, active: true }
                  : { value: option.value, label: option.label ?? option.value, active: option.active },
              ),
            }),
        ...(field.restricted === false ? { restricted: false } : {}),
      };
    }
    objects[objectName] = { name: objectName, label: object.label ?? objectName, fields };
  }
  return { version: document.version, objects };
}

const asList = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : value;

/** Turns a validated mapping into the table the core runs (paths as lists, folded picklist keys). */
export function compileMappingTable(name: string, mapping: MappingConfig): MappingTable {
  return {
    name,
    version: mapping.version,
    leadIdPaths: asList(mapping.identity.leadId),
    updatedAtPaths: asList(mapping.identity.updatedAt),
    objects: Object.entries(mapping.objects).map(([object, objectMapping]) => ({
      object,
      match: objectMapping.match,
      optional: objectMapping.optional,
      fields: objectMapping.fields.map((field) => {
        const confidence: ConfidenceSource =
          field.confidence === undefined
            ? { kind: 'fixed', value: mapping.confidence }
            : typeof field.confidence === 'number'
              ? { kind: 'fixed', value: field.confidence }
              : { kind: 'path', path: field.confidence.from, outOf: field.confidence.outOf, fallback: field.confidence.fallback ?? mapping.confidence };
        return {
          to: field.to,
          from: asList(field.from),
          ...(field.normalize === undefined ? {} : { normalize: field.normalize }),
          ...(field.pick === undefined ? {} : { pick: field.pick }),
          ...(field.values === undefined
            ? {}
            : { values: new Map(Object.entries(field.values).map(([synonym, option]) => [foldKey(synonym), option])) }),
          confidence,
          ...(field.default === undefined ? {} : { default: field.default }),
          truncate: field.truncate,
        };
      }),
    })),
  };
}
